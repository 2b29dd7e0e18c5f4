"""Rate limits on the write commands, per user and per client IP.

A view opts in with ``throttle_scope = "reserve"`` (or "pay", "cancel", "register", "token"); only
unsafe methods (POST, PUT, PATCH, DELETE) are counted. Each request is counted twice: against the
user (when authenticated) and against the client IP, so one account cannot hammer from many
addresses and one address cannot hammer with many accounts.

Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (``"30/min"``); a separate IP rate
may be set as ``"<scope>_ip"`` (default: the scope's rate). Counters live in Django's cache:
Redis (shared by every process) when ``REDIS_URL`` is set, per process otherwise. The counter is a
sliding window of short buckets (``SlidingWindow``): each bucket an atomic ``INCR``, so it holds
across processes, and a request counts for (nearly) one full period wherever the clock's minutes fall (a
fixed window forgot everything at its boundary and let a burst straddling two windows through at
twice the rate). A cache outage lets requests through (fail open) rather than taking the API down.

Over the limit: 429 ``{"code": "rate_limited", ...}`` with ``Retry-After`` (seconds until enough of
the window's oldest requests have left it).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping

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


class SlidingWindow:
    """One rate (``"30/min"``) for one counter (``key``), over the last ``BUCKETS`` buckets, the
    current one included: a hit counts for the period less at most one bucket (14 to 15 minutes of
    a 15-minute period), and Retry-After never exceeds the period."""

    BUCKETS = 15

    def __init__(self, key: str, rate: str, now: float) -> None:
        self.limit, period = parse_rate(rate)
        self.size = max(1.0, period / self.BUCKETS)
        self.current = math.floor(now / self.size)
        self.key = key
        self.now = now

    @property
    def current_key(self) -> str:
        return f"{self.key}:{self.current}"

    def bucket_keys(self) -> list[str]:
        """The buckets a hit still counts in, oldest first."""
        return [f"{self.key}:{bucket}" for bucket in range(self.current - self.BUCKETS + 1, self.current + 1)]

    def count(self, counts: Mapping[str, int]) -> int:
        return sum(counts.get(key) or 0 for key in self.bucket_keys())

    def retry_after(self, counts: Mapping[str, int], allowed: int) -> int:
        """Seconds until at most ``allowed`` hits are left in the window, if no more come: until
        enough of the oldest buckets have left it (bucket i, oldest first, leaves when bucket
        current + 1 + i begins)."""
        per_bucket = [counts.get(key) or 0 for key in self.bucket_keys()]
        total, shed = sum(per_bucket), 0
        while total > allowed:
            total -= per_bucket[shed]
            shed += 1
        return max(1, math.ceil((self.current + shed) * self.size - self.now))

    def hit(self, cache_) -> int | None:
        """Count one hit in the current bucket (atomic ``INCR``); the new bucket's count, or None when
        the cache swallowed an outage (django-redis with ``IGNORE_EXCEPTIONS``)."""
        timeout = math.ceil(self.size * (self.BUCKETS + 1))  # until no window counts it
        cache_.add(self.current_key, 0, timeout=timeout)
        try:
            return cache_.incr(self.current_key)
        except ValueError:  # expired between add and incr
            cache_.add(self.current_key, 1, timeout=timeout)
            return 1


class WriteCommandThrottle(BaseThrottle):
    """DRF throttle: per-user and per-IP sliding-window limits by ``throttle_scope``."""

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
        window = SlidingWindow(f"throttle:{scope}:{who}", f"{limit}/{period}s", now)
        try:
            if window.hit(self.cache) is None:  # django-redis with IGNORE_EXCEPTIONS swallowed an outage
                return None
            counts = self.cache.get_many(window.bucket_keys())
        except Exception:  # the cache is down: fail open, say so once per request
            logger.warning("rate limit cache unavailable; letting %s through", scope, exc_info=True)
            return None
        if window.count(counts) > limit:
            return window.retry_after(counts, allowed=limit)
        return None

    def wait(self) -> float | None:  # DRF API; we raise RateLimited ourselves with the wait
        return None
