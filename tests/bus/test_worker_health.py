"""The worker's health: a heartbeat file an exec probe checks, and metrics of its own (deliveries
run and failed, claims, batch sizes, lag) served on a port of its own."""

from __future__ import annotations

import time

import httpx
import pytest
from django.core.management import call_command
from django.db import transaction

from market import bus, heartbeat, metrics
from market.bus.worker import Worker
from tests.bus import support
from tests.bus.support import Pinged

PORT = 8141  # this project's range for test servers


@pytest.fixture(autouse=True)
def probe(db, settings):
    settings.EVENTS_DISPATCH = "worker"
    support.ensure_probe_table()
    support.ALWAYS_FAIL.clear()
    yield
    support.ALWAYS_FAIL.clear()


def test_the_probe_passes_on_a_fresh_heartbeat_and_fails_on_a_stale_or_missing_one(tmp_path, capsys):
    path = str(tmp_path / "hb")
    assert heartbeat.main([path]) == 1
    assert "no heartbeat" in capsys.readouterr().err
    heartbeat.beat(path)
    assert heartbeat.main([path, "--max-age", "5"]) == 0
    heartbeat.beat(path, at=time.time() - 10)
    assert heartbeat.main([path, "--max-age", "5"]) == 1
    assert "10s old" in capsys.readouterr().err


def test_the_worker_loop_writes_the_heartbeat(tmp_path, settings, monkeypatch):
    path = tmp_path / "hb"
    settings.EVENTS_WORKER_HEARTBEAT_FILE = str(path)
    worker = Worker(poll=0.01)
    monkeypatch.setattr("market.bus.worker.close_old_connections", lambda: None)
    monkeypatch.setattr(worker, "run_once", lambda owner: 0)
    worker.run_forever(sleep=lambda seconds: worker.stop())
    assert heartbeat.age(str(path)) < 5


def test_the_heartbeat_is_as_old_as_the_thread_that_went_round_longest_ago(tmp_path, settings):
    path = str(tmp_path / "hb")
    settings.EVENTS_WORKER_HEARTBEAT_FILE = path
    worker = Worker(poll=0)
    worker.went_round("t0", now=1000.0)
    worker.went_round("t1", now=1010.0)  # t0 has not come round since: it may be stuck
    assert heartbeat.age(path, now=1010.0) == pytest.approx(10.0)
    worker.went_round("t0", now=1020.0)
    assert heartbeat.age(path, now=1020.0) == pytest.approx(10.0)  # now t1 is the oldest
    worker.went_round("t1", now=1020.5)  # at most one write a second
    assert heartbeat.age(path, now=1020.5) == pytest.approx(10.5)


def test_no_heartbeat_file_is_written_unless_configured(tmp_path, settings):
    settings.EVENTS_WORKER_HEARTBEAT_FILE = ""
    Worker(poll=0).went_round("t0")
    assert list(tmp_path.iterdir()) == []


def sample(name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


def test_the_worker_measures_claims_batches_lag_and_outcomes():
    for key in ("a", "b", "bad"):
        with transaction.atomic():
            bus.publish(Pinged(key=key))
    support.ALWAYS_FAIL.add("bad")
    before = {
        "claims": sample("market_event_claim_seconds_count"),
        "claimed": sample("market_event_claim_size_sum"),
        "batches": sample("market_event_batch_size_count", subscriber="test.other"),
        "batched": sample("market_event_batch_size_sum", subscriber="test.other"),
        "lags": sample("market_event_lag_seconds_count", subscriber="test.record"),
        "done": sample("market_event_deliveries_total", subscriber="test.record", outcome="done"),
        "retry": sample("market_event_deliveries_total", subscriber="test.record", outcome="retry"),
    }
    Worker(batch=50, poll=0).run_once()
    assert sample("market_event_claim_seconds_count") == before["claims"] + 1
    assert sample("market_event_claim_size_sum") == before["claimed"] + 6
    assert sample("market_event_batch_size_count", subscriber="test.other") == before["batches"] + 1
    assert sample("market_event_batch_size_sum", subscriber="test.other") == before["batched"] + 3
    # test.record's batch failed on "bad": a, b then ran alone; their lag is measured, bad's is not.
    assert sample("market_event_lag_seconds_count", subscriber="test.record") == before["lags"] + 2
    assert sample("market_event_deliveries_total", subscriber="test.record", outcome="done") == before["done"] + 2
    assert sample("market_event_deliveries_total", subscriber="test.record", outcome="retry") == before["retry"] + 1


@pytest.fixture
def worker_metrics():
    server = metrics.serve_worker_metrics(PORT, addr="127.0.0.1")
    yield f"http://127.0.0.1:{PORT}"
    server.shutdown()
    server.server_close()


def get(url: str, token: str | None = None) -> tuple[int, str]:
    response = httpx.get(url, headers={"Authorization": f"Bearer {token}"} if token else {}, timeout=5)
    return response.status_code, response.text


@pytest.mark.django_db(transaction=True)
def test_the_worker_serves_its_metrics_with_the_webs_access_rule(worker_metrics, settings):
    support.ensure_probe_table()
    with transaction.atomic():
        bus.publish(Pinged(key="m"))
    Worker(poll=0).run_once()
    status, text = get(worker_metrics + "/metrics")  # from loopback, no token configured
    assert status == 200
    assert 'market_event_lag_seconds_count{subscriber="test.record"}' in text
    assert "market_event_claim_seconds_bucket" in text and "market_event_backlog" in text
    assert get(worker_metrics + "/other")[0] == 404
    settings.METRICS_TOKEN = "s3cret"
    assert get(worker_metrics + "/metrics")[0] == 403
    assert get(worker_metrics + "/metrics", token="s3cret")[0] == 200


def test_the_worker_command_serves_metrics_when_given_a_port(settings, monkeypatch):
    from market.management.commands import events_worker

    served, ran = [], []
    settings.EVENTS_WORKER_METRICS_PORT = PORT
    monkeypatch.setattr(events_worker.metrics, "serve_worker_metrics", served.append)
    monkeypatch.setattr(events_worker.Worker, "run_forever", lambda self: ran.append(True))
    call_command("events_worker")
    assert served == [PORT] and ran == [True]
    settings.EVENTS_WORKER_METRICS_PORT = 0
    call_command("events_worker")
    assert served == [PORT]  # no port, no server
