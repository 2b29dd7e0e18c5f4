"""Database helpers shared by the contexts."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db import connection
from django.db.models import Model, QuerySet

from market.errors import NotFound

Row = TypeVar("Row", bound=Model)

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


def get_or_404(
    queryset: QuerySet[Row],
    value: object,
    message: str,
    code: str,
    *,
    field: str = "pk",
    visible: Callable[[Row], bool] | None = None,
) -> Row:
    """The row of ``queryset`` whose ``field`` is the id ``value``, or ``NotFound(message, code=code)``:
    also for an id that cannot name a row ("abc", 0, beyond a bigint) and for a row that ``visible``
    hides from the caller (someone else's answers as a missing one does, so ids don't leak)."""
    pk = parse_id(value)
    row = queryset.filter(**{field: pk}).first() if pk is not None else None
    if row is None or (visible is not None and not visible(row)):
        raise NotFound(message, code=code)
    return row


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
