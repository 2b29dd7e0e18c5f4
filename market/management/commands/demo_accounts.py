"""Demo accounts for the reference walkthrough: seller, buyer, buyer2 and a superuser, all with
the password "secret" (too weak for the registration API's validators, so created directly here;
demo use only). Idempotent: running it again resets the passwords and changes nothing else."""

from __future__ import annotations

import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from rest_framework.authtoken.models import Token

from market import events
from market.accounts.models import Profile
from market.bus import publish

PASSWORD = "secret"  # noqa: S105  (demo accounts, documented as such)

ACCOUNTS = (
    # username, phone, superuser
    ("seller", "01011112222", False),
    ("buyer", "01033334444", False),
    ("buyer2", "", False),
    ("admin", "", True),
)


class Command(BaseCommand):
    help = 'Create the demo users seller, buyer, buyer2 and superuser admin (password "secret"), with tokens.'

    def handle(self, *args, **options):
        User = get_user_model()
        rows = []
        for username, phone, superuser in ACCOUNTS:
            with transaction.atomic():
                user = User.objects.select_for_update().filter(username=username).first()
                created = user is None
                if created:
                    user = User(username=username)
                user.set_password(PASSWORD)
                user.is_active = True
                if superuser:
                    user.is_staff = user.is_superuser = True
                user.save()
                Profile.objects.update_or_create(user=user, defaults={"phone": phone})
                token, _ = Token.objects.get_or_create(user=user)
                if created:
                    publish(events.UserRegistered(user_id=user.pk, username=username, phone=phone))
            rows.append((username, phone or "-", "superuser" if superuser else "", token.key, created))

        self.stdout.write(f"Demo accounts (password for all: {PASSWORD}):")
        for username, phone, role, key, created in rows:
            state = "created" if created else "exists"
            self.stdout.write(f"  {username:<8} phone {phone:<12} token {key}  {role:<9} ({state})")
        port = os.environ.get("PORT", "8000")  # make run passes its PORT
        self.stdout.write(f"Try: http -a buyer:secret POST :{port}/reservation productId=1 reservationStatus=01")
