"""Fixtures every context's tests use: users, API and web clients, products and reservations built
through the domain's own services, the scenario helper. Plain helpers live in ``tests/support``."""

from __future__ import annotations

import itertools

import pytest
from django.test import Client
from rest_framework.test import APIClient

from market import bus, resilience
from market.testing import Scenario
from payment.models import Payment
from product.models import Product
from product.services import product_register
from reservation.models import Reservation
from reservation.services import reservation_place
from tests.support.market import Market
from tests.support.pages import compile_stale_catalogues
from tests.support.readside import Story, Trade

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


# --- a small market, built through the services ------------------------------------------------


@pytest.fixture
def make_product(db):
    def make(seller, *, name: str = "Desk", price: int = 1000, description: str = "") -> Product:
        return product_register(seller=seller, name=name, price=price, description=description)

    return make


@pytest.fixture
def reserve(db, drain):
    """Reserve a product and let the payment module catch up (its subscriber runs after commit)."""

    def make(buyer, product: Product) -> tuple[Reservation, Payment]:
        reservation = reservation_place(buyer=buyer, product_id=product.pk)
        drain()
        return reservation, Payment.objects.get(reservation_id=reservation.pk)

    return make


@pytest.fixture
def market(seller, buyer, make_product, reserve) -> Market:
    available = make_product(seller, name="Noodle", price=3000)
    held = make_product(seller, name="Desk", price=50000)
    reservation, payment = reserve(buyer, held)
    return Market(available=available, held=held, reservation=reservation, payment=payment)


@pytest.fixture
def actors(seller, buyer, other_buyer, staff):
    return {"anonymous": None, "buyer": buyer, "other_buyer": other_buyer, "seller": seller, "staff": staff}


@pytest.fixture
def noodle(seller):
    return product_register(seller=seller, name="Noodle", price=3000, description="instant")


@pytest.fixture
def reserved(noodle, buyer, drain):
    """A reservation of the noodle whose payment has been requested."""
    reservation = reservation_place(buyer=buyer, product_id=noodle.pk)
    drain()
    return reservation


# --- the web pages under /shop/ -------------------------------------------------------------------


@pytest.fixture(scope="session")
def compiled_catalogues():
    """The pages speak Korean from the compiled catalogues (``<app>/locale``)."""
    return compile_stale_catalogues()


@pytest.fixture
def web(compiled_catalogues):
    """``web(user)``: a browser-like client (CSRF checked), signed in as ``user`` (None: anonymous)."""

    def make(user=None) -> Client:
        client = Client(enforce_csrf_checks=True)
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def lamp(seller):
    return product_register(seller=seller, name="Desk lamp", price=12000, description="Warm light.")


# --- the read side: events as the other contexts publish them, or their real commands -----------


@pytest.fixture
def story(seller, buyer):
    def make(**kwargs) -> Story:
        kwargs.setdefault("buyer_id", buyer.pk)
        kwargs.setdefault("seller_id", seller.pk)
        return Story(**kwargs)

    return make


@pytest.fixture
def trade(db) -> Trade:
    """The other contexts' real commands (``trade.reserve(buyer, product_id)``), each drained."""
    return Trade()
