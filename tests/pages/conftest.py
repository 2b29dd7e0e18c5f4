"""The pages speak Korean from the compiled catalogues (``<app>/locale``); ``web`` is a browser-like client."""

import pytest
from django.test import Client

from tests.pages.support import compiled_messages  # noqa: F401 (a fixture, used by name)


@pytest.fixture
def web():
    """``web(user)``: a browser-like client (CSRF checked), signed in as ``user`` (None: anonymous)."""

    def make(user=None) -> Client:
        client = Client(enforce_csrf_checks=True)
        if user is not None:
            client.force_login(user)
        return client

    return make
