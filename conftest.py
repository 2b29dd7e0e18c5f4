"""Suite-wide switches: PostgreSQL-only tests and the CI guarantee that they really ran."""

from __future__ import annotations

import os

import pytest

_postgres_ran = {"passed": 0, "failed": 0}


def _on_postgres() -> bool:
    from django.conf import settings

    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def pytest_collection_modifyitems(config, items):
    if _on_postgres():
        return
    if os.environ.get("REQUIRE_POSTGRES") == "1":
        raise pytest.UsageError("REQUIRE_POSTGRES=1 but DATABASE_URL does not point at PostgreSQL")
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://... (make test-pg)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


def pytest_runtest_logreport(report):
    if report.when == "call" and "postgres" in report.keywords:
        _postgres_ran["passed" if report.passed else "failed"] += 1


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("REQUIRE_POSTGRES") == "1" and _postgres_ran["passed"] == 0:
        print("\nREQUIRE_POSTGRES=1 but no PostgreSQL test passed: failing the run.")
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter):
    if _on_postgres():
        terminalreporter.write_line(
            f"PostgreSQL-only tests: {_postgres_ran['passed']} passed, {_postgres_ran['failed']} failed"
        )
