"""The API's JSON parser: UTF-8 only, no duplicate keys, bounded nesting, no control characters.

DRF's own ``JSONParser`` decodes with whatever codec the ``charset`` names (``base64`` included),
recurses until Python's stack runs out on ``[[[[...]]]]`` (a 500), silently keeps the last of
duplicate keys, and passes NUL bytes and lone surrogates to the database (a ``DataError``). Each of
those is a 400 or a 415 here, for every JSON route at once (it is the only JSON parser configured).
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.parsers import JSONParser

from market.request_guard import charset_allowed, forbidden_character

# Our bodies are flat objects (one level of lists at most); 32 leaves room and stops abuse early.
MAX_DEPTH = 32


class DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKey(key)
        result[key] = value
    return result


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def check_structure(data: Any, max_depth: int = MAX_DEPTH) -> str | None:
    """Why ``data`` is refused (too deep, a forbidden character), or None. Iterative, so a deep
    structure cannot exhaust the stack here either."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if forbidden_character(value):
                return "control_character"
        elif isinstance(value, dict | list):
            if depth > max_depth:
                return "too_deep"
            if isinstance(value, dict):
                for key, item in value.items():
                    if forbidden_character(key):
                        return "control_character"
                    stack.append((item, depth + 1))
            else:
                stack.extend((item, depth + 1) for item in value)
    return None


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        request = parser_context.get("request")
        charset = request.content_params.get("charset") if request is not None else None
        if charset is not None and not charset_allowed(charset):
            raise UnsupportedMediaType(media_type, detail=_("Send JSON as UTF-8."))
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode(charset or "utf-8")
            data = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
        except DuplicateKey as exc:
            raise ParseError(_("JSON parse error - duplicate key %(key)s.") % {"key": repr(str(exc))[:60]}) from exc
        except RecursionError as exc:
            raise ParseError(_("JSON parse error - nested too deeply.")) from exc
        except ValueError as exc:  # UnicodeDecodeError and json.JSONDecodeError included
            raise ParseError(_("JSON parse error - %(error)s") % {"error": str(exc)[:200]}) from exc
        problem = check_structure(data)
        if problem == "too_deep":
            raise ParseError(_("JSON parse error - nested more than %(depth)d levels.") % {"depth": MAX_DEPTH})
        if problem == "control_character":
            raise ParseError(_("JSON strings may not contain NUL or other control characters."))
        return data
