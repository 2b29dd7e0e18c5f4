"""bench/run.py's command line."""

from __future__ import annotations

import argparse
import os

from bench.scenarios import ALL_SCENARIOS, TARGET_LEVEL


def parse_args(argv: list[str] | None = None, *, description: str | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--levels", default="8,32,100", help="concurrent connections, comma separated")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per scenario and level")
    parser.add_argument("--quick", action="store_true", help="levels 8,32, 5 s each, 2,000 products")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("GUNICORN_WORKERS", "3")))
    parser.add_argument("--topup-seconds", type=float, default=30.0, help="max unmeasured reserving for pay/cancel")
    parser.add_argument("--drain-timeout", type=float, default=60.0, help="max seconds to wait for the backlog")
    parser.add_argument(
        "--event-workers", type=int, default=2, help="events_worker processes (0: none, to measure requests alone)"
    )
    parser.add_argument(
        "--worker-async-commit", action="store_true", help="event workers' connections with synchronous_commit=off"
    )
    parser.add_argument("--max-requests", type=int, default=0, help="gunicorn worker recycling (0: never)")
    parser.add_argument(
        "--target-repeats",
        type=int,
        default=3,
        help=f"floor_reserve + reserve pairs at {TARGET_LEVEL} clients; the targets take the median (--quick: 1)",
    )
    parser.add_argument("--products", type=int, default=10_000, help="products in the catalogue")
    parser.add_argument("--pool", type=int, default=0, help="extra products for reserve (default: sized from levels)")
    parser.add_argument("--buyers", type=int, default=200)
    parser.add_argument("--scenarios", default=",".join(ALL_SCENARIOS))
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--no-inline", dest="inline", action="store_false", help="skip the inline-dispatch run")
    parser.add_argument("--inline-level", type=int, default=32)
    parser.add_argument("--db-name", default="market_bench")
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--pg-user", default="postgres")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--results", default="", help="results folder (default bench/results/<timestamp>)")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.levels = "8,32" if args.levels == "8,32,100" else args.levels
        args.duration = 5.0 if args.duration == 15.0 else args.duration
        args.products = 2_000 if args.products == 10_000 else args.products
        args.target_repeats = 1 if args.target_repeats == 3 else args.target_repeats
    args.target_repeats = max(1, args.target_repeats)
    args.levels = [int(x) for x in str(args.levels).split(",") if x.strip()]
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = set(args.scenarios) - set(ALL_SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios {sorted(unknown)}; known: {', '.join(ALL_SCENARIOS)}")
    if not args.pool:
        # reserve + top-ups for pay and cancel, at up to ~200 reservations/s, per level, plus the inline run;
        # a run that outgrows it says "pool wrapped" (409s) in the report: pass a larger --pool.
        args.pool = int(200 * args.duration * (3 * (len(args.levels) + 1) + args.target_repeats - 1))
    return args
