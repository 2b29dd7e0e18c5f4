"""The benchmark harness itself (bench/): the wrk script's JSON, the backlog verdict, the report.

No database and no app server: wrk is pointed at a tiny HTTP server in this process.
"""

from __future__ import annotations

import argparse
import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest

from bench import report
from bench.run import Run, backlog_verdict, parse_args, run_wrk, write_lines

pytestmark = pytest.mark.slow  # `make test` skips it; `make test-pg` and CI run it


class _Handler(BaseHTTPRequestHandler):
    seen: list[tuple[str, str, str, str]] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        self.seen.append((self.command, self.path, self.headers.get("Authorization", ""), body))
        status = 409 if self.path.endswith("/taken/") else 201 if self.command == "POST" else 200
        payload = b"{}"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def http_server():
    _Handler.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Handler.seen
    server.shutdown()


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)")
def test_the_wrk_script_replays_the_lines_and_counts_every_status(http_server, tmp_path):
    base, seen = http_server
    lines = tmp_path / "lines.tsv"
    write_lines(
        lines,
        [
            ("POST", "/api/reservations/", "tok1", json.dumps({"product_id": 1})),
            ("POST", "/api/taken/", "tok2", ""),
            ("GET", "/api/products/?page_size=20", "", ""),
        ],
    )

    result = run_wrk(shutil.which("wrk"), base, lines, connections=2, duration=1, threads=1)

    assert result["requests"] > 3
    assert set(result["codes"]) == {"200", "201", "409"}
    assert sum(result["codes"].values()) >= result["requests"]
    assert result["wraps"] >= 1  # three lines, many requests: it started over and said so
    assert 0 < result["latency_us"]["p50"] <= result["latency_us"]["p99"]
    assert ("POST", "/api/reservations/", "Token tok1", '{"product_id": 1}') in seen
    assert ("GET", "/api/products/?page_size=20", "", "") in seen


def test_a_backlog_that_keeps_up_is_steady():
    samples = [(t, n) for t, n in enumerate([0, 12, 8, 15, 9, 11, 10, 7, 12, 9])]

    verdict = backlog_verdict(samples, deliveries=3000, seconds=10)

    assert verdict["grew"] is False
    assert verdict["max"] == 15


def test_a_backlog_that_climbs_grew():
    samples = [(t, 300 * t) for t in range(10)]

    verdict = backlog_verdict(samples, deliveries=3000, seconds=10)

    assert verdict["grew"] is True
    assert verdict["end"] == 2700


def test_quick_is_a_short_run_and_the_pool_follows_the_levels():
    quick = parse_args(["--quick"])
    full = parse_args([])

    assert quick.levels == [8, 32] and quick.duration == 5.0 and quick.products == 2_000
    assert full.levels == [8, 32, 100] and full.duration == 15.0 and full.products == 10_000
    assert full.pool > quick.pool > 0


def test_unknown_scenarios_are_refused():
    with pytest.raises(SystemExit):
        parse_args(["--scenarios", "reserve,nonsense"])


def _run(scenario: str, rps: float, p99: float, codes: dict[str, int], **extra) -> Run:
    run = Run(scenario=scenario, connections=32, dispatch="worker", rps=rps, requests=int(rps * 10), duration=10)
    run.latency_ms = {
        "min": 1,
        "mean": p99 / 3,
        "max": p99 * 2,
        "stdev": 1,
        "p50": p99 / 4,
        "p90": p99 / 2,
        "p95": p99 / 1.5,
        "p99": p99,
        "p999": p99 * 1.5,
    }
    run.codes = codes
    run.socket_errors = {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0}
    for key, value in extra.items():
        setattr(run, key, value)
    return run


def test_the_report_states_the_targets_and_every_status_code(tmp_path: Path):
    runs = [
        _run("floor_ping", 2000, 20, {"200": 20000}),
        _run("floor_reserve", 300, 150, {"201": 3000}),
        _run("product_list", 150, 300, {"200": 1500}),
        _run(
            "reserve",
            200,
            200,
            {"201": 1900, "409": 80, "503": 20},
            lag={"mypage.project": {"deliveries": 2000, "not_done": 0, "p50_ms": 40.0, "p99_ms": 900.0, "max_ms": 1}},
            backlog={"max": 30, "end": 5, "grew": False, "drain_after_load_s": 0.5},
        ),
    ]
    bench = SimpleNamespace(
        runs=runs,
        args=argparse.Namespace(
            workers=3,
            max_requests=0,
            db_name="market_bench",
            wrk_threads=1,
            duration=10.0,
            levels=[32],
            event_workers=2,
            no_plot=True,
        ),
        seed={"catalogue": [1, 2], "pool": [3], "buyers": [{}], "seconds": 1.0},
        seed_drain_seconds=2.0,
        started="2026-01-01T00:00:00",
        argv=["bench/run.py"],
        uptime={"before": "load average: 0.1", "after": "load average: 0.2"},
    )

    text = report.markdown(bench, {"cpu": "test cpu", "cores": "2"})
    met = {name: ok for name, _, ok in report.targets(bench)}

    # The headline counts the drain: 1900 reservations in 10 s of load + 0.5 s of drain, of 300/s.
    assert met["reserve SUSTAINED ≥ 60% of floor_reserve at 32 clients: 2xx ÷ (load s + drain s)"] is True
    assert met["(request-only, for comparison) reserve rps ÷ floor_reserve rps at 32 clients"] is None  # 200 / 300
    assert met["reserve p99 < 250 ms at 32 clients"] is True
    assert met["reserve: no 5xx at 32 clients"] is False
    assert met["event lag p99 < 1 s at the reserve load"] is True
    assert met["product list p99 < 50 ms at 32 clients"] is False
    assert "| reserve | 32 | worker | 10 | 200 | 67% of floor_reserve | 181 |" in text
    assert "| 1900 | 80 | 503: 20 |" in text  # 2xx, 409 apart, every other code by code
    assert "test cpu" in text and "Remaining cost" in text


def test_the_target_pair_is_measured_three_times_except_in_a_quick_run():
    assert parse_args([]).target_repeats == 3
    assert parse_args(["--quick"]).target_repeats == 1
    assert parse_args(["--target-repeats", "5"]).pool > parse_args([]).pool


def test_the_targets_take_the_median_pair_and_the_worst_of_what_must_always_hold(tmp_path: Path):
    def pair(repeat: int, floor_rps: float, reserve_rps: float, p99: float, codes: dict, lag_p99: float, grew=False):
        lag = {"mypage.project": {"deliveries": 10, "not_done": 0, "p50_ms": 1.0, "p99_ms": lag_p99, "max_ms": 1}}
        return [
            _run("floor_reserve", floor_rps, 100, {"201": 3000}, repeat=repeat),
            _run(
                "reserve",
                reserve_rps,
                p99,
                codes,
                repeat=repeat,
                lag=lag,
                backlog={"max": 1, "grew": grew, "drain_after_load_s": 1.0},
            ),
        ]

    runs = [
        *pair(0, 500, 150, 300, {"201": 1500}, 400.0),  # 30%
        *pair(1, 500, 200, 240, {"201": 2000}, 1200.0),  # 40%
        *pair(2, 400, 260, 200, {"201": 2600, "502": 1}, 300.0, grew=True),  # 65%
    ]
    bench = SimpleNamespace(runs=runs)

    measured = {name: (value, ok) for name, value, ok in report.targets(bench)}

    sustained = "reserve SUSTAINED ≥ 60% of floor_reserve at 32 clients: 2xx ÷ (load s + drain s)"
    # 1500, 2000, 2600 reservations in 10 s + 1 s of drain, against 500, 500, 400/s.
    assert measured[sustained] == ("36% (median of 3: 27%, 36%, 59%)", False)
    request_only = "(request-only, for comparison) reserve rps ÷ floor_reserve rps at 32 clients"
    assert measured[request_only] == ("40% (median of 3: 30%, 40%, 65%)", None)
    assert measured["reserve p99 < 250 ms at 32 clients"] == ("240 ms (median of 3: 300, 240, 200)", True)
    assert measured["reserve: no 5xx at 32 clients"] == ("1", False)
    assert measured["event lag p99 < 1 s at the reserve load"] == ("1200.0 ms", False)
    assert measured["backlog does not grow at the reserve load"] == ("grew", False)
    # Each measurement is compared with the floor measured with it.
    assert report._ratio(runs, runs[5], {"reserve": "floor_reserve"}) == "65% of floor_reserve"
    assert report._label(runs[5]) == "reserve #3" and report._label(runs[1]) == "reserve"


def test_a_backlog_that_did_not_drain_fails_the_sustained_target():
    runs = [
        _run("floor_reserve", 300, 100, {"201": 3000}),
        _run("reserve", 250, 100, {"201": 2500}, backlog={"max": 1, "grew": False, "drain_after_load_s": None}),
    ]
    measured = {name: (value, ok) for name, value, ok in report.targets(SimpleNamespace(runs=runs))}
    assert measured["reserve SUSTAINED ≥ 60% of floor_reserve at 32 clients: 2xx ÷ (load s + drain s)"] == (
        "did not drain",
        False,
    )


def test_the_inline_dispatch_run_is_reported_beside_the_targets():
    runs = [
        _run("floor_reserve", 400, 100, {"201": 4000}),
        _run("reserve", 200, 100, {"201": 2000}, backlog={"max": 1, "grew": False, "drain_after_load_s": 0.0}),
        _run("floor_reserve", 400, 100, {"201": 4000}),
        _run("reserve", 100, 100, {"201": 1000}, backlog={"max": 1, "grew": False, "drain_after_load_s": 2.5}),
    ]
    runs[2].dispatch = runs[3].dispatch = "inline"
    measured = {name: value for name, value, _ in report.targets(SimpleNamespace(runs=runs))}
    inline = next(value for name, value in measured.items() if "inline dispatch" in name)
    assert inline == "20% sustained, 25% request-only"  # 1000 / (10 + 2.5) / 400


def test_only_the_benchmarks_own_settings_mount_the_floor():
    from django.conf import settings
    from django.urls import Resolver404, resolve

    import bench.settings

    assert not [app for app in settings.INSTALLED_APPS if app.startswith("bench")]
    with pytest.raises(Resolver404):
        resolve("/bench/floor/ping/")
    assert "bench.floor" in bench.settings.INSTALLED_APPS
    assert bench.settings.ROOT_URLCONF == "bench.urls"


def test_report_and_run_share_definitions_without_importing_each_other():
    import ast

    def imported(name: str) -> set[str]:
        tree = ast.parse((Path(__file__).resolve().parents[2] / "bench" / f"{name}.py").read_text())
        found = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
        return found

    assert "bench.run" not in imported("report")
    assert "bench.scenarios" in imported("report") and "bench.scenarios" in imported("run")
