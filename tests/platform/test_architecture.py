"""Module boundaries, as a red test: no context imports another; market imports none of them.

lint-imports (CI) enforces the same contracts; this test names the offending import in words
a reviewer reads in one go."""

from __future__ import annotations

import itertools

import grimp
import pytest

CONTEXTS = ["product", "reservation", "payment", "notice", "mypage"]
PACKAGES = ["market", *CONTEXTS]


def boundary_violations(graph) -> list[str]:
    """Every forbidden dependency in ``graph``, each as a readable sentence with its import chain."""
    problems = []
    pairs = [(a, b) for a, b in itertools.permutations(CONTEXTS, 2)] + [("market", c) for c in CONTEXTS]
    for importer, imported in pairs:
        if importer not in graph.modules or imported not in graph.modules:
            continue
        chain = graph.find_shortest_chain(importer=importer, imported=imported, as_packages=True)
        if chain:
            steps = []
            for upstream, downstream in itertools.pairwise(chain):
                details = graph.get_import_details(importer=upstream, imported=downstream)
                line = f" (line {details[0]['line_number']}: {details[0]['line_contents']})" if details else ""
                steps.append(f"{upstream} -> {downstream}{line}")
            problems.append(
                f"{importer} must not import {imported}: "
                + "; ".join(steps)
                + ". Publish or handle an event from market.events instead."
            )
    return problems


def test_no_context_imports_another_and_market_imports_none():
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    problems = boundary_violations(graph)
    assert not problems, "Module boundary broken:\n" + "\n".join(problems)


def test_a_broken_boundary_is_reported_with_the_offending_import():
    graph = grimp.ImportGraph()
    for module in [
        "payment",
        "payment.handlers",
        "reservation",
        "reservation.models",
        "market",
        "market.bus",
        "product",
        "notice",
        "mypage",
    ]:
        graph.add_module(module)
    graph.add_import(
        importer="payment.handlers",
        imported="reservation.models",
        line_number=7,
        line_contents="from reservation.models import Reservation",
    )
    (problem,) = boundary_violations(graph)
    assert problem.startswith("payment must not import reservation: payment.handlers -> reservation.models")
    assert "line 7: from reservation.models import Reservation" in problem


@pytest.mark.parametrize("context", CONTEXTS)
def test_every_context_has_the_same_small_shape(context):
    import importlib.util

    for part in ["models", "services", "selectors", "handlers", "api", "urls", "admin"]:
        assert importlib.util.find_spec(f"{context}.{part}") is not None, f"{context}/{part}.py is missing"


# --- market's public surface (market/__init__.py) and the contract that keeps the contexts on it ---

PUBLIC_CONTRACT = "Contexts import only market's public modules (market/__init__.py)"


def public_surface_contract() -> dict:
    import tomllib
    from pathlib import Path

    config = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = {c["name"]: c for c in config["tool"]["importlinter"]["contracts"]}
    assert PUBLIC_CONTRACT in contracts, "pyproject.toml lost the contract on market's public modules"
    return contracts[PUBLIC_CONTRACT]


def is_private(module: str, forbidden: list[str]) -> bool:
    for expression in forbidden:
        if expression.endswith(".*"):
            if module.startswith(expression[:-1]):
                return True
        elif module == expression or module.startswith(expression + "."):
            return True
    return False


def private_imports(graph, forbidden: list[str], ignored: set[tuple[str, str]]) -> list[str]:
    """Every direct import of a private module of market by a context, as a readable sentence."""
    from market import PUBLIC_MODULES

    problems = []
    for context in (c for c in CONTEXTS if c in graph.modules):
        for importer in sorted({context} | graph.find_descendants(context)):
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                if not imported.startswith("market") or imported in PUBLIC_MODULES:
                    continue
                if (importer, imported) in ignored or not is_private(imported, forbidden):
                    continue
                (detail, *_) = graph.get_import_details(importer=importer, imported=imported) or [{}]
                problems.append(
                    f"{importer} imports {imported} (line {detail.get('line_number')}: "
                    f"{detail.get('line_contents')}), which is private to market. Use its public "
                    f"modules: {', '.join(PUBLIC_MODULES[1:])}."
                )
    return problems


def test_the_contexts_import_only_markets_public_modules():
    contract = public_surface_contract()
    assert contract["type"] == "forbidden"
    assert sorted(contract["source_modules"]) == sorted(CONTEXTS)
    # Direct imports: market.bus itself imports market.bus.publishing and the rest.
    assert contract["allow_indirect_imports"] is True
    ignored = {tuple(part.strip() for part in rule.split("->")) for rule in contract.get("ignore_imports", [])}
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    problems = private_imports(graph, contract["forbidden_modules"], ignored)
    assert not problems, "Private module of market imported:\n" + "\n".join(problems)


def test_every_module_of_market_is_declared_public_or_private():
    from market import PUBLIC_MODULES

    forbidden = public_surface_contract()["forbidden_modules"]
    graph = grimp.build_graph("market", cache_dir=None)
    modules = {"market"} | graph.find_descendants("market")
    assert not [m for m in PUBLIC_MODULES if is_private(m, forbidden)], "a module is both public and private"
    assert set(PUBLIC_MODULES) <= modules, "PUBLIC_MODULES names a module market does not have"
    undeclared = sorted(m for m in modules if m not in PUBLIC_MODULES and not is_private(m, forbidden))
    assert not undeclared, (
        f"declare these in market/__init__.py's PUBLIC_MODULES or in pyproject.toml's {PUBLIC_CONTRACT!r}: {undeclared}"
    )


def test_a_context_importing_a_private_module_is_reported():
    graph = grimp.ImportGraph()
    for module in ["notice", "notice.services", "market", "market.bus", "market.bus.tracing", "market.models"]:
        graph.add_module(module)
    graph.add_import(
        importer="notice.services", imported="market.bus", line_number=3, line_contents="from market import bus"
    )
    graph.add_import(
        importer="notice.services",
        imported="market.bus.tracing",
        line_number=4,
        line_contents="from market.bus import tracing",
    )
    graph.add_import(
        importer="notice.services",
        imported="market.models",
        line_number=5,
        line_contents="from market.models import EventRecord",
    )
    problems = private_imports(graph, ["market.bus.*", "market.models"], set())
    assert len(problems) == 2
    assert problems[0].startswith("notice.services imports market.bus.tracing (line 4: from market.bus import tracing)")
    assert problems[1].startswith(
        "notice.services imports market.models (line 5: from market.models import EventRecord)"
    )
