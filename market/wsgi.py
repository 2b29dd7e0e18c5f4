"""WSGI entry point: ``gunicorn -c gunicorn.conf.py market.wsgi:application``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "market.settings")

django_application = get_wsgi_application()

from market.request_guard import CharsetGuard  # noqa: E402 (after Django is set up)

# A Content-Type charset such as zlib would break Django while it builds the request: see CharsetGuard.
application = CharsetGuard(django_application)
