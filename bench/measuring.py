"""Measuring a load: wrk over a file of requests, the backlog sampled while it runs, the event
lag per subscriber afterwards, and the verdict on whether the backlog grew."""

from __future__ import annotations

import json
import statistics
import subprocess
import threading
import time
from datetime import datetime
from pathlib import Path

from bench.processes import BENCH, Database


def write_lines(path: Path, rows: list[tuple[str, str, str, str]]) -> int:
    with path.open("w") as f:
        for method, url, token, body in rows:
            f.write(f"{method}\t{url}\t{token}\t{body}\n")
    return len(rows)


def run_wrk(wrk: str, base: str, lines: Path, connections: int, duration: float, threads: int) -> dict:
    threads = max(1, min(threads, connections))
    cmd = [
        wrk,
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{max(1, round(duration))}s",
        "--timeout",
        "10s",
        "-s",
        str(BENCH / "wrk" / "requests.lua"),
        base,
        "--",
        str(lines),
        str(threads),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 120)
    for line in done.stdout.splitlines():
        if line.startswith("WRK_JSON "):
            return json.loads(line[len("WRK_JSON ") :])
    raise RuntimeError(f"wrk gave no result (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")


class BacklogSampler(threading.Thread):
    """Counts pending deliveries once a second while the load runs."""

    def __init__(self, db: Database, interval: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.db, self.interval = db, interval
        self.samples: list[tuple[float, int]] = []
        self._halt = threading.Event()
        self.started = time.monotonic()

    def run(self) -> None:
        with self.db.connect() as conn:
            while not self._halt.is_set():
                (pending,) = conn.execute("SELECT count(*) FROM market_delivery WHERE status = 'pending'").fetchone()
                self.samples.append((round(time.monotonic() - self.started, 2), pending))
                self._halt.wait(self.interval)

    def stop(self) -> list[tuple[float, int]]:
        self._halt.set()
        self.join(timeout=10)
        return self.samples


def pending(db: Database) -> int:
    return db.query("SELECT count(*) FROM market_delivery WHERE status = 'pending'")[0][0]


def wait_for_drain(db: Database, timeout: float) -> float | None:
    """Seconds until no delivery is pending, or None when it did not drain within ``timeout``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if pending(db) == 0:
            return round(time.monotonic() - started, 2)
        time.sleep(0.25)
    return None


def event_lag(db: Database, since: datetime, until: datetime) -> dict[str, dict]:
    """Per durable subscriber, for deliveries created in [since, until): completed_at - created_at."""
    rows = db.query(
        """
        SELECT subscriber,
               count(*),
               count(*) FILTER (WHERE status <> 'done'),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - created_at)),
               percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - created_at)),
               max(extract(epoch FROM completed_at - created_at))
        FROM market_delivery
        WHERE created_at >= %s AND created_at < %s
        GROUP BY subscriber ORDER BY subscriber
        """,
        (since, until),
    )
    return {
        sub: {
            "deliveries": n,
            "not_done": not_done,
            "p50_ms": round(float(p50) * 1000, 1) if p50 is not None else None,
            "p99_ms": round(float(p99) * 1000, 1) if p99 is not None else None,
            "max_ms": round(float(mx) * 1000, 1) if mx is not None else None,
        }
        for sub, n, not_done, p50, p99, mx in rows
    }


def backlog_verdict(samples: list[tuple[float, int]], deliveries: int, seconds: float) -> dict:
    """The backlog 'grows' when, at the end of the load, more is pending than about one second of
    deliveries and the second half of the run held more than the first half."""
    values = [n for _, n in samples]
    if not values:
        return {"samples": [], "max": 0, "end": 0, "grew": False}
    per_second = deliveries / seconds if seconds else 0
    half = len(values) // 2 or 1
    first, second = statistics.mean(values[:half]), statistics.mean(values[half:] or values)
    end = values[-1]
    grew = end > max(50, per_second) and second > first * 1.2
    return {
        "samples": samples,
        "max": max(values),
        "end": end,
        "first_half_mean": round(first, 1),
        "second_half_mean": round(second, 1),
        "grew": grew,
    }
