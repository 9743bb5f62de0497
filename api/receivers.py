"""What the API hears from the layers below: every project history event may make
webhook deliveries (``api.webhooks``), in the transaction that records it."""

from typing import Any

from audit.models import Event


def queue_webhook_events(
    sender: type[Event], instance: Event, created: bool, **kwargs: Any
) -> None:
    if created:
        from api.webhooks import queue_events

        queue_events(instance)
