"""The product aggregate: a listing and its life from available to sold out.

    available ──(a reservation holds it)──▶ pending ──(its payment completes)──▶ sold_out
        ▲                                      │
        └────────(that reservation is cancelled)┘

A sold-out product never becomes available or pending again. ``Product.transitions`` is the
one table of these rules: the transitions that race (hold, release, sell) run as the single
conditional UPDATEs it generates (``product.handlers``), and the methods here apply the same
table to a loaded row (edit, withdraw, the admin, the tests).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy

from market.transitions import Arg, Guard, Refusal, StateMachine, Transition

# The limits of a listing, one definition for the model, the services, the API and the web forms.
MAX_PRICE = 1_000_000_000  # whole won
NAME_MAX_LENGTH = 100
DESCRIPTION_MAX_LENGTH = 2000  # checked on input (API and forms); the column itself is unbounded text

_UNAVAILABLE = Refusal(gettext_lazy("The product is not available."), "product_unavailable", with_status=True)
_OWN_PRODUCT = Refusal(gettext_lazy("You cannot reserve your own product."), "own_product")
_NOT_EDITABLE = Refusal(
    gettext_lazy("The product can be changed only while it is available."), "product_not_editable", with_status=True
)


class Product(models.Model):
    class Status(models.TextChoices):
        AVAILABLE = "available", gettext_lazy("available")
        PENDING = "pending", gettext_lazy("pending (reserved)")
        SOLD_OUT = "sold_out", gettext_lazy("sold out")

    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="products", verbose_name=gettext_lazy("seller")
    )
    name = models.CharField(gettext_lazy("product name"), max_length=NAME_MAX_LENGTH)
    description = models.TextField(gettext_lazy("description"), blank=True, default="")
    price = models.PositiveBigIntegerField(
        gettext_lazy("price (won)"), default=0, validators=[MaxValueValidator(MAX_PRICE)]
    )
    status = models.CharField(gettext_lazy("status"), max_length=16, choices=Status.choices, default=Status.AVAILABLE)
    # The reservation (an id in the reservation context) holding or having bought the product.
    held_by_reservation_id = models.BigIntegerField(gettext_lazy("held by reservation"), null=True, blank=True)
    created_at = models.DateTimeField(gettext_lazy("listed at"), auto_now_add=True)
    updated_at = models.DateTimeField(gettext_lazy("updated at"), auto_now=True)

    # The one definition of the product's life (see market.transitions): the in-memory methods
    # below, the admin's and the API's edit rules and product.handlers' conditional UPDATEs all
    # come from it.
    transitions = StateMachine(
        Transition(
            "hold",
            source=[Status.AVAILABLE],
            target=Status.PENDING,
            guards=[Guard("seller_id", "<>", "buyer_id", refusal=_OWN_PRODUCT)],
            sets={"held_by_reservation_id": Arg("reservation_id")},
            otherwise=_UNAVAILABLE,
        ),
        Transition(
            "release",
            source=[Status.PENDING],
            target=Status.AVAILABLE,
            guards=[Guard("held_by_reservation_id", "=", "reservation_id")],
            sets={"held_by_reservation_id": None},
        ),
        Transition(
            "sell",
            source=[Status.PENDING],
            target=Status.SOLD_OUT,
            guards=[Guard("held_by_reservation_id", "=", "reservation_id")],
        ),
        # Changing or withdrawing the listing: a rule, not a change of status.
        Transition("edit", source=[Status.AVAILABLE], target=None, otherwise=_NOT_EDITABLE),
    )

    class Meta:
        # The admin names it in its language ("상품 추가", not "Product 추가").
        verbose_name = gettext_lazy("product")
        verbose_name_plural = gettext_lazy("products")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "-id"], name="product_status_id"),
            models.Index(fields=["seller", "-id"], name="product_seller_id"),
            models.Index(fields=["price"], name="product_price"),
            # The catalogue's usual question, "available, between these prices", and the COUNT of
            # its page's total, answered from the index instead of visiting thousands of rows.
            # product_price stays for a price range or price order without a status.
            models.Index(fields=["status", "price"], name="product_status_price"),
            models.Index(fields=["-created_at"], name="product_created"),
            models.Index(fields=["name"], name="product_name"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__lte=MAX_PRICE), name="product_price_at_most_max"),
            models.CheckConstraint(
                condition=models.Q(status__in=["available", "pending", "sold_out"]), name="product_status_valid"
            ),
            # A held or sold product always knows which reservation holds it; an available one none.
            models.CheckConstraint(
                condition=models.Q(status="available", held_by_reservation_id__isnull=True)
                | models.Q(status__in=["pending", "sold_out"], held_by_reservation_id__isnull=False),
                name="product_hold_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (#{self.pk}, {self.status})"

    def can_edit(self) -> bool:
        """The seller may change or withdraw the listing only while nobody holds or bought it."""
        return self.transitions.allows(self, "edit")

    @classmethod
    def can_edit_condition(cls) -> models.Q:
        """``can_edit()`` as a query condition, for reads that answer it in SQL, not row by row."""
        return cls.transitions.condition("edit")

    @property
    def seller_username(self) -> str:
        """Named as the catalogue's rows name it (``selectors.product_list_rows``), so one output
        serializer reads both a product and a row."""
        return self.seller.username

    def ensure_editable(self) -> None:
        self.transitions.check(self, "edit")

    # In memory, from the same table as the UPDATEs of product.handlers (``transitions``).

    def hold(self, reservation_id: int, *, buyer_id: int) -> bool:
        """available → pending, held by ``reservation_id``; refused for the seller themself."""
        return self.transitions.apply(self, "hold", reservation_id=reservation_id, buyer_id=buyer_id)

    def can_be_held_by(self, buyer_id: int | None) -> bool:
        """Whether the hold would take the product for ``buyer_id`` now; signed out (None):
        whether it is available at all."""
        if buyer_id is None:
            return self.status in self.transitions["hold"].source
        return self.transitions.allows(self, "hold", buyer_id=buyer_id)

    def release(self, reservation_id: int) -> bool:
        """pending → available when the holding reservation is cancelled. Returns whether it changed;
        a sold-out product, or one held by another reservation, stays as it is."""
        return self.transitions.apply(self, "release", reservation_id=reservation_id)

    def sell(self, reservation_id: int) -> bool:
        """pending → sold_out when the holding reservation is paid. Returns whether it changed."""
        return self.transitions.apply(self, "sell", reservation_id=reservation_id)


class Wish(models.Model):
    """A user's wish-list entry (찜) for a product: they want to hear when it is available again
    or cheaper. Notice keeps its own copy of who wishes what, built from ProductWished and
    ProductUnwished."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="wishes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wishes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["product", "user"], name="wish_once_per_user")]
        indexes = [models.Index(fields=["user", "-id"], name="wish_user_id")]

    def __str__(self) -> str:
        return f"user #{self.user_id} wishes product #{self.product_id}"
