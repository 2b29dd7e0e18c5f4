"""WSGI entry point: ``gunicorn -c gunicorn.conf.py market.wsgi:application``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "market.settings")

application = get_wsgi_application()
