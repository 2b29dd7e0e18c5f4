"""Seed the benchmark database: users with tokens, products (each with its ProductRegistered event,
published through the product service in batches), and the floor's items.

Run by bench/run.py with the benchmark's environment; prints one JSON document on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

WORDS = ["자전거", "노트북", "카메라", "책상", "의자", "아이폰", "갤럭시", "모니터", "키보드", "가방", "텐트", "기타"]
PASSWORD = "bench-password"  # noqa: S105 (throwaway benchmark accounts)
ADJECTIVES = ["거의 새것", "중고", "급처", "미개봉", "상태 좋은", "빈티지"]


def listing(rng: random.Random, n: int) -> tuple[str, int, str]:
    name = f"{rng.choice(ADJECTIVES)} {rng.choice(WORDS)} {n}"
    return name, rng.randrange(10, 10_000) * 100, "벤치마크용 상품"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--pool", type=int, default=30_000)
    parser.add_argument("--buyers", type=int, default=200)
    parser.add_argument("--sellers", type=int, default=20)
    parser.add_argument("--floor-items", type=int, default=200_000)
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from market.accounts.services import user_register

    started = time.monotonic()
    rng = random.Random(42)
    User = get_user_model()

    def make_users(prefix: str, count: int) -> list:
        users = []
        for n in range(count):
            username = f"{prefix}{n}"
            user = User.objects.filter(username=username).first() or user_register(username=username, password=PASSWORD)
            users.append(user)
        return users

    sellers = make_users("bench_seller", args.sellers)
    buyers = make_users("bench_buyer", args.buyers)
    tokens = {u.pk: Token.objects.get_or_create(user=u)[0].key for u in buyers + sellers}

    from product import services as product_services
    from product.models import Product

    def register(count: int, offset: int) -> list[int]:
        before = Product.objects.order_by("-id").values_list("id", flat=True).first() or 0
        per_seller = -(-count // len(sellers))
        made = 0
        for seller in sellers:
            n = min(per_seller, count - made)
            if n <= 0:
                break
            listings = [listing(rng, offset + made + k) for k in range(n)]
            product_services.product_register_many(seller=seller, listings=listings)
            made += n
        return list(Product.objects.filter(id__gt=before).order_by("id").values_list("id", flat=True))

    catalogue = register(args.products, 0)
    pool = register(args.pool, args.products)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO floor_flooritem (status) SELECT 'available' FROM generate_series(1, %s)", [args.floor_items]
        )
        cursor.execute("SELECT min(id), max(id) FROM floor_flooritem")
        floor_min, floor_max = cursor.fetchone()
        cursor.execute("ANALYZE")
    json.dump(
        {
            "buyers": [{"id": u.pk, "token": tokens[u.pk]} for u in buyers],
            "sellers": [{"id": u.pk, "token": tokens[u.pk]} for u in sellers],
            "catalogue": catalogue,
            "pool": pool,
            "floor_items": [floor_min, floor_max],
            "seconds": round(time.monotonic() - started, 1),
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
