"""Shared by the page tests (client and browser)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

APPS = ("market", "product", "reservation", "payment", "notice", "mypage")


def compile_stale_catalogues() -> list[str]:
    """Compile the Korean catalogues when a .po is newer than its .mo (or it has none): the .mo
    files are build output, so a fresh checkout has none until they are compiled."""
    stale = []
    for app in APPS:
        po = Path(settings.BASE_DIR) / app / "locale" / "ko" / "LC_MESSAGES" / "django.po"
        mo = po.with_suffix(".mo")
        if po.exists() and (not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime):
            stale.append(app)
    if stale:
        call_command("compilemessages", locale=["ko"], verbosity=0)
    return stale


@pytest.fixture(scope="session", autouse=True)
def compiled_messages():
    """For the browser tests, which import it (the client tests get it through ``web``)."""
    return compile_stale_catalogues()


def csrf_post(client: Client, url: str, data: dict | None = None, **extra):
    """POST as the page's form would: with the CSRF token the page set."""
    client.get("/shop/")
    token = client.cookies["csrftoken"].value
    return client.post(url, {**(data or {}), "csrfmiddlewaretoken": token}, **extra)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []
