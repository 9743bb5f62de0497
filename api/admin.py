"""API clients in Django admin: register, change the scope, rotate a key, revoke, read
the call log. Every write goes through ``api.services``; a new key is shown once, on
the page that answers the save or the rotation, and kept nowhere else."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from api import services
from api.models import ApiCall, ApiClient

ISSUED = "_api_keys_issued"


def _issued_page(request: HttpRequest, keys: list[tuple[ApiClient, str]]) -> HttpResponse:
    return TemplateResponse(
        request,
        "api/keys_issued.html",
        {**admin.site.each_context(request), "title": _("API keys issued"), "issued": keys},
    )


class ApiClientForm(forms.ModelForm):
    class Meta:
        model = ApiClient
        fields = ["name", "may_read", "may_write_payments", "all_units", "units"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        client = ApiClient(all_units=bool(cleaned.get("all_units")))
        try:
            services.check_scope(client, cleaned.get("units") or [])
        except ValidationError as error:
            self.add_error(None, error)
        return cleaned


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    form = ApiClientForm
    list_display = [
        "name",
        "may_read",
        "may_write_payments",
        "all_units",
        "is_active",
        "key_prefix",
        "key_changed_at",
    ]
    list_filter = ["is_active", "may_write_payments", "all_units"]
    search_fields = ["name", "key_prefix"]
    fields = ["name", "may_read", "may_write_payments", "all_units", "units"]
    readonly_fields = ["key_prefix", "key_changed_at", "is_active", "revoked_at"]
    filter_horizontal = ["units"]
    actions = ["rotate_keys", "revoke"]

    def get_fields(self, request: HttpRequest, obj: ApiClient | None = None) -> Any:
        if obj is None:
            return self.fields
        return [*self.fields, *self.readonly_fields]

    def save_model(self, request: HttpRequest, obj: ApiClient, form: Any, change: bool) -> None:
        units = form.cleaned_data.get("units", [])
        actor: Any = request.user
        if change:
            services.change_client(obj, actor=actor, units=units)
            return
        client, key = services.register_client(
            actor=actor,
            name=obj.name,
            may_read=obj.may_read,
            may_write_payments=obj.may_write_payments,
            all_units=obj.all_units,
            units=units,
        )
        obj.pk = client.pk
        setattr(request, ISSUED, [(client, key)])

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """The services set the units with their history event; nothing more to save."""

    def response_add(
        self, request: HttpRequest, obj: ApiClient, post_url_continue: str | None = None
    ) -> HttpResponse:
        return _issued_page(request, getattr(request, ISSUED))

    def has_delete_permission(self, request: HttpRequest, obj: ApiClient | None = None) -> bool:
        # Clients carry history and a call log: revoke them instead.
        return False

    @admin.action(description=_("Rotate the key of the selected clients"))
    def rotate_keys(
        self, request: HttpRequest, queryset: QuerySet[ApiClient]
    ) -> HttpResponseBase | None:
        actor: Any = request.user
        issued = [
            (client, services.rotate_key(client, actor=actor))
            for client in queryset.filter(is_active=True)
        ]
        if not issued:
            messages.error(request, _("A revoked client gets no new key."))
            return None
        return _issued_page(request, issued)

    @admin.action(description=_("Revoke the selected clients (their keys stop working)"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        actor: Any = request.user
        for client in queryset:
            services.revoke_client(client, actor=actor)
        messages.success(request, _("Revoked."))


@admin.register(ApiCall)
class ApiCallAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "client", "method", "endpoint", "status", "duration_ms"]
    list_filter = ["status", "client"]
    list_select_related = ["client"]
    date_hierarchy = "occurred_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ApiCall | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ApiCall | None = None) -> bool:
        return False
