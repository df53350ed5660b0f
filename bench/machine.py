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
