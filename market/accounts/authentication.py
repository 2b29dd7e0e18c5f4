"""DRF's token authentication, refusing keys no token can have before looking them up.

Keys are 40 hexadecimal characters (``rest_framework.authtoken``); anything longer or odder is
simply invalid (401) and costs no query. Basic authentication needs no such class: it goes
through ``market.accounts.backends.GuardedModelBackend``.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

TOKEN_KEY_LENGTH = 40


class StrictTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        if len(key) > TOKEN_KEY_LENGTH or not key.isascii() or not key.isalnum():
            raise AuthenticationFailed(_("Invalid token."))
        return super().authenticate_credentials(key)
