"""How a notification leaves the building: the console (a log line) or KakaoTalk AlimTalk through
NHN Cloud's KakaoTalk Bizmessage API (v2.3).

``send`` returns the provider's response on success and raises:
- ``PermanentFailure`` when trying again can never help (a 4xx, or a 200 whose
  ``header.isSuccessful`` is false: bad template, bad number, ...): the notification fails now,
  with the provider's message;
- ``TransientFailure`` for timeouts, network errors, 5xx and 429: the caller retries later,
  with the same idempotency key.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Protocol

import httpx

from notice import conf
from notice.models import Notification

logger = logging.getLogger(__name__)


class SendFailure(Exception):
    def __init__(self, message: str, response: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.response = response


class PermanentFailure(SendFailure):
    """The provider said no for good."""


class TransientFailure(SendFailure):
    """The provider could not be reached or was unwell; worth another try."""


class Channel(Protocol):
    name: str

    def send(self, notification: Notification) -> Any: ...


class ConsoleChannel:
    """Development default, and for users without a phone number: the message goes to the log."""

    name = Notification.Channel.CONSOLE

    def send(self, notification: Notification) -> Any:
        logger.info(
            "notice to user #%s: %s",
            notification.recipient_user_id,
            notification.text,
            extra={"notification": str(notification.uuid), "kind": notification.kind},
        )
        return {"channel": "console", "logged": True}


class AlimTalkChannel:
    """``POST {base}/alimtalk/v2.3/appkeys/{appKey}/messages`` with ``X-Secret-Key`` and
    ``X-NC-API-IDEMPOTENCY-KEY`` (the notification's uuid)."""

    name = Notification.Channel.KAKAO

    def url(self) -> str:
        base = conf.get("NHN_ALIMTALK_BASE_URL").rstrip("/")
        return f"{base}/alimtalk/v2.3/appkeys/{conf.get('NHN_ALIMTALK_APP_KEY')}/messages"

    def request_body(self, notification: Notification) -> dict[str, Any]:
        return {
            "senderKey": conf.get("NHN_ALIMTALK_SENDER_KEY"),
            "templateCode": notification.template_code,
            "recipientList": [
                {"recipientNo": notification.recipient_no, "templateParameter": dict(notification.parameters)}
            ],
        }

    def send(self, notification: Notification) -> Any:
        if not conf.get("NHN_ALIMTALK_APP_KEY") or not conf.get("NHN_ALIMTALK_SECRET_KEY"):
            raise PermanentFailure("AlimTalk is not configured: set NHN_ALIMTALK_APP_KEY and NHN_ALIMTALK_SECRET_KEY")
        headers = {
            "Content-Type": "application/json;charset=UTF-8",
            "X-Secret-Key": conf.get("NHN_ALIMTALK_SECRET_KEY"),
            "X-NC-API-IDEMPOTENCY-KEY": str(notification.uuid),
        }
        body = json.dumps(self.request_body(notification), ensure_ascii=False).encode("utf-8")
        try:
            with httpx.Client(timeout=conf.timeout()) as client:
                response = client.post(self.url(), content=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise TransientFailure(f"AlimTalk timed out: {exc.__class__.__name__}") from exc
        except httpx.HTTPError as exc:
            raise TransientFailure(f"AlimTalk unreachable: {exc.__class__.__name__}: {exc}") from exc
        return self._outcome(response)

    @staticmethod
    def _outcome(response: httpx.Response) -> Any:
        try:
            data: Any = response.json()
        except ValueError:
            data = response.text[:2000]
        header = data.get("header", {}) if isinstance(data, dict) else {}
        provider_message = header.get("resultMessage") or (data if isinstance(data, str) else "") or ""
        status = response.status_code
        if status >= 500 or status in (408, 429):
            raise TransientFailure(f"AlimTalk answered {status}: {provider_message}".strip(), data)
        if status >= 400:
            raise PermanentFailure(f"AlimTalk refused ({status}): {provider_message}".strip(), data)
        if header.get("isSuccessful") is False:
            raise PermanentFailure(f"AlimTalk refused ({header.get('resultCode')}): {provider_message}".strip(), data)
        for result in (data.get("message") or {}).get("sendResults") or [] if isinstance(data, dict) else []:
            if result.get("resultCode") not in (0, None):
                raise PermanentFailure(
                    f"AlimTalk refused the recipient ({result.get('resultCode')}): {result.get('resultMessage', '')}",
                    data,
                )
        return data


def channel_for(name: str) -> Channel:
    return AlimTalkChannel() if name == Notification.Channel.KAKAO else ConsoleChannel()
