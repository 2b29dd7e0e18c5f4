"""Accounts: registration, token login, the three authentication schemes, the phone number."""

from __future__ import annotations

import base64

import pytest
from rest_framework.test import APIClient

from market.events import UserContactChanged, UserRegistered
from market.models import EventRecord

pytestmark = pytest.mark.django_db


def test_registering_returns_a_token_and_publishes_user_registered(anon):
    response = anon.post(
        "/api/auth/register/", {"username": "minji", "password": "a-long-pass", "phone": "01012345678"}, format="json"
    )
    assert response.status_code == 201, response.data
    assert response.data["username"] == "minji"
    assert response.data["phone"] == "01012345678"
    assert len(response.data["token"]) == 40
    record = EventRecord.objects.get(type=UserRegistered.type)
    assert record.payload == {"user_id": response.data["id"], "username": "minji", "phone": "01012345678"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "x", "password": "a-long-pass"}, "username"),
        ({"username": "minji", "password": "123"}, "password"),
        ({"username": "minji", "password": "a-long-pass", "phone": "+82-10"}, "phone"),
        ({"password": "a-long-pass"}, "username"),
    ],
)
def test_registration_rejects_bad_input_with_field_details(anon, body, field):
    response = anon.post("/api/auth/register/", body, format="json")
    assert response.status_code == 400
    assert response.data["code"] == "invalid"
    assert field in response.data["details"]


def test_a_common_password_and_a_taken_username_are_refused(anon, make_user):
    make_user("taken")
    weak = anon.post("/api/auth/register/", {"username": "new1", "password": "password"}, format="json")
    assert (weak.status_code, weak.data["code"]) == (400, "weak_password")
    taken = anon.post("/api/auth/register/", {"username": "taken", "password": "a-long-pass"}, format="json")
    assert (taken.status_code, taken.data["code"]) == (409, "username_taken")


def test_token_login_and_every_authentication_scheme_work(make_user):
    make_user("jiho", password="a-long-pass")
    client = APIClient()
    bad = client.post("/api/auth/token/", {"username": "jiho", "password": "wrong-pass"}, format="json")
    assert (bad.status_code, bad.data["code"]) == (400, "invalid_credentials")
    token = client.post("/api/auth/token/", {"username": "jiho", "password": "a-long-pass"}, format="json").data[
        "token"
    ]

    assert APIClient().get("/api/auth/me/").status_code == 401
    by_token = APIClient(HTTP_AUTHORIZATION=f"Token {token}").get("/api/auth/me/")
    assert by_token.data["username"] == "jiho"
    basic = base64.b64encode(b"jiho:a-long-pass").decode()
    assert APIClient(HTTP_AUTHORIZATION=f"Basic {basic}").get("/api/auth/me/").data["username"] == "jiho"
    session = APIClient()
    assert session.login(username="jiho", password="a-long-pass")
    assert session.get("/api/auth/me/").data["username"] == "jiho"


def test_changing_the_phone_number_publishes_the_new_contact(client_for, make_user):
    user = make_user("sora")
    response = client_for(user).patch("/api/auth/me/", {"phone": "01099998888"}, format="json")
    assert response.status_code == 200
    assert response.data["phone"] == "01099998888"
    assert EventRecord.objects.get(type=UserContactChanged.type).payload["phone"] == "01099998888"


def test_malformed_json_and_wrong_content_type_are_4xx(anon):
    malformed = anon.post("/api/auth/register/", "{not json", content_type="application/json")
    assert (malformed.status_code, malformed.data["code"]) == (400, "parse_error")
    wrong_type = anon.post("/api/auth/register/", "<xml/>", content_type="application/xml")
    assert (wrong_type.status_code, wrong_type.data["code"]) == (415, "unsupported_media_type")


@pytest.mark.parametrize(("username", "password"), [("minsu2024", "minsu2024"), ("minsu2024", "Minsu2024!")])
def test_a_password_like_the_username_is_refused(anon, username, password):
    response = anon.post("/api/auth/register/", {"username": username, "password": password}, format="json")
    assert (response.status_code, response.data["code"]) == (400, "weak_password")
    assert any("similar" in message for message in response.data["details"]["password"])
