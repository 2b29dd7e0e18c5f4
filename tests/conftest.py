"""Fixtures every context's tests use: users, API clients, the scenario helper."""

from __future__ import annotations

import itertools

import pytest
from rest_framework.test import APIClient

from market import bus, resilience
from market.testing import Scenario

_names = itertools.count(1)


@pytest.fixture(autouse=True)
def fresh_process_state():
    """Per-process state never leaks between tests: closed breakers, no rate-limit counter spent."""
    from django.core.cache import cache

    cache.clear()
    resilience.configure()
    yield
    cache.clear()
    resilience.configure()


@pytest.fixture(autouse=True)
def english_unless_asked(settings):
    """Production speaks Korean unless the client asks otherwise; most tests assert the English
    source messages, so they run with English as the default. Tests of the Korean default use the
    ``korean_default`` fixture (or send ``Accept-Language: ko``)."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def korean_default(settings):
    """The production default language (``market.settings.LANGUAGE_CODE``), for tests that check it."""
    from market import settings as production

    settings.LANGUAGE_CODE = production.LANGUAGE_CODE
    return production.LANGUAGE_CODE


@pytest.fixture
def make_user(db):
    """Register a user the way the API does (profile, UserRegistered event)."""
    from market.accounts.services import user_register

    def make(username: str | None = None, *, phone: str = "", is_staff: bool = False, password: str = "s3cret-pass"):
        return user_register(
            username=username or f"user{next(_names)}", password=password, phone=phone, is_staff=is_staff
        )

    return make


@pytest.fixture
def seller(make_user):
    return make_user("seller", phone="01011112222")


@pytest.fixture
def buyer(make_user):
    return make_user("buyer", phone="01033334444")


@pytest.fixture
def other_buyer(make_user):
    return make_user("other")


@pytest.fixture
def staff(make_user):
    user = make_user("staff", is_staff=True)
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    return user


@pytest.fixture
def client_for():
    """``client_for(user)``: an APIClient authenticated as ``user`` (None: anonymous)."""

    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def anon(client_for):
    return client_for(None)


@pytest.fixture
def scenario(db) -> Scenario:
    return Scenario()


@pytest.fixture
def drain(db):
    """Run every due delivery now, as the worker would (tests run inside a transaction, so the
    inline after-commit dispatch does not fire there)."""
    return bus.drain
