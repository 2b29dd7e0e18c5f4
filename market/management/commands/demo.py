"""``manage.py demo [--fresh]``: the reference scenario end to end, through the HTTP API.

It drives the system only as a client would (in-process HTTP with token auth, so market imports
no context) plus the bus's operator switches (pause / resume / drain), printing products,
reservations, payments, my-page rows and notifications after each step and checking every
expected state. Any state not reached fails the command (non-zero exit), so CI can run it.

    1. the seller registers Noodle, Desk and Coffee                  products 01
    2. buyer reserves Noodle, buyer2 reserves Desk                   products 02, reservations 01, payments 01
    3. buyer pays for Noodle                                         payment 02, reservation 03, Noodle soldOut
    4. buyer2 cancels Desk                                           reservation 02, payment 03, Desk 01
    5. my-page is paused; buyer reserves Coffee                      my-page behind, then caught up on resume
    6. product and reservation subscribers paused; buyer pays        payment accepted (02) while the product
                                                                     stays 02 and the reservation 01; both
                                                                     catch up on resume (soldOut, 03)
    8. buyer wishes for Desk; buyer2 reserves it and lets the hold   reservation expired (02), payment 03,
       expire; the seller lowers its price                           Desk 01; buyer told twice (찜)
    9. the Noodle reservation and payment, traced                    reservation -> product hold -> payment
                                                                     requested -> my-page and notifications
"""

from __future__ import annotations

import logging
import unicodedata
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import override_settings
from django.utils import translation
from django.utils.translation import gettext as _
from rest_framework.test import APIClient

from market import bus, periodic
from market.bus import tracing
from market.models import EventRecord

PASSWORD = "demo-pass-1234"  # noqa: S105 (demo accounts on a demo database)
USERS = {"seller": "01011112222", "buyer": "01033334444", "buyer2": "01055556666"}
README_ACCOUNTS = ("seller", "buyer", "buyer2", "admin")  # manage.py demo_accounts; the demo never uses them
MYPAGE = "mypage.project"
PRODUCT_SELLS = "product.sell_on_payment"
RESERVATION_COMPLETES = "reservation.complete_on_payment"


class DemoFailed(Exception):
    pass


def shown_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: Hangul and other wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def padded(text: str, width: int) -> str:
    return text + " " * (width - shown_width(text))


class Command(BaseCommand):
    help = "Replay the reference scenario end to end and check every state (exits non-zero if one is not reached)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--fresh", action="store_true", help="Empty the database first (says so, and which demo accounts go)."
        )
        parser.add_argument(
            "--language", choices=[code for code, _name in settings.LANGUAGES], help="ko (the default) or en."
        )

    # --- plumbing ---------------------------------------------------------------------------

    def handle(self, *args, fresh: bool, language: str | None = None, **options):
        if language:
            translation.activate(language)
        # The demo's requests ask for its language: the API answers in it, and a request's
        # LocaleMiddleware leaves the language it chose active for the rest of the output.
        self.language = translation.get_language()
        # The tables are the output: the log lines every request and notification writes (JSON by
        # default) would bury them. -v 2 keeps them.
        if options["verbosity"] < 2:
            logging.disable(logging.INFO)
        try:
            self.prepare(fresh=fresh)
            self.replay()
        finally:
            logging.disable(logging.NOTSET)

    def prepare(self, *, fresh: bool) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        database = connection.settings_dict["NAME"]
        if fresh:
            accounts = sorted(
                get_user_model().objects.filter(username__in=README_ACCOUNTS).values_list("username", flat=True)
            )
            if accounts:
                warning = _(
                    "--fresh: emptying the database %(database)s first, which deletes the demo accounts "
                    "%(accounts)s (python manage.py demo_accounts creates them again)."
                ) % {"database": database, "accounts": ", ".join(accounts)}
            else:
                warning = _("--fresh: emptying the database %(database)s first.") % {"database": database}
            self.stdout.write(self.style.WARNING(warning))
            call_command("flush", interactive=False, verbosity=0)
        else:
            self.stdout.write(
                _(
                    "Adding the demo's users (%(users)s) and three products to %(database)s. "
                    "(`make demo` replays on a database of its own.)"
                )
                % {"users": ", ".join(f"demo_{n}" for n in USERS), "database": database}
            )

    def replay(self) -> None:
        self.mismatches: list[str] = []
        self.earlier_notes: dict[str, set[int]] = {}
        self.products: dict[str, int] = {}
        self.reservations: dict[str, int] = {}
        try:
            for subscriber in (MYPAGE, PRODUCT_SELLS, RESERVATION_COMPLETES):
                bus.resume(subscriber)
            self.run()
        except DemoFailed as exc:
            raise CommandError(f"demo failed: {exc}") from exc
        finally:
            for subscriber in (MYPAGE, PRODUCT_SELLS, RESERVATION_COMPLETES):
                bus.resume(subscriber)
        self.stdout.write(self.style.SUCCESS("\n" + _("Every expected state was reached.")))

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

    # --- the scenario -------------------------------------------------------------------------

    def sign_in(self) -> None:
        anon = self.client()
        self.c: dict[str, APIClient] = {}
        self.user_ids: dict[str, int] = {}
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

    def run(self) -> None:
        self.step(_("0. Demo users: seller, buyer and buyer2 (with phone numbers for KakaoTalk)"))
        self.sign_in()

        self.step(_("1. The seller registers Noodle, Desk and Coffee (POST /product)"))
        for name, price in (("Noodle", 3000), ("Desk", 50000), ("Coffee", 4500)):
            body = self.call(
                self.c["seller"], "post", "/product", {"productName": name, "productStatus": "01", "price": price}, 201
            )
            self.products[name] = body["id"]
        self.settle()
        self.show()
        self.expect(_("product states"), self.product_codes(), {"Noodle": "01", "Desk": "01", "Coffee": "01"})
        self.checkpoint("register products")

        self.step(_("2. buyer reserves Noodle, buyer2 reserves Desk (POST /reservation)"))
        for key, who, product in (("noodle", "buyer", "Noodle"), ("desk", "buyer2", "Desk")):
            body = self.call(
                self.c[who],
                "post",
                "/reservation",
                {"productId": self.products[product], "reservationStatus": "01"},
                201,
            )
            self.reservations[key] = body["id"]
        self.settle()
        self.show()
        self.expect(_("product states"), self.product_codes(), {"Noodle": "02", "Desk": "02", "Coffee": "01"})
        self.expect(_("reservation states"), self.reservation_codes(), {"noodle": "01", "desk": "01"})
        payments = self.payments()
        self.expect(
            _("payment states"), {k: p["paymentStatus"] for k, p in payments.items()}, {"noodle": "01", "desk": "01"}
        )
        self.expect(_("buyer's my-page: Noodle"), self.my_page_states("buyer", "noodle"), ("01", "01", "02"))
        self.expect(_("buyer2's my-page: Desk"), self.my_page_states("buyer2", "desk"), ("01", "01", "02"))
        self.checkpoint("reserve")

        self.step(_("3. buyer pays for Noodle (PATCH /paid)"))
        noodle_payment = payments["noodle"]["id"]
        body = self.call(
            self.c["buyer"],
            "patch",
            "/paid",
            {"id": noodle_payment, "reservationId": self.reservations["noodle"], "paymentStatus": "02"},
        )
        self.expect(_("PATCH /paid answer"), body["paymentStatus"], "02")
        self.settle()
        self.show()
        self.expect(_("Noodle"), self.product_codes()["Noodle"], "soldOut")
        self.expect(_("Noodle's reservation"), self.reservation_codes()["noodle"], "03")
        self.expect(_("Noodle's payment"), self.payments()["noodle"]["paymentStatus"], "02")
        self.expect(_("buyer's my-page: Noodle"), self.my_page_states("buyer", "noodle"), ("03", "02", "soldOut"))
        self.checkpoint("pay")

        self.step(_("4. buyer2 cancels the Desk reservation (PATCH /reservationupdate)"))
        body = self.call(
            self.c["buyer2"],
            "patch",
            "/reservationupdate",
            {"id": self.reservations["desk"], "productId": self.products["Desk"], "reservationStatus": "02"},
        )
        self.expect(_("PATCH /reservationupdate answer"), body["reservationStatus"], "02")
        self.settle()
        self.show()
        self.expect(_("Desk"), self.product_codes()["Desk"], "01")
        self.expect(_("Desk's reservation"), self.reservation_codes()["desk"], "02")
        self.expect(_("Desk's payment"), self.payments()["desk"]["paymentStatus"], "03")
        self.expect(_("buyer2's my-page: Desk"), self.my_page_states("buyer2", "desk"), ("02", "03", "01"))
        self.checkpoint("cancel")

        self.step(
            _("5. Fault isolation: my-page is down (%(subscriber)s paused); buyer reserves Coffee")
            % {"subscriber": MYPAGE}
        )
        bus.pause(MYPAGE)
        body = self.call(
            self.c["buyer"],
            "post",
            "/reservation",
            {"productId": self.products["Coffee"], "reservationStatus": "01"},
            201,
        )
        self.reservations["coffee"] = body["id"]
        self.settle()
        self.show()
        self.expect(_("reservation accepted while my-page is down"), self.reservation_codes()["coffee"], "01")
        self.expect(_("buyer's my-page is behind (no Coffee row yet)"), self.my_page_states("buyer", "coffee"), None)
        self.checkpoint("reserve while my-page is paused")
        self.stdout.write("\n-> " + _("resuming %(subscriber)s and draining its backlog") % {"subscriber": MYPAGE})
        bus.resume(MYPAGE)
        self.settle()
        self.show()
        self.expect(_("buyer's my-page caught up: Coffee"), self.my_page_states("buyer", "coffee"), ("01", "01", "02"))
        self.checkpoint("my-page catch-up")

        self.step(
            _("6. Fault isolation: %(product)s and %(reservation)s paused; buyer pays for Coffee")
            % {"product": PRODUCT_SELLS, "reservation": RESERVATION_COMPLETES}
        )
        bus.pause(PRODUCT_SELLS)
        bus.pause(RESERVATION_COMPLETES)
        coffee_payment = self.payments()["coffee"]["id"]
        body = self.call(
            self.c["buyer"],
            "patch",
            "/paid",
            {"id": coffee_payment, "reservationId": self.reservations["coffee"], "paymentStatus": "02"},
        )
        self.settle()
        self.show()
        self.expect(_("payment accepted"), self.payments()["coffee"]["paymentStatus"], "02")
        self.expect(_("Coffee still pending (product module behind)"), self.product_codes()["Coffee"], "02")
        self.expect(
            _("Coffee's reservation still 01 (reservation module behind)"), self.reservation_codes()["coffee"], "01"
        )
        self.checkpoint("pay while product and reservation are paused")
        self.stdout.write(
            "\n-> "
            + _("resuming %(product)s and %(reservation)s")
            % {"product": PRODUCT_SELLS, "reservation": RESERVATION_COMPLETES}
        )
        bus.resume(PRODUCT_SELLS)
        bus.resume(RESERVATION_COMPLETES)
        self.settle()
        self.show()
        self.expect(_("Coffee caught up"), self.product_codes()["Coffee"], "soldOut")
        self.expect(_("Coffee's reservation caught up"), self.reservation_codes()["coffee"], "03")
        self.expect(_("buyer's my-page: Coffee"), self.my_page_states("buyer", "coffee"), ("03", "02", "soldOut"))
        self.checkpoint("product and reservation catch-up")

        self.step(_("7. Everyone was told on KakaoTalk (or the console channel in development)"))
        kinds = {
            who: sorted(n["kind"] for n in self.notifications(who) if n["id"] not in self.earlier_notes[who])
            for who in USERS
        }
        self.expect(
            _("buyer was told of two reservations, two payment requests and two payments"),
            kinds["buyer"],
            sorted(["RESERVED", "PAYMENT_REQUESTED", "PAID"] * 2),
        )
        self.expect(
            _("buyer2 was told of the reservation and its cancellation"),
            kinds["buyer2"],
            sorted(["RESERVED", "PAYMENT_REQUESTED", "CANCELLED", "VOIDED"]),
        )
        self.expect(
            _("seller was told of three reservations, two sales and one release"),
            kinds["seller"],
            sorted(["RESERVATION_RECEIVED"] * 3 + ["SOLD"] * 2 + ["RELEASED"]),
        )
        self.checkpoint("notifications")

        self.step("8. Holds expire and wishers hear of it: buyer wishes for Desk, buyer2 lets a hold lapse")
        desk = self.products["Desk"]
        self.call(self.c["buyer"], "post", f"/api/products/{desk}/wish/", expect=201)
        self.expect("Desk's wish count", self.call(self.c["seller"], "get", f"/api/products/{desk}/")["wish_count"], 1)
        # A hold of no time at all (RESERVATION_HOLD_SECONDS is a day by default), so the sweep the
        # worker runs between its claims expires it at once.
        with override_settings(RESERVATION_HOLD_SECONDS=0):
            body = self.call(self.c["buyer2"], "post", "/api/reservations/", {"product_id": desk}, 201)
        self.reservations["desk2"] = body["id"]
        self.stdout.write(f"  buyer2's hold ends at {body['hold_expires_at']}; the worker's periodic sweep runs")
        self.settle()
        periodic.run_due(force=True)
        self.settle()
        self.show()
        self.expect("Desk available again", self.product_codes()["Desk"], "01")
        self.expect("the expired reservation shows as cancelled (02)", self.reservation_codes()["desk2"], "02")
        self.expect(
            "its status", self.call(self.c["buyer2"], "get", f"/api/reservations/{body['id']}/")["status"], "expired"
        )
        self.expect("buyer2's my-page: Desk again", self.my_page_states("buyer2", "desk2"), ("02", "03", "01"))
        self.checkpoint("expiry")
        self.stdout.write("\n-> the seller lowers Desk's price from 50,000 to 45,000 won")
        self.call(self.c["seller"], "patch", f"/api/products/{desk}/", {"price": 45000})
        self.settle()
        fresh = [n for n in self.notifications("buyer") if n["id"] not in self.earlier_notes["buyer"]]
        self.table(
            "buyer's wish-list notifications",
            ["kind", "text"],
            [[n["kind"], n["text"]] for n in fresh if n["kind"].startswith("WISH_")],
        )
        self.expect(
            "buyer was told Desk is available again and cheaper",
            sorted(n["kind"] for n in fresh if n["kind"].startswith("WISH_")),
            ["WISH_AVAILABLE", "WISH_PRICE_LOWERED"],
        )
        kinds2 = sorted(n["kind"] for n in self.notifications("buyer2") if n["id"] not in self.earlier_notes["buyer2"])
        self.expect("buyer2 was told the hold expired", "EXPIRED" in kinds2, True)
        self.checkpoint("wish list")
        self.step("9. The walkthrough traced: buyer's Noodle reservation and payment (manage.py events trace <id>)")
        for what, event_type, aggregate_id in (
            ("the Noodle reservation", "ReservationPlaced", self.reservations["noodle"]),
            ("the Noodle payment", "PaymentCompleted", noodle_payment),
        ):
            record = EventRecord.objects.filter(type=event_type, aggregate_id=str(aggregate_id)).order_by("id").last()
            found = tracing.trace(str(record.event_id)) if record else None
            self.stdout.write(f"\n{what} (request {record.correlation_id if record else '?'}):")
            self.stdout.write(found.text() if found else "  (no chain)")
            text = found.text() if found else ""
            wanted = (
                ["ProductReserved", "PaymentRequested", "mypage.project: done", "notice.notify: done"]
                if event_type == "ReservationPlaced"
                else ["ProductSoldOut", "ReservationCompleted", "mypage.project: done", "notice.notify: done"]
            )
            self.expect(f"the trace of {what} shows", [w for w in wanted if w in text], wanted)
        self.checkpoint("trace")
