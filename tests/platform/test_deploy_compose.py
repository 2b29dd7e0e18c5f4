"""The Dockerfile and docker-compose.yml: a multi-stage, non-root image with a health check; compose's
services, health checks, start-up order, commands and the HTTPS switch."""

from __future__ import annotations

import re

import pytest

from tests.platform.test_deploy_manifests import COMPOSE_FILE, DOCKERFILE, _load_all

# --- Dockerfile -----------------------------------------------------------------------------------


def test_dockerfile_basics():
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert len(re.findall(r"^FROM\s+", text, flags=re.MULTILINE)) >= 2, "multi-stage build expected"
    assert re.search(r"^USER\s+(?!root\b|0\b)\S+", text, flags=re.MULTILINE), "runtime must not run as root"
    healthcheck = re.search(r"^HEALTHCHECK\b.*?(?<!\\)$", text, flags=re.MULTILINE | re.DOTALL)
    assert healthcheck and "/healthz" in healthcheck.group(0), "HEALTHCHECK on /healthz expected"
    assert re.search(r'^CMD\s+\["gunicorn",\s*"-c",\s*"gunicorn.conf.py",\s*"market.wsgi:application"\]', text, re.M)
    assert "collectstatic --noinput" in text


# --- docker compose -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    (doc,) = _load_all(COMPOSE_FILE)
    return doc


def _compose_command(service: dict) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else command


def test_compose_services_and_healthchecks(compose):
    services = compose["services"]
    assert {"db", "redis", "migrate", "web", "worker"} <= set(services)
    for name in ("db", "redis", "web", "worker"):
        healthcheck = services[name].get("healthcheck", {})
        assert healthcheck.get("test") and not healthcheck.get("disable"), f"{name} needs a healthcheck"
    web_test = services["web"]["healthcheck"]["test"]
    assert "/readyz" in (" ".join(web_test) if isinstance(web_test, list) else web_test)
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    worker_test = services["worker"]["healthcheck"]["test"]
    assert "market.heartbeat" in worker_test and services["worker"]["environment"]["EVENTS_WORKER_HEARTBEAT_FILE"] in (
        worker_test
    )


def test_compose_startup_order_and_commands(compose):
    services = compose["services"]
    assert "manage.py migrate" in _compose_command(services["migrate"])
    assert "manage.py events_worker" in _compose_command(services["worker"])
    assert "gunicorn" in _compose_command(services["web"])
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["web"]["depends_on"]["redis"]["condition"] == "service_healthy"
    assert services["worker"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["worker"]["stop_grace_period"] == "30s"
    assert any(str(p).endswith(":8000") for p in services["web"]["ports"])
    for name in ("migrate", "web", "worker"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"] == "postgres://market:market@db:5432/market"
        assert env["EVENTS_DISPATCH"] == "worker"
        assert str(env["DEBUG"]).lower() == "false"


def test_compose_shows_the_https_switch(compose):
    env = compose["x-env"]
    assert "SECURE_HTTPS" in env and "NUM_PROXIES" in env and "METRICS_TOKEN" in env
