"""Benchmark the SLA clock: cost per call must not grow with the span.

Run: .venv/bin/python bench/bench_sla.py
"""

from __future__ import annotations

import os
import platform
import sys
import timeit
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from vendors.sla import BusinessCalendar, add_business_seconds, business_seconds  # noqa: E402

LONDON = ZoneInfo("Europe/London")
REPEATS = 7


def per_call_us(call, number: int = 2000) -> float:
    """Best of REPEATS runs, in microseconds per call (best = least disturbed by noise)."""
    call()  # warm the offset-transition cache, as a long-running process would be
    return min(timeit.repeat(call, number=number, repeat=REPEATS)) / number * 1e6


def main() -> None:
    print(f"machine: {platform.platform()}, {platform.machine()}, cpus={os.cpu_count()}")
    print(f"python:  {platform.python_implementation()} {platform.python_version()}")
    bank_holidays = holidays.country_holidays("GB", subdiv="ENG", years=range(2025, 2029))
    calendars = {
        "London 09-17 + bank holidays": BusinessCalendar.weekdays(
            "Europe/London", (time(9), time(17)), holidays=bank_holidays.keys()
        ),
        "London 24x7": BusinessCalendar.always_open("Europe/London"),
    }
    start = datetime(2026, 1, 14, 10, 20, tzinfo=LONDON)
    spans = {"1 hour": timedelta(hours=1), "2 years": timedelta(days=730)}
    # Five pauses spread over the first weeks (for the 2-year span they are a small part).
    pauses = [
        (start + timedelta(days=3 * n, hours=2), start + timedelta(days=3 * n, hours=5))
        for n in range(5)
    ]
    print(f"{'calendar':30} {'function':22} {'span':8} {'pauses':>6} {'us/call':>9}")
    for name, calendar in calendars.items():
        for with_pauses in (False, True):
            chosen = pauses if with_pauses else []
            timings = {}
            for label, span in spans.items():
                end = start + span
                seconds = business_seconds(calendar, start, end, chosen)
                count = per_call_us(
                    lambda c=calendar, e=end, p=chosen: business_seconds(c, start, e, p)
                )
                add = per_call_us(
                    lambda c=calendar, s=seconds, p=chosen: add_business_seconds(c, start, s, p)
                )
                timings[label] = (count, add)
                for function, value in (("business_seconds", count), ("add_business_seconds", add)):
                    print(f"{name:30} {function:22} {label:8} {len(chosen):>6} {value:9.2f}")
            short, long = timings["1 hour"], timings["2 years"]
            print(
                f"{'':30} ratio 2 years / 1 hour: business_seconds {long[0] / short[0]:.2f}x, "
                f"add_business_seconds {long[1] / short[1]:.2f}x"
            )


if __name__ == "__main__":
    main()
