"""A local stand-in for NHN Cloud's KakaoTalk Bizmessage API on a loopback socket.

It records every request (path, headers, JSON body) and answers as told: "ok" (200, success),
"refused" (200 with header.isSuccessful false), "400" (NHN-style error body), "500", or "hang"
(answers only after longer than the client's timeout). ``script`` answers the next requests
in turn; after that ``mode`` applies.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.test import override_settings


def _ok(recipient_no: str) -> dict:
    return {
        "header": {"resultCode": 0, "resultMessage": "success", "isSuccessful": True},
        "message": {
            "requestId": uuid.uuid4().hex,
            "senderGroupingKey": None,
            "sendResults": [
                {"recipientSeq": 1, "recipientNo": recipient_no, "resultCode": 0, "resultMessage": "SUCCESS"}
            ],
        },
    }


class FakeAlimTalk:
    def __init__(self, hang_seconds: float = 1.5) -> None:
        self.requests: list[dict] = []
        self.mode = "ok"
        self.script: list[str] = []
        self.hang_seconds = hang_seconds
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw.decode("utf-8"))
                except ValueError:
                    body = None
                fake.requests.append({"path": self.path, "headers": dict(self.headers.items()), "json": body})
                mode = fake.script.pop(0) if fake.script else fake.mode
                recipient_no = ((body or {}).get("recipientList") or [{}])[0].get("recipientNo", "")
                if mode == "hang":
                    time.sleep(fake.hang_seconds)
                    self._answer(200, _ok(recipient_no))
                elif mode == "500":
                    self._answer(500, {"error": "internal"})
                elif mode == "400":
                    self._answer(
                        400,
                        {"header": {"resultCode": -1003, "resultMessage": "Invalid appkey.", "isSuccessful": False}},
                    )
                elif mode == "refused":
                    self._answer(
                        200,
                        {
                            "header": {
                                "resultCode": -3012,
                                "resultMessage": "Template is not approved.",
                                "isSuccessful": False,
                            }
                        },
                    )
                else:
                    self._answer(200, _ok(recipient_no))

            def _answer(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json;charset=UTF-8")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                    pass

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeAlimTalk:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def serving(**settings):
    """A fake provider the ``kakao`` channel is configured to use (app key, secret, sender key, and
    ``settings`` on top, e.g. the client's timeout), for the duration of the block."""
    with (
        FakeAlimTalk() as fake,
        override_settings(
            NOTICE_CHANNEL="kakao",
            NHN_ALIMTALK_BASE_URL=fake.url,
            NHN_ALIMTALK_APP_KEY="app-key-1",
            NHN_ALIMTALK_SECRET_KEY="s3cret",
            NHN_ALIMTALK_SENDER_KEY="sender-1",
            **settings,
        ),
    ):
        yield fake
