from typing import Any

from django.http import HttpRequest

from budgeting.navigation import current_section, items_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    return {"nav_items": items_for(request), "current_section": current_section(request)}
