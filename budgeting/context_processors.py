from typing import Any

from django.http import HttpRequest

from budgeting.navigation import items_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    match = getattr(request, "resolver_match", None)
    return {"nav_items": items_for(request), "current_url_name": match.view_name if match else ""}
