"""Hostile input gets a deliberate JSON answer, decided in one place before any view runs.

``RequestGuardMiddleware`` refuses, for every route (the API, the reference routes, the admin,
the probes):

- a body larger than ``MAX_REQUEST_BODY_BYTES`` (413), judged by ``Content-Length`` before anything
  reads or parses it; a malformed ``Content-Length`` is a 400;
- a ``charset`` in ``Content-Type`` that is not UTF-8, ASCII or Latin-1 (415): Django would
  otherwise decode the query string and form bodies with whatever codec the client names, and
  ``base64``, ``zlib`` or ``rot13`` are codecs too (``CharsetGuard``, around the WSGI application,
  takes such a charset away before Django builds the request);
- a NUL or other control character (tab, newline and carriage return aside) in the path, a query
  parameter, a form field or a header value (400): PostgreSQL cannot store NUL in text and
  answers ``DataError``, and no honest client sends the others.

JSON bodies are checked by ``market.parsers.StrictJSONParser`` (the only JSON parser DRF uses), by
the same rule (``forbidden_character``).

On the way out it turns every error the application produces that is not JSON (a 405 from a
``require_GET`` view, the CSRF failure page, a 400 from Django, a DRF error rendered as HTML or
YAML by the API docs or the schema view) into the project's JSON shape, keeping headers such as
``Allow`` and ``Retry-After``. The exceptions are the browsable API, which a client asks for
with ``Accept: text/html``, and the web pages under ``/shop/`` (``market.web.page_view``), whose
errors are messages on the page.
"""

from __future__ import annotations

import codecs
import re

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.http import parse_header_parameters
from django.utils.translation import gettext_lazy as _
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response as DrfResponse

from market import errors  # a module reference: market.errors imports DRF, which imports our parser

# C0 controls and DEL, except tab, newline and carriage return (multi-line text is legitimate).
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Headers may fold with tabs; the rest of the rule is the same.
_FORBIDDEN_IN_HEADER = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# Lone UTF-16 surrogates: json.loads produces them from "\ud800", and no database encoding holds them.
_SURROGATE = re.compile(r"[\ud800-\udfff]")

ALLOWED_CHARSETS = frozenset({"utf-8", "ascii", "iso8859-1"})

DEFAULT_MAX_BODY_BYTES = 256 * 1024

STATUS_CODES = {
    400: ("bad_request", _("Bad request.")),
    401: ("not_authenticated", _("Authentication credentials were not provided or are invalid.")),
    403: ("forbidden", _("You may not do this.")),
    404: ("not_found", _("Not found.")),
    405: ("method_not_allowed", _("This method is not allowed here.")),
    406: ("not_acceptable", _("Could not satisfy the request's Accept header.")),
    408: ("request_timeout", _("The request took too long to arrive.")),
    409: ("conflict", _("The resource is not in a state that allows this.")),
    410: ("gone", _("Gone.")),
    411: ("length_required", _("A Content-Length is required.")),
    413: ("request_too_large", _("The request body is too large.")),
    414: ("uri_too_long", _("The address is too long.")),
    415: ("unsupported_media_type", _("Unsupported content type or charset.")),
    429: ("rate_limited", _("Too many requests. Please slow down and try again shortly.")),
    500: ("server_error", _("Something went wrong on our side.")),
    502: ("bad_gateway", _("Bad gateway.")),
    503: ("try_again_shortly", _("We are busy right now. Please try again shortly.")),
    504: ("gateway_timeout", _("Gateway timeout.")),
}

# Kept when a non-JSON error is rewritten as JSON.
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", "X-Request-ID", "Vary")


def forbidden_character(text: str) -> bool:
    """True if ``text`` holds a character no field of ours may contain."""
    return bool(_FORBIDDEN.search(text) or _SURROGATE.search(text))


def charset_allowed(charset: str) -> bool:
    try:
        return codecs.lookup(charset).name in ALLOWED_CHARSETS
    except LookupError:
        return False


def json_error(status: int, code: str | None = None, message=None, details: dict | None = None) -> JsonResponse:
    default_code, default_message = STATUS_CODES.get(status, STATUS_CODES[500 if status >= 500 else 400])
    return JsonResponse(errors.error_body(code or default_code, message or default_message, details), status=status)


def max_body_bytes() -> int:
    return int(getattr(settings, "MAX_REQUEST_BODY_BYTES", DEFAULT_MAX_BODY_BYTES))


REFUSED_CHARSET = "market.refused_charset"


class CharsetGuard:
    """WSGI wrapper (market.wsgi): Django decodes the query string with the request's charset while
    it builds the request, before any middleware runs, so ``charset=zlib`` would fail there with
    a LookupError (a bare 500). A charset we do not accept is taken off ``Content-Type`` here and
    noted in the environ; ``RequestGuardMiddleware`` then answers 415."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        content_type = environ.get("CONTENT_TYPE", "")
        if "charset" in content_type.lower():
            main, params = parse_header_parameters(content_type)
            charset = params.get("charset")
            if charset is not None and not charset_allowed(charset):
                environ[REFUSED_CHARSET] = charset
                environ["CONTENT_TYPE"] = main
        return self.app(environ, start_response)


class RequestGuardMiddleware:
    """Place it right after the logging and metrics middleware, before anything that reads the
    request (sessions, CSRF, authentication, the circuit breaker)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refusal = self.refusal(request)
        response = refusal if refusal is not None else self.get_response(request)
        return self.as_json(response)

    # --- on the way in --------------------------------------------------------------------

    def refusal(self, request) -> JsonResponse | None:
        length = request.META.get("CONTENT_LENGTH") or "0"
        try:
            size = int(length)
        except ValueError:
            return json_error(400, "bad_content_length", _("Content-Length must be a number."))
        if size < 0:
            return json_error(400, "bad_content_length", _("Content-Length must be a number."))
        limit = max_body_bytes()
        if size > limit:
            return json_error(
                413,
                "request_too_large",
                _("The request body is too large."),
                {"limit_bytes": limit},
            )
        charset = request.META.get(REFUSED_CHARSET)
        if charset is None and request.META.get("CONTENT_TYPE"):
            charset = request.content_params.get("charset")
        if charset is not None and not charset_allowed(charset):
            return json_error(415, "unsupported_charset", _("Send the body as UTF-8."), {"charset": charset[:40]})
        if forbidden_character(request.path):
            return self.control_character("path")
        for name, value in request.META.items():
            if name.startswith("HTTP_") and isinstance(value, str) and _FORBIDDEN_IN_HEADER.search(value):
                return self.control_character(name[5:].replace("_", "-").title())
        # Content-Type and Content-Length are not HTTP_* keys in WSGI.
        if _FORBIDDEN_IN_HEADER.search(request.META.get("CONTENT_TYPE", "")):
            return self.control_character("Content-Type")
        for field, values in request.GET.lists():
            if forbidden_character(field) or any(forbidden_character(v) for v in values):
                return self.control_character(field[:100])
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            try:
                fields = list(request.POST.lists())
            except MultiPartParserError:
                return json_error(400, "parse_error", _("The form body could not be parsed."))
            for field, values in fields:
                if forbidden_character(field) or any(forbidden_character(v) for v in values):
                    return self.control_character(field[:100])
        return None

    @staticmethod
    def control_character(where: str) -> JsonResponse:
        return json_error(
            400,
            "control_character",
            _("The request contains a NUL or another control character."),
            {"field": where},
        )

    # --- on the way out -------------------------------------------------------------------

    @staticmethod
    def as_json(response: HttpResponse) -> HttpResponse:
        if (
            response.status_code < 400
            or getattr(response, "streaming", False)
            or response.get("Content-Type", "").startswith("application/json")
            # The browsable API, which the client asked for with Accept: text/html.
            or isinstance(getattr(response, "accepted_renderer", None), BrowsableAPIRenderer)
            # The web pages (market.web.page_view): people read their errors on the page.
            or getattr(response, "for_people", False)
        ):
            return response
        data = getattr(response, "data", None) if isinstance(response, DrfResponse) else None
        if isinstance(data, dict) and data.get("code") and data.get("message"):
            # Shaped by market.errors but rendered by a view that speaks only HTML or YAML (the
            # API docs, the schema): the same body, as JSON.
            shaped = json_error(response.status_code, data["code"], data["message"], data.get("details"))
        else:
            shaped = json_error(response.status_code)
        for header in _KEPT_HEADERS:
            if header in response:
                shaped[header] = response[header]
        # Django's "already logged" mark on a response (set by its CSRF view, for instance).
        if getattr(response, "_has_been_logged", False):
            shaped._has_been_logged = True  # type: ignore[attr-defined]
        return shaped
