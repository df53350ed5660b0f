"""What every Celery task of ours shares (the tasks live in their apps' tasks.py)."""

from __future__ import annotations

from django.db import OperationalError
from kombu.exceptions import OperationalError as BrokerError

# Acknowledged only when done (a dead worker's task is redelivered), retried with backoff
# while the database or the broker is unreachable.
RETRYING = {
    "bind": True,
    "acks_late": True,
    "autoretry_for": (OperationalError, BrokerError),
    "retry_backoff": True,
}
