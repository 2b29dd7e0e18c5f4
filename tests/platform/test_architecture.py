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
