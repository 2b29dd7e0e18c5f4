from django.conf import settings
from django.core.management.base import BaseCommand

from market import metrics
from market.bus.worker import Worker


class Command(BaseCommand):
    help = "Run durable event deliveries: forever (SIGTERM stops it gracefully) or --once."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run every due delivery once, then exit.")
        parser.add_argument("--batch", type=int, default=None, help="Deliveries claimed per round.")
        parser.add_argument("--poll", type=float, default=None, help="Seconds to sleep when idle.")
        parser.add_argument(
            "--threads",
            type=int,
            default=None,
            help="Delivery threads, each with its own connection (default: EVENTS_WORKER_THREADS). "
            "Pays off on PostgreSQL; SQLite lets one writer in at a time.",
        )

    def handle(self, *args, once: bool, batch: int | None, poll: float | None, threads: int | None, **options):
        worker = Worker(batch=batch, poll=poll, threads=threads)
        if once:
            self.stdout.write(f"ran {worker.run_until_idle()} deliveries")
            return
        if settings.EVENTS_WORKER_METRICS_PORT:
            metrics.serve_worker_metrics(settings.EVENTS_WORKER_METRICS_PORT)
        worker.run_forever()
