"""The benchmark's settings: the production settings plus the floor (bench/floor), so that nothing
of bench/ is installed by market.settings. bench/run.py starts gunicorn, the event worker, migrate
and the seed with DJANGO_SETTINGS_MODULE=bench.settings."""

from market.settings import *  # noqa: F403
from market.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench.floor"]
ROOT_URLCONF = "bench.urls"
