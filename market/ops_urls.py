"""Operator routes: Prometheus metrics, circuit breakers, the event bus backlog.

All of them answer only an operator: ``Authorization: Bearer <METRICS_TOKEN>`` when the token is
set, else loopback clients (or anyone with DEBUG on). See market.metrics.operator_allowed.
"""

from __future__ import annotations

import os
from dataclasses import asdict

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from market import bus, metrics, resilience


@csrf_exempt  # read-only: another method gets a 405, not the CSRF page
@require_GET
def breakers_view(request):
    """The circuit breakers of the process that answers (state is per process)."""
    if not metrics.operator_allowed(request):
        return metrics.operator_denied()
    return JsonResponse(
        {
            "pid": os.getpid(),
            "breakers": [breaker.snapshot() for breaker in resilience.breakers().values()],
        }
    )


@csrf_exempt
@require_GET
def backlog_view(request):
    """What ``manage.py events backlog`` prints, as JSON."""
    if not metrics.operator_allowed(request):
        return metrics.operator_denied()
    return JsonResponse({"subscribers": [asdict(row) for row in bus.backlog()]})


urlpatterns = [
    path("metrics", csrf_exempt(require_GET(metrics.metrics_view)), name="metrics"),
    path("ops/breakers", breakers_view, name="ops-breakers"),
    path("ops/backlog", backlog_view, name="ops-backlog"),
]
