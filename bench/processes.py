"""The benchmark's processes and resources: the tools it needs (wrk, matplotlib), its own
PostgreSQL database, and the server under test (gunicorn plus the event workers)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VENV_BIN = Path(sys.executable).parent
PYTHON = sys.executable


def log(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", flush=True)


# --- tools --------------------------------------------------------------------------------------


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("wrk is missing: installing Debian's package (apt-get install -y wrk)")
        env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
        if subprocess.run(["apt-get", "install", "-y", "wrk"], env=env, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update"], env=env, capture_output=True)
            subprocess.run(["apt-get", "install", "-y", "wrk"], env=env, capture_output=True)
        found = shutil.which("wrk")
        if found:
            return found
    sys.exit("bench: the load tool wrk is missing. Install it (Debian/Ubuntu: `sudo apt-get install -y wrk`).")


def ensure_plotting() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        log("matplotlib is missing: installing bench/requirements.txt into the virtualenv")
        subprocess.run([PYTHON, "-m", "pip", "install", "--quiet", "-r", str(BENCH / "requirements.txt")], check=True)


def uptime() -> str:
    done = subprocess.run(["uptime"], capture_output=True, text=True)
    return done.stdout.strip() or "load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- database -------------------------------------------------------------------------------------


class Database:
    """The benchmark's own database on the local PostgreSQL; other databases are never touched."""

    def __init__(self, host: str, port: int, user: str, name: str) -> None:
        self.host, self.port, self.user, self.name = host, port, user, name
        self.url = f"postgres://{user}@{host}:{port}/{name}"

    def _connect(self, dbname: str):
        import psycopg

        return psycopg.connect(host=self.host, port=self.port, user=self.user, dbname=dbname, autocommit=True)

    def recreate(self) -> None:
        with self._connect("postgres") as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        with self._connect("postgres") as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def connect(self):
        return self._connect(self.name)

    def vacuum_analyze(self) -> None:
        with self.connect() as conn:
            conn.execute("VACUUM ANALYZE")

    def query(self, sql: str, params: tuple | list = ()) -> list[tuple]:
        with self.connect() as conn:
            return conn.execute(sql, params).fetchall()


# --- the server ---------------------------------------------------------------------------------


class Server:
    """gunicorn with the app and the floor, plus the event worker, as separate processes."""

    def __init__(self, env: dict[str, str], port: int, workers: int, logdir: Path, event_workers: int = 1) -> None:
        self.env, self.port, self.workers, self.logdir = env, port, workers, logdir
        self.event_workers = event_workers
        self.worker_env: dict[str, str] = {}
        self.procs: list[subprocess.Popen] = []
        self.base = f"http://127.0.0.1:{port}"

    def start(self, *, dispatch: str) -> None:
        env = self.env | {"EVENTS_DISPATCH": dispatch, "GUNICORN_WORKERS": str(self.workers)}
        env.pop("WEB_CONCURRENCY", None)
        out = open(self.logdir / f"gunicorn-{dispatch}.log", "a")  # noqa: SIM115 (lives as long as the process)
        gunicorn = [
            str(VENV_BIN / "gunicorn"),
            "-c",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--access-logfile",
            "/dev/null",
            "market.wsgi:application",
        ]
        self.procs.append(subprocess.Popen(gunicorn, cwd=ROOT, env=env, stdout=out, stderr=out))
        wlog = open(self.logdir / f"worker-{dispatch}.log", "a")  # noqa: SIM115
        worker = [PYTHON, "manage.py", "events_worker"]
        worker_env = env | self.worker_env
        for _ in range(self.event_workers):
            self.procs.append(subprocess.Popen(worker, cwd=ROOT, env=worker_env, stdout=wlog, stderr=wlog))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            url = f"{self.base}/bench/floor/ping/"
            with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
            time.sleep(0.3)
        self.stop()
        sys.exit(f"bench: the server did not answer within 60 s; see {self.logdir}/gunicorn-{dispatch}.log")

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.procs = []
