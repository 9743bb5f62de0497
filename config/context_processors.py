from typing import Any

from django.http import HttpRequest

from config.navigation import current_item, items_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    items = items_for(request)
    return {"nav_items": items, "current_nav_item": current_item(request, items)}
