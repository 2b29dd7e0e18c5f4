"""Commands of the product context: register, update and withdraw a listing.

The transitions driven by other contexts (hold, release, sell) are event handlers in
``product.handlers``; they are single conditional UPDATEs so concurrent commands cannot both win.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from market import events
from market.bus import publish, publish_many
from market.db import get_or_404
from market.errors import Conflict, Forbidden, ValidationFailed
from product.models import MAX_PRICE, NAME_MAX_LENGTH, Product, Wish


def validate_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValidationFailed(
            _("A product needs a name."), code="invalid_name", name=[_("This field may not be blank.")]
        )
    name = name.strip()
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationFailed(
            _("A product name has at most %(limit)d characters.") % {"limit": NAME_MAX_LENGTH},
            code="invalid_name",
            name=[_("Ensure this field has no more than %(limit)d characters.") % {"limit": NAME_MAX_LENGTH}],
        )
    return name


def validate_price(price: object) -> int:
    # bool is an int in Python; a price of True won is a client bug, not 1 won.
    if isinstance(price, bool) or not isinstance(price, int) or not 0 <= price <= MAX_PRICE:
        raise ValidationFailed(
            _("The price is a whole number of won from 0 to %(limit)d.") % {"limit": MAX_PRICE},
            code="invalid_price",
            price=[_("Ensure this value is a whole number between 0 and %(limit)d.") % {"limit": MAX_PRICE}],
        )
    return price


def validate_description(description: object) -> str:
    if not isinstance(description, str):
        raise ValidationFailed(_("The description must be text."), code="invalid_description")
    return description


def product_register(*, seller, name: str, price: int, description: str = "") -> Product:
    product = Product(
        seller=seller,
        name=validate_name(name),
        price=validate_price(price),
        description=validate_description(description),
    )
    with transaction.atomic():
        product.save()
        publish(_registered(product))
    return product


def _registered(product: Product) -> events.ProductRegistered:
    return events.ProductRegistered(
        product_id=product.pk,
        seller_id=product.seller_id,
        seller_name=product.seller.get_username(),
        product_name=product.name,
        price=str(product.price),
    )


def product_register_many(*, seller, listings: list[tuple[str, int, str]], batch_size: int = 500) -> int:
    """Bulk path for seeding: one INSERT per batch of products, still one ProductRegistered each."""
    made = 0
    for start in range(0, len(listings), batch_size):
        batch = [
            Product(
                seller=seller,
                name=validate_name(name),
                price=validate_price(price),
                description=validate_description(description),
            )
            for name, price, description in listings[start : start + batch_size]
        ]
        with transaction.atomic():
            # PostgreSQL and SQLite return the new ids (INSERT ... RETURNING).
            for product in Product.objects.bulk_create(batch):
                publish(_registered(product))
        made += len(batch)
    return made


def _locked_own_product(product_id: int, actor) -> Product:
    product = get_or_404(
        Product.objects.select_for_update(of=("self",)).select_related("seller"),
        product_id,
        _("No such product."),
        "product_not_found",
    )
    if actor is None or product.seller_id != actor.pk:
        raise Forbidden(_("Only the seller may change this product."), code="not_seller")
    product.ensure_editable()
    return product


def product_update(
    *,
    product_id: int,
    actor,
    name: str | None = None,
    description: str | None = None,
    price: int | None = None,
) -> Product:
    with transaction.atomic():
        product = _locked_own_product(product_id, actor)
        previous_price = product.price
        if name is not None:
            product.name = validate_name(name)
        if description is not None:
            product.description = validate_description(description)
        if price is not None:
            product.price = validate_price(price)
        product.save(update_fields=["name", "description", "price", "updated_at"])
        updated: list[events.Event] = [
            events.ProductUpdated(
                product_id=product.pk, seller_id=product.seller_id, product_name=product.name, price=str(product.price)
            )
        ]
        if product.price < previous_price:  # wishers hear of it (notice)
            updated.append(
                events.ProductPriceLowered(
                    product_id=product.pk,
                    seller_id=product.seller_id,
                    product_name=product.name,
                    previous_price=str(previous_price),
                    price=str(product.price),
                )
            )
        publish_many(updated)
    return product


def product_withdraw(*, product_id: int, actor) -> None:
    with transaction.atomic():
        product = _locked_own_product(product_id, actor)
        product.delete()
        publish(events.ProductWithdrawn(product_id=product_id, seller_id=actor.pk))


# --- the wish list (찜) --------------------------------------------------------------------------


def product_wish(*, product_id: int, user) -> tuple[Wish, bool]:
    """Put the product on ``user``'s wish list; idempotent. Returns the wish and whether it is new
    (only a new one publishes ProductWished). Your own product cannot be wished for (409)."""
    with transaction.atomic():
        product = get_or_404(Product.objects.all(), product_id, _("No such product."), "product_not_found")
        if product.seller_id == user.pk:
            raise Conflict(_("You cannot wish for your own product."), code="own_product")
        wish, created = Wish.objects.get_or_create(product=product, user=user)
        if created:
            publish(events.ProductWished(product_id=product.pk, user_id=user.pk))
    wish.product = product
    return wish, created


def product_unwish(*, product_id: int, user) -> bool:
    """Take the product off ``user``'s wish list; idempotent. Returns whether there was a wish."""
    with transaction.atomic():
        pk = get_or_404(Product.objects.only("pk"), product_id, _("No such product."), "product_not_found").pk
        deleted, _rows = Wish.objects.filter(product_id=pk, user=user).delete()
        if deleted:
            publish(events.ProductUnwished(product_id=pk, user_id=user.pk))
    return bool(deleted)
