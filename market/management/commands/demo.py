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
    8. the Noodle reservation and payment, traced                    reservation -> product hold -> payment
                                                                     requested -> my-page and notifications
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from rest_framework.test import APIClient

from market import bus
from market.bus import tracing
from market.models import EventRecord

PASSWORD = "demo-pass-1234"  # noqa: S105 (demo accounts on a demo database)
USERS = {"seller": "01011112222", "buyer": "01033334444", "buyer2": "01055556666"}
MYPAGE = "mypage.project"
PRODUCT_SELLS = "product.sell_on_payment"
RESERVATION_COMPLETES = "reservation.complete_on_payment"


class DemoFailed(Exception):
    pass


class Command(BaseCommand):
    help = "Replay the reference scenario end to end and check every state (exits non-zero if one is not reached)."

    def add_arguments(self, parser):
        parser.add_argument("--fresh", action="store_true", help="Flush the database first.")

    # --- plumbing ---------------------------------------------------------------------------

    def handle(self, *args, fresh: bool, **options):
        call_command("migrate", interactive=False, verbosity=0)
        if fresh:
            call_command("flush", interactive=False, verbosity=0)
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
        self.stdout.write(self.style.SUCCESS("\nEvery expected state was reached."))

    def _host(self) -> str:
        hosts = list(settings.ALLOWED_HOSTS)
        if "testserver" in hosts or "*" in hosts:
            return "testserver"
        return next((h.lstrip(".") for h in hosts if h not in ("", "*")), "testserver")

    def client(self, token: str | None = None) -> APIClient:
        client = APIClient(SERVER_NAME=self._host())
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
            "products (GET /products)",
            ["id", "productName", "price", "productStatus"],
            [[p["id"], p["productName"], p["price"], p["productStatus"]] for p in products],
        )
        mine = set(self.reservations.values())
        reservations = [r for r in self.hal(self.c["seller"], "/reservations", "reservations") if r["id"] in mine]
        self.table(
            "reservations (GET /reservations)",
            ["id", "productId", "productName", "buyerId", "reservationStatus"],
            [[r["id"], r["productId"], r["productName"], r["buyerId"], r["reservationStatus"]] for r in reservations],
        )
        payments = [p for p in self.hal(self.c["seller"], "/payments", "payments") if p["reservationId"] in mine]
        self.table(
            "payments (GET /payments)",
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
            "my-page (GET /myPages)",
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
            "notifications (GET /api/notifications/, newest first)", ["to", "kind", "channel", "status", "text"], notes
        )
        backlog = [b for b in bus.backlog() if b.paused or b.pending]
        if backlog:
            self.table(
                "event bus backlog",
                ["subscriber", "state", "pending", "failing"],
                [[b.subscriber, "paused" if b.paused else "running", b.pending, b.failing] for b in backlog],
            )

    def table(self, title: str, headers: list[str], rows: list[list[Any]]) -> None:
        cells = [[str(c) for c in row] for row in rows]
        widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(headers)]
        self.stdout.write(f"\n{title}")
        self.stdout.write("  " + "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
        self.stdout.write("  " + "  ".join("-" * w for w in widths))
        for row in cells:
            self.stdout.write("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
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
        self.stdout.write(f"demo users: {', '.join(f'demo_{n} (#{i})' for n, i in self.user_ids.items())}")
        # Notifications from earlier runs (without --fresh) are not this run's business.
        self.earlier_notes = {who: {n["id"] for n in self.notifications(who)} for who in USERS}

    def notifications(self, who: str) -> list[dict]:
        return self.call(self.c[who], "get", "/api/notifications/?page_size=100")["results"]

    def run(self) -> None:
        self.step("0. Demo users: seller, buyer and buyer2 (with phone numbers for KakaoTalk)")
        self.sign_in()

        self.step("1. The seller registers Noodle, Desk and Coffee (POST /product)")
        for name, price in (("Noodle", 3000), ("Desk", 50000), ("Coffee", 4500)):
            body = self.call(
                self.c["seller"], "post", "/product", {"productName": name, "productStatus": "01", "price": price}, 201
            )
            self.products[name] = body["id"]
        self.settle()
        self.show()
        self.expect("product states", self.product_codes(), {"Noodle": "01", "Desk": "01", "Coffee": "01"})
        self.checkpoint("register products")

        self.step("2. buyer reserves Noodle, buyer2 reserves Desk (POST /reservation)")
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
        self.expect("product states", self.product_codes(), {"Noodle": "02", "Desk": "02", "Coffee": "01"})
        self.expect("reservation states", self.reservation_codes(), {"noodle": "01", "desk": "01"})
        payments = self.payments()
        self.expect(
            "payment states", {k: p["paymentStatus"] for k, p in payments.items()}, {"noodle": "01", "desk": "01"}
        )
        self.expect("buyer's my-page: Noodle", self.my_page_states("buyer", "noodle"), ("01", "01", "02"))
        self.expect("buyer2's my-page: Desk", self.my_page_states("buyer2", "desk"), ("01", "01", "02"))
        self.checkpoint("reserve")

        self.step("3. buyer pays for Noodle (PATCH /paid)")
        noodle_payment = payments["noodle"]["id"]
        body = self.call(
            self.c["buyer"],
            "patch",
            "/paid",
            {"id": noodle_payment, "reservationId": self.reservations["noodle"], "paymentStatus": "02"},
        )
        self.expect("PATCH /paid answer", body["paymentStatus"], "02")
        self.settle()
        self.show()
        self.expect("Noodle", self.product_codes()["Noodle"], "soldOut")
        self.expect("Noodle's reservation", self.reservation_codes()["noodle"], "03")
        self.expect("Noodle's payment", self.payments()["noodle"]["paymentStatus"], "02")
        self.expect("buyer's my-page: Noodle", self.my_page_states("buyer", "noodle"), ("03", "02", "soldOut"))
        self.checkpoint("pay")

        self.step("4. buyer2 cancels the Desk reservation (PATCH /reservationupdate)")
        body = self.call(
            self.c["buyer2"],
            "patch",
            "/reservationupdate",
            {"id": self.reservations["desk"], "productId": self.products["Desk"], "reservationStatus": "02"},
        )
        self.expect("PATCH /reservationupdate answer", body["reservationStatus"], "02")
        self.settle()
        self.show()
        self.expect("Desk", self.product_codes()["Desk"], "01")
        self.expect("Desk's reservation", self.reservation_codes()["desk"], "02")
        self.expect("Desk's payment", self.payments()["desk"]["paymentStatus"], "03")
        self.expect("buyer2's my-page: Desk", self.my_page_states("buyer2", "desk"), ("02", "03", "01"))
        self.checkpoint("cancel")

        self.step(f"5. Fault isolation: my-page is down ({MYPAGE} paused); buyer reserves Coffee")
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
        self.expect("reservation accepted while my-page is down", self.reservation_codes()["coffee"], "01")
        self.expect("buyer's my-page is behind (no Coffee row yet)", self.my_page_states("buyer", "coffee"), None)
        self.checkpoint("reserve while my-page is paused")
        self.stdout.write(f"\n-> resuming {MYPAGE} and draining its backlog")
        bus.resume(MYPAGE)
        self.settle()
        self.show()
        self.expect("buyer's my-page caught up: Coffee", self.my_page_states("buyer", "coffee"), ("01", "01", "02"))
        self.checkpoint("my-page catch-up")

        self.step(f"6. Fault isolation: {PRODUCT_SELLS} and {RESERVATION_COMPLETES} paused; buyer pays for Coffee")
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
        self.expect("payment accepted", self.payments()["coffee"]["paymentStatus"], "02")
        self.expect("Coffee still pending (product module behind)", self.product_codes()["Coffee"], "02")
        self.expect(
            "Coffee's reservation still 01 (reservation module behind)", self.reservation_codes()["coffee"], "01"
        )
        self.checkpoint("pay while product and reservation are paused")
        self.stdout.write(f"\n-> resuming {PRODUCT_SELLS} and {RESERVATION_COMPLETES}")
        bus.resume(PRODUCT_SELLS)
        bus.resume(RESERVATION_COMPLETES)
        self.settle()
        self.show()
        self.expect("Coffee caught up", self.product_codes()["Coffee"], "soldOut")
        self.expect("Coffee's reservation caught up", self.reservation_codes()["coffee"], "03")
        self.expect("buyer's my-page: Coffee", self.my_page_states("buyer", "coffee"), ("03", "02", "soldOut"))
        self.checkpoint("product and reservation catch-up")

        self.step("7. Everyone was told on KakaoTalk (or the console channel in development)")
        kinds = {
            who: sorted(n["kind"] for n in self.notifications(who) if n["id"] not in self.earlier_notes[who])
            for who in USERS
        }
        self.expect(
            "buyer was told of two reservations, two payment requests and two payments",
            kinds["buyer"],
            sorted(["RESERVED", "PAYMENT_REQUESTED", "PAID"] * 2),
        )
        self.expect(
            "buyer2 was told of the reservation and its cancellation",
            kinds["buyer2"],
            sorted(["RESERVED", "PAYMENT_REQUESTED", "CANCELLED", "VOIDED"]),
        )
        self.expect(
            "seller was told of three reservations, two sales and one release",
            kinds["seller"],
            sorted(["RESERVATION_RECEIVED"] * 3 + ["SOLD"] * 2 + ["RELEASED"]),
        )
        self.checkpoint("notifications")

        self.step("8. The walkthrough traced: buyer's Noodle reservation and payment (manage.py events trace <id>)")
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
