"""Database helpers shared by the contexts."""

from __future__ import annotations

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


def set_local_timeouts(*, lock_ms: int, statement_ms: int) -> None:
    """Bound how long the current transaction may wait for row locks and run one statement.

    PostgreSQL only (``SET LOCAL``: the bounds end with the transaction, so nothing else on the
    connection is affected); a no-op elsewhere. Used on hot paths such as reserving, where waiting
    in a queue is worse than a quick "try again shortly". One round trip, deliberately: bounds set
    on the whole session would silently apply to whatever the connection serves next.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('lock_timeout', %s, true), set_config('statement_timeout', %s, true)",
            [f"{int(lock_ms)}ms", f"{int(statement_ms)}ms"],
        )
