"""``make run``'s server (``manage.py serve``): the banner names the address actually served, and
Ctrl-C stops the web server and the worker and exits 0, so make has nothing to report."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def restore_sigint() -> None:
    # As a terminal's Ctrl-C finds it: a process started in the background inherits SIGINT ignored.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.timeout(120)
def test_serve_prints_its_real_address_and_stops_cleanly_on_ctrl_c(tmp_path):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}", "LOG_FORMAT": "text"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, as a terminal's foreground job
        preexec_fn=restore_sigint,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("the server never answered")
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground group
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    text = output.decode(errors="replace")
    assert process.returncode == 0, text
    assert f"http://127.0.0.1:{port}/" in text
    assert "Ctrl-C stops both" in text
    assert "worker" in text and "stopped" in text  # the event worker finished cleanly
    assert "Traceback" not in text and "Segmentation fault" not in text


def test_make_run_execs_serve_so_make_reports_nothing():
    recipe = (ROOT / "Makefile").read_text()
    assert "exec $(PY) manage.py serve $(HOST):$(PORT)" in recipe
    assert "run: install-runtime" in recipe  # running installs requirements.txt only


def test_django_log_lines_are_written_once():
    # Django's default logging gives "django" a console handler of its own; beside the root's it
    # printed every django.* line twice (a plain "Conflict: /api/..." next to the formatted one).
    import logging

    assert logging.getLogger("django").handlers == []
    assert logging.getLogger("django").propagate
