"""Template helpers of the web pages: amounts of won, and state labels looked up by value."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext

register = template.Library()


@register.filter
def won(amount) -> str:
    """12000 -> "12,000원" (Korean) / "₩12,000" (English); nothing known -> "—"."""
    if amount is None or amount == "":
        return "—"
    try:
        number = int(amount)
    except (TypeError, ValueError):
        return str(amount)
    # Translators: an amount of Korean won; %(amount)s is already grouped with commas.
    return gettext("₩%(amount)s") % {"amount": f"{number:,}"}


@register.filter
def label(value, labels) -> str:
    """``{{ row.status|label:status_labels }}``: the translated label of a state, or the value
    itself for a state this page does not know yet (a newer context may add states)."""
    if value is None or value == "":
        return "—"
    try:
        return str(labels[value])
    except (KeyError, TypeError):
        return str(value)
