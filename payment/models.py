"""The payment aggregate: one per reservation.

    unpaid ──(buyer pays)──▶ paid
       │
       └──(reservation cancelled)──▶ voided

``Payment.transitions`` is the one table of these rules: the commands and handlers change the
status only by the conditional UPDATEs it generates, the methods apply it to a loaded row.

A payment may be created voided (a tombstone) when the reservation was cancelled before the
payment module saw it was reserved; the later request must not bring it back.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy

from market.transitions import NOW, Refusal, StateMachine, Transition

_VOIDED = Refusal(gettext_lazy("The payment was voided: its reservation is cancelled."), "payment_voided")
_ALREADY_PAID = Refusal(gettext_lazy("The payment is already paid."), "already_paid")
_PAID_NOT_CANCELLABLE = Refusal(
    gettext_lazy("The reservation is already paid; it cannot be cancelled."), "already_paid"
)


class Payment(models.Model):
    class Status(models.TextChoices):
        UNPAID = "unpaid", gettext_lazy("unpaid")
        PAID = "paid", gettext_lazy("paid")
        VOIDED = "voided", gettext_lazy("voided")

    reservation_id = models.BigIntegerField(unique=True)
    product_id = models.BigIntegerField()
    buyer_id = models.BigIntegerField()
    seller_id = models.BigIntegerField()
    amount = models.PositiveBigIntegerField(default=0)  # whole won
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UNPAID)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    # The one definition of the payment's life (see market.transitions).
    transitions = StateMachine(
        Transition(
            "pay",
            source=[Status.UNPAID],
            target=Status.PAID,
            sets={"paid_at": NOW},
            refusals={Status.VOIDED: _VOIDED, Status.PAID: _ALREADY_PAID},
        ),
        # A paid payment refuses: that decides a pay-versus-cancel race. Voided twice: a no-op.
        Transition("void", source=[Status.UNPAID], target=Status.VOIDED, refusals={Status.PAID: _PAID_NOT_CANCELLABLE}),
    )

    class Meta:
        verbose_name = gettext_lazy("payment")
        verbose_name_plural = gettext_lazy("payments")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["buyer_id", "-id"], name="payment_buyer_id"),
            models.Index(fields=["seller_id", "-id"], name="payment_seller_id"),
            models.Index(fields=["product_id"], name="payment_product"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["unpaid", "paid", "voided"]), name="payment_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status="paid", paid_at__isnull=False) | ~models.Q(status="paid"),
                name="payment_paid_has_paid_at",
            ),
        ]

    def __str__(self) -> str:
        return f"payment #{self.pk} for reservation #{self.reservation_id} ({self.status})"

    def is_party(self, user) -> bool:
        return user.pk is not None and user.pk in (self.buyer_id, self.seller_id)

    # In memory, from the same table as the conditional UPDATEs of payment.services and
    # payment.handlers (``transitions``).

    def pay(self) -> bool:
        """unpaid → paid."""
        return self.transitions.apply(self, "pay")

    def void(self) -> bool:
        """unpaid → voided when the reservation is cancelled. Returns whether it changed; a paid
        payment refuses (that decides a pay-versus-cancel race)."""
        return self.transitions.apply(self, "void")
