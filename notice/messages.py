"""Who is told what, in Korean: short, naming the product, saying what comes next.

``messages_for(event, product_name)`` returns the notifications one event causes. Choices:
- the buyer hears of a reservation from ProductReserved (it names the product), not from
  ReservationPlaced (which would be a duplicate without the name);
- ReservationCompleted tells nobody: PaymentCompleted already told buyer and seller the deal is
  done, and a second message a moment later would only be noise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from market import events
from market.events import Event

PREFIX = "[중고마켓]"


@dataclass(frozen=True)
class Message:
    recipient_user_id: int
    kind: str
    text: str
    parameters: dict[str, str]


def won(amount: str) -> str:
    try:
        return f"{int(amount):,}"
    except (TypeError, ValueError):
        return str(amount)


# kind, text with {placeholders}, recipient (None: nobody for this event). The texts of the
# reservation's later endings (declined, expired) and of the wish list are English sources with
# Korean in notice's .po, rendered in settings.LANGUAGE_CODE (Korean in production).
Template = tuple[str, Any, Callable[[Any], int | None]]

TEMPLATES: dict[str, list[Template]] = {
    events.ProductReserved.type: [
        ("RESERVED", "{p} '{productName}' 예약이 완료되었습니다. 결제를 진행해 주세요.", lambda e: e.buyer_id),
        (
            "RESERVATION_RECEIVED",
            "{p} '{productName}' 상품이 예약되었습니다. 구매자의 결제를 기다리는 중입니다.",
            lambda e: e.seller_id,
        ),
    ],
    events.PaymentRequested.type: [
        (
            "PAYMENT_REQUESTED",
            "{p} '{productName}' 결제 요청 {amount}원이 생성되었습니다. 결제하시면 거래가 확정됩니다.",
            lambda e: e.buyer_id,
        ),
    ],
    events.PaymentCompleted.type: [
        (
            "PAID",
            "{p} '{productName}' {amount}원 결제가 완료되었습니다. 판매자의 상품 전달을 기다려 주세요.",
            lambda e: e.buyer_id,
        ),
        (
            "SOLD",
            "{p} '{productName}' 판매 대금 {amount}원 결제가 완료되었습니다. 상품을 전달해 주세요.",
            lambda e: e.seller_id,
        ),
    ],
    events.ReservationCancelled.type: [
        ("CANCELLED", "{p} '{productName}' 예약이 취소되었습니다. 다른 상품도 둘러보세요.", lambda e: e.buyer_id),
    ],
    events.ProductReleased.type: [
        # Only after the buyer's cancel: an expiry tells the seller itself, and a seller who
        # declined knows.
        (
            "RELEASED",
            "{p} '{productName}' 예약이 취소되어 다시 판매 중입니다.",
            lambda e: e.seller_id if e.cause == "cancelled" else None,
        ),
    ],
    events.ReservationExpired.type: [
        (
            "EXPIRED",
            _("{p} Your reservation of '{productName}' expired unpaid and has been cancelled."),
            lambda e: e.buyer_id,
        ),
        (
            "HOLD_EXPIRED",
            _("{p} The reservation of '{productName}' expired unpaid; your product is on sale again."),
            lambda e: e.seller_id,
        ),
    ],
    events.ReservationDeclined.type: [
        (
            "DECLINED",
            _("{p} The seller declined your reservation of '{productName}'. Reason: {reason}"),
            lambda e: e.buyer_id,
        ),
        (
            "RELEASED_BY_STAFF",
            _("{p} Staff released the reservation of '{productName}'; your product is on sale again."),
            lambda e: e.seller_id if e.by_staff else None,
        ),
    ],
    events.PaymentVoided.type: [
        ("VOIDED", "{p} '{productName}' 결제 요청이 취소되었습니다. 결제하지 않으셔도 됩니다.", lambda e: e.buyer_id),
    ],
}

# Every notifying event is about one reservation's deal (a DealEvent): its parties are the recipients.
NOTIFYING_EVENTS: tuple[type[Event], ...] = tuple(events.EVENT_TYPES[t] for t in TEMPLATES)


def product_name_in(event: Event) -> str | None:
    """The product name the event itself carries, if any."""
    return event.product_name if isinstance(event, events.NamedListing) else None


def _money(event: Event) -> str | None:
    """The sum the message quotes as {amount}: a payment's amount, else the listing's price the
    event carries (what the buyer owes as reserved), else none."""
    if isinstance(event, events.PaymentEvent):
        return event.amount
    if isinstance(event, events.PricedListing):
        return event.price
    return None


def messages_for(event: Event, product_name: str) -> list[Message]:
    if not isinstance(event, events.DealEvent):  # about no deal: nobody to tell
        return []
    parameters = {"productName": product_name, "reservationId": str(event.reservation_id)}
    money = _money(event)
    if money is not None:
        parameters["amount"] = won(money)
    out = []
    with translation.override(settings.LANGUAGE_CODE):
        if isinstance(event, events.ReservationDeclined):
            parameters["reason"] = event.reason or str(_("none given"))
        for kind, text, recipient in TEMPLATES.get(event.type, []):
            who = recipient(event)
            if who is None:
                continue
            out.append(
                Message(
                    recipient_user_id=who,
                    kind=kind,
                    text=str(text).format(p=PREFIX, **parameters),
                    parameters=dict(parameters),
                )
            )
    return out
