"""The product aggregate: a listing and its life from available to sold out.

    available ──(a reservation holds it)──▶ pending ──(its payment completes)──▶ sold_out
        ▲                                      │
        └────────(that reservation is cancelled)┘

A sold-out product never becomes available or pending again. The transitions that race
(hold, release, sell) are single conditional UPDATEs in ``product.handlers``; the methods here
state the rules for everything that works on a loaded row (edit, withdraw, the admin).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from market.errors import Conflict

# The limits of a listing, one definition for the model, the services, the API and the web forms.
MAX_PRICE = 1_000_000_000  # whole won
NAME_MAX_LENGTH = 100
DESCRIPTION_MAX_LENGTH = 2000  # checked on input (API and forms); the column itself is unbounded text


class Product(models.Model):
    class Status(models.TextChoices):
        AVAILABLE = "available", "available"
        PENDING = "pending", "pending (reserved)"
        SOLD_OUT = "sold_out", "sold out"

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
        return self.status == self.Status.AVAILABLE

    @classmethod
    def can_edit_condition(cls) -> models.Q:
        """``can_edit()`` as a query condition, for reads that answer it in SQL, not row by row."""
        return models.Q(status=cls.Status.AVAILABLE)

    @property
    def seller_username(self) -> str:
        """Named as the catalogue's rows name it (``selectors.product_list_rows``), so one output
        serializer reads both a product and a row."""
        return self.seller.username

    def ensure_editable(self) -> None:
        if not self.can_edit():
            raise Conflict(
                _("The product can be changed only while it is available."),
                code="product_not_editable",
                status=self.status,
            )

    def hold(self, reservation_id: int) -> None:
        """available → pending, held by ``reservation_id``."""
        if self.status != self.Status.AVAILABLE:
            raise Conflict(_("The product is not available."), code="product_unavailable", status=self.status)
        self.status = self.Status.PENDING
        self.held_by_reservation_id = reservation_id

    def release(self, reservation_id: int) -> bool:
        """pending → available when the holding reservation is cancelled. Returns whether it changed;
        a sold-out product, or one held by another reservation, stays as it is."""
        if self.status != self.Status.PENDING or self.held_by_reservation_id != reservation_id:
            return False
        self.status = self.Status.AVAILABLE
        self.held_by_reservation_id = None
        return True

    def sell(self, reservation_id: int) -> bool:
        """pending → sold_out when the holding reservation is paid. Returns whether it changed."""
        if self.status != self.Status.PENDING or self.held_by_reservation_id != reservation_id:
            return False
        self.status = self.Status.SOLD_OUT
        return True


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
