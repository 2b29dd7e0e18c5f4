"""Publish a batch of messages and wait for all their confirms at once (pika's asynchronous
``SelectConnection``), on a connection of its own.

pika's blocking channel waits for each confirm before the next publish, and RabbitMQ confirms a
persistent message on a durable queue only after writing it to disk. Sent together, a batch's
messages share those writes (bench/externalize.md has the figures). The connection
lives for one batch: nothing to keep alive between batches (heartbeats of an idle blocking
connection), nothing stale after a broker restart.
"""

from __future__ import annotations

from dataclasses import dataclass

import pika
import pika.exceptions

# A connection that died under a callback (the broker went away mid-batch).
_BROKEN = (
    pika.exceptions.AMQPConnectionError,
    pika.exceptions.ConnectionWrongStateError,
    pika.exceptions.ChannelWrongStateError,
    OSError,
)


class Unreachable(Exception):
    """The broker could not be reached, or the connection broke before every confirm came."""


class Refused(Exception):
    """The broker refused: a nack, or it closed the channel (an exchange of another type...)."""


@dataclass(frozen=True)
class Message:
    routing_key: str
    body: bytes
    properties: pika.BasicProperties


class ConfirmedBatch:
    def __init__(self, parameters: pika.URLParameters, exchange: str, messages: list[Message], timeout: float):
        self.parameters = parameters
        self.exchange = exchange
        self.messages = messages
        self.timeout = timeout
        self.unconfirmed: set[int] = set()
        self.published = False
        self.error: Exception | None = None
        self.connection: pika.SelectConnection | None = None
        self.channel = None

    def run(self) -> None:
        """Publish every message; return once the broker confirmed them all, else raise."""
        if not self.messages:
            return
        self.connection = pika.SelectConnection(
            self.parameters,
            on_open_callback=self._on_open,
            on_open_error_callback=self._on_open_error,
            on_close_callback=self._on_closed,
        )
        self.connection.ioloop.call_later(self.timeout, self._on_timeout)
        try:
            self.connection.ioloop.start()
        except _BROKEN as exc:  # raised from a callback when the connection died under it
            self.error = self.error or Unreachable(f"the connection to RabbitMQ broke: {exc!r}")
        if self.error is not None:
            raise self.error
        if not self.published or self.unconfirmed:  # closed before every confirm arrived
            raise Unreachable(f"{len(self.unconfirmed)} message(s) not confirmed")

    # --- the conversation, in order ---------------------------------------------------------

    def _on_open(self, connection) -> None:
        connection.channel(on_open_callback=self._on_channel)

    def _on_channel(self, channel) -> None:
        self.channel = channel
        channel.add_on_close_callback(self._on_channel_closed)
        channel.confirm_delivery(ack_nack_callback=self._on_confirm, callback=self._on_confirm_mode)

    def _on_confirm_mode(self, _frame) -> None:
        self.channel.exchange_declare(self.exchange, exchange_type="topic", durable=True, callback=self._on_exchange)

    def _on_exchange(self, _frame) -> None:
        self.unconfirmed = set(range(1, len(self.messages) + 1))  # delivery tags on a fresh channel
        self.published = True
        for message in self.messages:
            self.channel.basic_publish(self.exchange, message.routing_key, message.body, message.properties)

    def _on_confirm(self, frame) -> None:
        method = frame.method
        tags = {t for t in self.unconfirmed if t <= method.delivery_tag} if method.multiple else {method.delivery_tag}
        self.unconfirmed -= tags
        if isinstance(method, pika.spec.Basic.Nack) and self.error is None:
            self.error = Refused(f"the broker refused {len(tags)} message(s) (nack)")
        if not self.unconfirmed:
            self._close()

    # --- endings ----------------------------------------------------------------------------

    def _close(self) -> None:
        if self.connection.is_open:
            self.connection.close()
        elif self.connection.is_closed:
            self.connection.ioloop.stop()

    def _on_open_error(self, connection, exc) -> None:
        self.error = self.error or Unreachable(f"cannot connect to RabbitMQ: {exc!r}")
        connection.ioloop.stop()

    def _on_channel_closed(self, _channel, reason) -> None:
        if isinstance(reason, pika.exceptions.ChannelClosedByBroker) and self.error is None:
            self.error = Refused(f"the broker closed the channel: {reason!r}")
        self._close()

    def _on_closed(self, connection, reason) -> None:
        if self.unconfirmed and self.error is None:
            self.error = Unreachable(f"the connection to RabbitMQ closed: {reason!r}")
        connection.ioloop.stop()

    def _on_timeout(self) -> None:
        if self.error is None:
            self.error = Unreachable(f"no confirms within {self.timeout} s")
        self._close()
