"""Scenario tests in the spirit of Spring Modulith's ``Scenario``: stimulate a command, wait for
an event or a state, verify. Works in both dispatch modes: while waiting it runs due deliveries
in this process, exactly as the worker would (a no-op when inline dispatch already ran them).

    def test_reserving_requests_a_payment(scenario):
        placed = scenario.stimulate(lambda: reservation_place(buyer=buyer, product_id=p.id))
        requested = placed.and_wait_for_event(PaymentRequested, lambda e: e.reservation_id == placed.result.id)
        assert requested.amount == "1000"
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from market import bus
from market.events import Event
from market.models import EventRecord

E = TypeVar("E", bound=Event)
T = TypeVar("T")


class Scenario:
    def __init__(self, *, timeout: float = 5.0, poll: float = 0.01) -> None:
        self.timeout = timeout
        self.poll = poll

    def stimulate(self, command: Callable[[], Any]) -> Stimulus:
        since = EventRecord.objects.order_by("-id").values_list("id", flat=True).first() or 0
        result = command()
        return Stimulus(self, result, since)

    def published(self, event_type: type[E] | None = None, *, since: int = 0) -> list[Event]:
        records = EventRecord.objects.filter(id__gt=since).order_by("id")
        if event_type is not None:
            records = records.filter(type=event_type.type)
        return [r.to_event() for r in records]

    def _until(self, probe: Callable[[], T | None], what: str) -> T:
        deadline = time.monotonic() + self.timeout
        while True:
            bus.drain()
            value = probe()
            if value is not None and value is not False:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {self.timeout}s waiting for {what}")
            time.sleep(self.poll)


class Stimulus:
    def __init__(self, scenario: Scenario, result: Any, since: int) -> None:
        self.scenario = scenario
        self.result = result
        self.since = since

    def and_wait_for_event(self, event_type: type[E], matching: Callable[[E], bool] = lambda e: True) -> E:
        def probe() -> E | None:
            for event in self.scenario.published(event_type, since=self.since):
                if matching(event):  # type: ignore[arg-type]
                    return event  # type: ignore[return-value]
            return None

        return self.scenario._until(probe, f"a {event_type.type} event")

    def and_wait_for_state(self, probe: Callable[[], T], until: Callable[[T], bool] = bool) -> T:
        def check() -> T | None:
            value = probe()
            return value if until(value) else None

        return self.scenario._until(check, "the expected state")

    def and_verify(self, verify: Callable[[Any], None]) -> Stimulus:
        verify(self.result)
        return self
