"""The published events: the whole vocabulary the five contexts share.

This module is the catalogue of the system. Every event any app publishes or handles is declared
here as an immutable dataclass; nothing else crosses a module boundary. An event carries:

- a stable ``type`` name and a schema ``version`` (class-level, part of the contract),
- an ``event_id`` (UUID) and the time it ``occurred_at``,
- the aggregate it is about (``aggregate_type`` class-level, ``aggregate_id`` per instance),
- a payload of plain values only: ints, strings, booleans; money as a string of whole won.

Read it top to bottom as the event-storming picture: accounts, product, reservation, payment.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from django.utils import timezone

EVENT_TYPES: dict[str, type[Event]] = {}


@dataclass(frozen=True, kw_only=True)
class Event:
    type: ClassVar[str]
    version: ClassVar[int] = 1
    aggregate_type: ClassVar[str]

    event_id: uuid.UUID = field(default_factory=uuid.uuid4)
    occurred_at: datetime = field(default_factory=timezone.now)
    # Position in the event log, set when the event is read back from it (None before publishing).
    sequence: int | None = field(default=None, compare=False)
    # Set by the bus when it publishes (market.bus.correlation), never by the apps: the request,
    # command or job that started the chain, and the event (or that request) that caused this one.
    correlation_id: str | None = field(default=None, compare=False)
    causation_id: str | None = field(default=None, compare=False)

    _ENVELOPE: ClassVar[frozenset[str]] = frozenset(
        {"event_id", "occurred_at", "sequence", "correlation_id", "causation_id"}
    )

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "type" in cls.__dict__:
            if cls.type in EVENT_TYPES:
                raise TypeError(f"event type {cls.type!r} is declared twice")
            EVENT_TYPES[cls.type] = cls

    @property
    def aggregate_id(self) -> str:
        raise NotImplementedError

    @property
    def aggregate_key(self) -> str:
        return f"{self.aggregate_type}:{self.aggregate_id}"

    def payload(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in self._ENVELOPE}

    @classmethod
    def from_record(
        cls,
        *,
        type: str,
        payload: dict[str, Any],
        event_id: uuid.UUID,
        occurred_at: datetime,
        sequence: int | None,
        correlation_id: str | None = None,
        causation_id: str | None = None,
    ) -> Event:
        event_class = EVENT_TYPES[type]
        known = {f.name for f in dataclasses.fields(event_class)} - cls._ENVELOPE
        values = {k: v for k, v in payload.items() if k in known}
        return event_class(
            event_id=event_id,
            occurred_at=occurred_at,
            sequence=sequence,
            correlation_id=correlation_id or None,
            causation_id=causation_id or None,
            **values,
        )


# --- accounts (market.accounts) --------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class UserRegistered(Event):
    type: ClassVar[str] = "UserRegistered"
    aggregate_type: ClassVar[str] = "user"
    user_id: int
    username: str
    phone: str = ""

    @property
    def aggregate_id(self) -> str:
        return str(self.user_id)


@dataclass(frozen=True, kw_only=True)
class UserContactChanged(Event):
    type: ClassVar[str] = "UserContactChanged"
    aggregate_type: ClassVar[str] = "user"
    user_id: int
    username: str
    phone: str = ""

    @property
    def aggregate_id(self) -> str:
        return str(self.user_id)


# --- product ------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class _ProductEvent(Event):
    aggregate_type: ClassVar[str] = "product"
    product_id: int

    @property
    def aggregate_id(self) -> str:
        return str(self.product_id)


@dataclass(frozen=True, kw_only=True)
class ProductRegistered(_ProductEvent):
    type: ClassVar[str] = "ProductRegistered"
    seller_id: int
    seller_name: str
    name: str
    price: str


@dataclass(frozen=True, kw_only=True)
class ProductUpdated(_ProductEvent):
    """The seller changed an available product's listing."""

    type: ClassVar[str] = "ProductUpdated"
    seller_id: int
    name: str
    price: str


@dataclass(frozen=True, kw_only=True)
class ProductWithdrawn(_ProductEvent):
    """The seller deleted an available product."""

    type: ClassVar[str] = "ProductWithdrawn"
    seller_id: int


@dataclass(frozen=True, kw_only=True)
class ProductReserved(_ProductEvent):
    """The product is now held by one reservation (status pending).

    Carries the listing as it was at reservation time: the price here is what the buyer will pay.
    """

    type: ClassVar[str] = "ProductReserved"
    reservation_id: int
    buyer_id: int
    seller_id: int
    seller_name: str
    name: str
    price: str


@dataclass(frozen=True, kw_only=True)
class ProductReleased(_ProductEvent):
    """The reservation holding the product was cancelled; it is available again."""

    type: ClassVar[str] = "ProductReleased"
    reservation_id: int
    buyer_id: int
    seller_id: int
    name: str
    # Why the hold ended: "cancelled" (by the buyer), "declined" (by the seller or staff) or
    # "expired" (not paid in time). Events stored before it existed were all cancellations.
    cause: str = "cancelled"


@dataclass(frozen=True, kw_only=True)
class ProductSoldOut(_ProductEvent):
    type: ClassVar[str] = "ProductSoldOut"
    reservation_id: int
    buyer_id: int
    seller_id: int
    name: str


@dataclass(frozen=True, kw_only=True)
class ProductPriceLowered(_ProductEvent):
    """The seller lowered an available product's price (published with its ProductUpdated)."""

    type: ClassVar[str] = "ProductPriceLowered"
    seller_id: int
    name: str
    previous_price: str
    price: str


@dataclass(frozen=True, kw_only=True)
class ProductWished(_ProductEvent):
    """A user put the product on their wish list (찜)."""

    type: ClassVar[str] = "ProductWished"
    user_id: int


@dataclass(frozen=True, kw_only=True)
class ProductUnwished(_ProductEvent):
    """A user took the product off their wish list."""

    type: ClassVar[str] = "ProductUnwished"
    user_id: int


# --- reservation -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class _ReservationEvent(Event):
    aggregate_type: ClassVar[str] = "reservation"
    reservation_id: int

    @property
    def aggregate_id(self) -> str:
        return str(self.reservation_id)


@dataclass(frozen=True, kw_only=True)
class ReservationPlaced(_ReservationEvent):
    """A buyer asked to hold a product. The product module vetoes it (in the same transaction)
    when the product is not available or is the buyer's own."""

    type: ClassVar[str] = "ReservationPlaced"
    product_id: int
    buyer_id: int
    buyer_name: str
    # ISO 8601: the hold ends then unless paid (empty in events stored before holds expired).
    hold_expires_at: str = ""


@dataclass(frozen=True, kw_only=True)
class ReservationCancelled(_ReservationEvent):
    """The buyer cancelled. The payment module vetoes it when the reservation is already paid."""

    type: ClassVar[str] = "ReservationCancelled"
    product_id: int
    buyer_id: int
    seller_id: int
    product_name: str
    price: str


@dataclass(frozen=True, kw_only=True)
class ReservationCompleted(_ReservationEvent):
    """The reservation's payment went through; the deal is done."""

    type: ClassVar[str] = "ReservationCompleted"
    product_id: int
    buyer_id: int
    seller_id: int


@dataclass(frozen=True, kw_only=True)
class ReservationExpired(_ReservationEvent):
    """The hold ran out unpaid (``RESERVATION_HOLD_SECONDS``). Like a cancel, the payment module
    vetoes it (in the same transaction) when the reservation is paid after all."""

    type: ClassVar[str] = "ReservationExpired"
    product_id: int
    buyer_id: int
    seller_id: int
    product_name: str
    price: str


@dataclass(frozen=True, kw_only=True)
class ReservationDeclined(_ReservationEvent):
    """The seller (or staff, releasing a stuck hold) ended the reservation before it was paid.
    The payment module vetoes it when the reservation is already paid."""

    type: ClassVar[str] = "ReservationDeclined"
    product_id: int
    buyer_id: int
    seller_id: int
    product_name: str
    price: str
    declined_by: int
    by_staff: bool = False
    reason: str = ""


# --- payment ------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class _PaymentEvent(Event):
    aggregate_type: ClassVar[str] = "payment"
    payment_id: int
    reservation_id: int
    product_id: int
    buyer_id: int
    seller_id: int
    amount: str

    @property
    def aggregate_id(self) -> str:
        return str(self.payment_id)


@dataclass(frozen=True, kw_only=True)
class PaymentRequested(_PaymentEvent):
    """A payment (unpaid) now exists for the reservation."""

    type: ClassVar[str] = "PaymentRequested"


@dataclass(frozen=True, kw_only=True)
class PaymentCompleted(_PaymentEvent):
    type: ClassVar[str] = "PaymentCompleted"


@dataclass(frozen=True, kw_only=True)
class PaymentVoided(_PaymentEvent):
    """The reservation was cancelled before it was paid; this payment can never be paid."""

    type: ClassVar[str] = "PaymentVoided"
