"""``manage.py serve [addr:port]``: what ``make run`` starts, the development server and the event
worker side by side, and a banner naming the address actually served. Ctrl-C stops both and
exits 0, quietly (make then has nothing to report: no "Interrupt", no "Segmentation fault")."""

from __future__ import annotations

import subprocess
import sys
import time

from django.core.management.base import BaseCommand

STOP_SECONDS = 10  # how long each process may take to finish what it has in hand


class Command(BaseCommand):
    help = "Run the development server and the event worker together. Ctrl-C stops both."

    def add_arguments(self, parser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000", help="host:port to serve (127.0.0.1:8000)")

    def handle(self, *args, addrport: str, **options) -> None:
        host, _, port = addrport.rpartition(":")
        base = f"http://{host or '127.0.0.1'}:{port}"
        manage = [sys.executable, sys.argv[0]]
        self.stdout.write(
            self.style.SUCCESS(f"중고마켓 at {base}/")
            + f"\n  shop {base}/shop/   API {base}/api/   docs {base}/api/docs/   admin {base}/admin/"
            + "\n  The event worker runs beside the web server. Ctrl-C stops both."
        )
        # Both children are in this terminal's process group: Ctrl-C reaches each of them at once.
        children = [
            subprocess.Popen([*manage, "events_worker"]),  # noqa: S603 (this interpreter, this manage.py)
            subprocess.Popen([*manage, "runserver", addrport]),  # noqa: S603
        ]
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self._stop(children)

    def _stop(self, children: list[subprocess.Popen]) -> None:
        for child in children:
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except KeyboardInterrupt:  # a second Ctrl-C: stop waiting
                child.kill()
            except subprocess.TimeoutExpired:
                child.kill()
