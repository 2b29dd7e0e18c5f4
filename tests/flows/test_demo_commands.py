"""The demo commands: idempotent accounts and sample products."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.authtoken.models import Token

from market.accounts.models import Profile
from market.models import Delivery, EventRecord
from product.models import Product


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_demo_accounts_are_created_once_with_profiles_tokens_and_events():
    output = run("demo_accounts")
    assert "secret" in output
    run("demo_accounts")
    User = get_user_model()
    assert set(User.objects.values_list("username", flat=True)) == {"seller", "buyer", "buyer2", "admin"}
    for username in ("seller", "buyer", "buyer2", "admin"):
        assert authenticate(username=username, password="secret") is not None
        assert Token.objects.filter(user__username=username).exists()
    assert Profile.objects.get(user__username="seller").phone == "01011112222"
    assert Profile.objects.get(user__username="buyer").phone == "01033334444"
    assert Profile.objects.get(user__username="buyer2").phone == ""
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert not User.objects.get(username="seller").is_staff
    assert EventRecord.objects.filter(type="UserRegistered").count() == 4


@pytest.mark.django_db
def test_seed_products_is_idempotent_and_publishes_each_registration():
    with pytest.raises(CommandError):
        run("seed_products")
    run("demo_accounts")
    run("seed_products")
    run("seed_products")
    names = set(Product.objects.values_list("name", flat=True))
    assert {"Noodle", "Desk", "Coffee"} <= names
    assert Product.objects.count() == len(names)
    assert "events_worker" in run("seed_products", "--count", "120")
    assert "delivered" in run("seed_products", "--count", "130", "--drain")
    assert Product.objects.filter(name__startswith="Item ").count() == 130
    assert EventRecord.objects.filter(type="ProductRegistered").count() == Product.objects.count()
    assert not Product.objects.exclude(seller__username="seller").exists()
    assert not Delivery.objects.filter(status=Delivery.Status.PENDING).exists()
