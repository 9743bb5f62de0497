from django.contrib import admin
from django.http import HttpRequest

from accounts.admin_scopes import ProvinceAdminsOnly
from audit.models import Event


@admin.register(Event)
class EventAdmin(ProvinceAdminsOnly, admin.ModelAdmin):
    """Read-only: history is written by services and never edited. The province's admins
    read it; a city's admins read their projects' and units' history on the pages."""

    list_display = ["occurred_at", "event_type", "target_type", "target_key", "actor", "comment"]
    list_filter = ["event_type", "target_type"]
    search_fields = ["target_key", "target_label", "comment", "actor__username"]
    list_select_related = ["actor"]
    date_hierarchy = "occurred_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Event | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Event | None = None) -> bool:
        return False
