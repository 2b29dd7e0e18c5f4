"""``?search=`` covers the description as well as the name: ``UPPER(name) LIKE ... OR
UPPER(description) LIKE ...``. A trigram GIN index on ``UPPER(description)`` beside the name's
(0003) lets PostgreSQL answer the OR from both indexes (a BitmapOr) instead of reading the table.
PostgreSQL only, like 0003; on SQLite this migration does nothing."""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS product_description_trgm ON product_product "
    "USING gin (UPPER(description) gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS product_description_trgm"]


def run(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return operation


class Migration(migrations.Migration):
    dependencies = [("product", "0004_wish")]

    operations = [migrations.RunPython(run(CREATE), run(DROP), elidable=False)]
