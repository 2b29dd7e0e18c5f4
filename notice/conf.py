"""Configuration of notice: Django settings if set there, else the environment, read at call time.

| name                             | default                              | meaning                                   |
|----------------------------------|--------------------------------------|-------------------------------------------|
| NOTICE_CHANNEL                   | console                              | "console" (log) or "kakao" (AlimTalk)     |
| NHN_ALIMTALK_BASE_URL            | https://api-alimtalk.cloud.toast.com | NHN Cloud KakaoTalk Bizmessage endpoint   |
| NHN_ALIMTALK_APP_KEY             | (empty)                              | app key (part of the URL path)            |
| NHN_ALIMTALK_SECRET_KEY          | (empty)                              | sent as X-Secret-Key                      |
| NHN_ALIMTALK_SENDER_KEY          | (empty)                              | the KakaoTalk channel's sender key        |
| NHN_ALIMTALK_TIMEOUT             | 3                                    | seconds per request (connect and read)    |
| NHN_ALIMTALK_TEMPLATE_<KIND>     | <KIND>                               | approved template code per message kind   |
"""

from __future__ import annotations

import os

from django.conf import settings

DEFAULTS = {
    "NOTICE_CHANNEL": "console",
    "NHN_ALIMTALK_BASE_URL": "https://api-alimtalk.cloud.toast.com",
    "NHN_ALIMTALK_APP_KEY": "",
    "NHN_ALIMTALK_SECRET_KEY": "",
    "NHN_ALIMTALK_SENDER_KEY": "",
    "NHN_ALIMTALK_TIMEOUT": "3",
}


def get(name: str, default: str | None = None) -> str:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name)
    if value is None or value == "":
        value = DEFAULTS.get(name, "") if default is None else default
    return str(value)


def channel_name() -> str:
    name = get("NOTICE_CHANNEL").strip().lower()
    return name if name in {"console", "kakao"} else "console"


def timeout() -> float:
    try:
        return float(get("NHN_ALIMTALK_TIMEOUT"))
    except ValueError:
        return 3.0


def template_code(kind: str) -> str:
    return get(f"NHN_ALIMTALK_TEMPLATE_{kind.upper()}", kind.upper())
