"""List filters shared by the contexts' APIs (django-filter)."""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters.fields import DateRangeField

# Dates a timestamp column can be compared with in any time zone: the first and last days of
# Python's calendar overflow when converted to UTC (a 500 instead of an answer).
EARLIEST = datetime.date(1900, 1, 1)
LATEST = datetime.date(9999, 12, 30)


class BoundedDateRangeField(DateRangeField):
    def clean(self, value):
        cleaned = super().clean(value)
        if cleaned is not None:
            for bound in (cleaned.start, cleaned.stop):
                if bound is not None and not EARLIEST <= bound.date() <= LATEST:
                    raise forms.ValidationError(
                        _("Enter dates between %(earliest)s and %(latest)s."),
                        code="date_out_of_range",
                        params={"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()},
                    )
        return cleaned


class DateRangeFilter(django_filters.DateFromToRangeFilter):
    """``?<name>_after=YYYY-MM-DD&<name>_before=YYYY-MM-DD`` (either may be left out), both days
    included, on a timestamp column; dates outside 1900..9999 are a 400, not a 500."""

    field_class = BoundedDateRangeField
