"""PostgreSQL: two workers projecting events of one new reservation at once (different
aggregates, so the bus lets them run in parallel) end with one complete row."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from mypage.models import MyPageRow, TimelineEntry
from mypage.services import mypage_apply_event
from tests.support.readside import Story


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_events_make_one_row():
    for _ in range(5):
        story = Story(buyer_id=1, seller_id=2)
        evts = story.reserve_events()
        barrier = threading.Barrier(len(evts))
        errors = []

        def apply(event, barrier=barrier, errors=errors):
            try:
                barrier.wait()
                mypage_apply_event(event=event)
            except Exception as exc:  # reported below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=apply, args=(e,)) for e in evts]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        row = MyPageRow.objects.get(reservation_id=story.reservation_id)
        assert (row.reservation_status, row.payment_status, row.product_status) == ("reserved", "unpaid", "pending")
        assert (row.product_name, row.price, row.payment_id) == (story.name, 12000, story.payment_id)
        assert TimelineEntry.objects.filter(row=row).count() == 3
