# Profile moves to the accounts app (market.accounts). Its table stays where it is, named
# market_profile: this migration only takes the model out of market's state, and accounts' 0001
# puts it into accounts' state with db_table set, so an existing database keeps every row.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('market', '0005_correlation_and_schedule'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='Profile')],
            database_operations=[],
        ),
    ]
