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


Template = tuple[str, str, Callable[[Any], int]]  # kind, text with {placeholders}, recipient

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
        ("RELEASED", "{p} '{productName}' 예약이 취소되어 다시 판매 중입니다.", lambda e: e.seller_id),
    ],
    events.PaymentVoided.type: [
        ("VOIDED", "{p} '{productName}' 결제 요청이 취소되었습니다. 결제하지 않으셔도 됩니다.", lambda e: e.buyer_id),
    ],
}

NOTIFYING_EVENTS: tuple[type[Event], ...] = tuple(events.EVENT_TYPES[t] for t in TEMPLATES)


def product_name_in(event: Event) -> str | None:
    """The product name the event itself carries, if any."""
    return getattr(event, "name", None) or getattr(event, "product_name", None)


def messages_for(event: Event, product_name: str) -> list[Message]:
    parameters = {"productName": product_name}
    if hasattr(event, "reservation_id"):
        parameters["reservationId"] = str(event.reservation_id)
    amount = getattr(event, "amount", None) or getattr(event, "price", None)
    if amount is not None:
        parameters["amount"] = won(amount)
    out = []
    for kind, text, recipient in TEMPLATES.get(event.type, []):
        out.append(
            Message(
                recipient_user_id=recipient(event),
                kind=kind,
                text=text.format(p=PREFIX, **parameters),
                parameters=dict(parameters),
            )
        )
    return out
