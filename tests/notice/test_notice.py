"""KakaoTalk notifications: the real HTTP client against a fake NHN Cloud AlimTalk server."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from market import bus
from market.models import Delivery
from notice.models import Notification
from notice.services import notification_resend
from tests.notice.fake_alimtalk import serving

pytestmark = pytest.mark.django_db

NOTIFY = "notice.notify"


@pytest.fixture
def provider():
    with serving(NHN_ALIMTALK_TIMEOUT="0.5", NHN_ALIMTALK_TEMPLATE_RESERVED="TPL_RESERVED") as fake:
        yield fake


def later():
    return timezone.now() + timedelta(hours=1)


def notify_delivery_states():
    return list(Delivery.objects.filter(subscriber=NOTIFY).values_list("status", "attempts"))


def test_reserving_sends_alimtalk_with_the_documented_request(provider, trade, seller, buyer):
    trade.reserve(buyer, trade.product(seller, "책상", 12000))

    sent = {n.kind: n for n in Notification.objects.all()}
    assert set(sent) == {"RESERVED", "RESERVATION_RECEIVED", "PAYMENT_REQUESTED"}
    assert all(n.status == "sent" and n.channel == "kakao" and n.attempts == 1 for n in sent.values())
    assert sent["RESERVED"].recipient_user_id == buyer.pk
    assert sent["RESERVATION_RECEIVED"].recipient_user_id == seller.pk
    assert sent["RESERVED"].text == "[중고마켓] '책상' 예약이 완료되었습니다. 결제를 진행해 주세요."
    assert "12,000원" in sent["PAYMENT_REQUESTED"].text and "'책상'" in sent["PAYMENT_REQUESTED"].text
    assert sent["RESERVED"].provider_response["header"]["isSuccessful"] is True

    assert len(provider.requests) == 3
    by_key = {r["headers"]["X-NC-API-IDEMPOTENCY-KEY"]: r for r in provider.requests}
    request = by_key[str(sent["RESERVED"].uuid)]
    assert request["path"] == "/alimtalk/v2.3/appkeys/app-key-1/messages"
    assert request["headers"]["X-Secret-Key"] == "s3cret"
    assert request["headers"]["Content-Type"] == "application/json;charset=UTF-8"
    assert request["json"]["senderKey"] == "sender-1"
    assert request["json"]["templateCode"] == "TPL_RESERVED"
    [recipient] = request["json"]["recipientList"]
    assert recipient["recipientNo"] == "01033334444"
    assert recipient["templateParameter"]["productName"] == "책상"
    assert by_key[str(sent["PAYMENT_REQUESTED"].uuid)]["json"]["templateCode"] == "PAYMENT_REQUESTED"


def test_a_4xx_fails_at_once_with_the_providers_message(provider, trade, seller, buyer):
    provider.mode = "400"
    trade.reserve(buyer, trade.product(seller))
    notifications = list(Notification.objects.all())
    assert notifications and all(n.status == "failed" and n.attempts == 1 for n in notifications)
    assert "Invalid appkey." in notifications[0].last_error
    assert all(status == "done" for status, _ in notify_delivery_states())  # no retry of a hopeless send
    assert len(provider.requests) == len(notifications)


def test_a_200_that_is_not_successful_fails_at_once(provider, trade, seller, buyer):
    provider.mode = "refused"
    trade.reserve(buyer, trade.product(seller))
    failed = Notification.objects.get(kind="RESERVED")
    assert failed.status == "failed" and "Template is not approved." in failed.last_error


@pytest.mark.parametrize("outage", ["500", "hang"])
def test_transient_errors_are_retried_with_backoff_then_sent_once(provider, trade, seller, buyer, outage):
    provider.mode = outage
    reservation_id = trade.reserve(buyer, trade.product(seller))  # the reservation itself is fine
    assert reservation_id
    pending = list(Notification.objects.all())
    assert len(pending) == 3 and all(n.status == "pending" for n in pending)
    # Each delivery called the provider once: ReservationPlaced's second notification (to the
    # seller) waits for the retry behind the first one's failure instead of failing on its own.
    assert len(provider.requests) == 2
    assert sorted(n.attempts for n in pending) == [0, 1, 1]
    states = notify_delivery_states()
    assert all(status == "pending" and attempts >= 1 for status, attempts in states)
    assert Delivery.objects.filter(subscriber=NOTIFY, available_at__gt=timezone.now()).count() == len(states)
    assert bus.drain() == 0  # still backing off

    provider.mode = "ok"
    first_keys = [r["headers"]["X-NC-API-IDEMPOTENCY-KEY"] for r in provider.requests]
    bus.drain(now=later())
    assert all(n.status == "sent" for n in Notification.objects.all())
    retry_keys = [r["headers"]["X-NC-API-IDEMPOTENCY-KEY"] for r in provider.requests[len(first_keys) :]]
    assert set(first_keys) < set(retry_keys) and len(retry_keys) == 3  # same idempotency keys on the retry
    assert all(status == "done" for status, _ in notify_delivery_states())

    bus.drain(now=later() + timedelta(hours=1))
    assert len(provider.requests) == len(first_keys) + 3  # nothing sent twice after success


def test_after_a_transient_failure_the_rest_of_the_batch_waits_for_the_retry(provider, trade, seller, buyer):
    provider.script = ["500"]  # the first send fails, the provider is fine again afterwards
    trade.reserve(buyer, trade.product(seller))
    # ReservationPlaced: the first notification failed, the second was not tried. PaymentRequested
    # (another delivery) went through.
    assert Notification.objects.filter(status="sent").count() == 1
    assert len(provider.requests) == 2
    bus.drain(now=later())
    assert Notification.objects.filter(status="sent").count() == 3
    assert len(provider.requests) == 4  # the failed one again, the held-back one once; no resend
    assert sorted(Notification.objects.values_list("attempts", flat=True)) == [1, 1, 2]


def test_a_batch_whose_provider_hangs_costs_one_timeout(provider, trade, seller, buyer):
    """The worker sends a claim's notifications in batches; with the provider hanging, a batch
    waits out one timeout (0.5 s here) and leaves the rest pending for the retry."""
    bus.pause(NOTIFY)
    for name in ("책상", "의자", "램프"):
        trade.reserve(buyer, trade.product(seller, name))
    bus.resume(NOTIFY)
    provider.mode = "hang"
    claimed = bus.claim(owner="A", subscriber=NOTIFY)
    assert len(claimed) == 6  # ReservationPlaced and PaymentRequested of each reservation

    started = time.monotonic()
    outcomes = bus.run(claimed, owner="A")

    assert time.monotonic() - started < 2 * 0.5
    assert outcomes == ["retry"] * 6 and len(provider.requests) == 1
    assert sorted(Notification.objects.values_list("attempts", flat=True)) == [0] * 8 + [1]
    provider.mode = "ok"
    bus.drain(now=later())
    assert Notification.objects.filter(status="sent").count() == 9 and len(provider.requests) == 10


def test_one_notification_per_event_and_recipient_under_redelivery(provider, trade, seller, buyer):
    trade.reserve(buyer, trade.product(seller))
    before = list(Notification.objects.values_list("event_id", "recipient_user_id", "status"))
    requests = len(provider.requests)
    Delivery.objects.filter(subscriber=NOTIFY).update(status=Delivery.Status.DEAD)
    assert bus.requeue(subscriber=NOTIFY) > 0
    bus.drain()
    assert sorted(Notification.objects.values_list("event_id", "recipient_user_id", "status")) == sorted(before)
    assert len(provider.requests) == requests


def test_a_user_without_a_phone_gets_the_console(provider, trade, seller, other_buyer, caplog):
    caplog.set_level("INFO", logger="notice.channels")
    trade.reserve(other_buyer, trade.product(seller, "의자"))
    mine = Notification.objects.filter(recipient_user_id=other_buyer.pk)
    assert {n.channel for n in mine} == {"console"} and {n.status for n in mine} == {"sent"}
    assert all(r["json"]["recipientList"][0]["recipientNo"] != "" for r in provider.requests)
    assert "'의자' 예약이 완료되었습니다" in caplog.text


def test_console_is_the_default_channel(trade, seller, buyer):
    trade.reserve(buyer, trade.product(seller))
    assert set(Notification.objects.values_list("channel", "status")) == {("console", "sent")}


def test_everyone_hears_of_pay_and_cancel(trade, seller, buyer, other_buyer):
    paid = trade.reserve(buyer, trade.product(seller, "Noodle", 3000))
    trade.pay(buyer, paid)
    cancelled = trade.reserve(other_buyer, trade.product(seller, "Desk", 50000))
    trade.cancel(other_buyer, cancelled)
    kinds = sorted(Notification.objects.values_list("kind", "recipient_user_id"))
    assert kinds == sorted(
        [
            ("RESERVED", buyer.pk),
            ("RESERVATION_RECEIVED", seller.pk),
            ("PAYMENT_REQUESTED", buyer.pk),
            ("PAID", buyer.pk),
            ("SOLD", seller.pk),
            ("RESERVED", other_buyer.pk),
            ("RESERVATION_RECEIVED", seller.pk),
            ("PAYMENT_REQUESTED", other_buyer.pk),
            ("CANCELLED", other_buyer.pk),
            ("VOIDED", other_buyer.pk),
            ("RELEASED", seller.pk),
        ]
    )
    sold = Notification.objects.get(kind="SOLD")
    assert sold.text == "[중고마켓] 'Noodle' 판매 대금 3,000원 결제가 완료되었습니다. 상품을 전달해 주세요."
    assert "'Desk'" in Notification.objects.get(kind="VOIDED").text


def test_resend_sends_a_failed_notification_again(provider, trade, seller, buyer):
    provider.mode = "400"
    trade.reserve(buyer, trade.product(seller))
    failed = Notification.objects.get(kind="RESERVED")
    provider.mode = "ok"
    assert notification_resend(notification=failed) == "sent"
    failed.refresh_from_db()
    assert failed.status == "sent" and failed.attempts == 2
    assert provider.requests[-1]["headers"]["X-NC-API-IDEMPOTENCY-KEY"] == str(failed.uuid)
    assert notification_resend(notification=failed) == "already_sent"


def test_admin_lists_and_resends(provider, trade, seller, buyer, staff, client):
    provider.mode = "400"
    trade.reserve(buyer, trade.product(seller))
    provider.mode = "ok"
    client.force_login(staff)
    assert client.get("/admin/notice/notification/?status__exact=failed&channel__exact=kakao").status_code == 200
    assert client.get("/admin/notice/notification/?q=예약").status_code == 200
    ids = list(Notification.objects.values_list("pk", flat=True))
    response = client.post("/admin/notice/notification/", {"action": "resend", "_selected_action": ids}, follow=True)
    assert response.status_code == 200
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}


def test_notifications_api_shows_only_mine_newest_first(trade, seller, buyer, other_buyer, client_for, anon):
    r = trade.reserve(buyer, trade.product(seller))
    trade.pay(buyer, r)
    trade.reserve(other_buyer, trade.product(seller))
    body = client_for(buyer).get("/api/notifications/").json()
    kinds = [n["kind"] for n in body["results"]]
    assert kinds[0] == "PAID" and sorted(kinds) == ["PAID", "PAYMENT_REQUESTED", "RESERVED"]
    assert body["count"] == 3
    assert all(n["status"] == "sent" and n["text"].startswith("[중고마켓]") for n in body["results"])
    assert anon.get("/api/notifications/").status_code in (401, 403)


@pytest.mark.parametrize("n", [1, 30])
def test_notifications_api_query_budget(buyer, client_for, django_assert_max_num_queries, n):
    import uuid

    Notification.objects.bulk_create(
        Notification(
            recipient_user_id=buyer.pk,
            event_id=uuid.uuid4(),
            event_type="ProductReserved",
            kind="RESERVED",
            channel="console",
            text=f"m{i}",
        )
        for i in range(n)
    )
    with django_assert_max_num_queries(3):
        response = client_for(buyer).get("/api/notifications/?page_size=50")
    assert len(response.json()["results"]) == n


@pytest.mark.django_db(transaction=True)
def test_a_provider_outage_never_fails_a_reservation_or_a_payment(provider, make_user):
    """Real inline dispatch after commit: the reservation and payment flow completes while every
    KakaoTalk send fails; the notifications wait for the worker's retries."""
    from payment.services import payment_pay
    from product.services import product_register
    from reservation.services import reservation_place
    from tests.support.readside import Trade

    provider.mode = "500"
    seller = make_user("seller2", phone="01055556666")
    buyer = make_user("buyer2", phone="01077778888")
    product = product_register(seller=seller, name="Lamp", price=9000)
    reservation = reservation_place(buyer=buyer, product_id=product.pk)
    payment_id = Trade.payment_id(reservation.pk)  # created by payment's inline subscriber
    assert payment_id is not None
    payment_pay(payment_id=payment_id, actor=buyer)
    assert not Notification.objects.exists()  # notice runs only in the worker

    bus.drain()  # the worker: every send fails, nothing is raised to anybody
    assert Notification.objects.exists()
    assert set(Notification.objects.values_list("status", flat=True)) == {"pending"}
    provider.mode = "ok"
    bus.drain(now=later())
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}
