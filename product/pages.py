"""The product context's web pages under /shop/: the catalogue, a product's page (with its wish
button, 찜), the seller's products, the form to list a new one and the person's wish list. Thin:
a form checks the input, a selector or a service does the rest, a service's refusal becomes a
message (market.web)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from market.errors import DomainError, NotFound, TryAgainShortly
from market.web import (
    check_rate_limit,
    error_message,
    flash_error,
    page_not_found,
    page_view,
    paginate,
    query_without_page,
    sign_in_first,
)
from product import selectors, services
from product.models import DESCRIPTION_MAX_LENGTH, MAX_PRICE, NAME_MAX_LENGTH, Product

STATUS_LABELS = {
    Product.Status.AVAILABLE: _("Available"),
    Product.Status.PENDING: _("Reserved"),
    Product.Status.SOLD_OUT: _("Sold out"),
}


# Which field a service's refusal is about, so the message stands beside it.
_FIELD_OF_CODE = {"invalid_name": "name", "invalid_price": "price", "invalid_description": "description"}


class CatalogueFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("State"), required=False, choices=[("", _("Any state")), *STATUS_LABELS.items()])
    min_price = forms.IntegerField(label=_("Lowest price (won)"), required=False, min_value=0, max_value=MAX_PRICE)
    max_price = forms.IntegerField(label=_("Highest price (won)"), required=False, min_value=0, max_value=MAX_PRICE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update({"type": "search", "placeholder": _("e.g. bicycle")})
        for name in ("min_price", "max_price"):
            self.fields[name].widget.attrs.update({"inputmode": "numeric"})


class ProductForm(forms.Form):
    name = forms.CharField(label=_("Product name"), max_length=NAME_MAX_LENGTH)
    price = forms.IntegerField(label=_("Price (won)"), min_value=0, max_value=MAX_PRICE)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


@page_view
@require_GET
def catalogue(request):
    form = CatalogueFilterForm(request.GET)
    if form.is_valid():
        data = form.cleaned_data
        products = selectors.product_search(
            search=data["q"].strip(), status=data["status"], min_price=data["min_price"], max_price=data["max_price"]
        )
    else:
        products = Product.objects.none()
    return render(
        request,
        "product/catalogue.html",
        {
            "nav": "catalogue",
            "form": form,
            "page": paginate(request, products),
            "query": query_without_page(request),
            "status_labels": STATUS_LABELS,
        },
    )


@page_view
@require_GET
def product_page(request, product_id: int):
    try:
        product = selectors.product_get_with_wish_count(product_id=product_id)
    except NotFound as exc:
        return page_not_found(request, error_message(exc))
    is_seller = request.user.is_authenticated and request.user.pk == product.seller_id
    return render(
        request,
        "product/product.html",
        {
            "product": product,
            "status_labels": STATUS_LABELS,
            "can_reserve": selectors.product_reservable_by(product=product, user=request.user),
            "is_seller": is_seller,
            # The wish button: for signed-in people other than the seller (the service refuses them too).
            "can_wish": request.user.is_authenticated and not is_seller,
            "wished": selectors.product_wished_by(product=product, user=request.user),
        },
    )


@page_view
@require_POST
def wish(request, product_id: int):
    """The product page's wish button: ``wish=1`` puts the product on the wish list, ``wish=0``
    takes it off. Says which it wants (not "toggle"), so a double click or a stale page does
    what the person saw on the button; both services are idempotent."""
    product_page = reverse("shop-product", args=[product_id])
    if not request.user.is_authenticated:
        return sign_in_first(request, product_page)
    wanted = request.POST.get("wish") != "0"
    try:
        check_rate_limit(request, "register")  # the API's wish routes' limit
        if wanted:
            services.product_wish(product_id=product_id, user=request.user)
        else:
            services.product_unwish(product_id=product_id, user=request.user)
    except DomainError as exc:
        if exc.code == "product_not_found":
            return page_not_found(request, error_message(exc))
        flash_error(request, exc, action="wish")
    else:
        if wanted:
            messages.success(request, _("Added to your wish list. We tell you when it is available again or cheaper."))
        else:
            messages.success(request, _("Removed from your wish list."))
    return redirect(product_page)


@page_view
@login_required(login_url="shop-signin")
@require_GET
def my_wishes(request):
    wishes = selectors.wish_list_for(user=request.user)
    return render(
        request,
        "product/my_wishes.html",
        {"nav": "my-wishes", "page": paginate(request, wishes), "query": "", "status_labels": STATUS_LABELS},
    )


@page_view
@login_required(login_url="shop-signin")
@require_http_methods(["GET", "POST"])
def sell(request):
    form = ProductForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            check_rate_limit(request, "register")
            product = services.product_register(
                seller=request.user, name=data["name"], price=data["price"], description=data["description"]
            )
        except DomainError as exc:
            field = None if isinstance(exc, TryAgainShortly) else _FIELD_OF_CODE.get(exc.code)
            form.add_error(field, error_message(exc))
        else:
            messages.success(request, _("Your product is listed: %(name)s.") % {"name": product.name})
            return redirect("shop-my-products")
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "product/sell.html", {"nav": "sell", "form": form}, status=status)


@page_view
@login_required(login_url="shop-signin")
@require_GET
def my_products(request):
    products = selectors.product_list_for_seller(seller=request.user)
    return render(
        request,
        "product/my_products.html",
        {"nav": "my-products", "page": paginate(request, products), "query": "", "status_labels": STATUS_LABELS},
    )
