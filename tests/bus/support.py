"""Test-only events and subscribers for the bus's own tests.

They live outside the catalogue on purpose: they exist only while the tests run. Handlers write
to a tiny ``bus_probe`` table with raw SQL, so "effects applied once" is something we can count,
also from worker subprocesses.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import ClassVar

from django.db import connection, transaction

from market import bus
from market.bus import durable, in_transaction
from market.errors import Conflict
from market.events import Event


@dataclass(frozen=True, kw_only=True)
class Pinged(Event):
    type: ClassVar[str] = "test.Pinged"
    aggregate_type: ClassVar[str] = "probe"
    key: str
    n: int = 0

    @property
    def aggregate_id(self) -> str:
        return self.key


@dataclass(frozen=True, kw_only=True)
class Counted(Event):
    type: ClassVar[str] = "test.Counted"
    aggregate_type: ClassVar[str] = "counter"
    n: int

    @property
    def aggregate_id(self) -> str:
        return str(self.n)


@dataclass(frozen=True, kw_only=True)
class Called(Event):
    """For the ``atomic=False`` subscriber: a call to the outside world."""

    type: ClassVar[str] = "test.Called"
    aggregate_type: ClassVar[str] = "phone"
    key: str

    @property
    def aggregate_id(self) -> str:
        return self.key


@dataclass(frozen=True, kw_only=True)
class Texted(Event):
    """For the ``atomic=False`` subscriber with a batch handler (messages sent in batches)."""

    type: ClassVar[str] = "test.Texted"
    aggregate_type: ClassVar[str] = "phone"
    key: str

    @property
    def aggregate_id(self) -> str:
        return self.key


# Behaviour switches for the handlers, set by tests: {(key, n): failures still to raise}.
FAILURES: dict[tuple[str, int], int] = {}
ALWAYS_FAIL: set[str] = set()
ON_HANDLE: list = []  # callables run at the start of test.record


def ensure_probe_table() -> None:
    ddl = (
        "CREATE TABLE IF NOT EXISTS bus_probe (id BIGSERIAL PRIMARY KEY, subscriber TEXT, key TEXT, n INTEGER, "
        "event_id TEXT, note TEXT)"
        if connection.vendor == "postgresql"
        else "CREATE TABLE IF NOT EXISTS bus_probe (id INTEGER PRIMARY KEY AUTOINCREMENT, subscriber TEXT, key TEXT, "
        "n INTEGER, event_id TEXT, note TEXT)"
    )
    with connection.cursor() as cursor:
        cursor.execute(ddl)
        cursor.execute("DELETE FROM bus_probe")


def probe_rows(subscriber: str | None = None) -> list[tuple]:
    sql = "SELECT subscriber, key, n, event_id, note FROM bus_probe"
    params: list = []
    if subscriber:
        sql += " WHERE subscriber = %s"
        params.append(subscriber)
    with connection.cursor() as cursor:
        cursor.execute(sql + " ORDER BY id", params)
        return cursor.fetchall()


def _write(subscriber: str, event: Event, key: str, n: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bus_probe (subscriber, key, n, event_id, note) VALUES (%s, %s, %s, %s, %s)",
            [subscriber, key, n, str(event.event_id), os.environ.get("PROBE_NOTE", "")],
        )


@in_transaction(Pinged, id="test.veto")
def veto(event: Pinged) -> None:
    if event.n < 0:
        raise Conflict("vetoed by the test subscriber", code="vetoed")


@in_transaction(Pinged, id="test.chain")
def chain(event: Pinged) -> None:
    """From n=100 on, publishes a follow-up in the same transaction (a nested publish)."""
    if event.n >= 100:
        bus.publish(Counted(n=event.n))


@durable(Pinged, id="test.record")
def record(event: Pinged) -> None:
    for hook in ON_HANDLE:
        hook(event)
    _write("test.record", event, event.key, event.n)  # written first: a failure must roll it back
    started = os.environ.get("PROBE_STARTED_FILE")
    if started:
        with open(started, "w") as fh:
            fh.write(str(os.getpid()))
    time.sleep(float(os.environ.get("PROBE_SLOW_SECONDS", "0")))
    if event.key in ALWAYS_FAIL:
        raise RuntimeError(f"{event.key} always fails")
    remaining = FAILURES.get((event.key, event.n), 0)
    if remaining:
        FAILURES[(event.key, event.n)] = remaining - 1
        raise RuntimeError(f"{event.key}/{event.n} fails {remaining} more time(s)")


@durable(Pinged, id="test.other")
def other(event: Pinged) -> None:
    _write("test.other", event, event.key, event.n)


@durable(Counted, id="test.count")
def count(event: Counted) -> None:
    time.sleep(float(os.environ.get("PROBE_COUNT_SLEEP", "0")))
    _write("test.count", event, "", event.n)


@durable(Called, id="test.outside", atomic=False)
def outside(event: Called) -> None:
    """Runs outside any transaction: its write commits at once, like a message sent."""
    for hook in ON_HANDLE:
        hook(event)
    _write("test.outside", event, event.key, 0)


TEXT_BATCHES: list[list[str]] = []  # the keys of each batch test.texts was given


@durable(Texted, id="test.texts", atomic=False, batch=True)
def texts(events: list[Texted]) -> None:
    """Takes lists: one event when run alone, a batch in the worker."""
    TEXT_BATCHES.append([e.key for e in events])
    for event in events:
        _write("test.texts", event, event.key, 0)
        if event.key in ALWAYS_FAIL:
            raise RuntimeError(f"{event.key} always fails")


@dataclass(frozen=True, kw_only=True)
class Opened(Event):
    """With ``Closed``: two event types for one subscriber that takes lists."""

    type: ClassVar[str] = "test.Opened"
    aggregate_type: ClassVar[str] = "door"
    key: str

    @property
    def aggregate_id(self) -> str:
        return self.key


@dataclass(frozen=True, kw_only=True)
class Closed(Event):
    type: ClassVar[str] = "test.Closed"
    aggregate_type: ClassVar[str] = "door"
    key: str

    @property
    def aggregate_id(self) -> str:
        return self.key


DOOR_BATCHES: list[list[str]] = []  # the (type, key) of each list test.doors was given


@durable(Opened, Closed, id="test.doors", batch=True)
def doors(events: list[Event]) -> None:
    DOOR_BATCHES.append([f"{e.type}:{e.key}" for e in events])


def publish(event: Event):
    """Publish ``event`` in a transaction of its own, as a command would."""
    with transaction.atomic():
        return bus.publish(event)
