"""Profile moved from the market app to accounts (market 0006, accounts 0001) without a table
rename: a database migrated before the move keeps its rows, the new model reads them, and the
permissions on profiles stay the same rows."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from market.accounts.models import Profile

BEFORE_THE_MOVE = [("market", "0005_correlation_and_schedule"), ("accounts", None)]


def migrate(targets=None) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    return executor


@pytest.mark.django_db(transaction=True)
def test_a_profile_written_before_the_move_is_read_by_the_accounts_model():
    permission = Permission.objects.get(content_type__app_label="accounts", codename="change_profile")
    content_type = permission.content_type
    try:
        old = migrate(BEFORE_THE_MOVE).loader.project_state(BEFORE_THE_MOVE[0]).apps
        user = old.get_model("auth", "User").objects.create(username="before_the_move")
        old.get_model("market", "Profile").objects.create(user_id=user.pk, phone="01012345678")
        # While migrated back, the content type is the market app's again (the reverse of the move).
        assert ContentType.objects.filter(pk=content_type.pk).values_list("app_label", flat=True).get() == "market"
    finally:
        migrate()
        ContentType.objects.clear_cache()

    profile = Profile.objects.select_related("user").get(user__username="before_the_move")
    assert profile.phone == "01012345678"
    assert Profile._meta.db_table == "market_profile"
    assert ContentType.objects.get_for_model(Profile).pk == content_type.pk
    assert Permission.objects.get(content_type__app_label="accounts", codename="change_profile").pk == permission.pk
