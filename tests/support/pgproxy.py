"""A TCP proxy between Django and PostgreSQL that a test can cut and restore: a database outage
without stopping the shared server."""

from __future__ import annotations

import contextlib
import socket
import threading


class TcpProxy:
    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.accepted = 0
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    def _accept_loop(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            if not self.up:  # the "server" is gone: the connection dies at once
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=3)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self.accepted += 1
                self._sockets.update((client, upstream))
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            self._kill(src)
            self._kill(dst)

    def _kill(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()

    def cut(self) -> None:
        """Outage: drop every open connection and refuse new ones."""
        self.up = False
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            self._kill(sock)

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self.cut()
        self.listener.close()


def main() -> None:
    """Run a proxy as its own process (``python -m tests.support.pgproxy HOST PORT``), so a test can
    freeze it with SIGSTOP: connections stay open and the kernel still accepts new ones, but
    nothing is forwarded any more, which is what a frozen network looks like to a client."""
    import sys
    import time

    proxy = TcpProxy((sys.argv[1], int(sys.argv[2])))
    print(proxy.port, flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
