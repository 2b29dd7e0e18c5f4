"""Whole responses of a public list, kept for anonymous readers for a few seconds: the conventional
way to make a busy read cheap (Django's cache framework; Redis when ``REDIS_URL`` is set).

A view opts in per method::

    @anonymous_response_cache("catalogue", seconds="CATALOGUE_CACHE_SECONDS", query=LIST_QUERY)
    def get(self, request): ...

and whatever changes what the list shows calls ``invalidate("catalogue")``.

What makes a copy safe to share:

- Only anonymous readers are served from the cache or fill it (the view's authentication has run:
  a signed-in user, a token or a session, is never given an anonymous copy, nor the reverse), only
  JSON (the browsable API's page carries per-visitor tokens), and only 200s: an error is never kept.
- The key is what the response depends on: the site (scheme, host, path), the active language, the
  negotiated media type (``application/json; indent=4`` renders differently), and the query
  normalised by ``canonical_query``: the view's own parameters only, each once, defaults and empty
  values left out, in one order. So parameter order, ``?page=1`` or a parameter the view does not
  read (``?utm_source=``) never makes a second copy; the paginator's links are built from the same
  canonical query (``canonical_url``), so a copy never repeats another reader's extra parameters.
- Each response says ``Vary: Accept, Accept-Language, Authorization, Cookie`` so that caches
  between us and the client key it the same way.
- A copy lives ``seconds`` at most (0 turns the cache off). ``invalidate`` moves the namespace to a
  new version, so a change is seen at once wherever the cache is shared (Redis, or one process);
  the lifetime bounds what a reader can miss otherwise (per-process caches, a race with a commit).
- The cache is an optimisation only: when it is down the view answers as if there were none.

Django's ``cache_page`` keys on the full URL and the raw headers named in ``Vary``; that would keep a
copy per parameter order and per junk parameter, and it cannot tell an anonymous reader from a signed-in
one before DRF authenticates, hence this small decorator around the DRF method.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseBase
from django.utils import translation
from django.utils.cache import patch_vary_headers
from rest_framework.request import Request

logger = logging.getLogger(__name__)

VARY = ("Accept", "Accept-Language", "Authorization", "Cookie")


def canonical_query(request: Request, names: Iterable[str], defaults: Mapping[str, str] | None = None) -> str:
    """The query string of ``request`` as the view reads it: only ``names``, each with its last value
    (as ``QueryDict.get`` reads it), none empty or equal to its default, sorted by name."""
    defaults = defaults or {}
    params = request.query_params
    kept = []
    for name in sorted(set(names)):
        value = params.get(name)
        if value and value != defaults.get(name):
            kept.append((name, value))
    return urlencode(kept)


def canonical_url(request: Request, names: Iterable[str], defaults: Mapping[str, str] | None = None) -> str:
    """The absolute URL of ``request`` with its ``canonical_query``."""
    query = canonical_query(request, names, defaults)
    return request.build_absolute_uri(request.path) + (f"?{query}" if query else "")


def _version_key(namespace: str) -> str:
    return f"response-cache:{namespace}:version"


def invalidate(namespace: str) -> None:
    """Every cached copy of ``namespace`` is stale from now on (a new version; old copies expire)."""
    key = _version_key(namespace)
    try:
        try:
            cache.incr(key)
        except ValueError:  # no version yet (or it was evicted): any new one will do
            cache.set(key, 1, timeout=None)
    except Exception:  # a cache that is down keeps no copies to invalidate
        logger.warning("response cache unavailable: %s not invalidated", namespace, exc_info=True)


def _key(request: Request, namespace: str, query: str) -> str:
    version = cache.get(_version_key(namespace), 0)
    parts = (
        request.build_absolute_uri(request.path),
        translation.get_language() or "",
        request.accepted_media_type or "",
        query,
    )
    digest = hashlib.blake2b("\n".join(parts).encode(), digest_size=16).hexdigest()
    return f"response-cache:{namespace}:{version}:{digest}"


def _cacheable(request: Request) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and not request.user.is_authenticated
        and request.auth is None
        and getattr(request.accepted_renderer, "format", None) == "json"
    )


def anonymous_response_cache(
    namespace: str, *, seconds: str, query: Iterable[str], defaults: Mapping[str, str] | None = None
) -> Callable:
    """Decorate a DRF view method: cache its anonymous JSON 200s for ``settings.<seconds>`` seconds
    under ``namespace``, keyed by the ``canonical_query`` of the parameters ``query`` names."""
    names = tuple(query)

    def decorator(method: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @functools.wraps(method)
        def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> HttpResponseBase:
            timeout = getattr(settings, seconds)
            key = None
            if timeout > 0 and _cacheable(request):
                try:
                    key = _key(request, namespace, canonical_query(request, names, defaults))
                    cached = cache.get(key)
                except Exception:
                    logger.warning("response cache unavailable: answering uncached", exc_info=True)
                    key = cached = None
                if cached is not None:
                    return cached
            response = method(view, request, *args, **kwargs)
            patch_vary_headers(response, VARY)
            if key is not None and response.status_code == 200:
                response.add_post_render_callback(functools.partial(_store, key, timeout=timeout))
            return response

        return wrapper

    return decorator


def _store(key: str, response: HttpResponseBase, *, timeout: float) -> None:
    # The rendered bytes and headers only: the serializer's data need not travel through the cache.
    copy = HttpResponse(response.content, status=response.status_code, headers=dict(response.items()))
    try:
        cache.set(key, copy, timeout)
    except Exception:
        logger.warning("response cache unavailable: response not kept", exc_info=True)
