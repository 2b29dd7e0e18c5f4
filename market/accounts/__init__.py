"""Accounts: registration, token login and the user's profile (phone number for KakaoTalk).

Identity is part of the shared platform like Django's auth, so it lives in ``market``; the
contexts learn about users only from ``UserRegistered`` / ``UserContactChanged`` and from the
request's authenticated user id.
"""
