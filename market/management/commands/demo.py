"""``manage.py demo [--fresh]``: the reference scenario end to end, through the HTTP API.

It drives the system only as a client would (in-process HTTP with token auth, so market imports
no context) plus the bus's operator switches (pause / resume / drain), printing products,
reservations, payments, my-page rows and notifications after each step and checking every
expected state. Any state not reached fails the command (non-zero exit), so CI can run it.
The steps are in ``market/management/demo/scenario.py``, the client and the tables in ``session.py``.

    1. the seller registers Noodle, Desk and Coffee                  products 01
    2. buyer reserves Noodle, buyer2 reserves Desk                   products 02, reservations 01, payments 01
    3. buyer pays for Noodle                                         payment 02, reservation 03, Noodle soldOut
    4. buyer2 cancels Desk                                           reservation 02, payment 03, Desk 01
    5. my-page is paused; buyer reserves Coffee                      my-page behind, then caught up on resume
    6. product and reservation subscribers paused; buyer pays        payment accepted (02) while the product
                                                                     stays 02 and the reservation 01; both
                                                                     catch up on resume (soldOut, 03)
    8. buyer wishes for Desk; buyer2 reserves it and lets the hold   reservation expired (02), payment 03,
       expire; the seller lowers its price                           Desk 01; buyer told twice (찜)
    9. the Noodle reservation and payment, traced                    reservation -> product hold -> payment
                                                                     requested -> my-page and notifications
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import translation
from django.utils.translation import gettext as _

from market import bus
from market.management.demo import scenario
from market.management.demo.session import USERS, DemoFailed, Session

README_ACCOUNTS = ("seller", "buyer", "buyer2", "admin")  # manage.py demo_accounts; the demo never uses them


class Command(BaseCommand):
    help = "Replay the reference scenario end to end and check every state (exits non-zero if one is not reached)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--fresh", action="store_true", help="Empty the database first (says so, and which demo accounts go)."
        )
        parser.add_argument(
            "--language", choices=[code for code, _name in settings.LANGUAGES], help="ko (the default) or en."
        )

    def handle(self, *args, fresh: bool, language: str | None = None, **options):
        if language:
            translation.activate(language)
        # The demo's requests ask for its language: the API answers in it, and a request's
        # LocaleMiddleware leaves the language it chose active for the rest of the output.
        self.language = translation.get_language()
        # The tables are the output: the log lines every request and notification writes (JSON by
        # default) would bury them. -v 2 keeps them.
        if options["verbosity"] < 2:
            logging.disable(logging.INFO)
        try:
            self.prepare(fresh=fresh)
            self.replay()
        finally:
            logging.disable(logging.NOTSET)

    def prepare(self, *, fresh: bool) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        database = connection.settings_dict["NAME"]
        if fresh:
            accounts = sorted(
                get_user_model().objects.filter(username__in=README_ACCOUNTS).values_list("username", flat=True)
            )
            if accounts:
                warning = _(
                    "--fresh: emptying the database %(database)s first, which deletes the demo accounts "
                    "%(accounts)s (python manage.py demo_accounts creates them again)."
                ) % {"database": database, "accounts": ", ".join(accounts)}
            else:
                warning = _("--fresh: emptying the database %(database)s first.") % {"database": database}
            self.stdout.write(self.style.WARNING(warning))
            call_command("flush", interactive=False, verbosity=0)
        else:
            self.stdout.write(
                _(
                    "Adding the demo's users (%(users)s) and three products to %(database)s. "
                    "(`make demo` replays on a database of its own.)"
                )
                % {"users": ", ".join(f"demo_{n}" for n in USERS), "database": database}
            )

    def replay(self) -> None:
        demo = Session(stdout=self.stdout, stderr=self.stderr, style=self.style, language=self.language)
        try:
            for subscriber in scenario.PAUSED_BY_STEPS:
                bus.resume(subscriber)
            for step in scenario.STEPS:
                step(demo)
        except DemoFailed as exc:
            raise CommandError(f"demo failed: {exc}") from exc
        finally:
            for subscriber in scenario.PAUSED_BY_STEPS:
                bus.resume(subscriber)
        self.stdout.write(self.style.SUCCESS("\n" + _("Every expected state was reached.")))
