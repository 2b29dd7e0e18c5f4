"""docs/architecture.md, generated from the code (``manage.py events docs``).

Every fact in the document comes from the running registries, so it cannot drift from the code:

- the contexts: the installed apps of this project that have a ``handlers`` module (the house
  shape), plus ``accounts``, the platform piece in ``market`` (``market.accounts``, app label ``accounts``);
- the commands a context serves: the public functions of its ``services`` module whose parameters
  are all keyword-only, the house's ``<entity>_<action>(*, ...)`` signature; helpers with
  positional parameters (validators, event builders) are left out;
- the events: ``market.events``; the context that publishes one is the context that owns its
  aggregate (``aggregate_type``), the one declaration below being that ``user`` belongs to accounts;
- who subscribes, in the transaction or after commit: the bus's registry (``bus.subscribers()``),
  a subscriber belonging to the package its handler is defined in;
- the read models: the tables of mypage and notice, which are built from events only.

``market`` imports no app: contexts are reached through Django's app registry and their modules by
dotted path, as ``market/urls.py`` mounts their URLs.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import inspect
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings

from market import bus
from market.events import EVENT_TYPES, Event

ACCOUNTS = "accounts"
# The one aggregate whose owner is not the context of the same name.
AGGREGATE_OWNERS = {"user": ACCOUNTS}
# Contexts whose tables are read models: built from events only, never written by a command of
# another context (mypage: the buyer's page, CQRS; notice: its own copies of contacts, product
# names and wishes, and the notifications it made).
READ_MODEL_CONTEXTS = ("mypage", "notice")
ENVELOPE = {"event_id", "occurred_at", "sequence", "correlation_id", "causation_id"}


@dataclass
class Context:
    name: str
    package: str
    commands: list[str] = dataclasses.field(default_factory=list)
    publishes: list[str] = dataclasses.field(default_factory=list)
    in_transaction: list[tuple[str, list[str]]] = dataclasses.field(default_factory=list)
    durable: list[tuple[str, list[str]]] = dataclasses.field(default_factory=list)
    tables: list[tuple[str, str]] = dataclasses.field(default_factory=list)


def _commands(package: str) -> list[str]:
    if importlib.util.find_spec(f"{package}.services") is None:
        return []
    module = importlib.import_module(f"{package}.services")
    found = []
    for name, function in inspect.getmembers(module, inspect.isfunction):
        if name.startswith("_") or function.__module__ != module.__name__:
            continue
        parameters = inspect.signature(function).parameters.values()
        if parameters and all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters):
            found.append(name)
    return sorted(found)


def _doc(cls: type) -> str:
    """The first sentence of a class's own docstring ('' for dataclasses' generated ones)."""
    doc = inspect.getdoc(cls) or ""
    if not doc or doc.startswith(f"{cls.__name__}("):
        return ""
    return " ".join(doc.split("\n\n")[0].split()).split(". ")[0].rstrip(".").replace("``", "`") + "."


def _event_types() -> dict[str, type[Event]]:
    return {t: c for t, c in sorted(EVENT_TYPES.items()) if not t.startswith("test.")}


def contexts() -> list[Context]:
    found = [
        Context(name=config.label, package=config.name)
        for config in apps.get_app_configs()
        if Path(config.path).parent == Path(settings.BASE_DIR)
        and config.name != "market"
        and importlib.util.find_spec(f"{config.name}.handlers") is not None
    ]
    found.insert(0, Context(name=ACCOUNTS, package=apps.get_app_config(ACCOUNTS).name))
    by_package = {c.package: c for c in found}
    by_name = {c.name: c for c in found}
    for context in found:
        context.commands = _commands(context.package)
    for event_type, event_class in _event_types().items():
        owner = by_name.get(AGGREGATE_OWNERS.get(event_class.aggregate_type, event_class.aggregate_type))
        if owner is not None:
            owner.publishes.append(event_type)
    for subscriber in sorted(bus.subscribers().values(), key=lambda s: s.id):
        module = subscriber.handler.__module__
        context = next((c for p, c in by_package.items() if module == p or module.startswith(p + ".")), None)
        if context is None:  # a test's or a tool's own subscriber: not part of the architecture
            continue
        kept = [t for t in subscriber.event_types if t in _event_types()]
        (context.durable if subscriber.durable else context.in_transaction).append((subscriber.id, kept))
    for name in READ_MODEL_CONTEXTS:
        if name in by_name:
            models = sorted(apps.get_app_config(name).get_models(), key=lambda m: m._meta.db_table)
            by_name[name].tables = [(m._meta.db_table, _doc(m)) for m in models]
    return found


def _node(name: str) -> str:
    return name.replace(".", "_")


def mermaid(found: list[Context]) -> str:
    owner_of = {t: c.name for c in found for t in c.publishes}
    lines = ["flowchart LR"]
    lines.append('    subgraph market["market: events.py + the bus"]')
    for c in found:
        if c.package.startswith("market."):
            lines.append(f'        {_node(c.name)}["{c.name}<br/>{"<br/>".join(c.commands)}"]')
    lines.append("    end")
    for c in found:
        if not c.package.startswith("market."):
            lines.append(f'    {_node(c.name)}["{c.name}<br/>{"<br/>".join(c.commands)}"]')
    for c in found:
        if c.tables:
            tables = "<br/>".join(t for t, _ in c.tables)
            lines.append(f'    {_node(c.name)}_tables[("{c.name} read model<br/>{tables}")]')
            lines.append(f"    {_node(c.name)} --- {_node(c.name)}_tables")
    # One arrow per (publisher, subscriber, kind): ==> in the publisher's transaction, -.-> after commit.
    edges: dict[tuple[str, str, bool], set[str]] = {}
    for c in found:
        for durable, subscriptions in ((False, c.in_transaction), (True, c.durable)):
            for _, types in subscriptions:
                for t in types:
                    edges.setdefault((owner_of[t], c.name, durable), set()).add(t)
    for (source, target, durable), types in sorted(edges.items()):
        arrow = "-.->" if durable else "==>"
        lines.append(f'    {_node(source)} {arrow}|"{"<br/>".join(sorted(types))}"| {_node(target)}')
    return "\n".join(lines)


def _codes(names) -> str:
    return ", ".join(f"`{n}`" for n in names) or "—"


def markdown() -> str:
    found = contexts()
    owner_of = {t: c.name for c in found for t in c.publishes}
    out = [
        "# Architecture",
        "",
        "<!-- Generated by `python manage.py events docs` from the bus registry and market/events.py;",
        "     do not edit by hand. tests/platform/test_architecture_doc.py fails when this file is stale. -->",
        "",
        "Five bounded contexts and the platform (`market`: the events, the bus, accounts). No context",
        "imports another; they talk only through the events of `market/events.py`, published and",
        "delivered by the bus (`market/bus/`). How this file is derived is written in",
        "`market/architecture.py`: contexts from the installed apps (plus `accounts` in `market`), the",
        "commands from each `services.py` (its public functions whose parameters are all keyword-only,",
        "the house's `<entity>_<action>(*, ...)` signature), the publisher of an event from the aggregate",
        "it is about, the subscribers from the bus's registry, the read models from the app registry.",
        "",
        "## The picture",
        "",
        "Thick arrows (`==>`): the subscriber runs in the publisher's transaction and may veto it.",
        "Dashed arrows (`-.->`): the subscriber runs after commit, durably (at least once, effects once).",
        "",
        "```mermaid",
        mermaid(found),
        "```",
        "",
        "## The contexts",
        "",
        "| context | package | commands (`services.py`) | publishes "
        "| in the publisher's transaction | after commit (durable) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for c in found:
        in_tx = "<br>".join(f"`{sid}` ← {', '.join(types)}" for sid, types in c.in_transaction) or "—"
        durable = "<br>".join(f"`{sid}` ← {', '.join(types)}" for sid, types in c.durable) or "—"
        out.append(f"| {c.name} | `{c.package}` | {_codes(c.commands)} | {_codes(c.publishes)} | {in_tx} | {durable} |")
    out += [
        "",
        "## The events",
        "",
        "Every event also carries `event_id`, `occurred_at`, `correlation_id`, `causation_id` and, once stored,",
        "its `sequence` in the log. One field name per concept (`product_name`, `price` of the listing,",
        "`amount` of a payment): the vocabulary and the upcasting of payloads stored at an older `version`",
        "are in the docstring of `market/events.py`.",
        "",
        "| event | version | published by | about | payload | meaning |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for event_type, event_class in _event_types().items():
        fields = [f.name for f in dataclasses.fields(event_class) if f.name not in ENVELOPE]
        out.append(
            f"| `{event_type}` | {event_class.version} | {owner_of.get(event_type, '—')} "
            f"| {event_class.aggregate_type} | {', '.join(fields)} | {_doc(event_class)} |"
        )
    out += [
        "",
        "## Who subscribes",
        "",
        "The same table as `python manage.py events catalogue` (and the README):",
        "",
        bus.catalogue_markdown(),
        "",
        "## The read models",
        "",
        "Tables built only from events, by the durable subscribers of their context; no command of",
        "another context writes them, and a replay rebuilds the my-page (`python manage.py rebuild_mypage`).",
        "notice also keeps its own record of every notification it made (`notice_notification`).",
        "",
        "| context | table | what it holds | written by the context's subscribers |",
        "| --- | --- | --- | --- |",
    ]
    for c in found:
        for table, doc in c.tables:
            out.append(f"| {c.name} | `{table}` | {doc or '—'} | {_codes(sid for sid, _ in c.durable)} |")
    return "\n".join(out) + "\n"


def path() -> Path:
    return Path(settings.BASE_DIR) / "docs" / "architecture.md"
