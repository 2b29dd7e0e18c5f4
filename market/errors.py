"""Errors are part of the API.

Domain errors are declared here so every context raises the same vocabulary, and an
in-transaction subscriber can veto a command by raising one (the command rolls back and the
caller gets that error). ``api_exception_handler`` turns them, DRF's own errors and database
outages into one JSON shape::

    {"code": "product_unavailable", "message": "...", "details": {...}}
"""

from __future__ import annotations

import logging
import math
import re
import sys
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)

DATABASE_RETRY_AFTER = 5


class DomainError(Exception):
    """A rule of the domain said no. Subclasses fix the HTTP status and the default code."""

    status_code = status.HTTP_400_BAD_REQUEST
    code = "invalid"
    default_message = _("The request breaks a rule of the marketplace.")

    def __init__(self, message: str | None = None, *, code: str | None = None, **details: Any) -> None:
        self.message = message or self.default_message
        if code:
            self.code = code
        self.details = details
        super().__init__(self.message)


class ValidationFailed(DomainError):
    code = "invalid"


class NotFound(DomainError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"
    default_message = _("Not found.")


class Forbidden(DomainError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "forbidden"
    default_message = _("You may not do this.")


class Conflict(DomainError):
    """The command clashes with the current state (already reserved, already paid, ...)."""

    status_code = status.HTTP_409_CONFLICT
    code = "conflict"
    default_message = _("The resource is not in a state that allows this.")


class TryAgainShortly(DomainError):
    """Overload or an outage: the client should retry after ``retry_after`` seconds."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    code = "try_again_shortly"
    default_message = _("We are busy right now. Please try again shortly.")

    def __init__(self, message: str | None = None, *, retry_after: int = 5, code: str | None = None, **details):
        self.retry_after = retry_after
        super().__init__(message, code=code, **details)


class RateLimited(TryAgainShortly):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    code = "rate_limited"
    default_message = _("Too many requests. Please slow down and try again shortly.")


def error_body(code: str, message: str, details: dict | None = None) -> dict[str, Any]:
    # A lazy message becomes text here, in the language of the request being answered.
    body: dict[str, Any] = {"code": code, "message": str(message)}
    if details:
        body["details"] = details
    return body


def _drf_code(exc: drf_exceptions.APIException) -> str:
    codes = exc.get_codes()
    if isinstance(codes, str):
        return codes
    return "invalid"


def _drf_message(exc: drf_exceptions.APIException) -> str:
    if isinstance(exc, drf_exceptions.ValidationError):
        return gettext("The request is invalid; see details.")
    detail = exc.detail
    if isinstance(detail, list) and detail:
        return str(detail[0])
    return str(detail)


def database_unavailable_response(exc: Exception) -> dict[str, Any]:
    logger.warning("database unavailable: %s", exc.__class__.__name__, exc_info=False)
    return error_body(
        "database_unavailable", gettext("The database is unavailable right now. Please try again shortly.")
    )


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's exception handler, reshaped: one JSON body for every error, never an HTML page."""
    if isinstance(exc, drf_exceptions.Throttled):  # DRF's own throttles speak our 429 too
        exc = RateLimited(retry_after=max(1, math.ceil(exc.wait or 1)))
    if isinstance(exc, DomainError):
        headers = {}
        if isinstance(exc, TryAgainShortly):
            headers["Retry-After"] = str(exc.retry_after)
        return Response(error_body(exc.code, exc.message, exc.details), status=exc.status_code, headers=headers)
    if isinstance(exc, (OperationalError, InterfaceError)) or (
        isinstance(exc, DatabaseError) and "timeout" in str(exc).lower()
    ):
        return Response(
            database_unavailable_response(exc),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(DATABASE_RETRY_AFTER)},
        )
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    assert isinstance(exc, drf_exceptions.APIException)
    details = exc.detail if isinstance(exc, drf_exceptions.ValidationError) else None
    if details is not None and not isinstance(details, dict):
        details = {"non_field_errors": details}
    response.data = error_body(_drf_code(exc), _drf_message(exc), details)
    return response


class DatabaseUnavailableMiddleware:
    """Outside DRF views (admin, HAL routes, health): a database outage is a 503 JSON, not a trace,
    and a domain error (a refused sign-in on the admin's login form) its own JSON answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exc):
        if isinstance(exc, DomainError):  # e.g. a sign-in refused by the limits on the admin's login form
            response = JsonResponse(error_body(exc.code, exc.message, exc.details), status=exc.status_code)
            if isinstance(exc, TryAgainShortly):
                response["Retry-After"] = str(exc.retry_after)
            return response
        if isinstance(exc, (OperationalError, InterfaceError)):
            response = JsonResponse(database_unavailable_response(exc), status=503)
            response["Retry-After"] = str(DATABASE_RETRY_AFTER)
            return response
        return None


def json_404(request, exception=None):
    return JsonResponse(error_body("not_found", gettext("Not found.")), status=404)


def json_500(request):
    # Called while Django handles the exception: a database outage met outside any view (a
    # middleware loading or saving the session, say) is still a 503 the client may retry.
    exc = sys.exc_info()[1]
    if isinstance(exc, (OperationalError, InterfaceError)):
        response = JsonResponse(database_unavailable_response(exc), status=503)
        response["Retry-After"] = str(DATABASE_RETRY_AFTER)
        return response
    return JsonResponse(error_body("server_error", gettext("Something went wrong on our side.")), status=500)


def json_400(request, exception=None):
    return JsonResponse(error_body("bad_request", gettext("Bad request.")), status=400)


def json_403(request, exception=None):
    return JsonResponse(error_body("forbidden", gettext("You may not do this.")), status=403)


# The API's paths and the reference's routes: whatever they answer is JSON, unmatched URLs too.
API_PATH = re.compile(
    r"^/(?:api/|(?:product|products|reservation|reservations|reservationupdate|paid|payments|myPages)(?:/|$))"
)


class JsonNotFoundMiddleware:
    """A URL under ``/api/`` or the reference's routes that no route matches (``/api/nope/``,
    ``/api/products/abc/``) answers the JSON 404 in every mode: with ``DEBUG`` on Django would
    answer its HTML debug page instead of ``handler404``. DRF's own responses (a 404 from a view,
    JSON or the browsable API's page) pass untouched. It goes after LocaleMiddleware (the message
    is in the request's language) and before CommonMiddleware (whose missing-slash redirect wins)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 404 and not isinstance(response, Response) and API_PATH.match(request.path_info):
            return json_404(request)
        return response


def csrf_failure(request, reason=""):
    return JsonResponse(
        error_body(
            "csrf_failed",
            _("CSRF verification failed. Send the CSRF token, or use token authentication."),
            {"reason": reason} if reason else None,
        ),
        status=403,
    )
