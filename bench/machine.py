"""The machine line every benchmark prints beside its figures (needs Django set up)."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import django
from django.db import connection


def machine() -> str:
    """Cores, CPU model, Python, database and Django versions."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            db = f"PostgreSQL {cursor.fetchone()[0]}"
        else:
            cursor.execute("SELECT sqlite_version()")
            db = f"SQLite {cursor.fetchone()[0]}"
    return (
        f"{os.cpu_count()} cores, {cpu or 'unknown CPU'}; Python {platform.python_version()}; "
        f"{db}; Django {django.get_version()}"
    )


def cpu_seconds() -> tuple[float, float | None]:
    """(CPU seconds this process has used, all threads; CPU seconds the whole machine has
    been busy, from Linux's /proc/stat, or None elsewhere). Differences over a span show
    whether it was bound by the CPU and whose CPU it was."""
    times = os.times()
    own = times.user + times.system
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return own, None
    ticks = [int(f) for f in fields[:8]]  # user nice system idle iowait irq softirq steal
    busy = sum(ticks) - ticks[3] - ticks[4]
    return own, busy / os.sysconf("SC_CLK_TCK")
