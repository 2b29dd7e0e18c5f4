"""Liveness and readiness for load balancers and Kubernetes probes."""

from __future__ import annotations

import logging

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.utils import DatabaseError
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


# Probes are read-only: exempt from CSRF so that any other method gets a plain 405 (as JSON, from
# market.request_guard) instead of the CSRF page.
@csrf_exempt
@require_safe
def healthz(request):
    """Liveness: the process answers. Touches no database, so a DB outage never restarts pods."""
    return JsonResponse({"status": "ok"})


_migrations_checked = False


@csrf_exempt
@require_safe
def readyz(request):
    """Readiness: the database answers and every migration is applied."""
    global _migrations_checked
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        if not _migrations_checked:
            executor = MigrationExecutor(connection)
            if executor.migration_plan(executor.loader.graph.leaf_nodes()):
                return _not_ready("migrations_pending", "Database migrations are not applied.")
            _migrations_checked = True  # once applied, they stay applied for this process
    except DatabaseError:
        return _not_ready("database_unavailable", "The database is unavailable.")
    return JsonResponse({"status": "ready"})


def _not_ready(code: str, message: str) -> JsonResponse:
    # Not ready is an expected state (rollout, migration, DB outage), worth a WARNING, not the
    # ERROR django.request gives every 5xx: mark the response as logged so it stays quiet.
    logger.warning("not ready: %s", code, extra={"code": code})
    response = JsonResponse({"status": "not_ready", "code": code, "message": message}, status=503)
    response["Retry-After"] = "5"
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response
