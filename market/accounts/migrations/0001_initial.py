# Profile, moved here from the market app (market's 0006) without touching its table: the state
# gains the model with db_table set to the table market created, and no database operation runs.
# The content type moves with it, so permissions granted on profiles and the admin's history of
# them stay attached (on a new database there is no content type yet: post_migrate creates it).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def content_type_to(app_label, other):
    def move(apps, schema_editor):
        ContentType = apps.get_model('contenttypes', 'ContentType')
        db = schema_editor.connection.alias
        if not ContentType.objects.using(db).filter(app_label=app_label, model='profile').exists():
            ContentType.objects.using(db).filter(app_label=other, model='profile').update(app_label=app_label)

    return move


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('market', '0006_profile_moves_to_accounts'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Profile',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('phone', models.CharField(blank=True, default='', max_length=20)),
                        ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='profile', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'market_profile',
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_type_to('accounts', 'market'), content_type_to('market', 'accounts')),
    ]
