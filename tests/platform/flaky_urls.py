"""A stand-in for the reservation route, for breaker tests: it fails, recovers or blocks on
command, and counts the calls that reach it. No database involved."""

from __future__ import annotations

import threading

from django.db import OperationalError
from django.http import JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from market.resilience import guarded_by


class Flaky:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        # "fail": 503 like a lock timeout; "raise": a database exception; "bug": any other exception;
        # "bad": a client's 400; "ok"
        self.mode = "fail"
        self.calls = 0
        self.gate: threading.Event | None = None  # when set, calls wait for it
        self.entered = threading.Event()

    def hit(self):
        with self.lock:
            self.calls += 1
        self.entered.set()
        if self.gate is not None:
            self.gate.wait(timeout=10)
        if self.mode == "raise":
            raise OperationalError("the database went away")
        if self.mode == "bug":
            raise RuntimeError("the reservation path blew up")
        if self.mode == "bad":
            return JsonResponse({"code": "invalid", "message": "no"}, status=400)
        if self.mode == "fail":
            response = JsonResponse({"code": "database_unavailable", "message": "lock timeout"}, status=503)
            response["Retry-After"] = "5"
            return response
        return JsonResponse({"ok": True}, status=201)


flaky = Flaky()


SIGNED_IN = {"HTTP_AUTHORIZATION": "Token flaky"}


class SignedIn:
    is_authenticated = True
    pk = id = 1


@csrf_exempt
@guarded_by("reservations", methods=["POST"])  # as the real reservation views declare it
def reserve(request):
    if request.headers.get("Authorization") == SIGNED_IN["HTTP_AUTHORIZATION"]:
        request.user = SignedIn()  # what DRF does once it has authenticated the caller
    return flaky.hit()


@csrf_exempt
def read(request):
    return JsonResponse({"ok": True})


urlpatterns = [
    path("flaky/reserve/", reserve, name="flaky-reserve"),
    path("flaky/read/", read, name="flaky-read"),
    path("", include("market.urls")),
]
