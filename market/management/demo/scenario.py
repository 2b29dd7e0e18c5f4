"""The steps of ``manage.py demo``, in order (the command's docstring has the table of what each
one expects). Each step acts as a client would and checks the states it expects; a step whose
checks fail stops the replay (``Session.checkpoint``)."""

from __future__ import annotations

from django.test import override_settings
from django.utils.translation import gettext as _

from market import bus, periodic
from market.bus import tracing
from market.management.demo.session import USERS, Session
from market.models import EventRecord

MYPAGE = "mypage.project"
PRODUCT_SELLS = "product.sell_on_payment"
RESERVATION_COMPLETES = "reservation.complete_on_payment"
# Paused by the fault-isolation steps; the command resumes them whatever happens.
PAUSED_BY_STEPS = (MYPAGE, PRODUCT_SELLS, RESERVATION_COMPLETES)


def demo_users(demo: Session) -> None:
    """The demo's users sign up, or sign in when an earlier run made them."""
    demo.step(_("0. Demo users: seller, buyer and buyer2 (with phone numbers for KakaoTalk)"))
    demo.sign_in()


def register_products(demo: Session) -> None:
    """The seller lists three products."""
    demo.step(_("1. The seller registers Noodle, Desk and Coffee (POST /product)"))
    for name, price in (("Noodle", 3000), ("Desk", 50000), ("Coffee", 4500)):
        body = demo.call(
            demo.c["seller"], "post", "/product", {"productName": name, "productStatus": "01", "price": price}, 201
        )
        demo.products[name] = body["id"]
    demo.settle()
    demo.show()
    demo.expect(_("product states"), demo.product_codes(), {"Noodle": "01", "Desk": "01", "Coffee": "01"})
    demo.checkpoint("register products")


def reserve(demo: Session) -> None:
    """Two buyers reserve; each reservation asks for a payment."""
    demo.step(_("2. buyer reserves Noodle, buyer2 reserves Desk (POST /reservation)"))
    for key, who, product in (("noodle", "buyer", "Noodle"), ("desk", "buyer2", "Desk")):
        body = demo.call(
            demo.c[who],
            "post",
            "/reservation",
            {"productId": demo.products[product], "reservationStatus": "01"},
            201,
        )
        demo.reservations[key] = body["id"]
    demo.settle()
    demo.show()
    demo.expect(_("product states"), demo.product_codes(), {"Noodle": "02", "Desk": "02", "Coffee": "01"})
    demo.expect(_("reservation states"), demo.reservation_codes(), {"noodle": "01", "desk": "01"})
    payments = demo.payments()
    demo.expect(
        _("payment states"), {k: p["paymentStatus"] for k, p in payments.items()}, {"noodle": "01", "desk": "01"}
    )
    demo.expect(_("buyer's my-page: Noodle"), demo.my_page_states("buyer", "noodle"), ("01", "01", "02"))
    demo.expect(_("buyer2's my-page: Desk"), demo.my_page_states("buyer2", "desk"), ("01", "01", "02"))
    demo.checkpoint("reserve")


def pay(demo: Session) -> None:
    """Paying sells the product and completes the reservation."""
    demo.step(_("3. buyer pays for Noodle (PATCH /paid)"))
    noodle_payment = demo.payments()["noodle"]["id"]
    body = demo.call(
        demo.c["buyer"],
        "patch",
        "/paid",
        {"id": noodle_payment, "reservationId": demo.reservations["noodle"], "paymentStatus": "02"},
    )
    demo.expect(_("PATCH /paid answer"), body["paymentStatus"], "02")
    demo.settle()
    demo.show()
    demo.expect(_("Noodle"), demo.product_codes()["Noodle"], "soldOut")
    demo.expect(_("Noodle's reservation"), demo.reservation_codes()["noodle"], "03")
    demo.expect(_("Noodle's payment"), demo.payments()["noodle"]["paymentStatus"], "02")
    demo.expect(_("buyer's my-page: Noodle"), demo.my_page_states("buyer", "noodle"), ("03", "02", "soldOut"))
    demo.checkpoint("pay")


def cancel(demo: Session) -> None:
    """Cancelling voids the payment and frees the product."""
    demo.step(_("4. buyer2 cancels the Desk reservation (PATCH /reservationupdate)"))
    body = demo.call(
        demo.c["buyer2"],
        "patch",
        "/reservationupdate",
        {"id": demo.reservations["desk"], "productId": demo.products["Desk"], "reservationStatus": "02"},
    )
    demo.expect(_("PATCH /reservationupdate answer"), body["reservationStatus"], "02")
    demo.settle()
    demo.show()
    demo.expect(_("Desk"), demo.product_codes()["Desk"], "01")
    demo.expect(_("Desk's reservation"), demo.reservation_codes()["desk"], "02")
    demo.expect(_("Desk's payment"), demo.payments()["desk"]["paymentStatus"], "03")
    demo.expect(_("buyer2's my-page: Desk"), demo.my_page_states("buyer2", "desk"), ("02", "03", "01"))
    demo.checkpoint("cancel")


def mypage_paused(demo: Session) -> None:
    """A paused read model falls behind without holding anyone up, then catches up."""
    demo.step(
        _("5. Fault isolation: my-page is down (%(subscriber)s paused); buyer reserves Coffee") % {"subscriber": MYPAGE}
    )
    bus.pause(MYPAGE)
    body = demo.call(
        demo.c["buyer"],
        "post",
        "/reservation",
        {"productId": demo.products["Coffee"], "reservationStatus": "01"},
        201,
    )
    demo.reservations["coffee"] = body["id"]
    demo.settle()
    demo.show()
    demo.expect(_("reservation accepted while my-page is down"), demo.reservation_codes()["coffee"], "01")
    demo.expect(_("buyer's my-page is behind (no Coffee row yet)"), demo.my_page_states("buyer", "coffee"), None)
    demo.checkpoint("reserve while my-page is paused")
    demo.stdout.write("\n-> " + _("resuming %(subscriber)s and draining its backlog") % {"subscriber": MYPAGE})
    bus.resume(MYPAGE)
    demo.settle()
    demo.show()
    demo.expect(_("buyer's my-page caught up: Coffee"), demo.my_page_states("buyer", "coffee"), ("01", "01", "02"))
    demo.checkpoint("my-page catch-up")


def product_and_reservation_paused(demo: Session) -> None:
    """The payment is accepted while the contexts that react to it are paused."""
    demo.step(
        _("6. Fault isolation: %(product)s and %(reservation)s paused; buyer pays for Coffee")
        % {"product": PRODUCT_SELLS, "reservation": RESERVATION_COMPLETES}
    )
    bus.pause(PRODUCT_SELLS)
    bus.pause(RESERVATION_COMPLETES)
    coffee_payment = demo.payments()["coffee"]["id"]
    demo.call(
        demo.c["buyer"],
        "patch",
        "/paid",
        {"id": coffee_payment, "reservationId": demo.reservations["coffee"], "paymentStatus": "02"},
    )
    demo.settle()
    demo.show()
    demo.expect(_("payment accepted"), demo.payments()["coffee"]["paymentStatus"], "02")
    demo.expect(_("Coffee still pending (product module behind)"), demo.product_codes()["Coffee"], "02")
    demo.expect(
        _("Coffee's reservation still 01 (reservation module behind)"), demo.reservation_codes()["coffee"], "01"
    )
    demo.checkpoint("pay while product and reservation are paused")
    demo.stdout.write(
        "\n-> "
        + _("resuming %(product)s and %(reservation)s")
        % {"product": PRODUCT_SELLS, "reservation": RESERVATION_COMPLETES}
    )
    bus.resume(PRODUCT_SELLS)
    bus.resume(RESERVATION_COMPLETES)
    demo.settle()
    demo.show()
    demo.expect(_("Coffee caught up"), demo.product_codes()["Coffee"], "soldOut")
    demo.expect(_("Coffee's reservation caught up"), demo.reservation_codes()["coffee"], "03")
    demo.expect(_("buyer's my-page: Coffee"), demo.my_page_states("buyer", "coffee"), ("03", "02", "soldOut"))
    demo.checkpoint("product and reservation catch-up")


def notifications(demo: Session) -> None:
    """Everyone was told what happened to them."""
    demo.step(_("7. Everyone was told on KakaoTalk (or the console channel in development)"))
    kinds = {
        who: sorted(n["kind"] for n in demo.notifications(who) if n["id"] not in demo.earlier_notes[who])
        for who in USERS
    }
    demo.expect(
        _("buyer was told of two reservations, two payment requests and two payments"),
        kinds["buyer"],
        sorted(["RESERVED", "PAYMENT_REQUESTED", "PAID"] * 2),
    )
    demo.expect(
        _("buyer2 was told of the reservation and its cancellation"),
        kinds["buyer2"],
        sorted(["RESERVED", "PAYMENT_REQUESTED", "CANCELLED", "VOIDED"]),
    )
    demo.expect(
        _("seller was told of three reservations, two sales and one release"),
        kinds["seller"],
        sorted(["RESERVATION_RECEIVED"] * 3 + ["SOLD"] * 2 + ["RELEASED"]),
    )
    demo.checkpoint("notifications")


def expiry_and_wishes(demo: Session) -> None:
    """A lapsed hold expires; a wisher hears the product is back, and cheaper."""
    demo.step("8. Holds expire and wishers hear of it: buyer wishes for Desk, buyer2 lets a hold lapse")
    desk = demo.products["Desk"]
    demo.call(demo.c["buyer"], "post", f"/api/products/{desk}/wish/", expect=201)
    demo.expect("Desk's wish count", demo.call(demo.c["seller"], "get", f"/api/products/{desk}/")["wish_count"], 1)
    # A hold of no time at all (RESERVATION_HOLD_SECONDS is a day by default), so the sweep the
    # worker runs between its claims expires it at once.
    with override_settings(RESERVATION_HOLD_SECONDS=0):
        body = demo.call(demo.c["buyer2"], "post", "/api/reservations/", {"product_id": desk}, 201)
    demo.reservations["desk2"] = body["id"]
    demo.stdout.write(f"  buyer2's hold ends at {body['hold_expires_at']}; the worker's periodic sweep runs")
    demo.settle()
    periodic.run_due(force=True)
    demo.settle()
    demo.show()
    demo.expect("Desk available again", demo.product_codes()["Desk"], "01")
    demo.expect("the expired reservation shows as cancelled (02)", demo.reservation_codes()["desk2"], "02")
    demo.expect(
        "its status", demo.call(demo.c["buyer2"], "get", f"/api/reservations/{body['id']}/")["status"], "expired"
    )
    demo.expect("buyer2's my-page: Desk again", demo.my_page_states("buyer2", "desk2"), ("02", "03", "01"))
    demo.checkpoint("expiry")
    demo.stdout.write("\n-> the seller lowers Desk's price from 50,000 to 45,000 won")
    demo.call(demo.c["seller"], "patch", f"/api/products/{desk}/", {"price": 45000})
    demo.settle()
    fresh = [n for n in demo.notifications("buyer") if n["id"] not in demo.earlier_notes["buyer"]]
    demo.table(
        "buyer's wish-list notifications",
        ["kind", "text"],
        [[n["kind"], n["text"]] for n in fresh if n["kind"].startswith("WISH_")],
    )
    demo.expect(
        "buyer was told Desk is available again and cheaper",
        sorted(n["kind"] for n in fresh if n["kind"].startswith("WISH_")),
        ["WISH_AVAILABLE", "WISH_PRICE_LOWERED"],
    )
    kinds2 = sorted(n["kind"] for n in demo.notifications("buyer2") if n["id"] not in demo.earlier_notes["buyer2"])
    demo.expect("buyer2 was told the hold expired", "EXPIRED" in kinds2, True)
    demo.checkpoint("wish list")


def trace(demo: Session) -> None:
    """The walkthrough's two chains, as `manage.py events trace` shows them."""
    demo.step("9. The walkthrough traced: buyer's Noodle reservation and payment (manage.py events trace <id>)")
    for what, event_type, aggregate_id in (
        ("the Noodle reservation", "ReservationPlaced", demo.reservations["noodle"]),
        ("the Noodle payment", "PaymentCompleted", demo.payments()["noodle"]["id"]),
    ):
        record = EventRecord.objects.filter(type=event_type, aggregate_id=str(aggregate_id)).order_by("id").last()
        found = tracing.trace(str(record.event_id)) if record else None
        demo.stdout.write(f"\n{what} (request {record.correlation_id if record else '?'}):")
        demo.stdout.write(found.text() if found else "  (no chain)")
        text = found.text() if found else ""
        wanted = (
            ["ProductReserved", "PaymentRequested", "mypage.project: done", "notice.notify: done"]
            if event_type == "ReservationPlaced"
            else ["ProductSoldOut", "ReservationCompleted", "mypage.project: done", "notice.notify: done"]
        )
        demo.expect(f"the trace of {what} shows", [w for w in wanted if w in text], wanted)
    demo.checkpoint("trace")


STEPS = (
    demo_users,
    register_products,
    reserve,
    pay,
    cancel,
    mypage_paused,
    product_and_reservation_paused,
    notifications,
    expiry_and_wishes,
    trace,
)
