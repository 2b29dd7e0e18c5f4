import os
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from market import bus
from market.bus import consuming, tracing


class Command(BaseCommand):
    help = "Operate the event bus: backlog, pause, resume, requeue, purge, subscribers, catalogue, docs."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("backlog", help="Pending, failing, dead and done deliveries per subscriber.")
        sub.add_parser("subscribers", help="Every subscriber and the events it handles.")
        sub.add_parser("catalogue", help="Markdown table: every event and who handles it (for the README).")
        p = sub.add_parser("docs", help="Write docs/architecture.md from the bus registry and market/events.py.")
        p.add_argument("--check", action="store_true", help="Write nothing; fail when the committed file is stale.")
        for name, text in (("pause", "Hold a subscriber's deliveries."), ("resume", "Let them run again.")):
            p = sub.add_parser(name, help=text)
            p.add_argument("subscriber")
            if name == "resume":
                p.add_argument("--drain", action="store_true", help="Run its due deliveries now.")
        p = sub.add_parser("trace", help="A chain of events as a tree (a request id, correlation id or event id).")
        p.add_argument("id")
        p = sub.add_parser("consume", help="Read externalized events from RabbitMQ (a carved-out service's view).")
        consuming.add_arguments(p)
        p = sub.add_parser("requeue", help="Give dead deliveries a fresh start.")
        p.add_argument("--subscriber", default=None)
        p.add_argument("ids", nargs="*", type=int)
        p = sub.add_parser("purge", help="Delete done deliveries past their retention (pending and dead stay).")
        p.add_argument("--older-than-hours", type=float, default=None, help="Default: EVENTS_RETENTION_HOURS.")
        p.add_argument("--batch", type=int, default=None, help="Rows per DELETE. Default: EVENTS_PURGE_BATCH.")

    def handle(self, *args, action: str, **options):
        try:
            getattr(self, f"do_{action}")(**options)
        except LookupError as exc:
            raise CommandError(str(exc)) from exc

    def do_backlog(self, **_):
        rows = bus.backlog()
        width = max([len(r.subscriber) for r in rows] + [10])
        self.stdout.write(f"{'subscriber':<{width}}  state    pending  failing  dead  done")
        for r in rows:
            state = "paused" if r.paused else "running"
            self.stdout.write(
                f"{r.subscriber:<{width}}  {state:<7}  {r.pending:>7}  {r.failing:>7}  {r.dead:>4}  {r.done:>4}"
            )

    def do_subscribers(self, **_):
        for sub in sorted(bus.subscribers().values(), key=lambda s: s.id):
            kind = "durable" if sub.durable else "in-transaction"
            self.stdout.write(f"{sub.id}  [{kind}]  <- {', '.join(sub.event_types)}")

    def do_catalogue(self, **_):
        self.stdout.write(bus.catalogue_markdown())

    def do_docs(self, check: bool = False, **_):
        from market import architecture

        text, target = architecture.markdown(), architecture.path()
        shown = os.path.relpath(target, settings.BASE_DIR)
        if check:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                raise CommandError(f"{shown} is stale: run `python manage.py events docs`")
            self.stdout.write(f"{shown} is up to date")
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        self.stdout.write(f"wrote {shown}")

    def do_pause(self, subscriber: str, **_):
        bus.pause(subscriber)
        self.stdout.write(f"paused {subscriber}")

    def do_resume(self, subscriber: str, drain: bool = False, **_):
        bus.resume(subscriber)
        ran = bus.drain(subscriber=subscriber) if drain else 0
        self.stdout.write(f"resumed {subscriber}" + (f", ran {ran} deliveries" if drain else ""))

    def do_requeue(self, subscriber: str | None, ids: list[int], **_):
        n = bus.requeue(subscriber=subscriber, ids=ids or None)
        self.stdout.write(f"requeued {n} dead deliveries")

    def do_purge(self, older_than_hours: float | None, batch: int | None, **_):
        older_than = timedelta(hours=older_than_hours) if older_than_hours is not None else None
        n = bus.purge(older_than=older_than, batch=batch)
        self.stdout.write(f"purged {n} done deliveries")

    def do_trace(self, id: str, **_):
        found = tracing.trace(id)
        if found is None:
            raise CommandError(f"no event carries {id!r} (a request id, correlation id or event id)")
        self.stdout.write(found.text())

    def do_consume(self, **options):
        consuming.consume(self.stdout, **{k: v for k, v in options.items() if k != "stdout"})
