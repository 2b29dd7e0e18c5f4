"""The load benchmark: one command, `make bench` (or `.venv/bin/python bench/run.py --help`).

It creates its own PostgreSQL database, seeds users and products, starts the app under gunicorn with
the event worker, and drives load over loopback with wrk at several concurrency levels, for the app's
scenarios and for the floor (bench/floor: the least a reservation must do, and a trivial endpoint) in
the same run and server configuration. It writes report.md, results.json and plot.png under
bench/results/<timestamp>/. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import urllib.request
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script (bench/run.py), the project root is not on the path yet.
sys.path.insert(0, str(ROOT))

from bench import report  # noqa: E402
from bench.measuring import (  # noqa: E402
    BacklogSampler,
    backlog_verdict,
    event_lag,
    pending,
    run_wrk,
    wait_for_drain,
    write_lines,
)
from bench.options import parse_args  # noqa: E402
from bench.processes import (  # noqa: E402
    BENCH,
    PYTHON,
    Database,
    Server,
    ensure_plotting,
    ensure_wrk,
    free_port,
    log,
    uptime,
)
from bench.scenarios import (  # noqa: E402
    ALL_SCENARIOS,
    TARGET_LEVEL,
    WRITE_SCENARIOS,
    Run,
)

# Rate limits off for the benchmark (one load generator drives many users from one address).
# The names follow market/settings.py; unknown ones are harmless.
NO_LIMITS_ENV = {
    "RATE_LIMITS_ENABLED": "0",
    **{
        f"RATE_LIMIT_{scope}": "1000000/s"
        for scope in ("RESERVE", "CANCEL", "PAY", "REGISTER", "TOKEN", "RESERVE_IP", "CANCEL_IP", "PAY_IP")
    },
}


# --- the benchmark ----------------------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        self.out = Path(args.results) / stamp if args.results else BENCH / "results" / stamp
        self.out.mkdir(parents=True, exist_ok=True)
        self.tmp = self.out / "lines"
        self.tmp.mkdir(exist_ok=True)
        self.db = Database(args.pg_host, args.pg_port, args.pg_user, args.db_name)
        self.port = args.port or free_port()
        self.env = (
            dict(os.environ)
            | NO_LIMITS_ENV
            | {
                # market.settings plus the floor app and its URLs: production settings know nothing of bench/.
                "DJANGO_SETTINGS_MODULE": "bench.settings",
                "DATABASE_URL": self.db.url,
                "DEBUG": "false",
                "SECRET_KEY": "bench-not-secret-" + "x" * 40,
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "FAST_PASSWORD_HASHER": "1",
                "LOG_LEVEL": "WARNING",
                "EVENTS_DISPATCH": "worker",
                "GUNICORN_MAX_REQUESTS": str(args.max_requests),
                "PYTHONDONTWRITEBYTECODE": "1",
            }
        )
        self.runs: list[Run] = []
        self.rng = random.Random(7)
        self.seed: dict = {}
        self.wrk = ""
        self.started = datetime.now().isoformat(timespec="seconds")
        self.argv = ["bench/run.py", *sys.argv[1:]]
        self.uptime = {"before": uptime(), "after": ""}
        self.db_version = ""
        self.pay_quota = 0
        self.seed_drain_seconds: float | None = 0.0

    # seeding --------------------------------------------------------------------------------------

    def prepare(self) -> None:
        self.wrk = ensure_wrk()
        if not self.args.no_plot:
            ensure_plotting()
        log(f"creating database {self.db.name}")
        self.db.recreate()
        self.db_version = self.db.query("SHOW server_version")[0][0]
        subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=self.env, check=True)
        log(f"seeding {self.args.products} products + {self.args.pool} for the write paths, {self.args.buyers} buyers")
        seeded = subprocess.run(
            [
                PYTHON,
                str(BENCH / "seed.py"),
                "--products",
                str(self.args.products),
                "--pool",
                str(self.args.pool),
                "--buyers",
                str(self.args.buyers),
            ],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )
        self.seed = json.loads(seeded.stdout)
        self.pool_min = min(self.seed["pool"]) if self.seed["pool"] else 0
        self.tokens = {b["id"]: b["token"] for b in self.seed["buyers"] + self.seed["sellers"]}
        log(f"seeded in {self.seed['seconds']} s")

    # request files ----------------------------------------------------------------------------------

    def lines_for(self, scenario: str, connections: int) -> Path:
        path = self.tmp / f"{scenario}-{connections}.tsv"
        buyers = [b["token"] for b in self.seed["buyers"]]
        rows: list[tuple[str, str, str, str]] = []
        if scenario == "floor_ping":
            rows = [("GET", "/bench/floor/ping/", "", "")]
        elif scenario == "floor_reserve":
            ids = [r[0] for r in self.db.query("SELECT id FROM floor_flooritem WHERE status = 'available' ORDER BY id")]
            rows = [
                ("POST", "/bench/floor/reserve/", buyers[n % len(buyers)], json.dumps({"item_id": i}))
                for n, i in enumerate(ids)
            ]
        elif scenario in ("product_list", "product_search"):
            for _ in range(500):
                low = self.rng.randrange(0, 900) * 1000
                url = (
                    f"/api/products/?status=available&min_price={low}&max_price={low + 200_000}"
                    "&ordering=-created_at&page_size=20"
                )
                if scenario == "product_search":
                    url += "&search=" + urllib.request.quote(self.rng.choice(["자전거", "노트북", "카메라", "의자"]))
                rows.append(("GET", url, "", ""))
        elif scenario == "product_detail":
            ids = list(self.seed["catalogue"])
            self.rng.shuffle(ids)
            rows = [("GET", f"/api/products/{i}/", "", "") for i in ids]
        elif scenario == "mypage":
            rows = [("GET", "/api/mypage/", t, "") for t in buyers]
        elif scenario == "reserve":
            ids = [
                r[0]
                for r in self.db.query(
                    "SELECT id FROM product_product WHERE id >= %s AND status = 'available' ORDER BY id",
                    (self.pool_min,),
                )
            ]
            rows = [
                ("POST", "/api/reservations/", buyers[n % len(buyers)], json.dumps({"product_id": i}))
                for n, i in enumerate(ids)
            ]
        elif scenario == "pay":
            found = self.db.query(
                "SELECT id, buyer_id FROM payment_payment WHERE status = 'unpaid' ORDER BY id LIMIT %s",
                (self.pay_quota,),
            )
            rows = [("POST", f"/api/payments/{pid}/pay/", self.tokens[buyer], "") for pid, buyer in found]
        elif scenario == "cancel":
            found = self.db.query(
                """SELECT r.id, r.buyer_id FROM reservation_reservation r
                   WHERE r.status = 'reserved'
                     AND NOT EXISTS (SELECT 1 FROM payment_payment p
                                     WHERE p.reservation_id = r.id AND p.status = 'paid')
                   ORDER BY r.id DESC""",
            )
            rows = [("POST", f"/api/reservations/{rid}/cancel/", self.tokens[buyer], "") for rid, buyer in found]
        if not rows:
            rows = [("GET", "/bench/floor/ping/", "", "")]
            log(f"{scenario}: nothing to send (pool empty)")
        write_lines(path, rows)
        return path

    # one measured run -----------------------------------------------------------------------------------

    def measure(
        self,
        scenario: str,
        connections: int,
        *,
        dispatch: str = "worker",
        duration: float | None = None,
        repeat: int = 0,
    ) -> Run:
        writes = scenario in WRITE_SCENARIOS
        workers = self.args.event_workers > 0
        if writes and workers and wait_for_drain(self.db, self.args.drain_timeout * 2) is None:
            log("warning: the backlog did not drain before the run")
        lines = self.lines_for(scenario, connections)
        run = Run(scenario=scenario, connections=connections, dispatch=dispatch, repeat=repeat)
        run.lines = sum(1 for _ in lines.open())
        run.loadavg_before = os.getloadavg()[0]
        sampler = BacklogSampler(self.db) if writes else None
        since = self._db_now()
        if sampler:
            sampler.start()
        duration = duration or self.args.duration
        run.duration = duration
        result = run_wrk(self.wrk, self.server.base, lines, connections, duration, self.args.wrk_threads)
        until = self._db_now()
        samples = sampler.stop() if sampler else []
        run.loadavg_after = os.getloadavg()[0]
        seconds = result["duration_us"] / 1e6
        run.requests = result["requests"]
        run.rps = round(result["requests"] / seconds, 1)
        run.latency_ms = {k: round(v / 1000, 2) for k, v in result["latency_us"].items()}
        run.codes = {k: v for k, v in result["codes"].items()}
        run.socket_errors = result["errors"]
        run.wraps = result["wraps"]
        if writes:
            drained = wait_for_drain(self.db, self.args.drain_timeout) if workers else None
            run.lag = event_lag(self.db, since, until)
            deliveries = sum(v["deliveries"] for v in run.lag.values())
            run.backlog = backlog_verdict(samples, deliveries, seconds) | {"drain_after_load_s": drained}
        self.runs.append(run)
        lag = ""
        if run.lag:
            worst = max((v["p99_ms"] or 0) for v in run.lag.values())
            lag = f" lag p99 {worst} ms, backlog max {run.backlog['max']} grew={run.backlog['grew']}"
        label = f"{scenario} #{repeat + 1}" if repeat else scenario
        log(
            f"{label:15s} c={connections:<4d} {dispatch:6s} {run.rps:8.1f} rps  p50 {run.latency_ms['p50']} "
            f"p99 {run.latency_ms['p99']} ms  codes {run.codes} sock {run.socket_error_count}"
            f"{' WRAPPED' if run.wraps else ''}{lag}"
        )
        return run

    def _db_now(self) -> datetime:
        return self.db.query("SELECT clock_timestamp()")[0][0]

    def top_up_reservations(self, connections: int, needed: int) -> None:
        """Create reservations (unmeasured) until ``needed`` unpaid payments exist, within
        --topup-seconds."""
        budget = self.args.topup_seconds
        rate = next((r.rps for r in reversed(self.runs) if r.scenario == "reserve"), 50.0) or 50.0
        have = self.db.query("SELECT count(*) FROM payment_payment WHERE status = 'unpaid'")[0][0]
        if have >= needed or budget <= 0:
            return
        seconds = min(max(2.0, (needed - have) / rate * 1.1), budget)
        log(f"top-up: {have} unpaid payments, want {needed}: reserving for {seconds:.0f} s")
        lines = self.lines_for("reserve", connections)
        run_wrk(self.wrk, self.server.base, lines, connections, seconds, self.args.wrk_threads)
        wait_for_drain(self.db, self.args.drain_timeout * 2)

    def measure_pay_and_cancel(self, connections: int, scenarios: list[str]) -> None:
        """Pay and cancel need unpaid reservations, one per request: top them up (within
        --topup-seconds), split them between the two, and shorten a run rather than let it wrap
        around its pool (a wrapped pool would answer 409s that are not contention)."""
        reserve_rate = next((r.rps for r in reversed(self.runs) if r.scenario == "reserve"), 50.0) or 50.0

        # No write is faster than the floor's reservation at the same level: its rate bounds how
        # many unpaid reservations a run can use.
        floor_rate = next(
            (r.rps for r in reversed(self.runs) if r.scenario == "floor_reserve" and r.connections == connections),
            0.0,
        )

        def expected_rate(scenario: str) -> float:
            earlier = [r.rps for r in self.runs if r.scenario == scenario and r.dispatch == "worker"]
            return max(earlier[-1] if earlier else 0.0, reserve_rate * 2, floor_rate * 1.2)

        wanted = sum(expected_rate(s) * self.args.duration * 1.2 for s in scenarios)
        self.top_up_reservations(connections, int(wanted))
        have = self.db.query("SELECT count(*) FROM payment_payment WHERE status = 'unpaid'")[0][0]
        share = max(have // len(scenarios), 1)
        for scenario in scenarios:
            self.pay_quota = share
            duration = min(self.args.duration, max(3.0, share / (expected_rate(scenario) * 1.2)))
            self.measure(scenario, connections, duration=round(duration))

    def warm_up(self) -> None:
        for scenario in ("floor_ping", "product_list", "product_detail"):
            run_wrk(self.wrk, self.server.base, self.lines_for(scenario, 8), 8, 2, 1)

    # the whole run ------------------------------------------------------------------------------------------

    def execute(self) -> None:
        self.prepare()
        self.server = Server(self.env, self.port, self.args.workers, self.out, self.args.event_workers)
        if self.args.worker_async_commit:
            # Safe for the bus: a delivery's effects and its "done" commit together, so losing the last
            # few commits in a crash only means those deliveries run again (at least once).
            self.server.worker_env = {"DATABASE_URL": self.db.url + "?options=-c%20synchronous_commit%3Doff"}
        scenarios = [s for s in ALL_SCENARIOS if s in self.args.scenarios]
        try:
            log(f"starting gunicorn ({self.args.workers} workers) and the event worker on port {self.port}")
            self.server.start(dispatch="worker")
            backlog = pending(self.db) if self.args.event_workers else 0
            if backlog:
                log(f"waiting for the event worker to deliver the {backlog} deliveries seeding published")
                self.seed_drain_seconds = wait_for_drain(self.db, 1800)
                log(f"seed backlog drained in {self.seed_drain_seconds} s")
            # A table that was bulk-loaded a moment ago has no visibility map or statistics yet;
            # autovacuum gives a live one both within a minute. Do now what it would do, so the
            # plans measured are the ones production gets (index-only counts, for one).
            self.db.vacuum_analyze()
            self.warm_up()
            for connections in self.args.levels:
                for scenario in scenarios:
                    if scenario in ("pay", "cancel"):
                        continue
                    self.measure(scenario, connections)
                if connections == TARGET_LEVEL and {"floor_reserve", "reserve"} <= set(scenarios):
                    # The ratio moves a lot from one 15 s window to the next on a shared VM: measure
                    # the target pair again, back to back, and let the targets take the median.
                    for repeat in range(1, self.args.target_repeats):
                        self.measure("floor_reserve", connections, repeat=repeat)
                        self.measure("reserve", connections, repeat=repeat)
                if "pay" in scenarios or "cancel" in scenarios:
                    self.measure_pay_and_cancel(connections, [s for s in ("pay", "cancel") if s in scenarios])
            self.server.stop()
            if self.args.inline and "reserve" in scenarios:
                log("comparison: the same reserve load with inline dispatch (durable subscribers after commit)")
                self.server.start(dispatch="inline")
                self.warm_up()
                self.measure("floor_reserve", self.args.inline_level, dispatch="inline")
                self.measure("reserve", self.args.inline_level, dispatch="inline")
        finally:
            self.server.stop()
            if not self.args.keep_db:
                self.db.drop()
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.uptime["after"] = uptime()
        report.write(self)
        log(f"report: {self.out / 'report.md'}")


def main(argv: list[str] | None = None) -> None:
    os.chdir(ROOT)
    Bench(parse_args(argv, description=__doc__)).execute()


if __name__ == "__main__":
    main()
