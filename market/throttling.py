"""Rate limits on the write commands, per user and per client IP.

A view opts in with ``throttle_scope = "reserve"`` (or "pay", "cancel", "register", "token"); only
unsafe methods (POST, PUT, PATCH, DELETE) are counted. Each request is counted twice: against the
user (when authenticated) and against the client IP, so one account cannot hammer from many
addresses and one address cannot hammer with many accounts.

Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (``"30/min"``); a separate IP rate
may be set as ``"<scope>_ip"`` (default: the scope's rate). Counters live in Django's cache:
Redis (shared by every process) when ``REDIS_URL`` is set, per process otherwise. The counter is a
fixed window (``INCR`` on ``throttle:<scope>:<who>:<window>``): atomic across processes, one round
trip, at worst twice the rate in a burst straddling two windows. A cache outage lets requests
through (fail open) rather than taking the API down.

Over the limit: 429 ``{"code": "rate_limited", ...}`` with ``Retry-After`` (seconds to the end of
the window).
"""

from __future__ import annotations

import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from market import errors  # a module reference: market.errors imports DRF, which imports us

logger = logging.getLogger(__name__)

_PERIODS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "30/min" → (30, 60). Also "5/s", "100/hour", "1000/day", "10/5m" (ten per five minutes)."""
    count, _, period = rate.strip().partition("/")
    period = period.strip().lower()
    digits = "".join(ch for ch in period if ch.isdigit())
    unit = period[len(digits) :] or "s"
    if unit not in _PERIODS and unit.rstrip("s") not in _PERIODS:
        raise ValueError(f"bad rate {rate!r}: use e.g. '30/min'")
    seconds = _PERIODS.get(unit) or _PERIODS[unit.rstrip("s")]
    return int(count), seconds * (int(digits) if digits else 1)


class WriteCommandThrottle(BaseThrottle):
    """DRF throttle: per-user and per-IP fixed-window limits by ``throttle_scope``."""

    cache = cache

    def allow_request(self, request, view) -> bool:
        scope = getattr(view, "throttle_scope", None)
        if not scope or request.method in SAFE_METHODS or not getattr(settings, "RATE_LIMITS_ENABLED", True):
            return True
        rates = api_settings.DEFAULT_THROTTLE_RATES or {}
        rate = rates.get(scope)
        if not rate:
            return True
        ip_rate = rates.get(f"{scope}_ip") or rate
        now = time.time()
        checks = []
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            checks.append((f"user:{user.pk}", rate))
        checks.append((f"ip:{self.get_ident(request)}", ip_rate))
        for who, rate_text in checks:
            limit, period = parse_rate(rate_text)
            wait = self._hit(scope, who, limit, period, now)
            if wait is not None:
                raise errors.RateLimited(retry_after=wait, scope=scope, limit=rate_text)
        return True

    def _hit(self, scope: str, who: str, limit: int, period: int, now: float) -> int | None:
        """Count one request; seconds to wait if over the limit, else None."""
        window = math.floor(now / period)
        key = f"throttle:{scope}:{who}:{window}"
        try:
            self.cache.add(key, 0, timeout=period + 1)
            try:
                count = self.cache.incr(key)
            except ValueError:  # expired between add and incr
                self.cache.add(key, 1, timeout=period + 1)
                count = 1
        except Exception:  # the cache is down: fail open, say so once per request
            logger.warning("rate limit cache unavailable; letting %s through", scope, exc_info=True)
            return None
        if count is None:  # django-redis with IGNORE_EXCEPTIONS swallowed an outage
            return None
        if count > limit:
            return max(1, math.ceil((window + 1) * period - now))
        return None

    def wait(self) -> float | None:  # DRF API; we raise RateLimited ourselves with the wait
        return None
