"""Bounded waits on the database for web requests, so a stalled database (its network frozen, not
refused) costs a request a few seconds and a 503, never a worker.

Three bounds, each for a different way of waiting:

- connecting: ``connect_timeout`` (``DB_CONNECT_TIMEOUT``), plus TCP keepalives and
  ``tcp_user_timeout`` (``DB_TCP_USER_TIMEOUT_MS``) on every connection, so the kernel gives up on
  a peer that stopped acknowledging (settings.py);
- a slow statement on a live server: ``statement_timeout`` (``DB_STATEMENT_TIMEOUT_MS``) on the
  connections web requests open (``DatabaseDeadlineMiddleware`` sets it when a request opens a
  connection; the event worker and management commands, which never run middleware, keep none:
  a migration may legitimately take longer);
- a server that never answers at all (a frozen network, a stopped proxy): nothing on the server
  side can help, and the kernel may still be acknowledging our bytes. A watchdog thread cuts the
  database socket of any request still running ``DB_REQUEST_DEADLINE_SECONDS`` after it started
  (``shutdown(2)`` on the socket: the blocked driver call returns at once with "server closed the
  connection", Django marks the connection unusable and drops it at the end of the request, and
  ``market.errors`` answers 503 ``database_unavailable`` with ``Retry-After``).

``/healthz`` touches no database, so it never waits on one; with every worker of a process stuck on
the database it still waits for a free worker, at most about the deadline.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import weakref
from contextvars import ContextVar

from django.conf import settings
from django.db import connections
from django.db.backends.signals import connection_created

logger = logging.getLogger(__name__)

_in_web_request: ContextVar[bool] = ContextVar("in_web_request", default=False)
_timed_out_connections: weakref.WeakSet = weakref.WeakSet()  # raw connections already given the timeout


def _statement_timeout_for_web(sender, connection, **kwargs) -> None:
    """A connection opened while serving a web request gets the web statement timeout, once."""
    timeout_ms = int(getattr(settings, "DB_STATEMENT_TIMEOUT_MS", 0) or 0)
    if not _in_web_request.get() or connection.vendor != "postgresql" or timeout_ms <= 0:
        return
    raw = connection.connection
    if raw is None or raw in _timed_out_connections:
        return  # a pooled connection handed out again keeps its session setting
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('statement_timeout', %s, false)", [f"{timeout_ms}ms"])
    _timed_out_connections.add(raw)


connection_created.connect(_statement_timeout_for_web, dispatch_uid="market.db_deadline.statement_timeout")


class Watchdog:
    """One daemon thread per process that cuts the database sockets of overdue requests."""

    def __init__(self, interval: float = 0.25) -> None:
        self.interval = interval
        self._lock = threading.Lock()
        self._watched: dict[int, tuple[float, list]] = {}  # token -> (deadline, connection wrappers)
        self._next = 0
        self._thread: threading.Thread | None = None
        self._pid = 0
        self.cut = 0  # sockets cut, for tests and logs

    def watch(self, deadline: float, wrappers: list) -> int:
        self._ensure_running()
        with self._lock:
            self._next += 1
            self._watched[self._next] = (deadline, wrappers)
            return self._next

    def unwatch(self, token: int) -> None:
        with self._lock:
            self._watched.pop(token, None)

    def _ensure_running(self) -> None:
        # Threads do not survive fork: a gunicorn worker starts its own on its first request.
        if self._thread is not None and self._thread.is_alive() and self._pid == os.getpid():
            return
        with self._lock:
            if self._thread is not None and self._thread.is_alive() and self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="db-deadline-watchdog", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            time.sleep(self.interval)
            now = time.monotonic()
            with self._lock:  # the request cannot finish (unwatch) while its sockets are being cut
                overdue = [token for token, (deadline, _) in self._watched.items() if deadline <= now]
                for token in overdue:
                    _, wrappers = self._watched.pop(token)
                    for wrapper in wrappers:
                        self._cut(wrapper)

    def _cut(self, wrapper) -> None:
        raw = getattr(wrapper, "connection", None)
        if raw is None or wrapper.vendor != "postgresql":
            return
        try:
            fd = raw.fileno()
            with socket.socket(fileno=os.dup(fd)) as sock:  # a duplicate: closing it leaves the driver's fd alone
                sock.shutdown(socket.SHUT_RDWR)
        except (OSError, ValueError, AttributeError) as exc:  # already closed, or not a socket
            logger.debug("could not cut a database socket: %s", exc)
            return
        self.cut += 1
        logger.warning("database did not answer within the request deadline; connection cut")


watchdog = Watchdog()


class DatabaseDeadlineMiddleware:
    """Put it early, before anything that may touch the database (sessions, authentication)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _in_web_request.set(True)
        deadline = float(getattr(settings, "DB_REQUEST_DEADLINE_SECONDS", 0) or 0)
        watch = None
        if deadline > 0:
            watch = watchdog.watch(time.monotonic() + deadline, [connections[alias] for alias in connections])
        try:
            return self.get_response(request)
        finally:
            if watch is not None:
                watchdog.unwatch(watch)
            _in_web_request.reset(token)
