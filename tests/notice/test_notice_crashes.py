"""A worker killed in the middle of a batch of KakaoTalk sends repeats at most the one send it had
in flight, and being killed again and again never stops progress (issue 13, finding 14)."""

from __future__ import annotations

import contextlib
from collections import Counter

import pytest

from notice import channels
from notice.models import Notification
from notice.services import notification_process_events
from tests.notice.fake_alimtalk import serving
from tests.support.readside import Story

pytestmark = pytest.mark.django_db


class Killed(BaseException):
    """What SIGKILL looks like from inside: nothing after this point runs (not even except blocks
    that catch Exception)."""


@pytest.fixture
def provider():
    with serving(NHN_ALIMTALK_TIMEOUT="2") as fake:
        yield fake


def sends_per_key(provider) -> Counter:
    return Counter(r["headers"]["X-NC-API-IDEMPOTENCY-KEY"] for r in provider.requests)


def test_a_kill_after_each_few_sends_repeats_only_the_send_in_flight(provider, seller, buyer, drain, monkeypatch):
    drain()  # the directory learns both phone numbers
    batch = [event for _ in range(6) for event in Story(buyer_id=buyer.pk, seller_id=seller.pk).reserve_events()]
    real_send = channels.AlimTalkChannel.send
    state = {"sends": 0, "kill_every": 3}

    def send_then_maybe_die(self, notification):
        response = real_send(self, notification)  # the provider has it now
        state["sends"] += 1
        if state["sends"] % state["kill_every"] == 0:
            raise Killed
        return response

    monkeypatch.setattr(channels.AlimTalkChannel, "send", send_then_maybe_die)
    kills = 0
    for _ in range(30):  # the bus would run the delivery again after each crash
        try:
            notification_process_events(events=batch)
        except Killed:
            kills += 1
            continue
        break
    else:
        pytest.fail("repeated kills stopped progress")

    notifications = Notification.objects.all()
    assert notifications.count() == 18  # 6 reservations x (buyer reserved, seller told, payment requested)
    assert all(n.status == "sent" and n.channel == "kakao" for n in notifications)
    per_key = sends_per_key(provider)
    assert set(per_key) == {str(n.uuid) for n in notifications}
    assert max(per_key.values()) == 2, per_key
    assert sum(count - 1 for count in per_key.values()) == kills  # one repeat per kill, no more
    assert kills >= 5


def test_killed_in_every_run_it_still_gets_through(provider, seller, buyer, drain, monkeypatch):
    """Killed at the second send of every run: each run still records one more notification."""
    drain()
    batch = [event for _ in range(3) for event in Story(buyer_id=buyer.pk, seller_id=seller.pk).reserve_events()]
    real_send = channels.AlimTalkChannel.send
    run = {"sends": 0}

    def die_at_the_second(self, notification):
        response = real_send(self, notification)
        run["sends"] += 1
        if run["sends"] == 2:
            raise Killed
        return response

    monkeypatch.setattr(channels.AlimTalkChannel, "send", die_at_the_second)
    runs = 0
    while Notification.objects.filter(status="pending").exists() or runs == 0:
        runs += 1
        assert runs <= 9, "no progress"
        run["sends"] = 0
        with contextlib.suppress(Killed):
            notification_process_events(events=batch)
    assert Notification.objects.filter(status="sent").count() == 9
    per_key = sends_per_key(provider)
    assert max(per_key.values()) == 2
    assert sum(count - 1 for count in per_key.values()) == runs - 1  # the last run was not killed
