"""Webhooks: signed events to a consumer's URL when a project is approved or an approved
project's quota changes (docs/api.md).

Queued in the transaction of the change: ``api.receivers`` hands every history event
of a project to ``queue_events``, which writes a ``WebhookDelivery`` per webhook that
may see the project and queues ``deliver`` for the background worker. So nothing is
sent from a request, and an event exists exactly when its change was committed.

``deliver`` posts the body with its HMAC-SHA256 signature, waits ``WEBHOOK_TIMEOUT``
seconds at most, logs the attempt (``WebhookAttempt``) and, unless the consumer
answered 2xx, queues the next attempt ``WEBHOOK_RETRY_SECONDS`` × 2^(n-1) later, up to
``WEBHOOK_ATTEMPTS`` in all. A consumer that hangs holds one worker for the timeout,
below everything else in the queue, never a request.
"""

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from api.models import DeliveryState, Webhook, WebhookAttempt, WebhookDelivery, WebhookEvent
from api.permissions import projects_visible_to_client
from api.quotas import quota, with_quota_figures
from api.scopes import Scope
from audit.models import Event
from projects.models import Project, ProjectState

logger = logging.getLogger(__name__)

PROJECT_TARGET = Project._meta.label_lower
# Below the page-facing tasks (exports), beside the mail: a hung consumer holds a worker.
WEBHOOK_PRIORITY = -10
USER_AGENT = "budget-webhooks/1"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Budget-Signature`` of a body sent at ``timestamp`` (Unix seconds): the
    HMAC-SHA256 of ``"<timestamp>." + body`` with the secret, as hex."""
    message = timestamp.encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _digest(figures: dict[str, Any]) -> str:
    """The quota's figures without its change time, as a stable hash."""
    stable = {key: value for key, value in figures.items() if key != "updated_at"}
    text = json.dumps(stable, cls=DjangoJSONEncoder, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def queue_events(event: Event) -> list[WebhookDelivery]:
    """The deliveries a project's history event makes, queued in its transaction: a
    ``project.approved`` for its approval, a ``quota.changed`` for anything after that
    alters the quota's figures (compared with the last delivery's), for each active
    webhook of an active client that may read quotas and sees the project."""
    if event.target_type != PROJECT_TARGET:
        return []
    webhooks = list(
        Webhook.objects.filter(
            is_active=True,
            client__is_active=True,
            client__scopes__contains=[Scope.QUOTAS_READ.value],
        ).select_related("client")
    )
    queued = []
    for webhook in webhooks:
        project = (
            with_quota_figures(projects_visible_to_client(webhook.client))
            .filter(code=event.target_key, state=ProjectState.APPROVED)
            .first()
        )
        if project is None:
            continue
        figures = quota(project)
        digest = _digest(figures)
        if event.to_state == ProjectState.APPROVED and event.from_state != ProjectState.APPROVED:
            kind = WebhookEvent.PROJECT_APPROVED
        else:
            last = (
                WebhookDelivery.objects.filter(webhook=webhook, project_code=project.code)
                .order_by("-id")
                .values_list("quota_digest", flat=True)
                .first()
            )
            if last == digest:
                continue
            kind = WebhookEvent.QUOTA_CHANGED
        queued.append(_queue(webhook, kind, project.code, figures, digest))
    return queued


def _queue(
    webhook: Webhook, kind: str, code: str, figures: dict[str, Any], digest: str
) -> WebhookDelivery:
    delivery = WebhookDelivery(webhook=webhook, event=kind, project_code=code, quota_digest=digest)
    delivery.body = json.dumps(
        {
            "event": kind,
            "delivery": str(delivery.public_id),
            "occurred_at": timezone.now(),
            "quota": figures,
        },
        cls=DjangoJSONEncoder,
        ensure_ascii=False,
    )
    delivery.save()
    deliver.enqueue(delivery.pk)
    return delivery


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A consumer answers; it does not send the signed body on elsewhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST and return the consumer's status; raises OSError when there is none."""
    if not url.startswith(("http://", "https://")):  # the services allow no other
        raise OSError(f"not an http(s) address: {url}")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with _OPENER.open(request, timeout=settings.WEBHOOK_TIMEOUT) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as error:
        return error.code


@task(priority=WEBHOOK_PRIORITY)
def deliver(delivery_id: int) -> None:
    """The worker's half: one attempt of one delivery, logged; the next one queued with
    a doubled wait unless the consumer took it (2xx) or the attempts are used up."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("webhook")
            .filter(pk=delivery_id, state=DeliveryState.PENDING)
            .first()
        )
        if delivery is None or not delivery.webhook.is_active:
            return
        delivery.attempts += 1
        delivery.save(update_fields=["attempts"])
    webhook, number = delivery.webhook, delivery.attempts
    body = delivery.body.encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Budget-Event": delivery.event,
        "X-Budget-Delivery": str(delivery.public_id),
        "X-Budget-Timestamp": timestamp,
        "X-Budget-Signature": sign(webhook.secret, timestamp, body),
    }
    started, status, error = time.monotonic(), None, ""
    try:
        status = _post(webhook.url, body, headers)
    except (OSError, ValueError) as problem:  # refused, timed out, unreachable, bad URL
        error = str(problem) or type(problem).__name__
    took = int((time.monotonic() - started) * 1000)
    _record(delivery, number, status, error, took)


def _record(
    delivery: WebhookDelivery, number: int, status: int | None, error: str, took: int
) -> None:
    delivered = status is not None and 200 <= status < 300
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=number,
            status_code=status,
            error=error[:500],
            duration_ms=took,
        )
        now = timezone.now()
        if delivered:
            delivery.state, delivery.delivered_at, delivery.next_attempt_at = (
                DeliveryState.DELIVERED,
                now,
                None,
            )
        elif number >= settings.WEBHOOK_ATTEMPTS:
            delivery.state, delivery.next_attempt_at = DeliveryState.FAILED, None
        else:
            wait = timedelta(seconds=settings.WEBHOOK_RETRY_SECONDS * 2 ** (number - 1))
            delivery.next_attempt_at = now + wait
            deliver.using(run_after=delivery.next_attempt_at).enqueue(delivery.pk)
        delivery.save(update_fields=["state", "delivered_at", "next_attempt_at"])
    if not delivered:
        logger.warning(
            "Webhook %s: %s of %s, attempt %s of %s: %s",
            delivery.webhook.url,
            delivery.event,
            delivery.project_code,
            number,
            settings.WEBHOOK_ATTEMPTS,
            error or f"status {status}",
        )
