"""Sample products for user "seller" (run ``demo_accounts`` first). Idempotent: a product the
seller already lists under the same name is not added again. ``--count N`` adds N numbered
products on the bulk path (still one ProductRegistered each), e.g. 10,000 for the benchmark."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from market import bus
from product.models import Product
from product.services import product_register, product_register_many

SAMPLES = (
    ("Noodle", 3000, "라면 한 박스, 유통기한 넉넉합니다."),
    ("Desk", 50000, "원목 책상, 사용감 조금 있음."),
    ("Coffee", 4500, "원두 200g, 미개봉."),
    ("Lamp", 12000, "LED 스탠드, 밝기 3단계."),
    ("Chair", 35000, "사무용 의자, 높이 조절 가능."),
    ("Bicycle", 120000, "접이식 자전거, 20인치."),
    ("Book", 8000, "파이썬 입문서, 밑줄 없음."),
)


class Command(BaseCommand):
    help = 'Create sample products for user "seller" (idempotent); --count N adds N numbered ones.'

    def add_arguments(self, parser):
        parser.add_argument("--seller", default="seller", help="username of the seller (default: seller)")
        parser.add_argument("--count", type=int, default=0, help="also ensure N numbered products exist")
        parser.add_argument("--drain", action="store_true", help="deliver the bulk path's events before exiting")

    def handle(self, *args, seller: str, count: int, drain: bool, **options):
        user = get_user_model().objects.filter(username=seller).first()
        if user is None:
            raise CommandError(f"no user {seller!r}; run `manage.py demo_accounts` first")
        if count < 0:
            raise CommandError("--count must not be negative")

        existing = set(Product.objects.filter(seller=user).values_list("name", flat=True))
        made = 0
        for name, price, description in SAMPLES:
            if name not in existing:
                product_register(seller=user, name=name, price=price, description=description)
                made += 1

        if count:
            listings = [
                (f"Item {i:05d}", 1000 + (i * 37) % 500_000, f"Sample item number {i}.")
                for i in range(1, count + 1)
                if f"Item {i:05d}" not in existing
            ]
            # Each ProductRegistered is published and its deliveries stored, but delivering them
            # one by one after every batch would take minutes for 10,000: the events worker (or
            # --drain) delivers them instead.
            with override_settings(EVENTS_DISPATCH="worker"):
                made += product_register_many(seller=user, listings=listings)
            if drain:
                delivered = bus.drain(max_rounds=1_000_000)
                self.stdout.write(f"  delivered {delivered} events")
            elif listings:
                self.stdout.write(
                    f"  published {len(listings)} ProductRegistered events; "
                    "`manage.py events_worker` delivers them (or pass --drain)"
                )

        total = Product.objects.filter(seller=user).count()
        self.stdout.write(f"Created {made} products; {seller} now lists {total}.")
