"""Hyperlinks in API output: every resource carries its own ``url`` and links to what it relates to
and to the actions its reader may take, so the API can be walked from ``/api/`` by links alone.

Routes are named, never imported: a context links to another's resource by the route's name (the
URL space is shared, the code is not). Links are absolute when the serializer has the request in
its context (``context={"request": request}``), else paths."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from django.urls import get_script_prefix, reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# when(obj, request) -> bool: whether the link is offered to this reader (an action they may take).
Condition = Callable[[Any, Any], bool]


def value_of(obj: Any, attr: str) -> Any:
    """``obj[attr]`` for a row (a mapping of columns), ``obj.attr`` for a model instance."""
    if isinstance(obj, Mapping):
        return obj.get(attr)
    return getattr(obj, attr, None)


def user_id_of(request: Any) -> int | None:
    user = getattr(request, "user", None)
    return user.pk if user is not None and user.is_authenticated else None


@extend_schema_field({"type": "string", "format": "uri", "nullable": True, "readOnly": True})
class Link(serializers.Field):
    """The URL of the named route ``view_name`` for this object.

    ``Link("product-detail", pk="product_id")``: the route's keyword arguments and the attribute (or
    row column) that fills each. ``query={"product": "id"}`` adds a query string the same way.
    ``when=lambda obj, request: ...`` withholds the link (null) from a reader who may not follow it,
    as a missing value does (a payment not created yet has no link)."""

    def __init__(
        self,
        view_name: str,
        *,
        when: Condition | None = None,
        query: Mapping[str, str] | None = None,
        help_text: str | None = None,
        **route_kwargs: str,
    ) -> None:
        self.view_name = view_name
        self.route_kwargs = route_kwargs
        self.query = query or {}
        self.when = when
        super().__init__(source="*", read_only=True, help_text=help_text)

    def to_representation(self, obj: Any) -> str | None:
        return self.url_for(obj, self.context.get("request"))

    def url_for(self, obj: Any, request: Any) -> str | None:
        """The link for ``obj`` as ``request``'s reader sees it (None: withheld or no target)."""
        if self.when is not None and not self.when(obj, request):
            return None
        kwargs = {name: value_of(obj, attr) for name, attr in self.route_kwargs.items()}
        query = {name: value_of(obj, attr) for name, attr in self.query.items()}
        if any(value is None for value in (*kwargs.values(), *query.values())):
            return None
        url = path_for(self.view_name, kwargs)
        if query:
            url = f"{url}?{urlencode(query)}"
        return request.build_absolute_uri(url) if request is not None else url

    def for_request(self, request: Any) -> Callable[[Any], str | None]:
        """``url_for(obj, request)`` for many objects: the absolute URL is resolved once."""
        if self.query:
            return lambda obj: self.url_for(obj, request)
        template, slots = route_template(self.view_name, tuple(self.route_kwargs))
        if request is not None:
            template = request.build_absolute_uri(template)
        fills = tuple(zip(self.route_kwargs.values(), slots, strict=True))
        when = self.when

        def render(obj: Any) -> str | None:
            if when is not None and not when(obj, request):
                return None
            url = template
            for attr, placeholder in fills:
                value = value_of(obj, attr)
                if value is None:
                    return None
                url = url.replace(placeholder, str(value), 1)
            return url

        return render


# A route's path is resolved once, with a placeholder for each argument, and filled in for each
# object: resolving the route for every link of every row was most of a page's rendering time.
_PLACEHOLDER = 987_654_321_000
_templates: dict[tuple[str, tuple[str, ...], str], tuple[str, tuple[str, ...]]] = {}


def route_template(view_name: str, names: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """The route's path with a placeholder for each argument in ``names``, and the placeholders."""
    key = (view_name, names, get_script_prefix())
    try:
        return _templates[key]
    except KeyError:
        placeholders = [str(_PLACEHOLDER + i) for i in range(len(names))]
        template = reverse(view_name, kwargs=dict(zip(names, placeholders, strict=True)) or None)
        _templates[key] = (template, tuple(placeholders))
        return _templates[key]


def path_for(view_name: str, kwargs: Mapping[str, Any]) -> str:
    """``django.urls.reverse(view_name, kwargs=kwargs)`` for routes whose arguments are ids."""
    template, placeholders = route_template(view_name, tuple(kwargs))
    for value, placeholder in zip(kwargs.values(), placeholders, strict=True):
        template = template.replace(placeholder, str(value), 1)
    return template


def is_reader(attr: str) -> Condition:
    """``when=is_reader("buyer_id")``: only for the user whose id the attribute holds."""

    def condition(obj: Any, request: Any) -> bool:
        reader = user_id_of(request)
        return reader is not None and reader == value_of(obj, attr)

    return condition


def is_reader_while(attr: str, status_attr: str, *statuses: str) -> Condition:
    """Only for that user, and only while the object is in one of ``statuses`` (an action's window)."""
    reader = is_reader(attr)

    def condition(obj: Any, request: Any) -> bool:
        return value_of(obj, status_attr) in statuses and reader(obj, request)

    return condition


__all__ = ["Link", "is_reader", "is_reader_while", "user_id_of", "value_of"]
