"""``?search=`` on the catalogue is Django's ``icontains``: ``UPPER(name) LIKE UPPER('%term%')``,
which no B-tree can answer, so every search read the whole table. A trigram GIN index on
``UPPER(name)`` answers it (pg_trgm, a trusted extension: the database's owner may create it).

PostgreSQL only, so it is SQL run by hand rather than a ``GinIndex`` in the model's Meta (which
SQLite, the embedded default, would have to create too); on SQLite this migration does nothing."""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS product_name_trgm ON product_product USING gin (UPPER(name) gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS product_name_trgm"]  # the extension stays: others may use it


def run(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return operation


class Migration(migrations.Migration):
    dependencies = [("product", "0002_status_price_index")]

    operations = [migrations.RunPython(run(CREATE), run(DROP), elidable=False)]
