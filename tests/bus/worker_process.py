"""A worker in its own process, for the PostgreSQL tests: ``python worker_process.py once|forever``.
It registers the test subscribers, then runs the real Worker against DATABASE_URL."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "market.settings")

import django

django.setup()

import tests.bus.support  # noqa: E402,F401  (registers the test subscribers)
from market.bus.worker import Worker  # noqa: E402

if __name__ == "__main__":
    worker = Worker(
        batch=int(os.environ.get("WORKER_BATCH", "10")), poll=0.05, threads=int(os.environ.get("WORKER_THREADS", "1"))
    )
    if sys.argv[1:] == ["once"]:
        worker.run_until_idle()
    else:
        worker.run_forever()
