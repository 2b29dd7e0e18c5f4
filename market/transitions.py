"""One state machine per aggregate, declared once, as a table of transitions.

A model declares its transitions beside its fields::

    class Product(models.Model):
        ...
        transitions = StateMachine(
            Transition("release", source=[Status.PENDING], target=Status.AVAILABLE,
                       guards=[Guard("held_by_reservation_id", "=", "reservation_id")],
                       sets={"held_by_reservation_id": None}),
        )

and everything that changes or asks about a status is derived from that one table:

- on a loaded row, ``apply`` checks and changes the instance (the admin, edit rules, tests);
- in the database, ``update`` is ONE conditional ``UPDATE ... WHERE pk AND status IN (from-states)
  AND guards``: the database decides which of two concurrent commands wins, and a redelivered
  event finds nothing left to change. ``perform`` does both for a row the caller has locked;
  ``update_sql`` is the same statement as SQL for a caller that adds ``RETURNING``;
- ``condition`` is the rule as a query condition, for reads answered in SQL.

A transition that is not allowed either refuses (a ``Conflict`` naming why, chosen by the current
status or by the guard that failed) or, with no refusal declared, is a no-op that returns False
(idempotent handlers: an event delivered twice). Guards are checked before the status, so that
"your own product" wins over "not available". A transition with ``target=None`` is a rule that
changes no status ("may the seller edit it?").
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import models
from django.utils import timezone

from market.errors import Conflict

# The comparisons a guard may make: (in memory, as a query condition).
_OPERATORS = {
    "=": (operator.eq, lambda name, value: models.Q(**{name: value})),
    "<>": (operator.ne, lambda name, value: ~models.Q(**{name: value})),
    "<=": (operator.le, lambda name, value: models.Q(**{f"{name}__lte": value})),
}


# Formatted with quoted table and column names and placeholders only (``update_sql``).
_UPDATE_RETURNING = "UPDATE {table} SET {sets} WHERE {where} RETURNING {returning}"


@dataclass(frozen=True)
class Arg:
    """A value the caller passes to the transition by keyword (``hold(reservation_id=7)``)."""

    name: str
    default: Any = None


NOW = Arg("<moment>")
"""The moment of the change (``moment=``, by default the time of the call), as ``updated_at``."""


@dataclass(frozen=True)
class Refusal:
    """Why a transition is refused: ``Conflict(message, code=code)``, with the current status in
    its details when ``with_status``."""

    message: Any  # a lazy translation
    code: str
    with_status: bool = False

    def error(self, obj: models.Model) -> Conflict:
        details = {"status": obj.status} if self.with_status else {}
        return Conflict(self.message, code=self.code, **details)


@dataclass(frozen=True)
class Guard:
    """A condition on the row besides its status: ``<field> <op> <the caller's argument>``.
    Failing it refuses with ``refusal``, or without one leaves the row alone (returns False)."""

    field: str
    op: str
    arg: str
    refusal: Refusal | None = None

    def holds(self, obj: models.Model, args: Mapping[str, Any]) -> bool:
        current = getattr(obj, self.field)
        # As in SQL, where NULL compares to nothing: a row without the value fails the guard.
        return current is not None and _OPERATORS[self.op][0](current, self.value(args))

    def q(self, args: Mapping[str, Any]) -> models.Q:
        return _OPERATORS[self.op][1](self.field, self.value(args))

    def value(self, args: Mapping[str, Any]) -> Any:
        # None would compare differently in Python, in the ORM (IS NULL) and in SQL (= NULL).
        if args.get(self.arg) is None:
            raise TypeError(f"the guard on {self.field} needs a value for {self.arg}=")
        return args[self.arg]


@dataclass(frozen=True)
class Transition:
    name: str
    source: Iterable[str]  # the statuses it may start from
    target: str | None  # None: a rule, not a change of status
    guards: Iterable[Guard] = ()
    # Fields it sets besides the status: a constant, an Arg, or NOW.
    sets: Mapping[str, Any] = field(default_factory=dict)
    # From a status outside ``source``: the refusal for that status, else ``otherwise``; with
    # neither, a no-op.
    refusals: Mapping[str, Refusal] = field(default_factory=dict)
    otherwise: Refusal | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "source", tuple(self.source))
        object.__setattr__(self, "guards", tuple(self.guards))


class StateMachine:
    """The transitions of one model, and what is derived from them (see the module's docstring).
    Declared as a class attribute of the model; ``Model.transitions``."""

    def __init__(self, *transitions: Transition) -> None:
        self.transitions = {t.name: t for t in transitions}
        self.model: type[models.Model] | None = None

    def __set_name__(self, owner: type[models.Model], name: str) -> None:
        self.model = owner

    def __getitem__(self, name: str) -> Transition:
        return self.transitions[name]

    def __iter__(self):
        return iter(self.transitions.values())

    # --- on a loaded row ------------------------------------------------------------------------

    def check(self, obj: models.Model, name: str, **args: Any) -> bool:
        """Whether ``name`` may change ``obj`` now: True; a no-op: False; refused: raises."""
        transition = self[name]
        for guard in transition.guards:
            if not guard.holds(obj, args):
                if guard.refusal is not None:
                    raise guard.refusal.error(obj)
                return False
        if obj.status in transition.source:
            return True
        refusal = transition.refusals.get(obj.status, transition.otherwise)
        if refusal is not None:
            raise refusal.error(obj)
        return False

    def allows(self, obj: models.Model, name: str, **args: Any) -> bool:
        """``check`` without the error: would ``name`` change ``obj`` now?"""
        try:
            return self.check(obj, name, **args)
        except Conflict:
            return False

    def apply(self, obj: models.Model, name: str, *, moment: datetime | None = None, **args: Any) -> bool:
        """Make the transition on the instance only (nothing is saved). Returns whether it changed."""
        if not self.check(obj, name, **args):
            return False
        if self[name].target is not None:
            for field_name, value in self.assignments(name, moment=moment, **args).items():
                setattr(obj, field_name, value)
        return True

    def refuse(self, obj: models.Model, name: str, **args: Any) -> None:
        """Raise why ``name`` cannot change ``obj`` (after the database said it did not): the
        refusal that applies now, else the transition's ``otherwise`` (it changed meanwhile)."""
        self.check(obj, name, **args)
        raise (self[name].otherwise or Refusal(Conflict.default_message, Conflict.code)).error(obj)

    # --- in the database ------------------------------------------------------------------------

    def condition(self, name: str, **args: Any) -> models.Q:
        """The rows ``name`` may change: status among its source, guards hold."""
        transition = self[name]
        source = transition.source
        q = models.Q(status=source[0]) if len(source) == 1 else models.Q(status__in=source)
        for guard in transition.guards:
            q &= guard.q(args)
        return q

    def matching(self, name: str, rows: Mapping[Any, Mapping[str, Any]]) -> models.Q:
        """The rows among ``rows`` (pk → that row's arguments) that ``name`` may change."""
        if not rows:
            return models.Q(pk__in=[])
        return functools.reduce(
            operator.or_, (models.Q(pk=pk) & self.condition(name, **args) for pk, args in rows.items())
        )

    def assignments(self, name: str, *, moment: datetime | None = None, **args: Any) -> dict[str, Any]:
        """What ``name`` writes: the new status and its ``sets`` (NOW is ``moment``, by default
        the time of the call; an Arg the caller's argument)."""
        transition = self[name]
        now = moment or timezone.now()
        values = {"status": transition.target}
        for field_name, value in transition.sets.items():
            if value is NOW:
                value = now
            elif isinstance(value, Arg):
                value = args.get(value.name, value.default)
            values[field_name] = value
        return values

    def update(self, name: str, pk: Any, *, moment: datetime | None = None, **args: Any) -> int:
        """ONE conditional UPDATE of row ``pk``; returns the number of rows changed (0 or 1)."""
        return self.update_many(name, {pk: args}, moment=moment, **args)

    def update_many(
        self, name: str, rows: Mapping[Any, Mapping[str, Any]], *, moment: datetime | None = None, **args: Any
    ) -> int:
        """ONE conditional UPDATE of those of ``rows`` (pk → the row's guard arguments) that may
        change; ``args`` are what it writes. Returns how many changed."""
        writes = self._writes(name, args, moment)
        return self.model._default_manager.filter(self.matching(name, rows)).update(**writes)

    def perform(self, obj: models.Model, name: str, **args: Any) -> bool:
        """For a row the caller holds locked: check and change the instance (refusing as
        ``check`` does), then the same change as the conditional UPDATE. Returns whether it
        changed."""
        moment = timezone.now()  # one moment for the instance and the row
        if not self.apply(obj, name, moment=moment, **args):
            return False
        if not self.update(name, obj.pk, moment=moment, **args):
            # The instance was stale (not locked): answer from what the row is now.
            transition = self[name]
            obj.refresh_from_db(fields=["status", *transition.sets, *(g.field for g in transition.guards)])
            if not self.check(obj, name, **args):
                return False
            self.refuse(obj, name, **args)  # allowed again: it changed twice meanwhile
        if self._has_updated_at():
            obj.updated_at = moment
        return True

    def update_sql(
        self, name: str, pk: Any, *, connection, returning: str, moment: datetime | None = None, **args: Any
    ) -> tuple[str, list]:
        """The conditional UPDATE of ``update`` as SQL and parameters, ending in ``RETURNING
        <returning>`` (PostgreSQL, SQLite >= 3.35), for a caller that needs the row back in the
        same statement. Only table and column names are formatted in; values are parameters."""
        meta, quote = self.model._meta, connection.ops.quote_name
        sets, params = [], []
        for field_name, value in self._writes(name, args, moment).items():
            model_field = meta.get_field(field_name)
            sets.append(f"{quote(model_field.column)} = %s")
            params.append(model_field.get_db_prep_save(value, connection=connection))
        transition = self[name]
        status = meta.get_field("status")
        where = [f"{quote(meta.pk.column)} = %s"]
        params.append(meta.pk.get_db_prep_value(pk, connection))
        where.append(f"{quote(status.column)} IN ({', '.join(['%s'] * len(transition.source))})")
        params += list(transition.source)
        for guard in transition.guards:
            model_field = meta.get_field(guard.field)
            where.append(f"{quote(model_field.column)} {guard.op} %s")
            params.append(model_field.get_db_prep_value(guard.value(args), connection))
        sql = _UPDATE_RETURNING.format(
            table=quote(meta.db_table), sets=", ".join(sets), where=" AND ".join(where), returning=returning
        )
        return sql, params

    def _writes(self, name: str, args: Mapping[str, Any], moment: datetime | None) -> dict[str, Any]:
        """``assignments`` plus ``updated_at`` (an UPDATE does not touch auto_now fields)."""
        moment = moment or timezone.now()
        writes = self.assignments(name, moment=moment, **args)
        if self._has_updated_at():
            writes["updated_at"] = moment
        return writes

    def _has_updated_at(self) -> bool:
        return any(f.name == "updated_at" for f in self.model._meta.concrete_fields)
