"""tests/conftest.py's make_user defaults to "secret123", which Django's CommonPasswordValidator
refuses; register with a password the validators accept (same behaviour otherwise)."""

from __future__ import annotations

import itertools

import pytest

_names = itertools.count(1)


@pytest.fixture
def make_user(db):
    from market.accounts.services import user_register

    def make(username: str | None = None, *, phone: str = "", is_staff: bool = False, password: str = "n00dle-desk!"):
        return user_register(
            username=username or f"coreuser{next(_names)}", password=password, phone=phone, is_staff=is_staff
        )

    return make
