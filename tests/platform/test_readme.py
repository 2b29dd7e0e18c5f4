"""The README stays true to the code: the event catalogue is the generated one, every environment
variable the code reads is documented, and the two commands a newcomer runs exist."""

from __future__ import annotations

import re
from pathlib import Path

from market import bus

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")

ENV_READ = re.compile(
    r"""(?:os\.environ\.get|os\.getenv|env_(?:bool|int|float|list)|_env|_int|_float)\(\s*["']([A-Z][A-Z0-9_]+)["']"""
)


def test_the_event_catalogue_is_the_one_generated_from_the_code():
    block = README.split("<!-- catalogue:start -->")[1].split("<!-- catalogue:end -->")[0].strip()
    assert block == bus.catalogue_markdown(), "README is stale: paste `python manage.py events catalogue`"


def test_every_environment_variable_the_code_reads_is_documented():
    sources = [ROOT / "gunicorn.conf.py", *ROOT.glob("market/**/*.py")]
    for context in ["product", "reservation", "payment", "notice", "mypage"]:
        sources += (ROOT / context).glob("**/*.py")
    names = {name for path in sources for name in ENV_READ.findall(path.read_text(encoding="utf-8"))}
    assert {"DATABASE_URL", "SECRET_KEY", "REDIS_URL", "EVENTS_DISPATCH"} <= names
    # A documented pattern such as RATE_LIMIT_<SCOPE>_IP or NHN_ALIMTALK_TEMPLATE_<KIND> covers its family.
    patterns = [
        re.compile("^" + re.sub(r"<[A-Z]+>", "[A-Z0-9_]+", p) + "$")
        for p in re.findall(r"[A-Z_]+<[A-Z]+>[A-Z_]*", README)
    ]
    undocumented = sorted(
        n for n in names if f"`{n}`" not in README and n not in README and not any(p.match(n) for p in patterns)
    )
    assert not undocumented, f"document these in README.md's Configuration: {undocumented}"


def test_the_two_commands_of_a_newcomer_exist():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("run", "test"):
        assert f"make {target}" in README
        assert re.search(rf"^{target}:", makefile, re.MULTILINE)
