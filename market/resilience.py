"""Overload protection: a circuit breaker with a fallback around the reservation path.

A view asks for a breaker by name (``@guarded_by("reservations")`` on its handler, e.g. ``post``);
this module knows no route. ``settings.CIRCUIT_BREAKERS`` tunes each named breaker.

When reserving keeps failing (lock or statement timeouts on PostgreSQL turn into 503s, the database
is down, a bug raises), the breaker *opens*: reservations are answered at once with 503
``{"code": "try_again_shortly", ...}`` and ``Retry-After``, without authentication or any database
work, so the database gets room to recover. After a cool-down *one* trial request goes through
(half-open); its result closes the breaker or opens it for another cool-down. Everything else
(reads, payments) never passes through it.

States::

    closed ──(failure rate ≥ threshold over ≥ minimum calls in the window)──▶ open
    open ──(cool-down elapsed: the next request is the trial)──▶ half-open
    half-open ──(trial succeeds)──▶ closed      half-open ──(trial fails)──▶ open

Why not pybreaker: it runs every call through one breaker under one lock. Here the closed state
costs an attribute read on the way in and a few increments under a short lock on the way out; no
lock is ever held while a request runs.

What counts: only what the breaker protects, and only for a caller who signed in. A failure is a
503/504 (the "busy" of a lock or statement timeout, the database unavailable) or a database
exception; a success is a 2xx or a 409 Conflict ("already reserved": the database answered).
Nothing else moves it: not a client's bad request or any other 4xx, not an authentication
failure, not a bug's 500 (that is not the database struggling), and nothing an anonymous or
unauthenticated request does. Requests without credentials do not even take a permit (they are
answered 401 without a query, whatever the breaker's state), and a trial that ends uncounted
hands the trial to the next request instead of holding the breaker half-open.

State is per process (each gunicorn worker decides alone, which is what a breaker protecting its
own process's connections wants); ``GET /ops/breakers`` and the ``market_circuit_breaker_state``
metric show it per process.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.signals import setting_changed
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext

from market import observability
from market.errors import error_body

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"
STATE_VALUES = {CLOSED: 0, OPEN: 1, HALF_OPEN: 2}

Clock = Callable[[], float]


@dataclass(frozen=True)
class Permit:
    """Handed to a call the breaker lets through; give it back with ``record``."""

    generation: int
    trial: bool


class CircuitBreaker:
    """A rolling-window, failure-rate circuit breaker, safe to share between threads.

    ``window_seconds`` is split into ``buckets`` time slots; each holds (calls, failures) for its
    slot, so old outcomes fall out of the window without being stored one by one.
    """

    def __init__(
        self,
        name: str,
        *,
        failure_rate: float = 0.5,
        minimum_calls: int = 10,
        window_seconds: float = 10.0,
        buckets: int = 10,
        cooldown_seconds: float = 5.0,
        trial_timeout_seconds: float = 30.0,
        clock: Clock = time.monotonic,
    ) -> None:
        if not 0 < failure_rate <= 1:
            raise ValueError("failure_rate must be in (0, 1]")
        self.name = name
        self.failure_rate = failure_rate
        self.minimum_calls = max(1, int(minimum_calls))
        self.window_seconds = float(window_seconds)
        self.bucket_count = max(1, int(buckets))
        self.bucket_seconds = self.window_seconds / self.bucket_count
        self.cooldown_seconds = float(cooldown_seconds)
        self.trial_timeout_seconds = float(trial_timeout_seconds)
        self.clock = clock
        self._lock = threading.Lock()
        # Per slot: [slot index in time, calls, failures]. Only touched under the lock.
        self._buckets: list[list[int]] = [[-1, 0, 0] for _ in range(self.bucket_count)]
        # Read without the lock on the hot path: a str attribute read is atomic in CPython, and a
        # stale read costs at most one call let through or refused at the moment of a transition.
        self._state = CLOSED
        self._generation = 0  # bumped on every transition; outcomes of older calls are ignored
        self._opened_at = 0.0
        self._trial_started_at: float | None = None
        self.rejected = 0

    # --- the two calls a caller makes ------------------------------------------------------

    def acquire(self) -> Permit | None:
        """A permit to run the call, or None: refuse it now (see ``retry_after``)."""
        state = self._state
        if state == CLOSED:
            return Permit(self._generation, trial=False)
        now = self.clock()
        with self._lock:
            if self._state == CLOSED:
                return Permit(self._generation, trial=False)
            if self._state == OPEN and now - self._opened_at >= self.cooldown_seconds:
                self._transition(HALF_OPEN)
                self._trial_started_at = now
                return Permit(self._generation, trial=True)
            if self._state == HALF_OPEN and (
                self._trial_started_at is None or now - self._trial_started_at >= self.trial_timeout_seconds
            ):
                # The trial ended without a verdict (released), or never reported back (its thread
                # died): let another one try.
                self._generation += 1
                self._trial_started_at = now
                return Permit(self._generation, trial=True)
            self.rejected += 1
            return None

    def record(self, permit: Permit, *, failure: bool) -> None:
        """Report how a permitted call ended."""
        now = self.clock()
        with self._lock:
            if permit.generation != self._generation:
                return  # it started before the last transition; the new state was decided without it
            if permit.trial:
                self._trial_started_at = None
                if failure:
                    self._open(now)
                else:
                    self._reset_window()
                    self._transition(CLOSED)
                return
            if self._state != CLOSED:
                return
            calls, failures = self._add(now, failure)
            if failure and calls >= self.minimum_calls and failures >= self.failure_rate * calls:
                self._open(now)

    def release(self, permit: Permit) -> None:
        """The permitted call ended without saying anything about what the breaker protects."""
        if not permit.trial:
            return
        with self._lock:
            if permit.generation == self._generation and self._state == HALF_OPEN:
                self._trial_started_at = None

    # --- what operators see ----------------------------------------------------------------

    @property
    def state(self) -> str:
        return self._state

    def retry_after(self) -> int:
        """Whole seconds a refused client should wait (at least 1)."""
        if self._state == OPEN:
            remaining = self.cooldown_seconds - (self.clock() - self._opened_at)
            return max(1, math.ceil(remaining))
        return 1  # half-open: the trial is deciding right now

    def snapshot(self) -> dict:
        with self._lock:
            calls, failures = self._totals(self.clock())
            return {
                "name": self.name,
                "state": self._state,
                "calls_in_window": calls,
                "failures_in_window": failures,
                "failure_rate_threshold": self.failure_rate,
                "minimum_calls": self.minimum_calls,
                "window_seconds": self.window_seconds,
                "cooldown_seconds": self.cooldown_seconds,
                "retry_after": self.retry_after() if self._state != CLOSED else 0,
                "rejected_total": self.rejected,
            }

    def force_open(self) -> None:
        """Operators and tests: shed now (a cool-down starts)."""
        with self._lock:
            self._open(self.clock())

    def reset(self) -> None:
        with self._lock:
            self._reset_window()
            self._trial_started_at = None
            self._transition(CLOSED)

    # --- inside the lock -------------------------------------------------------------------

    def _slot(self, now: float) -> int:
        return math.floor(now / self.bucket_seconds)

    def _add(self, now: float, failure: bool) -> tuple[int, int]:
        index = self._slot(now)
        bucket = self._buckets[index % self.bucket_count]
        if bucket[0] != index:
            bucket[0], bucket[1], bucket[2] = index, 0, 0
        bucket[1] += 1
        bucket[2] += int(failure)
        return self._totals(now)

    def _totals(self, now: float) -> tuple[int, int]:
        oldest = self._slot(now) - self.bucket_count
        calls = failures = 0
        for index, c, f in self._buckets:
            if index > oldest:
                calls += c
                failures += f
        return calls, failures

    def _reset_window(self) -> None:
        for bucket in self._buckets:
            bucket[0], bucket[1], bucket[2] = -1, 0, 0

    def _open(self, now: float) -> None:
        self._opened_at = now
        self._reset_window()
        self._transition(OPEN)

    def _transition(self, state: str) -> None:
        self._generation += 1
        changed = state != self._state
        self._state = state
        if changed:
            observability.emit("breaker_state", breaker=self.name, state=state)


# --- the breakers of this process, built from settings ----------------------------------------

DEFAULT_BREAKERS: dict[str, dict] = {"reservations": {}}

_registry_lock = threading.Lock()
_breakers: dict[str, CircuitBreaker] | None = None
_clock: Clock = time.monotonic


def configure(*, clock: Clock | None = None) -> dict[str, CircuitBreaker]:
    """(Re)build the breakers from ``settings.CIRCUIT_BREAKERS``. Tests pass a fake clock."""
    global _breakers, _clock
    with _registry_lock:
        if clock is not None:
            _clock = clock
        config = getattr(settings, "CIRCUIT_BREAKERS", DEFAULT_BREAKERS)
        breakers = {name: CircuitBreaker(name, clock=_clock, **options) for name, options in config.items()}
        _breakers = breakers
    for breaker in breakers.values():
        observability.emit("breaker_state", breaker=breaker.name, state=breaker.state)
    return breakers


def breakers() -> dict[str, CircuitBreaker]:
    if _breakers is None:
        return configure()
    return _breakers


# --- which views a breaker guards: declared by the views ---------------------------------------

BREAKER_ATTRIBUTE = "circuit_breaker"


def guarded_by(name: str, *, methods: Iterable[str] | None = None) -> Callable:
    """Put the view under the breaker ``name``: on a view class's handler (``def post``) that
    method; on a function view the HTTP ``methods`` given (all when None). A name that
    ``settings.CIRCUIT_BREAKERS`` does not configure (breakers switched off) guards nothing.
    Only marks the view; ``CircuitBreakerMiddleware`` does the guarding."""
    allowed = frozenset(method.upper() for method in methods) if methods is not None else None

    def mark(view: Callable) -> Callable:
        setattr(view, BREAKER_ATTRIBUTE, (name, allowed))
        return view

    return mark


def breaker_for(view_func: Callable, method: str) -> CircuitBreaker | None:
    """The breaker that ``view_func`` (as resolved from the URL) declares for ``method``, if any."""
    view_class = getattr(view_func, "view_class", None)  # set by as_view(), Django's and DRF's
    if view_class is not None:
        view_func = getattr(view_class, method.lower(), None)
    declared = getattr(view_func, BREAKER_ATTRIBUTE, None)
    if declared is None:
        return None
    name, allowed = declared
    if allowed is not None and method not in allowed:
        return None
    return breakers().get(name)


def _settings_changed(*, setting: str, **kwargs) -> None:
    if setting == "CIRCUIT_BREAKERS":
        configure()


setting_changed.connect(_settings_changed)


def shed_response(breaker: CircuitBreaker) -> JsonResponse:
    retry_after = breaker.retry_after()
    response = JsonResponse(
        error_body(
            "try_again_shortly",
            gettext("Reservations are very busy right now. Please try again in a few seconds."),
            {"retry_after": retry_after, "breaker": breaker.name},
        ),
        status=503,
    )
    response["Retry-After"] = str(retry_after)
    return response


class CircuitBreakerMiddleware:
    """Guards the views that declare a breaker (``guarded_by``). It decides in ``process_view``,
    once the URL names the view and before any view runs: the session and the user are still lazy
    there, so a shed request costs no database round trip. Put it before the CSRF middleware, whose
    ``process_view`` would otherwise run first."""

    PERMIT = "_circuit_breaker_permit"

    def __init__(self, get_response):
        self.get_response = get_response
        breakers()

    def __call__(self, request):
        try:
            response = self.get_response(request)
        except BaseException as exc:
            if (guarded := request.__dict__.pop(self.PERMIT, None)) is not None:
                signed_in = _signed_in(request)
                _report(*guarded, FAILURE if isinstance(exc, OperationalError | InterfaceError) and signed_in else None)
            raise
        if (guarded := request.__dict__.pop(self.PERMIT, None)) is not None:
            _report(*guarded, outcome_of(request, response.status_code))
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        breaker = breaker_for(view_func, request.method)
        if breaker is None or not _has_credentials(request):
            return None
        permit = breaker.acquire()
        if permit is None:
            response = shed_response(breaker)
            observability.emit("breaker_rejected", breaker=breaker.name)
            return response
        request.__dict__[self.PERMIT] = (breaker, permit)
        return None


SUCCESS, FAILURE = "success", "failure"


def outcome_of(request, status_code: int) -> str | None:
    """SUCCESS, FAILURE, or None (not the breaker's business)."""
    if not _signed_in(request):
        return None
    if status_code in (503, 504):
        return FAILURE
    if 200 <= status_code < 300 or status_code == 409:
        return SUCCESS
    return None


def _report(breaker: CircuitBreaker, permit: Permit, verdict: str | None) -> None:
    if verdict is None:
        breaker.release(permit)
    else:
        breaker.record(permit, failure=verdict == FAILURE)


def _has_credentials(request) -> bool:
    return "HTTP_AUTHORIZATION" in request.META or settings.SESSION_COOKIE_NAME in request.COOKIES


def _signed_in(request) -> bool:
    """Did authentication (DRF's, run by the view) accept the caller? DRF puts the user it
    authenticated on the Django request; until then ``request.user`` is the lazy object of
    AuthenticationMiddleware, which is not evaluated here (that could be a query)."""
    user = request.__dict__.get("user")
    if user is None or type(user) is SimpleLazyObject:
        return False
    return bool(user.is_authenticated)
