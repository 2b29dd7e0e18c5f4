"""Rebuild the my-page read model from the event log (from scratch, in batches)."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from mypage.services import mypage_events_to_replay, mypage_rebuild


class Command(BaseCommand):
    help = "Delete the my-page tables and replay the event log into them. Sends no notification."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500, help="Events per transaction (default 500).")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, batch_size: int, no_progress: bool, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        stream = getattr(self.stderr, "_out", sys.stderr)
        with tqdm(
            total=mypage_events_to_replay(), unit="event", desc="rebuild mypage", file=stream, disable=no_progress
        ) as bar:
            applied = mypage_rebuild(batch_size=batch_size, progress=bar.update)
        self.stdout.write(self.style.SUCCESS(f"rebuilt the my-page read model from {applied} events"))
