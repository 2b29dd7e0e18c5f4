"""Event subscribers of the notice context.

- ``notice.directory`` keeps notice's own contact book and product names (atomic, inline). Names
  come from registrations and edits only: a product cannot be edited while reserved, so the last
  name heard is the one a reservation or payment is about;
- ``notice.notify`` turns each domain event into KakaoTalk notifications. It runs outside any
  transaction (it talks to the provider) and only in the worker, so a slow or failing provider
  never delays or fails a reservation or a payment; see ``notice.services``;
- ``notice.wishers`` keeps notice's own wish book and tells wishers when a product is available
  again or cheaper (outside any transaction, worker only); see ``notice.wishes``.
"""

from __future__ import annotations

from market import events
from market.bus import durable
from market.events import Event
from notice.messages import NOTIFYING_EVENTS
from notice.services import directory_apply_events, notification_process_events
from notice.wishes import WISH_EVENTS, wishers_process_events


@durable(
    events.UserRegistered,
    events.UserContactChanged,
    events.ProductRegistered,
    events.ProductUpdated,
    id="notice.directory",
    batch=True,
)
def keep_directory(evts: list[Event]) -> None:
    directory_apply_events(events=evts)


@durable(*NOTIFYING_EVENTS, id="notice.notify", atomic=False, inline=False, batch=True)
def notify(evts: list[Event]) -> None:
    notification_process_events(events=evts)


@durable(*WISH_EVENTS, id="notice.wishers", atomic=False, inline=False, batch=True)
def tell_wishers(evts: list[Event]) -> None:
    """The wish book and the wishers' notifications, in the product's event order: see notice.wishes."""
    wishers_process_events(events=evts)
