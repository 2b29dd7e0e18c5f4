"""The demo's session: its HTTP clients, the checks it prints, and what it looks at (the reference
routes' lists, the my-pages, the notifications, the bus's backlog) shown as tables."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.conf import settings
from django.core.management.base import OutputWrapper
from django.core.management.color import Style
from django.utils.translation import gettext as _
from rest_framework.test import APIClient

from market import bus

PASSWORD = "demo-pass-1234"  # noqa: S105 (demo accounts on a demo database)
USERS = {"seller": "01011112222", "buyer": "01033334444", "buyer2": "01055556666"}


class DemoFailed(Exception):
    pass


def shown_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: Hangul and other wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def padded(text: str, width: int) -> str:
    return text + " " * (width - shown_width(text))


class Session:
    """One replay: the users' clients, the ids of what the scenario made, the checks not met."""

    def __init__(self, *, stdout: OutputWrapper, stderr: OutputWrapper, style: Style, language: str) -> None:
        self.stdout, self.stderr, self.style, self.language = stdout, stderr, style, language
        self.mismatches: list[str] = []
        self.earlier_notes: dict[str, set[int]] = {}
        self.products: dict[str, int] = {}
        self.reservations: dict[str, int] = {}
        self.c: dict[str, APIClient] = {}
        self.user_ids: dict[str, int] = {}

    def _host(self) -> str:
        hosts = list(settings.ALLOWED_HOSTS)
        if "testserver" in hosts or "*" in hosts:
            return "testserver"
        return next((h.lstrip(".") for h in hosts if h not in ("", "*")), "testserver")

    def client(self, token: str | None = None) -> APIClient:
        client = APIClient(SERVER_NAME=self._host(), HTTP_ACCEPT_LANGUAGE=self.language)
        if token:
            client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client

    def call(self, client: APIClient, method: str, url: str, data: Any = None, expect: int = 200) -> Any:
        response = (
            getattr(client, method)(url, data, format="json") if data is not None else getattr(client, method)(url)
        )
        body = response.json() if response.content else None
        if response.status_code != expect:
            raise DemoFailed(f"{method.upper()} {url} answered {response.status_code} (expected {expect}): {body}")
        return body

    def expect(self, what: str, actual: Any, expected: Any) -> None:
        ok = actual == expected
        self.stdout.write(
            f"  [{'ok' if ok else 'FAIL'}] {what}: {actual!r}" + ("" if ok else f" (expected {expected!r})")
        )
        if not ok:
            self.mismatches.append(f"{what}: got {actual!r}, expected {expected!r}")

    def checkpoint(self, step: str) -> None:
        if self.mismatches:
            listing = "\n  ".join(self.mismatches)
            self.stderr.write(f"After '{step}' these states differ:\n  {listing}")
            raise DemoFailed(f"{len(self.mismatches)} expected state(s) not reached after '{step}'")

    def step(self, title: str) -> None:
        self.stdout.write("\n" + "=" * 100 + f"\n{title}\n" + "=" * 100)

    # --- what we look at ----------------------------------------------------------------------

    def hal(self, client: APIClient, url: str, name: str) -> list[dict]:
        return self.call(client, "get", f"{url}?size=100")["_embedded"][name]

    def product_codes(self) -> dict[str, str]:
        by_id = {p["id"]: p for p in self.hal(self.c["seller"], "/products", "products")}
        return {name: by_id[pid]["productStatus"] for name, pid in self.products.items() if pid in by_id}

    def reservation_codes(self) -> dict[str, str]:
        by_id = {r["id"]: r for r in self.hal(self.c["seller"], "/reservations", "reservations")}
        return {key: by_id[rid]["reservationStatus"] for key, rid in self.reservations.items() if rid in by_id}

    def payments(self) -> dict[str, dict]:
        by_reservation = {p["reservationId"]: p for p in self.hal(self.c["seller"], "/payments", "payments")}
        return {key: by_reservation[rid] for key, rid in self.reservations.items() if rid in by_reservation}

    def my_pages(self, who: str) -> dict[int, dict]:
        return {row["reservationId"]: row for row in self.hal(self.c[who], "/myPages", "myPages")}

    def my_page_states(self, who: str, key: str) -> tuple | None:
        row = self.my_pages(who).get(self.reservations[key])
        return None if row is None else (row["reservationStatus"], row["paymentStatus"], row["productStatus"])

    def show(self) -> None:
        ours = set(self.products.values())
        products = [p for p in self.hal(self.c["seller"], "/products", "products") if p["id"] in ours]
        self.table(
            _("products (GET /products)"),
            ["id", "productName", "price", "productStatus"],
            [[p["id"], p["productName"], p["price"], p["productStatus"]] for p in products],
        )
        mine = set(self.reservations.values())
        reservations = [r for r in self.hal(self.c["seller"], "/reservations", "reservations") if r["id"] in mine]
        self.table(
            _("reservations (GET /reservations)"),
            ["id", "productId", "productName", "buyerId", "reservationStatus"],
            [[r["id"], r["productId"], r["productName"], r["buyerId"], r["reservationStatus"]] for r in reservations],
        )
        payments = [p for p in self.hal(self.c["seller"], "/payments", "payments") if p["reservationId"] in mine]
        self.table(
            _("payments (GET /payments)"),
            ["id", "reservationId", "productId", "amount", "paymentStatus"],
            [[p["id"], p["reservationId"], p["productId"], p["amount"], p["paymentStatus"]] for p in payments],
        )
        rows = []
        for who in ("buyer", "buyer2"):
            for row in self.my_pages(who).values():
                if row["reservationId"] in mine:
                    rows.append(
                        [
                            who,
                            row["reservationId"],
                            row["productId"],
                            row["paymentId"],
                            row["productName"],
                            row["reservationStatus"],
                            row["paymentStatus"],
                            row["productStatus"],
                        ]
                    )
        self.table(
            _("my-page (GET /myPages)"),
            ["buyer", "reservationId", "productId", "paymentId", "productName", "reservation", "payment", "product"],
            rows,
        )
        notes = []
        for who in USERS:
            for note in self.notifications(who):
                if note["id"] in self.earlier_notes.get(who, ()):
                    continue
                notes.append([who, note["kind"], note["channel"], note["status"], note["text"]])
        self.table(
            _("notifications (GET /api/notifications/, newest first)"),
            ["to", "kind", "channel", "status", "text"],
            notes,
        )
        backlog = [b for b in bus.backlog() if b.paused or b.pending]
        if backlog:
            self.table(
                _("event bus backlog"),
                ["subscriber", "state", "pending", "failing"],
                [[b.subscriber, "paused" if b.paused else "running", b.pending, b.failing] for b in backlog],
            )

    def table(self, title: str, headers: list[str], rows: list[list[Any]]) -> None:
        cells = [[str(c) for c in row] for row in rows]
        widths = [max([shown_width(h)] + [shown_width(row[i]) for row in cells]) for i, h in enumerate(headers)]
        self.stdout.write(f"\n{title}")
        self.stdout.write("  " + "  ".join(padded(h, w) for h, w in zip(headers, widths, strict=True)).rstrip())
        self.stdout.write("  " + "  ".join("-" * w for w in widths))
        for row in cells:
            self.stdout.write("  " + "  ".join(padded(c, w) for c, w in zip(row, widths, strict=True)).rstrip())
        if not cells:
            self.stdout.write("  (none)")

    def settle(self) -> None:
        """Let the worker-only subscribers (notice) and any retry run, as the worker would."""
        bus.drain()

    def sign_in(self) -> None:
        anon = self.client()
        for name, phone in USERS.items():
            response = anon.post(
                "/api/auth/register/", {"username": f"demo_{name}", "password": PASSWORD, "phone": phone}, format="json"
            )
            if response.status_code == 409:  # already there from an earlier run: sign in
                token = self.call(anon, "post", "/api/auth/token/", {"username": f"demo_{name}", "password": PASSWORD})[
                    "token"
                ]
            elif response.status_code == 201:
                token = response.json()["token"]
            else:
                raise DemoFailed(f"registering demo_{name} answered {response.status_code}: {response.content[:300]!r}")
            self.c[name] = self.client(token)
            self.user_ids[name] = self.call(self.c[name], "get", "/api/auth/me/")["id"]
        users = ", ".join(f"demo_{n} (#{i})" for n, i in self.user_ids.items())
        self.stdout.write(_("demo users: %(users)s") % {"users": users})
        # Notifications from earlier runs (without --fresh) are not this run's business.
        self.earlier_notes = {who: {n["id"] for n in self.notifications(who)} for who in USERS}

    def notifications(self, who: str) -> list[dict]:
        return self.call(self.c[who], "get", "/api/notifications/?page_size=100")["results"]
