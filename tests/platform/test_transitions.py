"""Each aggregate's one transition table (``market.transitions``) drives both the in-memory methods
and the conditional UPDATE that production runs, so they cannot disagree. On SQLite and on
PostgreSQL (the same tests, whichever database the run uses):

- for every (from-state, transition, guard outcome) the in-memory method and the generated UPDATE
  agree: the UPDATE changes the row exactly when the method changes the instance, to the same
  values, and refuses (changes nothing) from every disallowed from-state;
- the SQL form with RETURNING (the product's hold) is the same statement;
- production follows the table: change the table and the commands follow;
- production changes a status only through the table (no hand-written status writes);
- the reservation command learns the listing from the hold's in-transaction reply.
"""

from __future__ import annotations

import ast
import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.utils import timezone

from market import bus, events
from market.errors import Conflict
from payment.models import Payment
from product.models import Product
from product.services import product_register
from reservation.models import Reservation
from reservation.services import reservation_place

pytestmark = pytest.mark.django_db

HOLDER, OTHER = 7, 8  # the reservation holding a pending or sold product, and another one


def outcome(model, obj, name: str, args: dict, moment) -> str:
    """What the in-memory method does: "changed", "no-op" or the refusal's code."""
    try:
        return "changed" if model.transitions.apply(obj, name, moment=moment, **args) else "no-op"
    except Conflict as exc:
        return exc.code


def written(model, name: str) -> list[str]:
    return ["status", *model.transitions[name].sets]


def run_update(model, pk, name: str, args: dict, moment, how: str) -> int:
    """The table's UPDATE as production runs it: the ORM's (``update``) or the SQL with RETURNING
    (``update_sql``, the product's hold)."""
    if how == "orm":
        return model.transitions.update(name, pk, moment=moment, **args)
    returning = connection.ops.quote_name(model._meta.pk.column)
    sql, params = model.transitions.update_sql(
        name, pk, connection=connection, returning=returning, moment=moment, **args
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return len(cursor.fetchall())


def assert_agree(model, row, name: str, args: dict, how: str) -> str:
    """Apply ``name`` in memory to a copy of ``row`` and by the UPDATE to the row; they agree."""
    moment = timezone.now()
    before = model.objects.get(pk=row.pk)
    in_memory = model.objects.get(pk=row.pk)
    result = outcome(model, in_memory, name, args, moment)
    matches = model.objects.filter(pk=row.pk).filter(model.transitions.condition(name, **args)).exists()
    count = run_update(model, row.pk, name, args, moment, how)
    after = model.objects.get(pk=row.pk)
    assert count == (1 if result == "changed" else 0), (name, before.status, args, result)
    assert matches == (result == "changed")
    assert model.transitions.allows(before, name, **args) == (result == "changed")
    fields = written(model, name)
    if result == "changed":
        assert after.status == model.transitions[name].target
        assert [getattr(after, f) for f in fields] == [getattr(in_memory, f) for f in fields]
    else:
        assert [getattr(after, f) for f in fields] == [getattr(before, f) for f in fields]
        assert after.updated_at == before.updated_at
    return result


# --- product -----------------------------------------------------------------------------------


def make_product(seller, status: str) -> Product:
    held = None if status == Product.Status.AVAILABLE else HOLDER
    return Product.objects.create(seller=seller, name="Desk", price=10, status=status, held_by_reservation_id=held)


PRODUCT_CASES = [
    (status, name, who)
    for status in Product.Status.values
    for name, whos in [("hold", ["other", "seller"]), ("release", [HOLDER, OTHER]), ("sell", [HOLDER, OTHER])]
    for who in whos
]


@pytest.mark.parametrize("how", ["orm", "sql"])
@pytest.mark.parametrize(("status", "name", "who"), PRODUCT_CASES)
def test_product_methods_and_updates_agree(seller, buyer, status, name, who, how):
    product = make_product(seller, status)
    if name == "hold":
        args = {"reservation_id": 99, "buyer_id": (seller if who == "seller" else buyer).pk}
    else:
        args = {"reservation_id": who}
    result = assert_agree(Product, product, name, args, how)
    if name == "hold":  # the Reserve button (product.selectors) asks the same table
        assert product.can_be_held_by(args["buyer_id"]) == (result == "changed")
        assert product.can_be_held_by(None) == (status == Product.Status.AVAILABLE)
    expected = {
        ("hold", Product.Status.AVAILABLE, "other"): "changed",
        ("release", Product.Status.PENDING, HOLDER): "changed",
        ("sell", Product.Status.PENDING, HOLDER): "changed",
    }.get((name, status, who))
    if expected is None:  # every other pair is refused, or left alone
        expected = ("own_product" if who == "seller" else "product_unavailable") if name == "hold" else "no-op"
    assert result == expected


@pytest.mark.parametrize("status", Product.Status.values)
def test_the_edit_rule_in_memory_and_in_sql_agree(seller, status):
    product = make_product(seller, status)
    editable = Product.objects.filter(pk=product.pk).filter(Product.can_edit_condition()).exists()
    assert editable == product.can_edit() == (status == Product.Status.AVAILABLE)


# --- reservation -------------------------------------------------------------------------------

RESERVATION_CASES = [
    (status, name, expires)
    for status in Reservation.Status.values
    for name in ["cancel", "decline", "complete", "expire"]
    for expires in (["past", "future", None] if name == "expire" else ["future"])
]
RESERVATION_EXPECTED = {
    # from reserved (expire only once the hold has run out); the others, by from-state
    "cancel": {"completed": "already_paid", "cancelled": "already_cancelled", None: "reservation_ended"},
    "decline": {"completed": "already_paid", None: "reservation_ended"},
    "complete": {None: "no-op"},
    "expire": {None: "no-op"},
}


@pytest.mark.parametrize("how", ["orm", "sql"])
@pytest.mark.parametrize(("status", "name", "expires"), RESERVATION_CASES)
def test_reservation_methods_and_updates_agree(buyer, status, name, expires, how):
    now = timezone.now()
    deadline = {"past": now - timedelta(seconds=1), "future": now + timedelta(minutes=5), None: None}[expires]
    reservation = Reservation.objects.create(buyer=buyer, product_id=1, status=status, hold_expires_at=deadline)
    args = {"decline": {"by": 5, "reason": "sold elsewhere"}, "expire": {"now": now}}.get(name, {})
    result = assert_agree(Reservation, reservation, name, args, how)
    if status == Reservation.Status.RESERVED and (name != "expire" or expires == "past"):
        assert result == "changed"
    elif status == Reservation.Status.RESERVED:
        assert result == "no-op"  # an expiry before the deadline (or without one) does nothing
    else:
        refusals = RESERVATION_EXPECTED[name]
        assert result == refusals.get(status, refusals[None])


# --- payment -----------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["orm", "sql"])
@pytest.mark.parametrize("status", Payment.Status.values)
@pytest.mark.parametrize("name", ["pay", "void"])
def test_payment_methods_and_updates_agree(status, name, how):
    paid_at = timezone.now() if status == Payment.Status.PAID else None
    payment = Payment.objects.create(
        reservation_id=1, product_id=1, buyer_id=1, seller_id=2, amount=10, status=status, paid_at=paid_at
    )
    result = assert_agree(Payment, payment, name, {}, how)
    expected = {
        ("pay", "unpaid"): "changed",
        ("pay", "paid"): "already_paid",
        ("pay", "voided"): "payment_voided",
        ("void", "unpaid"): "changed",
        ("void", "paid"): "already_paid",
        ("void", "voided"): "no-op",
    }
    assert result == expected[name, status]


# --- production follows the table ----------------------------------------------------------------


@pytest.fixture
def loosened(monkeypatch):
    """Change one transition of a table for the test (the production code must follow)."""

    def loosen(model, name: str, **changes):
        table = model.transitions.transitions
        monkeypatch.setitem(table, name, dataclasses.replace(table[name], **changes))

    return loosen


def test_the_hold_that_reserving_runs_is_the_tables(seller, buyer, other_buyer, loosened):
    product = product_register(seller=seller, name="Lamp", price=100)
    product.status, product.held_by_reservation_id = Product.Status.SOLD_OUT, 1
    product.save()
    with pytest.raises(Conflict):
        reservation_place(buyer=buyer, product_id=product.pk)
    # A table that let a sold-out product be held again: the production hold follows it.
    loosened(Product, "hold", source=[Product.Status.AVAILABLE, Product.Status.SOLD_OUT])
    reservation = reservation_place(buyer=buyer, product_id=product.pk)
    product.refresh_from_db()
    assert (product.status, product.held_by_reservation_id) == (Product.Status.PENDING, reservation.pk)


def test_paying_runs_the_tables_transition(loosened, buyer):
    from payment.services import payment_pay

    payment = Payment.objects.create(
        reservation_id=1, product_id=1, buyer_id=buyer.pk, seller_id=2, amount=10, status=Payment.Status.VOIDED
    )
    with pytest.raises(Conflict) as caught:
        payment_pay(payment_id=payment.pk, actor=buyer)
    assert caught.value.code == "payment_voided"
    loosened(Payment, "pay", source=[Payment.Status.UNPAID, Payment.Status.VOIDED])
    paid = payment_pay(payment_id=payment.pk, actor=buyer)
    stored = Payment.objects.get(pk=payment.pk)
    assert stored.status == paid.status == Payment.Status.PAID
    assert stored.paid_at == paid.paid_at and stored.updated_at == paid.updated_at


def test_a_stale_instance_is_refused_by_the_update_not_written_over(buyer):
    """``perform`` on an instance that is no longer what the row is (not locked): the UPDATE
    matches nothing and the refusal is the current row's."""
    reservation = Reservation.objects.create(buyer=buyer, product_id=1)
    Reservation.objects.filter(pk=reservation.pk).update(status=Reservation.Status.COMPLETED)
    with pytest.raises(Conflict) as caught:
        Reservation.transitions.perform(reservation, "cancel")
    assert caught.value.code == "already_paid"
    assert Reservation.objects.get(pk=reservation.pk).status == Reservation.Status.COMPLETED


def test_a_stale_instance_of_a_row_already_there_is_a_no_op():
    payment = Payment.objects.create(reservation_id=1, product_id=1, buyer_id=1, seller_id=2, amount=10)
    Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.VOIDED)
    assert Payment.transitions.perform(payment, "void") is False
    assert payment.status == Payment.Status.VOIDED


PRODUCTION = ["product/handlers.py", "reservation/services.py", "reservation/handlers.py"]
PRODUCTION += ["payment/services.py", "payment/handlers.py"]


@pytest.mark.parametrize("path", PRODUCTION)
def test_production_changes_a_status_only_through_the_table(path):
    """No ``x.status = ...``, ``.update(status=...)``, ``save``/``bulk_update`` of ``status`` or
    SQL setting it by hand: every status change is a transition of the model's table."""
    source = (Path(__file__).resolve().parents[2] / path).read_text()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            assert not any(isinstance(t, ast.Attribute) and t.attr == "status" for t in targets), ast.unparse(node)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "update":
                assert "status" not in [k.arg for k in node.keywords], ast.unparse(node)
            if node.func.attr in ("save", "bulk_update"):
                assert "'status'" not in ast.unparse(node), ast.unparse(node)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            assert '"status" =' not in node.value and "SET status" not in node.value.upper()


# --- the hold's reply (the listing copy without a context variable) -------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_hold_replies_to_the_reservation_with_what_it_published(seller, buyer):
    product = product_register(seller=seller, name="Chair", price=3000)
    noise = []

    def listener(sender, **kwargs):  # any-sender receivers (tracers, tests) are not subscribers
        noise.append(sender)
        return "not a reply"

    bus.signal(events.ReservationPlaced.type).connect(listener)
    try:
        with transaction.atomic():
            reservation = Reservation.objects.create(buyer=buyer, product_id=product.pk)
            replies = bus.ask(
                events.ReservationPlaced(
                    reservation_id=reservation.pk,
                    product_id=product.pk,
                    buyer_id=buyer.pk,
                    buyer_name=buyer.username,
                    hold_expires_at=timezone.now().isoformat(),
                )
            )
    finally:
        bus.signal(events.ReservationPlaced.type).disconnect(listener)
    assert noise  # the listener heard it, and its return value is no reply
    [reserved] = replies
    assert isinstance(reserved, events.ProductReserved)
    assert (reserved.reservation_id, reserved.seller_id, reserved.seller_name) == (reservation.pk, seller.pk, "seller")
    assert (reserved.product_name, reserved.price) == ("Chair", "3000")
    stored = Reservation.objects.get(pk=reservation.pk)  # record_listing copied the same listing
    assert (stored.seller_id, stored.product_name, stored.price) == (seller.pk, "Chair", 3000)


def test_a_plain_publish_still_returns_the_event(seller, buyer):
    with transaction.atomic():
        published = bus.publish(events.ProductWished(product_id=1, user_id=buyer.pk))
    assert isinstance(published, events.ProductWished) and published.sequence is not None
