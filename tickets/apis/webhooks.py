"""POST /api/sources/<id>/webhook/: a live source's system says tickets changed.

No login and no session: the delivery's signature, made with the source's webhook secret, is
its authentication (tickets.live.webhooks says how each kind signs). A good delivery queues an
incremental run of the source and is answered 202; the body is only a hint, the run reads the
changed tickets from the API. Answers:

- 202 accepted: a run is queued (or one already queued will read the change);
- 200 "already received": the same delivery again (a sender's retry, or a replay): nothing runs;
- 401 "signature": not signed with the secret; 401 "stale": sent over five minutes ago;
- 404: no such source, the source is paused, or it has no webhook secret.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from tickets.live.credentials import SecretUnreadable, live_source_webhook_secret
from tickets.live.webhooks import (
    DeliveryRefused,
    live_source_delivery_forget,
    live_source_delivery_record,
    verify_delivery,
)
from tickets.models import LiveSource
from tickets.tasks import live_source_queue_run

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def live_source_webhook(request: HttpRequest, pk: int) -> JsonResponse:
    source = LiveSource.objects.filter(pk=pk, enabled=True).exclude(webhook_secret="").first()
    if source is None:
        return JsonResponse({"detail": "Not found."}, status=404)
    try:
        secret = live_source_webhook_secret(source)
    except SecretUnreadable as exc:
        logger.error("webhook of live source %s refused: %s", source.name, exc)
        return JsonResponse({"detail": "Not found."}, status=404)
    try:
        delivery = verify_delivery(
            source.kind,
            secret=secret,
            headers=request.headers,
            body=request.body,
            now=timezone.now(),
        )
    except DeliveryRefused as exc:
        logger.warning("webhook of live source %s refused: %s", source.name, exc.reason)
        return JsonResponse({"detail": exc.reason}, status=401)
    if not live_source_delivery_record(source=source, key=delivery.key):
        return JsonResponse({"detail": "already received"}, status=200)
    try:
        live_source_queue_run(source.pk)
    except Exception:
        # Not queued (the broker is down): forgotten, so the sender's retry is accepted.
        live_source_delivery_forget(source=source, key=delivery.key)
        raise
    return JsonResponse({"detail": "accepted"}, status=202)


urlpatterns = [
    path("<int:pk>/webhook/", live_source_webhook, name="live-source-webhook"),
]
