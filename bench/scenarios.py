"""What bench/run.py measures and bench/report.py reports: the scenarios, the level the targets are
stated at, and one measured run. Both modules import this one and never each other's internals
(run.py calls report.write at the end; report.py needs nothing of run.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

READ_SCENARIOS = ["product_list", "product_search", "product_detail", "mypage"]
WRITE_SCENARIOS = ["reserve", "pay", "cancel"]
FLOOR_SCENARIOS = ["floor_ping", "floor_reserve"]
ALL_SCENARIOS = FLOOR_SCENARIOS + READ_SCENARIOS + WRITE_SCENARIOS
# The level the targets are stated at.
TARGET_LEVEL = 32
# Which floor each scenario is compared with.
FLOOR_OF = {name: "floor_ping" for name in READ_SCENARIOS} | {name: "floor_reserve" for name in WRITE_SCENARIOS}


@dataclass
class Run:
    scenario: str
    connections: int
    dispatch: str
    rps: float = 0.0
    requests: int = 0
    latency_ms: dict[str, float] = field(default_factory=dict)
    codes: dict[str, int] = field(default_factory=dict)
    socket_errors: dict[str, int] = field(default_factory=dict)
    wraps: int = 0
    lines: int = 0
    duration: float = 0.0
    loadavg_before: float = 0.0
    loadavg_after: float = 0.0
    lag: dict[str, dict] = field(default_factory=dict)
    backlog: dict = field(default_factory=dict)
    # 0: the level's own run. 1, 2, ...: the target pair (floor_reserve, reserve at 32 clients)
    # measured again (--target-repeats); the targets take the median pair.
    repeat: int = 0

    @property
    def ok(self) -> int:
        return sum(n for code, n in self.codes.items() if code.startswith("2"))

    @property
    def sustained_rps(self) -> float | None:
        """Successful requests ÷ (load time + time until the backlog they caused was empty): the
        rate the whole system sustains, deliveries included. A scenario that publishes nothing
        (the floor) sustains its request rate; None when the backlog did not drain."""
        if not self.rps or not self.requests:
            return None
        seconds = self.requests / self.rps
        if self.scenario not in WRITE_SCENARIOS:
            return self.ok / seconds
        drained = self.backlog.get("drain_after_load_s")
        return None if drained is None else self.ok / (seconds + drained)

    @property
    def conflicts(self) -> int:
        return self.codes.get("409", 0)

    @property
    def errors_5xx(self) -> int:
        return sum(n for code, n in self.codes.items() if code.startswith("5"))

    @property
    def other_non_2xx(self) -> dict[str, int]:
        return {c: n for c, n in sorted(self.codes.items()) if not c.startswith("2") and c != "409"}

    @property
    def socket_error_count(self) -> int:
        return sum(self.socket_errors.get(k, 0) for k in ("connect", "read", "write", "timeout"))
