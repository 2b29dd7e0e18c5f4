"""What every context's web pages (under /shop/) share: turning a service's error into a sentence a
person reads, the write commands' rate limits and the reservation breaker as pages meet them.

The API answers errors as JSON; a page answers them as a message on the page the person was on
(``django.contrib.messages`` after a redirect, or beside the form they filled in). The messages are
keyed by the error's stable ``code`` so the wording is the page's and is translated here once,
whatever context raised it.
"""

from __future__ import annotations

import functools
from contextlib import contextmanager
from types import SimpleNamespace
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db import InterfaceError, OperationalError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from market import resilience
from market.errors import DATABASE_RETRY_AFTER, DomainError, RateLimited, TryAgainShortly, database_unavailable_response
from market.throttling import WriteCommandThrottle

PAGE_SIZE = 20

# code -> what the person reads. Codes not listed fall back to a generic sentence of their class.
MESSAGES = {
    "own_product": _("This is your own product: you cannot reserve it."),
    "product_not_found": _("This product no longer exists."),
    "product_not_editable": _("The product can be changed only while it is available."),
    "not_seller": _("Only the seller may change this product."),
    "reservation_not_found": _("No such reservation."),
    "already_cancelled": _("This reservation is already cancelled."),
    "not_buyer": _("Only the buyer may do this."),
    "payment_not_found": _("No such payment."),
    "payment_voided": _("This payment was voided because its reservation was cancelled."),
    "username_taken": _("That username is taken. Please choose another."),
    "weak_password": _("The password is too weak."),
    "invalid_name": _("A product needs a name of at most 100 characters."),
    "invalid_price": _("The price is a whole number of won from 0 to 1,000,000,000."),
    "reservation_ended": _("This reservation has already ended."),
}
# The same code read differently by the action that met it (code, action) -> sentence.
BY_ACTION = {
    ("own_product", "wish"): _("This is your own product: you cannot wish for it."),
    ("not_seller", "decline"): _("Only the product's seller may decline this reservation."),
    ("already_cancelled", "decline"): _("This reservation has already ended."),
}
# product_unavailable says why in details["status"]: someone holds it, or it is sold.
UNAVAILABLE = {
    "pending": _("Someone has already reserved this product."),
    "sold_out": _("This product is sold out."),
}
ALREADY_PAID = {
    "cancel": _("This reservation is already paid; it can no longer be cancelled."),
    "pay": _("This payment is already paid."),
    "decline": _("This reservation is already paid; it can no longer be declined."),
}


def error_message(exc: DomainError, *, action: str = "") -> str:
    """The sentence a page shows for ``exc`` (translated into the request's language)."""
    if isinstance(exc, TryAgainShortly):
        return retry_message(exc.retry_after, limited=isinstance(exc, RateLimited))
    if exc.code == "product_unavailable":
        return str(UNAVAILABLE.get(exc.details.get("status"), UNAVAILABLE["pending"]))
    if (exc.code, action) in BY_ACTION:
        return str(BY_ACTION[exc.code, action])
    if exc.code == "already_paid":
        return str(ALREADY_PAID.get(action, ALREADY_PAID["pay"]))
    if exc.code in MESSAGES:
        return str(MESSAGES[exc.code])
    if exc.status_code == 404:
        return str(_("Not found."))
    if exc.status_code == 403:
        return str(_("You may not do this."))
    if exc.status_code == 409:
        return str(_("This cannot be done in the current state. Please reload and check."))
    return str(_("This request could not be done. Please check what you entered."))


def retry_message(seconds: int, *, limited: bool = False) -> str:
    if limited:
        return ngettext(
            "Too many tries. Please try again in %(n)d second.",
            "Too many tries. Please try again in %(n)d seconds.",
            seconds,
        ) % {"n": seconds}
    return ngettext(
        "We are very busy right now. Please try again in %(n)d second.",
        "We are very busy right now. Please try again in %(n)d seconds.",
        seconds,
    ) % {"n": seconds}


def flash_error(request, exc: DomainError, *, action: str = "") -> None:
    messages.error(request, error_message(exc, action=action))


def check_rate_limit(request, scope: str) -> None:
    """The API's write-command limits (``market.throttling``), for a page's POST: raises
    ``RateLimited`` (with the seconds to wait) over the limit."""
    WriteCommandThrottle().allow_request(request, SimpleNamespace(throttle_scope=scope))


@contextmanager
def breaker(name: str):
    """Run a page's command under the named circuit breaker, as the middleware runs the API's
    routes: refused at once while it is open (``TryAgainShortly`` with the seconds left), and
    a 5xx-like failure (``TryAgainShortly`` or an unexpected exception) counts against it."""
    guard = resilience.breakers().get(name)
    if guard is None:
        yield
        return
    permit = guard.acquire()
    if permit is None:
        raise TryAgainShortly(retry_after=guard.retry_after(), code="try_again_shortly")
    try:
        yield
    except TryAgainShortly:
        guard.record(permit, failure=True)
        raise
    except DomainError:
        guard.record(permit, failure=False)  # a business answer (409 "already reserved"), not a failure
        raise
    except BaseException:
        guard.record(permit, failure=True)
        raise
    guard.record(permit, failure=False)


def paginate(request, items, *, per_page: int = PAGE_SIZE) -> Page:
    """The page of ``items`` the query string asks for (``?page=``); out of range: the last one."""
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def query_without_page(request) -> str:
    """The current query string minus ``page``, for the pagination links."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def sign_in_first(request, next_url: str) -> HttpResponseRedirect:
    """An anonymous person pressed a button that needs an account: to the sign-in page, and back
    to ``next_url`` (a page, never the POST-only action) afterwards."""
    messages.info(request, _("Please sign in first."))
    return redirect(f"{reverse('shop-signin')}?{urlencode({'next': next_url})}")


def page_not_found(request, message: str = ""):
    """A 404 for people: the site's page with a sentence, not the API's JSON body."""
    return render(request, "market/not_found.html", {"message": message}, status=404)


def page_view(view):
    """For every page view: a database outage met while the view runs is a page saying when to try
    again (503 with ``Retry-After``), as the API answers it in JSON, never a trace or a JSON body."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            response = view(request, *args, **kwargs)
        except (OperationalError, InterfaceError) as exc:
            database_unavailable_response(exc)  # logs it as the API does
            response = render(
                request,
                "market/try_again.html",
                {"message": retry_message(DATABASE_RETRY_AFTER)},
                status=503,
            )
            response["Retry-After"] = str(DATABASE_RETRY_AFTER)
        if response.status_code == 405 and not response.content:  # require_POST and friends say nothing
            refused = render(request, "market/not_allowed.html", status=405)
            refused["Allow"] = response["Allow"]
            response = refused
        # A page answers people: its errors (a form sent back with what was typed, the 404 page)
        # stay pages, where market.request_guard turns every other error into the API's JSON.
        response.for_people = True
        return response

    return wrapped
