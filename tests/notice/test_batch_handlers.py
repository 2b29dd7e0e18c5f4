"""The notice directory's batch handler keeps the last word per user and product."""

from __future__ import annotations

import pytest

from notice.models import ProductName, Recipient
from notice.services import directory_apply_events

pytestmark = pytest.mark.django_db


def test_the_directory_keeps_the_last_word_per_user_and_product(seller, buyer):
    from market import events

    directory_apply_events(
        events=[
            events.UserRegistered(user_id=buyer.pk, username="b", phone="010-1"),
            events.ProductRegistered(product_id=7, seller_id=seller.pk, seller_name="s", product_name="old", price="1"),
            events.UserContactChanged(user_id=buyer.pk, username="b", phone="010-2"),
            events.ProductUpdated(product_id=7, seller_id=seller.pk, product_name="new", price="1"),
        ]
    )
    assert Recipient.objects.get(user_id=buyer.pk).phone == "010-2"
    assert ProductName.objects.get(product_id=7).name == "new"
