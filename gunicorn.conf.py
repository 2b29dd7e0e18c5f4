"""Gunicorn settings for 중고마켓, all overridable from the environment.

Run with: gunicorn -c gunicorn.conf.py market.wsgi:application
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


bind = f"0.0.0.0:{_int('PORT', 8000)}"

# WEB_CONCURRENCY is the de-facto name used by PaaS buildpacks; GUNICORN_WORKERS is the explicit one.
# Default 2*cores+1, capped at 8: in a container os.cpu_count() reports the node's cores, not the limit.
workers = _int("WEB_CONCURRENCY", _int("GUNICORN_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 8)))
# threads > 1 switches the worker class to gthread (useful when requests mostly wait on the DB).
threads = _int("GUNICORN_THREADS", 1)

timeout = _int("GUNICORN_TIMEOUT", 30)
# Must stay below the orchestrator's stop grace period (minus any preStop sleep), else workers get SIGKILLed.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 25)
# Seconds to hold an idle keep-alive connection; keep it above any fronting proxy's idle timeout.
keepalive = _int("GUNICORN_KEEPALIVE", 5)

# Recycle workers now and then to bound slow memory growth; jitter keeps them from restarting together.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 100)

# The heartbeat file is touched constantly; on overlay/disk-backed /tmp that can stall workers.
_SHM = "/dev/shm"  # noqa: S108 (tmpfs for gunicorn's per-worker heartbeat file, not for data)
if os.path.isdir(_SHM):
    worker_tmp_dir = _SHM

# Logs go to stdout/stderr for the container runtime to collect.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Short access line: client, request line, status, bytes, duration in ms, and the X-Request-ID the app
# echoes on the response (so it matches the id in the app's own log lines).
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms rid=%({x-request-id}o)s'


def on_starting(server):
    # Multi-process metrics: start from an empty directory, or a previous run's counters would be summed in.
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        import shutil

        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory, exist_ok=True)


def child_exit(server, worker):
    # prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR set) must drop a dead worker's live gauges.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
