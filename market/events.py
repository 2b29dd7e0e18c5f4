"""The published events: the whole vocabulary the five contexts share.

This module is the catalogue of the system. Every event any app publishes or handles is declared
here as an immutable dataclass; nothing else crosses a module boundary. An event carries:

- a stable ``type`` name and a schema ``version`` (class-level, part of the contract),
- an ``event_id`` (UUID) and the time it ``occurred_at``,
- the aggregate it is about (``aggregate_type`` class-level, ``aggregate_id`` per instance),
- a payload of plain values only: ints, strings, booleans; money as a string of whole won.

Read it top to bottom as the event-storming picture: accounts, product, reservation, payment.

The vocabulary: one concept, one field name, in every event that carries it.

- ``product_id``, ``reservation_id``, ``payment_id``: the aggregates; ``buyer_id``, ``seller_id``,
  ``user_id``: the people (user ids); ``seller_name``, ``buyer_name``, ``username``: their usernames.
- ``product_name``: the listing's name as it was when the event occurred (never ``name``).
- ``price``: the listing's price in whole won: what the seller asks (product events) or, once
  reserved, what the buyer owes (reservation events copy it from ProductReserved);
  ``previous_price``: the price before a price drop.
- ``amount``: the money a payment is for, in whole won. A different concept from ``price``: it is
  the payment's own fact (taken from the price as reserved when the payment was requested), and
  only payment events carry it.

Consumers that handle several event types read shared fields through the public bases below,
never with ``getattr``: ``ProductEvent``, ``ReservationEvent`` and ``PaymentEvent`` (the aggregate
an event is about), ``DealEvent`` (about one reservation's deal: reservation, product, buyer,
seller), ``NamedListing`` (carries ``product_name``) and ``PricedListing`` (also ``price``).
An event names the shared facts first and its aggregate base last, as mixins go
(``ProductReserved(PricedListing, DealEvent, ProductEvent)``).

Events are stored (``market.models.EventRecord``: the payload as JSON, with the version it was
written at) and decoded later, possibly by a newer release. Renaming a field therefore bumps the
event's ``version`` and records the rename in its ``renamed`` (the version renamed from → old name
→ new name); ``Event.from_record`` upcasts a payload stored at an older version before building
the event. A retired name is never given to another field, so a payload whose version is unknown
(``ScheduledMessage`` keeps none) can be given every rename: one finding no old name changes nothing.
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
    # Field renames by the version they were made from: {1: {"name": "product_name"}} turns a
    # version-1 payload into a version-2 one (see the module's docstring).
    renamed: ClassVar[dict[int, dict[str, str]]] = {}

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
            if any(not 1 <= step < cls.version for step in cls.renamed):
                raise TypeError(f"{cls.type}.renamed names a version it cannot upcast from")

    @property
    def aggregate_id(self) -> str:
        raise NotImplementedError

    @property
    def aggregate_key(self) -> str:
        return f"{self.aggregate_type}:{self.aggregate_id}"

    def payload(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in self._ENVELOPE}

    @classmethod
    def upcast(cls, payload: dict[str, Any], version: int | None) -> dict[str, Any]:
        """``payload`` as stored at ``version``, with this class's current field names. ``None``
        (a version not recorded, as in ``ScheduledMessage``) tries every rename: one finding the
        old name absent changes nothing."""
        payload = dict(payload)
        for step in range(version or 1, cls.version):
            for old, new in cls.renamed.get(step, {}).items():
                if old in payload and new not in payload:
                    payload[new] = payload.pop(old)
        return payload

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
        version: int | None = None,
    ) -> Event:
        """The event a stored payload describes, upcast from the ``version`` it was written at."""
        event_class = EVENT_TYPES[type]
        payload = event_class.upcast(payload, version)
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


# --- what several events share: read these, not getattr --------------------------------------


@dataclass(frozen=True, kw_only=True)
class DealEvent(Event):
    """About one reservation's deal: which reservation, of which product, between which buyer and
    seller (product holds and their endings, the reservation's endings, every payment event)."""

    reservation_id: int
    product_id: int
    buyer_id: int
    seller_id: int


@dataclass(frozen=True, kw_only=True)
class NamedListing(Event):
    """Carries the listing's name as it was when the event occurred."""

    product_name: str


@dataclass(frozen=True, kw_only=True)
class PricedListing(NamedListing):
    """Carries the listing's name and price (whole won) as they were when the event occurred."""

    price: str


# Version 2 of the product events: the listing's name is ``product_name`` in every event, as the
# reservation events always called it (version 1 said ``name``).
_NAME_BECAME_PRODUCT_NAME: dict[int, dict[str, str]] = {1: {"name": "product_name"}}


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
class ProductEvent(Event):
    """About one product (the aggregate): every product event carries ``product_id``."""

    aggregate_type: ClassVar[str] = "product"
    product_id: int

    @property
    def aggregate_id(self) -> str:
        return str(self.product_id)


@dataclass(frozen=True, kw_only=True)
class ProductRegistered(PricedListing, ProductEvent):
    type: ClassVar[str] = "ProductRegistered"
    version: ClassVar[int] = 2
    renamed = _NAME_BECAME_PRODUCT_NAME
    seller_id: int
    seller_name: str


@dataclass(frozen=True, kw_only=True)
class ProductUpdated(PricedListing, ProductEvent):
    """The seller changed an available product's listing."""

    type: ClassVar[str] = "ProductUpdated"
    version: ClassVar[int] = 2
    renamed = _NAME_BECAME_PRODUCT_NAME
    seller_id: int


@dataclass(frozen=True, kw_only=True)
class ProductWithdrawn(ProductEvent):
    """The seller deleted an available product."""

    type: ClassVar[str] = "ProductWithdrawn"
    seller_id: int


@dataclass(frozen=True, kw_only=True)
class ProductReserved(PricedListing, DealEvent, ProductEvent):
    """The product is now held by one reservation (status pending).

    Carries the listing as it was at reservation time: the price here is what the buyer will pay.
    """

    type: ClassVar[str] = "ProductReserved"
    version: ClassVar[int] = 2
    renamed = _NAME_BECAME_PRODUCT_NAME
    seller_name: str


@dataclass(frozen=True, kw_only=True)
class ProductReleased(NamedListing, DealEvent, ProductEvent):
    """The reservation holding the product was cancelled; it is available again."""

    type: ClassVar[str] = "ProductReleased"
    version: ClassVar[int] = 2
    renamed = _NAME_BECAME_PRODUCT_NAME
    # Why the hold ended: "cancelled" (by the buyer), "declined" (by the seller or staff) or
    # "expired" (not paid in time). Events stored before it existed were all cancellations.
    cause: str = "cancelled"


@dataclass(frozen=True, kw_only=True)
class ProductSoldOut(NamedListing, DealEvent, ProductEvent):
    type: ClassVar[str] = "ProductSoldOut"
    version: ClassVar[int] = 2
    renamed = _NAME_BECAME_PRODUCT_NAME


@dataclass(frozen=True, kw_only=True)
class ProductPriceLowered(PricedListing, ProductEvent):
    """The seller lowered an available product's price (published with its ProductUpdated)."""

    type: ClassVar[str] = "ProductPriceLowered"
    version: ClassVar[int] = 2
    renamed = _NAME_BECAME_PRODUCT_NAME
    seller_id: int
    previous_price: str


@dataclass(frozen=True, kw_only=True)
class ProductWished(ProductEvent):
    """A user put the product on their wish list (찜)."""

    type: ClassVar[str] = "ProductWished"
    user_id: int


@dataclass(frozen=True, kw_only=True)
class ProductUnwished(ProductEvent):
    """A user took the product off their wish list."""

    type: ClassVar[str] = "ProductUnwished"
    user_id: int


# --- reservation -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ReservationEvent(Event):
    """About one reservation (the aggregate): every reservation event carries ``reservation_id``."""

    aggregate_type: ClassVar[str] = "reservation"
    reservation_id: int

    @property
    def aggregate_id(self) -> str:
        return str(self.reservation_id)


@dataclass(frozen=True, kw_only=True)
class ReservationPlaced(ReservationEvent):
    """A buyer asked to hold a product. The product module vetoes it (in the same transaction)
    when the product is not available or is the buyer's own."""

    type: ClassVar[str] = "ReservationPlaced"
    product_id: int
    buyer_id: int
    buyer_name: str
    # ISO 8601: the hold ends then unless paid (empty in events stored before holds expired).
    hold_expires_at: str = ""


@dataclass(frozen=True, kw_only=True)
class ReservationCancelled(PricedListing, DealEvent, ReservationEvent):
    """The buyer cancelled. The payment module vetoes it when the reservation is already paid."""

    type: ClassVar[str] = "ReservationCancelled"


@dataclass(frozen=True, kw_only=True)
class ReservationCompleted(DealEvent, ReservationEvent):
    """The reservation's payment went through; the deal is done."""

    type: ClassVar[str] = "ReservationCompleted"


@dataclass(frozen=True, kw_only=True)
class ReservationExpired(PricedListing, DealEvent, ReservationEvent):
    """The hold ran out unpaid (``RESERVATION_HOLD_SECONDS``). Like a cancel, the payment module
    vetoes it (in the same transaction) when the reservation is paid after all."""

    type: ClassVar[str] = "ReservationExpired"


@dataclass(frozen=True, kw_only=True)
class ReservationDeclined(PricedListing, DealEvent, ReservationEvent):
    """The seller (or staff, releasing a stuck hold) ended the reservation before it was paid.
    The payment module vetoes it when the reservation is already paid."""

    type: ClassVar[str] = "ReservationDeclined"
    declined_by: int
    by_staff: bool = False
    reason: str = ""


# --- payment ------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PaymentEvent(DealEvent):
    """About one payment (the aggregate) for one reservation's deal, and the ``amount`` it is for."""

    aggregate_type: ClassVar[str] = "payment"
    payment_id: int
    amount: str

    @property
    def aggregate_id(self) -> str:
        return str(self.payment_id)


@dataclass(frozen=True, kw_only=True)
class PaymentRequested(PaymentEvent):
    """A payment (unpaid) now exists for the reservation."""

    type: ClassVar[str] = "PaymentRequested"


@dataclass(frozen=True, kw_only=True)
class PaymentCompleted(PaymentEvent):
    type: ClassVar[str] = "PaymentCompleted"


@dataclass(frozen=True, kw_only=True)
class PaymentVoided(PaymentEvent):
    """The reservation was cancelled before it was paid; this payment can never be paid."""

    type: ClassVar[str] = "PaymentVoided"
