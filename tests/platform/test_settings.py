"""Configuration comes from the environment (12-factor); production refuses unsafe defaults."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRINT_SETTINGS = (
    "import json, django; from django.conf import settings; django.setup(); "
    "db = settings.DATABASES['default']; "
    "print(json.dumps({'engine': db['ENGINE'], 'name': str(db['NAME']), 'options': db.get('OPTIONS', {}), "
    "'conn_max_age': db['CONN_MAX_AGE'], 'debug': settings.DEBUG, 'hosts': settings.ALLOWED_HOSTS, "
    "'cache': settings.CACHES['default']['BACKEND']}))"
)


def load_settings(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY", "DEBUG", "REDIS_URL"}}
    return subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "market.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_defaults_are_sqlite_next_to_manage_py_with_debug_on():
    result = load_settings()
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["engine"] == "django.db.backends.sqlite3"
    assert loaded["name"] == str(ROOT / "db.sqlite3")
    assert loaded["options"]["transaction_mode"] == "IMMEDIATE"
    assert loaded["debug"] is True
    assert loaded["cache"].endswith("LocMemCache")


def test_production_refuses_to_start_without_a_secret_key():
    result = load_settings(DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_postgres_url_redis_url_and_hosts_come_from_the_environment():
    result = load_settings(
        DEBUG="false",
        SECRET_KEY="x" * 50,
        DATABASE_URL="postgres://market:pw@db.internal:5433/market",
        REDIS_URL="redis://cache:6379/0",
        ALLOWED_HOSTS="market.example,www.market.example",
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["engine"] == "django.db.backends.postgresql"
    assert loaded["name"] == "market"
    assert loaded["conn_max_age"] == 60  # persistent connections
    assert loaded["hosts"] == ["market.example", "www.market.example"]
    assert loaded["cache"] == "django_redis.cache.RedisCache"


def test_db_pool_switches_to_psycopg_pooling():
    result = load_settings(DATABASE_URL="postgres://u@h/db", DB_POOL="true")
    loaded = json.loads(result.stdout)
    assert loaded["options"]["pool"]["max_size"] == 10
    assert loaded["conn_max_age"] == 0


@pytest.mark.parametrize("key", ["", "   ", "\t\n", "short-key", "x" * 49])
def test_production_refuses_a_blank_whitespace_or_short_secret_key(key):
    result = load_settings(DEBUG="false", SECRET_KEY=key)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr and "ImproperlyConfigured" in result.stderr


def test_development_keeps_its_default_key_for_a_blank_one():
    assert load_settings(SECRET_KEY="  ").returncode == 0


PRINT_SECURITY = (
    "import json, django; from django.conf import settings; django.setup(); "
    "names = ['SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', 'SECURE_PROXY_SSL_HEADER', 'SESSION_COOKIE_SECURE', "
    "'CSRF_COOKIE_SECURE', 'OPERATOR_LOOPBACK_ALLOWED', 'SECURE_REDIRECT_EXEMPT']; "
    "print(json.dumps({n: getattr(settings, n) for n in names} | {'proxies': settings.REST_FRAMEWORK['NUM_PROXIES']}))"
)


def security_settings(**env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY", "DEBUG", "REDIS_URL"}}
    result = subprocess.run(
        [sys.executable, "-c", PRINT_SECURITY],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "market.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_one_switch_turns_https_on():
    off = security_settings()
    assert not off["SECURE_SSL_REDIRECT"] and not off["SESSION_COOKIE_SECURE"] and off["SECURE_HSTS_SECONDS"] == 0
    on = security_settings(SECURE_HTTPS="1")
    assert on["SECURE_SSL_REDIRECT"] and on["SESSION_COOKIE_SECURE"] and on["CSRF_COOKIE_SECURE"]
    assert on["SECURE_HSTS_SECONDS"] >= 31536000
    assert on["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    # Kubernetes probes and Prometheus come over plain HTTP from inside the cluster: never redirected
    # (a probe would take the 301 for a success without reaching the app).
    import re

    for path in ("healthz", "readyz", "metrics", "ops/backlog"):
        assert any(re.search(pattern, path) for pattern in on["SECURE_REDIRECT_EXEMPT"]), path


def test_forwarded_headers_are_trusted_only_when_proxies_are_configured():
    assert security_settings()["proxies"] == 0
    assert security_settings(NUM_PROXIES="1")["proxies"] == 1


def test_loopback_alone_never_opens_the_operator_routes_in_production_or_behind_a_proxy():
    assert security_settings()["OPERATOR_LOOPBACK_ALLOWED"] is True  # development, no proxy
    assert security_settings(NUM_PROXIES="1")["OPERATOR_LOOPBACK_ALLOWED"] is False
    assert security_settings(DEBUG="false", SECRET_KEY="k" * 60)["OPERATOR_LOOPBACK_ALLOWED"] is False


def production_environment() -> dict[str, str]:
    """The Kubernetes ConfigMap as deployed, with the Secret's placeholders filled in."""
    import secrets

    import yaml

    config = yaml.safe_load((ROOT / "deploy" / "k8s" / "configmap.yaml").read_text(encoding="utf-8"))["data"]
    return {
        **{k: str(v) for k, v in config.items()},
        "SECRET_KEY": secrets.token_urlsafe(64),
        "DATABASE_URL": "postgres://market:pw@postgres.invalid:5432/market",
        "METRICS_TOKEN": secrets.token_urlsafe(32),
    }


def test_check_deploy_is_clean_on_the_production_configuration():
    env = production_environment()
    assert env["SECURE_HTTPS"] in ("1", "true")
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY", "DEBUG", "REDIS_URL"}}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "market.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_without_a_metrics_token():
    env = production_environment() | {"METRICS_TOKEN": ""}
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY", "DEBUG", "REDIS_URL"}}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "market.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "market.W001" in result.stdout + result.stderr


def test_postgres_connections_bound_every_wait():
    """A stalled database: connecting, idle and unacknowledged connections all give up on their own."""
    result = load_settings(DATABASE_URL="postgres://u@h/db")
    assert result.returncode == 0, result.stderr
    options = json.loads(result.stdout)["options"]
    assert options["connect_timeout"] == 3
    assert options["keepalives"] == 1 and options["keepalives_idle"] <= 30
    assert options["tcp_user_timeout"] == 5000
