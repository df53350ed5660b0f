from __future__ import annotations

import os

from celery import Celery
from django.db import OperationalError
from kombu.exceptions import OperationalError as BrokerError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# What every task of ours shares: acknowledged only when done (a dead worker's task is
# redelivered), retried with backoff while the database or the broker is unreachable.
RETRYING = {
    "bind": True,
    "acks_late": True,
    "autoretry_for": (OperationalError, BrokerError),
    "retry_backoff": True,
}

app = Celery("vendorscore")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(bind=True, ignore_result=False)
def ping(self) -> str:
    """Round trip used by health checks and the integration test of the worker."""
    return "pong"
