"""The batch handlers the worker uses (``durable(batch=...)``) do what one event after another
would, in a fixed number of statements whatever the batch size."""

from __future__ import annotations

import random

import pytest
from django.db import transaction
from django.test import override_settings

from market import bus
from market.models import Delivery
from mypage.models import MyPageRow
from mypage.services import mypage_apply_event, mypage_apply_events
from notice.models import Notification
from tests.support.readside import emit, snapshot_mypage

pytestmark = pytest.mark.django_db


def life_stories(story, n: int) -> list:
    """n reservations: some paid, some cancelled, some only reserved; every event, in log order."""
    evts = []
    for i in range(n):
        s = story(name=f"물건 {i}", price=str(1000 * (i + 1)))
        evts += s.reserve_events() + ([], s.pay_events(), s.cancel_events())[i % 3]
    return evts


def test_a_batch_in_any_order_folds_exactly_like_one_event_after_another(story):
    evts = life_stories(story, 9)
    sid = transaction.savepoint()
    with transaction.atomic():
        for e in evts:
            mypage_apply_event(event=e)
    one_by_one = snapshot_mypage()
    transaction.savepoint_rollback(sid)
    assert not MyPageRow.objects.exists()

    shuffled = evts[:]
    random.Random(3).shuffle(shuffled)
    assert mypage_apply_events(events=shuffled) == len(evts)
    assert snapshot_mypage() == one_by_one


def test_a_batch_costs_the_same_few_statements_for_any_number_of_events(story, django_assert_max_num_queries):
    evts = life_stories(story, 12)  # 12 reservations, 54 events
    # already applied?, lock rows, create the missing, lock them, upsert rows, insert timeline
    with django_assert_max_num_queries(6):
        assert mypage_apply_events(events=evts) == len(evts)


def test_a_redelivered_batch_changes_nothing(story, django_assert_max_num_queries):
    evts = life_stories(story, 4)
    mypage_apply_events(events=evts)
    before = snapshot_mypage()
    with django_assert_max_num_queries(1):  # one look at the timeline: all applied already
        assert mypage_apply_events(events=evts) == 0
    assert snapshot_mypage() == before


def test_a_mixed_batch_applies_only_the_new_events(story):
    evts = life_stories(story, 3)
    mypage_apply_events(events=evts[:4])
    assert mypage_apply_events(events=evts) == len(evts) - 4


def test_the_worker_runs_the_read_side_in_batches_with_few_statements(story, django_assert_max_num_queries):
    emit(*life_stories(story, 10))
    pending = Delivery.objects.filter(status="pending").count()
    assert pending > 60
    # Events of one aggregate wait for each other, so a few claims of 100 are needed; each
    # costs its claim, then per subscriber one done-UPDATE and its batch handler's statements.
    # One by one it was about four statements per delivery (here ~370); now under 70, with the
    # notifications going in batches of ten.
    with override_settings(EVENTS_WORKER_BATCH=100), django_assert_max_num_queries(70):
        assert bus.drain() == pending
    assert Notification.objects.filter(status="sent").count() == Notification.objects.count() > 0
    assert MyPageRow.objects.count() == 10
