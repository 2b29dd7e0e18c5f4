"""docs/architecture.md stays true to the code: it is the one `manage.py events docs` generates
from the bus registry and market/events.py, and `--check` says so (for CI)."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from market import architecture, bus

STALE = "docs/architecture.md is stale: run `python manage.py events docs`"


def test_the_committed_architecture_doc_is_the_one_generated_from_the_code():
    assert architecture.path().read_text(encoding="utf-8") == architecture.markdown(), STALE


def test_it_names_every_context_its_commands_and_every_subscriber():
    found = {c.name: c for c in architecture.contexts()}
    assert list(found) == ["accounts", "product", "reservation", "payment", "notice", "mypage"]
    assert "reservation_place" in found["reservation"].commands
    assert "payment_pay" in found["payment"].commands
    # Helpers with positional parameters are not commands.
    assert "payment_event" not in found["payment"].commands
    assert not any(name.startswith("validate_") for name in found["product"].commands)
    listed = {sid for c in found.values() for sid, _ in c.in_transaction + c.durable}
    assert listed == {sid for _, _, in_tx, durable in bus.catalogue() for sid in in_tx + durable}
    assert {t for t, _ in found["mypage"].tables} == {"mypage_mypagerow", "mypage_timelineentry"}
    text = architecture.markdown()
    assert "```mermaid" in text and 'reservation ==>|"ReservationCancelled<br/>' in text


def test_check_passes_on_a_fresh_file_and_fails_on_a_stale_one(tmp_path, monkeypatch, capsys):
    target = tmp_path / "architecture.md"
    monkeypatch.setattr(architecture, "path", lambda: target)
    with pytest.raises(CommandError, match="stale"):
        call_command("events", "docs", "--check")
    call_command("events", "docs")
    call_command("events", "docs", "--check")
    assert "up to date" in capsys.readouterr().out
    target.write_text(target.read_text(encoding="utf-8") + "edited by hand\n", encoding="utf-8")
    with pytest.raises(CommandError, match="stale"):
        call_command("events", "docs", "--check")
