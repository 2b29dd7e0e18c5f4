"""The one authentication backend: Django's ModelBackend behind two guards, so every way of
signing in (HTTP Basic on any API route, ``/api/auth/token/``, the admin and browsable-API login
forms) gets them at once.

- Credentials the database cannot hold (a NUL, a username longer than the column, a password
  longer than any we accept) are simply wrong: no query is made, the caller answers 401 (or its
  usual "invalid credentials"). On PostgreSQL a NUL used to raise ``DataError`` (a 500) on every
  route that accepts Basic authentication.
- Failed sign-ins are counted per username and per client address (``RATE_LIMIT_SIGNIN_USERNAME``,
  ``RATE_LIMIT_SIGNIN_IP``), over the same sliding window as the rate limits
  (``market.throttling.SlidingWindow``); past either limit a sign-in is refused with 429 and ``Retry-After``
  before the password is even checked, so guessing one account's password from many addresses is
  slowed down as much as guessing from one.
"""

from __future__ import annotations

import hashlib
import logging
import time

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from rest_framework.throttling import BaseThrottle

from market import errors
from market.throttling import SlidingWindow

logger = logging.getLogger(__name__)

MAX_USERNAME_LENGTH = 150  # auth_user.username
MAX_PASSWORD_LENGTH = 4096  # far beyond any real password; bounds the hashing work, too


def credentials_storable(username: object, password: object) -> bool:
    return (
        isinstance(username, str)
        and isinstance(password, str)
        and 0 < len(username) <= MAX_USERNAME_LENGTH
        and len(password) <= MAX_PASSWORD_LENGTH
        and "\x00" not in username
        and "\x00" not in password
        and username.isprintable()
    )


def _client_ip(request) -> str | None:
    if request is None:
        return None
    # DRF's reading of the address: honours NUM_PROXIES (X-Forwarded-For only behind trusted proxies).
    return BaseThrottle().get_ident(request) or None


def _counters(username: str, request) -> list[tuple[str, str]]:
    """(cache key prefix, rate) for the username and for the address."""
    rates = getattr(settings, "SIGNIN_FAILURE_RATES", {})
    digest = hashlib.sha256(username.strip().lower().encode("utf-8", "surrogatepass")).hexdigest()[:32]
    counters = []
    if rates.get("username"):
        counters.append((f"signin-failures:user:{digest}", rates["username"]))
    ip = _client_ip(request)
    if ip and rates.get("ip"):
        counters.append((f"signin-failures:ip:{ip}", rates["ip"]))
    return counters


def _check(counters: list[tuple[str, str]], now: float) -> None:
    windows = [SlidingWindow(prefix, rate, now) for prefix, rate in counters]
    try:  # one round trip for every bucket of every counter
        counts = cache.get_many([key for window in windows for key in window.bucket_keys()])
    except Exception:  # the cache is down: fail open, as the rate limits do
        logger.warning("sign-in limit cache unavailable", exc_info=True)
        return
    for window in windows:
        if window.count(counts) >= window.limit:  # this attempt would be one too many
            raise errors.RateLimited(
                _("Too many failed sign-in attempts. Please try again later."),
                code="rate_limited",
                retry_after=window.retry_after(counts, allowed=window.limit - 1),
                scope="signin",
            )


def _count_failure(counters: list[tuple[str, str]], now: float) -> None:
    for prefix, rate in counters:
        try:
            SlidingWindow(prefix, rate, now).hit(cache)
        except Exception:
            logger.warning("sign-in limit cache unavailable", exc_info=True)


class GuardedModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(self._username_field())
        if username is None and password is None:
            return None  # not a password sign-in: another backend's business
        if not credentials_storable(username, password):
            return None
        counters = _counters(username, request) if getattr(settings, "RATE_LIMITS_ENABLED", True) else []
        now = time.time()
        _check(counters, now)
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            _count_failure(counters, now)
        return user

    @staticmethod
    def _username_field() -> str:
        from django.contrib.auth import get_user_model

        return get_user_model().USERNAME_FIELD
