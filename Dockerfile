# syntax=docker/dockerfile:1
#
# 중고마켓 image: one image, three roles.
#
#   web (default CMD):  docker run -p 8000:8000 --env-file .env IMAGE
#   event worker:       docker run --env-file .env IMAGE python manage.py events_worker
#   migrations:         docker run --env-file .env IMAGE python manage.py migrate --noinput
#   operator commands:  docker run --env-file .env IMAGE python manage.py events backlog
#
# Run migrations once per release, before (or while) the new web pods roll out: /readyz stays 503
# until they are applied, so new web containers take no traffic before that.
# The worker and migrate containers serve no HTTP; disable the HEALTHCHECK for them
# (`--no-healthcheck`, or `healthcheck: {disable: true}` in compose).
#
# Build needs BuildKit (the default since Docker 23) for the bind mount below.

ARG PYTHON_IMAGE=python:3.11-slim

# --- 1. build: resolve and build every wheel once ------------------------------------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /build
COPY requirements.txt .
# All pinned deps ship manylinux wheels (psycopg[binary] included), so no compiler is needed here.
# If one ever needs compiling, add `apt-get install build-essential` in THIS stage only.
RUN pip wheel --wheel-dir /wheels -r requirements.txt

# --- 2. runtime: wheels installed offline, no build tools, non-root ----------------------------
FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=market.settings \
    PORT=8000

# Fixed numeric uid/gid so Kubernetes' runAsNonRoot can verify the user without a passwd lookup.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

WORKDIR /app

# Bind-mount the wheels instead of COPYing them, so they never end up in a layer of the final image.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    --mount=type=bind,source=requirements.txt,target=/tmp/requirements.txt \
    pip install --no-index --find-links=/wheels -r /tmp/requirements.txt

# Code stays root-owned (read-only to the app user); see .dockerignore for what is left out.
COPY . .

# Static files are baked into the image. The key below only lets settings import (SECRET_KEY is
# required with DEBUG off, at least 50 characters); it is not kept in the image and never used at run time.
RUN SECRET_KEY=collectstatic-build-only-not-a-secret-and-never-used-at-run-time DEBUG=false python manage.py collectstatic --noinput

USER 10001:10001

EXPOSE 8000

# Liveness only (no DB): python, since slim images have no curl. Uses the "localhost" host name,
# so ALLOWED_HOSTS must include localhost. urlopen raises on any non-2xx, which exits non-zero.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://localhost:' + os.environ.get('PORT', '8000') + '/healthz', timeout=4)" || exit 1

# gunicorn treats SIGTERM as a graceful stop: finish requests in hand within graceful_timeout.
# The worker (manage.py events_worker) stops after the delivery in hand on SIGTERM too.
STOPSIGNAL SIGTERM

# Exec form: gunicorn is PID 1 and receives the stop signal directly (no shell in between).
CMD ["gunicorn", "-c", "gunicorn.conf.py", "market.wsgi:application"]
