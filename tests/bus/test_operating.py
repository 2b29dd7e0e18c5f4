"""Operating the bus: the ``events`` command and the admin's requeue of dead deliveries; and the
scenario helper that waits for events and states in both dispatch modes."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from market import bus
from market.models import Delivery
from market.testing import Scenario
from tests.bus import support
from tests.bus.support import Pinged, probe_rows, publish

pytestmark = pytest.mark.usefixtures("probe")

# --- operating -------------------------------------------------------------------------------


def test_the_events_command_shows_the_backlog_and_pauses_resumes_requeues(capsys, settings):
    settings.EVENTS_MAX_ATTEMPTS = 1
    support.ALWAYS_FAIL.add("bad")
    call_command("events", "pause", "test.other")
    publish(Pinged(key="bad"))
    bus.drain()
    call_command("events", "backlog")
    out = capsys.readouterr().out
    assert "test.other" in out and "paused" in out
    line = next(line for line in out.splitlines() if line.startswith("test.record"))
    assert line.split()[1:] == ["running", "0", "0", "1", "0"]
    support.ALWAYS_FAIL.clear()
    call_command("events", "requeue", "--subscriber", "test.record")
    call_command("events", "resume", "test.other", "--drain")
    assert "requeued 1 dead deliveries" in capsys.readouterr().out
    bus.drain()
    assert len(probe_rows()) == 2
    with pytest.raises(CommandError, match="unknown durable subscriber"):
        call_command("events", "pause", "nope")


def test_the_admin_requeues_dead_deliveries(client, staff, settings):
    settings.EVENTS_MAX_ATTEMPTS = 1
    support.ALWAYS_FAIL.add("bad")
    publish(Pinged(key="bad"))
    bus.drain()
    (dead,) = Delivery.objects.filter(status="dead")
    client.force_login(staff)
    assert client.get("/admin/market/delivery/?status__exact=dead").status_code == 200
    response = client.post("/admin/market/delivery/", {"action": "requeue", "_selected_action": [dead.pk]}, follow=True)
    assert response.status_code == 200
    dead.refresh_from_db()
    assert dead.status == "pending"
    assert client.get(f"/admin/market/eventrecord/{dead.event_id}/change/").status_code == 200


# --- the scenario helper ---------------------------------------------------------------------


@pytest.mark.parametrize("dispatch", ["inline", "worker"])
@pytest.mark.django_db(transaction=True)
def test_scenario_waits_for_events_and_states_in_both_dispatch_modes(settings, dispatch):
    support.ensure_probe_table()
    settings.EVENTS_DISPATCH = dispatch
    stimulus = Scenario(timeout=2).stimulate(lambda: publish(Pinged(key="s", n=7)))
    event = stimulus.and_wait_for_event(Pinged, lambda e: e.n == 7)
    assert event.event_id == stimulus.result.event_id
    rows = stimulus.and_wait_for_state(lambda: probe_rows("test.record"), until=lambda rows: len(rows) == 1)
    assert rows[0][1:3] == ("s", 7)


def test_scenario_reports_what_it_waited_for():
    stimulus = Scenario(timeout=0.05).stimulate(lambda: None)
    with pytest.raises(AssertionError, match=r"test\.Pinged"):
        stimulus.and_wait_for_event(Pinged)
