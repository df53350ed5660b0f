"""Recomputes started from the recompute page, and their progress, kept without a model.

A run is one `recompute_vendor` task per chosen vendor, each with a task id chosen here. The
run (who, when, what, and each vendor's task id) is kept in the cache under its own key, and
the last runs' keys in a list; progress is read back from the tasks' states in the result
backend (Redis) with AsyncResult. Tasks run in-process (no REDIS_URL) finish before the page
reloads, so their states are written into the run as they end.
"""

from __future__ import annotations

import datetime as dt
import uuid
from functools import partial
from zoneinfo import ZoneInfo

from celery.result import AsyncResult
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from scorecards.services import periods_mark_dirty
from scorecards.tasks import recompute_vendor
from vendors.models import Vendor

RUN_KEY = "vendorscore:recompute-run:{}"
RUNS_KEY = "vendorscore:recompute-runs"
RUNS_KEPT = 10
RUN_TTL = 7 * 24 * 3600
FINAL = ("SUCCESS", "FAILURE", "REVOKED")
SCOPES = {
    "changed": "periods changed since the last run, and the current ones",
    "since": "every period since {since}",
    "all": "every period",
}
STATE_WORDS = {
    "PENDING": "queued",
    "RECEIVED": "queued",
    "STARTED": "running",
    "RETRY": "retrying",
    "SUCCESS": "done",
    "FAILURE": "failed",
    "REVOKED": "cancelled",
}


def _instants_since(since: dt.date, today: dt.date) -> list[dt.datetime]:
    """Noon of every day from `since` to `today` in the reporting zone: one instant in each
    week, month and quarter of the span."""
    zone = ZoneInfo(settings.REPORTING_TIME_ZONE)
    days = (today - since).days
    return [
        dt.datetime.combine(since + dt.timedelta(days=n), dt.time(12), tzinfo=zone)
        for n in range(days + 1)
    ]


def recompute_run_start(
    *, vendors: list[Vendor], scope: str, since: dt.date | None = None, user=None
) -> dict:
    """Starts one recompute task per vendor once the request commits, and keeps the run.

    scope "changed": the dirty and current periods (what the nightly run does); "since":
    every period from `since` to today (they are marked dirty first, so the same task picks
    them up); "all": every period. Closed months stay as they are either way.
    """
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")
    now = timezone.now()
    if scope == "since":
        if since is None:
            raise ValueError("a recompute since a date needs the date")
        today = now.astimezone(ZoneInfo(settings.REPORTING_TIME_ZONE)).date()
        instants = _instants_since(since, max(today, since))
        for vendor in vendors:
            periods_mark_dirty(vendor_id=vendor.pk, instants=instants)
    run = {
        "id": uuid.uuid4().hex[:16],
        "started_at": now.isoformat(),
        "user": user.get_username() if user is not None else "",
        "scope": scope,
        "describe": SCOPES[scope].format(since=since.isoformat() if since else ""),
        "every_period": scope == "all",
        "vendors": [
            {"id": v.pk, "name": v.name, "task_id": str(uuid.uuid4()), "state": "", "result": ""}
            for v in vendors
        ],
    }
    cache.set(RUN_KEY.format(run["id"]), run, RUN_TTL)
    runs = [run["id"]] + [r for r in cache.get(RUNS_KEY, []) if r != run["id"]]
    cache.set(RUNS_KEY, runs[:RUNS_KEPT], RUN_TTL)
    transaction.on_commit(partial(_dispatch, run["id"]))
    return run


def _dispatch(run_id: str) -> None:
    run = cache.get(RUN_KEY.format(run_id))
    if run is None:
        return
    eager = recompute_vendor.app.conf.task_always_eager
    for entry in run["vendors"]:
        args, kwargs = (entry["id"],), {"every_period": run["every_period"]}
        if eager:
            result = recompute_vendor.apply(
                args=args, kwargs=kwargs, task_id=entry["task_id"], throw=False
            )
            entry["state"], entry["result"] = result.state, _result_text(result)
        else:
            recompute_vendor.apply_async(args=args, kwargs=kwargs, task_id=entry["task_id"])
    cache.set(RUN_KEY.format(run_id), run, RUN_TTL)


def _result_text(result: AsyncResult) -> str:
    """Figures written, or why the task failed."""
    if result.state == "SUCCESS":
        return f"{result.result:,} figures written"
    if result.state == "FAILURE":
        exc = result.result
        messages = getattr(exc, "messages", None)
        return "; ".join(messages) if messages else str(exc) or type(exc).__name__
    return ""


def recompute_run_progress(run: dict) -> dict:
    """The run with each vendor's current state read from the result backend, and totals."""
    vendors = []
    for entry in run["vendors"]:
        state, text = entry.get("state") or "", entry.get("result") or ""
        if state not in FINAL and recompute_vendor.app.conf.task_always_eager:
            state = "PENDING"  # in-process tasks not sent yet: the backend knows nothing
        elif state not in FINAL:
            result = AsyncResult(entry["task_id"], app=recompute_vendor.app)
            state = result.state
            text = _result_text(result) if state in FINAL else ""
        vendors.append(
            {
                **entry,
                "state": state,
                "words": STATE_WORDS.get(state, state.lower()),
                "result": text,
            }
        )
    total = len(vendors)
    done = sum(1 for v in vendors if v["state"] in FINAL)
    failed = sum(1 for v in vendors if v["state"] in ("FAILURE", "REVOKED"))
    running = sum(1 for v in vendors if v["state"] in ("STARTED", "RETRY"))
    finished = done == total
    if finished:
        message = f"Done: {total - failed} of {total} vendors recomputed" + (
            f", {failed} failed." if failed else "."
        )
    else:
        message = f"{done} of {total} vendors done, {running} running."
    return {
        **run,
        "started": dt.datetime.fromisoformat(run["started_at"]),
        "vendors": vendors,
        "total": total,
        "done": done,
        "failed": failed,
        "finished": finished,
        "percent": round(100.0 * done / total, 1) if total else 100.0,
        "message": message,
    }


def recompute_run_get(*, run_id: str) -> dict | None:
    run = cache.get(RUN_KEY.format(run_id))
    return recompute_run_progress(run) if run is not None else None


def recompute_runs_recent() -> list[dict]:
    """The last runs started from the page, newest first, with their progress."""
    ids = cache.get(RUNS_KEY, [])
    found = cache.get_many([RUN_KEY.format(i) for i in ids])
    return [
        recompute_run_progress(found[RUN_KEY.format(i)]) for i in ids if RUN_KEY.format(i) in found
    ]
