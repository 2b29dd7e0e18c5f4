"""The event worker's liveness signal: a file whose modification time is the moment its slowest
thread last went round its loop (``market.bus.worker`` writes it; ``EVENTS_WORKER_HEARTBEAT_FILE``).

A container runtime checks it with an exec probe that needs neither Django nor the database (a
worker that cannot reach the database still goes round its loop: restarting it would not help)::

    python -m market.heartbeat /tmp/market-worker.heartbeat --max-age 120

exits 0 if the file was touched within ``--max-age`` seconds, 1 otherwise (missing, or stale: a
thread stuck in a handler, or a loop that died while the process lives on).

This module imports nothing of the project, so the probe starts in milliseconds.
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def beat(path: str, at: float | None = None) -> None:
    """Set the file's modification time to ``at`` (wall clock; now by default), creating it."""
    at = time.time() if at is None else at
    try:
        os.utime(path, (at, at))
    except FileNotFoundError:
        with open(path, "a"):
            pass
        os.utime(path, (at, at))


def age(path: str, now: float | None = None) -> float | None:
    """Seconds since the last beat, or None when there is no heartbeat file."""
    try:
        modified = os.stat(path).st_mtime
    except FileNotFoundError:
        return None
    return (time.time() if now is None else now) - modified


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m market.heartbeat", description=__doc__.split("\n\n")[0])
    parser.add_argument("path")
    parser.add_argument("--max-age", type=float, default=120.0, help="seconds (default 120)")
    args = parser.parse_args(argv)
    seconds = age(args.path)
    if seconds is None:
        print(f"no heartbeat at {args.path}", file=sys.stderr)
        return 1
    if seconds > args.max_age:
        print(f"heartbeat {seconds:.0f}s old (max {args.max_age:.0f}s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
