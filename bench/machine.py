"""What a benchmark ran on: the machine, the versions that matter, the load generator (the
report's first table)."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path


def machine(bench) -> dict:
    info: dict[str, str] = {}
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        info["cpu"] = next(line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line)
    except (OSError, StopIteration):
        info["cpu"] = platform.processor() or "unknown"
    info["cores"] = str(os.cpu_count())
    try:
        meminfo = Path("/proc/meminfo").read_text().splitlines()
        mem_kb = int(next(x for x in meminfo if x.startswith("MemTotal")).split()[1])
        info["ram"] = f"{mem_kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        info["ram"] = "unknown"
    info["os"] = platform.platform()
    info["python"] = platform.python_version()
    try:
        import django
        import gunicorn
        import rest_framework

        info["django"] = django.get_version()
        info["drf"] = rest_framework.VERSION
        info["gunicorn"] = gunicorn.__version__
    except ImportError:
        pass
    try:
        info["postgresql"] = bench.server_version
    except AttributeError:
        info["postgresql"] = "unknown"
    wrk = subprocess.run([bench.wrk, "-v"], capture_output=True, text=True)
    info["wrk"] = (wrk.stdout or wrk.stderr).splitlines()[0] if (wrk.stdout or wrk.stderr) else "wrk"
    return info
