"""Configuration comes from the environment (12-factor); production refuses unsafe defaults."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

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
