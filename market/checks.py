"""System checks of our own settings, run by ``manage.py check`` (``--deploy`` for production)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def operator_endpoints_need_a_token(app_configs, **kwargs):
    if getattr(settings, "METRICS_TOKEN", ""):
        return []
    return [
        Warning(
            "METRICS_TOKEN is not set: /metrics and /ops/* answer 403 to everyone in production.",
            hint="Set METRICS_TOKEN and give Prometheus the same bearer token.",
            id="market.W001",
        )
    ]
