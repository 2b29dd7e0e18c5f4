"""Database helpers shared by the contexts."""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from django.db import connection

MAX_ID = 2**63 - 1  # the largest bigint: no row has a bigger id, and looking one up would overflow


def parse_id(value: object) -> int | None:
    """An id from the outside world, or None when it cannot name a row (so lookups answer 404,
    never a 500 on "abc" or a number beyond the column's range)."""
    if isinstance(value, bool):
        return None
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


# Raw PostgreSQL connection -> the (lock_ms, statement_ms) its session already has; weak, so a
# closed connection drops out and a new one (reconnect, pool) starts unknown.
_session_timeouts: WeakKeyDictionary[Any, tuple[int, int]] = WeakKeyDictionary()


def bound_waits(*, lock_ms: int, statement_ms: int) -> None:
    """Bound how long this connection waits for row locks and runs one statement.

    PostgreSQL only; a no-op elsewhere. Outside a transaction (the reservation command calls it
    before opening its own) it sets ``lock_timeout``/``statement_timeout`` for the connection's
    session, once: later calls with the same bounds cost no round trip, so the hot path pays it
    only the first time a connection serves it (they then bound every later statement on that
    connection too). Inside a transaction it falls back to ``SET LOCAL`` semantics (ends with the
    transaction, costs a round trip each time), because a session ``SET`` made in a transaction
    that rolls back would be undone behind our back.
    """
    if connection.vendor != "postgresql":
        return
    wanted = (int(lock_ms), int(statement_ms))
    in_transaction = connection.in_atomic_block
    if not in_transaction:
        connection.ensure_connection()
        if _session_timeouts.get(connection.connection) == wanted:
            return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('lock_timeout', %s, %s), set_config('statement_timeout', %s, %s)",
            [f"{wanted[0]}ms", in_transaction, f"{wanted[1]}ms", in_transaction],
        )
    if not in_transaction:
        _session_timeouts[connection.connection] = wanted
