"""The platform of the modular monolith: what the five contexts share, and nothing of theirs.

The contexts (product, reservation, payment, notice, mypage) import only these modules of
``market``, its public surface:

- ``market.events``: the published events, the one vocabulary the contexts share;
- ``market.bus``: the bus's package API (``publish``, ``in_transaction``, ``durable``, pause and
  resume, ``logged_events`` to replay the log, ...), not its modules (``market.bus.claiming`` and
  the rest are how it works);
- ``market.transitions``: the state-machine table an aggregate declares its life with, and the
  conditional UPDATEs derived from it;
- ``market.errors``: the errors a service raises and the JSON an API answers them with;
- ``market.db``: ids in URLs and the database helpers the contexts share;
- ``market.api``: the REST conventions (ids in paths, pagination, documented errors, HAL pages);
- ``market.hal``: the reference routes' HAL pages and status codes (only each context's
  ``reference_api`` may import it: another contract);
- ``market.response_cache``: whole anonymous responses of a public list, kept a few seconds;
- ``market.filters``, ``market.links``: list filters and hyperlinks in API output;
- ``market.web``: what the web pages share (errors as messages, rate limits, the breaker);
- ``market.admin_site``: the admin's shared base class and filters;
- ``market.periodic``: jobs the event worker runs every so often;
- ``market.resilience``: the circuit breakers, which a view that wants one asks for by name;
- ``market.observability``: log context and named measurements (``emit``);
- ``market.testing``: the ``Scenario`` helper of the tests.

Everything else here is private to the platform: accounts (the contexts learn about users from
``UserRegistered`` / ``UserContactChanged`` and the request's user), the bus's tables
(``market.models``), the settings and URLs, the middleware, metrics, health and the commands.
``lint-imports`` refuses a context importing one of them (pyproject.toml: "Contexts import only
market's public modules"), and tests/platform/test_architecture.py checks that the contract's private
modules and ``PUBLIC_MODULES`` together name every module of ``market``, so a new module is
declared one or the other.
"""

PUBLIC_MODULES = (
    "market",
    "market.admin_site",
    "market.api",
    "market.bus",
    "market.db",
    "market.errors",
    "market.events",
    "market.filters",
    "market.hal",
    "market.links",
    "market.observability",
    "market.periodic",
    "market.resilience",
    "market.response_cache",
    "market.testing",
    "market.transitions",
    "market.web",
)
