from django.core.management.base import BaseCommand

from market.worker import Worker


class Command(BaseCommand):
    help = "Run durable event deliveries: forever (SIGTERM stops it gracefully) or --once."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run every due delivery once, then exit.")
        parser.add_argument("--batch", type=int, default=None, help="Deliveries claimed per round.")
        parser.add_argument("--poll", type=float, default=None, help="Seconds to sleep when idle.")

    def handle(self, *args, once: bool, batch: int | None, poll: float | None, **options):
        worker = Worker(batch=batch, poll=poll)
        if once:
            total = 0
            while claimed := worker.run_once():
                total += claimed
            self.stdout.write(f"ran {total} deliveries")
            return
        worker.run_forever()
