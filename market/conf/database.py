"""The default database's settings from its URL and the DB_* environment variables."""

from __future__ import annotations

import dj_database_url

from market.conf.env import env_bool, env_float, env_int


def database(url: str) -> dict:
    # Persistent connections (60 s) without per-request health checks (Django's default): a check
    # is a `SELECT 1` round trip before every request. Without it, after a database restart the first
    # request on each stale connection answers 503 "try again shortly" (market.errors) and Django
    # drops that connection; the next one reconnects. DB_CONN_HEALTH_CHECKS=1 trades the round trip
    # for not even that one 503.
    db = dj_database_url.parse(
        url,
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=env_bool("DB_CONN_HEALTH_CHECKS", False),
    )
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # IMMEDIATE transactions take the write lock up front, so the web server and the worker never
        # fail with "database is locked" on a lock upgrade; WAL lets readers run beside the writer.
        db["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    elif db["ENGINE"] == "django.db.backends.postgresql":
        db.setdefault("OPTIONS", {})
        if env_bool("DB_POOL", False):
            # psycopg 3's pool inside each process; persistent connections must then be off.
            db["CONN_MAX_AGE"] = 0
            db["OPTIONS"]["pool"] = {
                "min_size": env_int("DB_POOL_MIN", 2),
                "max_size": env_int("DB_POOL_MAX", 10),
                "timeout": env_float("DB_POOL_TIMEOUT", 5.0),
            }
        db["OPTIONS"].setdefault("connect_timeout", env_int("DB_CONNECT_TIMEOUT", 3))
        # A peer that stops answering is noticed by the kernel: keepalive probes on an idle connection,
        # and tcp_user_timeout for bytes sent but never acknowledged (a frozen network). See also
        # market.db_deadline for the web requests' own bounds.
        db["OPTIONS"] |= {
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 5,
            "keepalives_count": 3,
            "tcp_user_timeout": env_int("DB_TCP_USER_TIMEOUT_MS", 5000),
        }
        # Server-side binding: parameters travel apart from the SQL, and psycopg prepares a statement
        # it has run five times on a connection, so PostgreSQL stops planning the same few queries
        # (the token lookup, the hold, the page of products) on every request.
        # (Django leaves psycopg's prepare_threshold at None, "never prepare", unless it is given.)
        if env_bool("DB_SERVER_SIDE_BINDING", True):
            db["OPTIONS"] |= {"server_side_binding": True, "prepare_threshold": 5}
    return db
