"""The message catalogues: one per app, every string translated, and the committed .mo files
compiled from the .po files beside them (``make messages`` rebuilds them; running the project
needs no gettext)."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ["market", "product", "reservation", "payment", "notice", "mypage"]
CATALOGUES = [ROOT / app / "locale" / "ko" / "LC_MESSAGES" / "django.po" for app in APPS]


def mo_catalogue(data: bytes) -> dict[bytes, bytes]:
    """A compiled catalogue's messages (the GNU .mo layout: a header, then two tables of
    (length, offset) pairs pointing at the original and the translated strings)."""
    magic = struct.unpack("<I", data[:4])[0]
    order = "<" if magic == 0x950412DE else ">"
    _revision, count, originals, translations = struct.unpack(order + "4I", data[4:20])
    messages = {}
    for i in range(count):
        length, offset = struct.unpack(order + "2I", data[originals + 8 * i : originals + 8 * i + 8])
        t_length, t_offset = struct.unpack(order + "2I", data[translations + 8 * i : translations + 8 * i + 8])
        messages[data[offset : offset + length]] = data[t_offset : t_offset + t_length]
    return messages


@pytest.mark.parametrize("po", CATALOGUES, ids=APPS)
def test_every_app_has_a_korean_catalogue_with_every_string_translated(po):
    text = po.read_text(encoding="utf-8")
    assert '"Language: ko\\n"' in text
    assert "#, fuzzy" not in text, f"{po}: fuzzy entries are not used by Django; translate and unflag them"
    entries = text.split("\n\n")[1:]  # after the header
    untranslated = [e for e in entries if "msgid" in e and not e.startswith("#~") and e.rstrip().endswith('msgstr ""')]
    assert not untranslated, f"{po}: untranslated: {untranslated}"


@pytest.mark.parametrize("po", CATALOGUES, ids=APPS)
def test_the_committed_mo_is_the_compiled_po(po, tmp_path):
    if not shutil.which("msgfmt"):
        if os.environ.get("CI"):
            pytest.fail("gettext's msgfmt is missing (apt-get install gettext)")
        pytest.skip("gettext's msgfmt is not installed (apt-get install gettext)")
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(compiled), str(po)], check=True)
    committed = po.with_suffix(".mo")
    assert committed.exists(), f"{committed} is missing: run `make messages`"
    assert mo_catalogue(committed.read_bytes()) == mo_catalogue(compiled.read_bytes()), (
        f"{committed} does not match {po.name}: run `make messages` and commit the .mo"
    )
