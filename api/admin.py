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

from accounts.admin_scopes import ProvinceAdminsOnly
from api import services
from api.models import ApiCall, ApiClient, Webhook, WebhookAttempt, WebhookDelivery
from api.scopes import Scope

ISSUED = "_api_keys_issued"


def _issued_page(request: HttpRequest, keys: list[tuple[ApiClient, str]]) -> HttpResponse:
    return TemplateResponse(
        request,
        "api/keys_issued.html",
        {**admin.site.each_context(request), "title": _("API keys issued"), "issued": keys},
    )


class ApiClientForm(forms.ModelForm):
    # One checkbox per grant, labelled with what it opens (``api.scopes.Scope``).
    scopes = forms.MultipleChoiceField(
        label=_("scopes"),
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_(
            "The endpoints the client may call. Every grant is limited to the budget units below."
        ),
    )

    class Meta:
        model = ApiClient
        fields = ["name", "scopes", "all_units", "jurisdiction", "units"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        client = ApiClient(all_units=bool(cleaned.get("all_units")))
        try:
            services.check_scope(client, cleaned.get("units") or [])
        except ValidationError as error:
            self.add_error(None, error)
        return cleaned


@admin.register(ApiClient)
class ApiClientAdmin(ProvinceAdminsOnly, admin.ModelAdmin):
    form = ApiClientForm
    list_display = [
        "name",
        "scope_list",
        "all_units",
        "is_active",
        "key_prefix",
        "key_changed_at",
    ]
    list_filter = ["is_active", "all_units"]
    search_fields = ["name", "key_prefix"]
    fields = ["name", "scopes", "all_units", "jurisdiction", "units"]
    readonly_fields = ["key_prefix", "key_changed_at", "is_active", "revoked_at"]
    filter_horizontal = ["units"]
    actions = ["rotate_keys", "revoke"]

    def get_fields(self, request: HttpRequest, obj: ApiClient | None = None) -> Any:
        if obj is None:
            return self.fields
        return [*self.fields, *self.readonly_fields]

    @admin.display(description=_("scopes"))
    def scope_list(self, obj: ApiClient) -> str:
        return ", ".join(obj.scopes)

    def save_model(self, request: HttpRequest, obj: ApiClient, form: Any, change: bool) -> None:
        units = form.cleaned_data.get("units", [])
        actor: Any = request.user
        if change:
            services.change_client(obj, actor=actor, units=units)
            return
        client, key = services.register_client(
            actor=actor,
            name=obj.name,
            scopes=obj.scopes,
            all_units=obj.all_units,
            units=units,
            jurisdiction=obj.jurisdiction,
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
class ApiCallAdmin(ProvinceAdminsOnly, admin.ModelAdmin):
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


def _secrets_page(request: HttpRequest, issued: list[tuple[Webhook, str]]) -> HttpResponse:
    return TemplateResponse(
        request,
        "api/secrets_issued.html",
        {
            **admin.site.each_context(request),
            "title": _("Webhook secrets issued"),
            "issued": issued,
        },
    )


class WebhookForm(forms.ModelForm):
    url = forms.URLField(
        label=_("consumer URL"),
        max_length=500,
        assume_scheme="https",
        help_text=Webhook._meta.get_field("url").help_text,
    )

    class Meta:
        model = Webhook
        fields = ["client", "url", "is_active"]

    def clean_url(self) -> str:
        try:
            return services.check_url(self.cleaned_data["url"])
        except ValidationError as error:
            raise ValidationError(error.message_dict["url"]) from None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        client = cleaned.get("client")
        if client is not None and not client.is_active:
            self.add_error("client", _("A revoked client gets no webhook."))
        return cleaned


@admin.register(Webhook)
class WebhookAdmin(ProvinceAdminsOnly, admin.ModelAdmin):
    """Register a consumer's URL for a client (its signing secret shown once), change the
    URL, pause it, rotate the secret. Every write goes through ``api.services``."""

    form = WebhookForm
    list_display = ["client", "url", "is_active", "created_at"]
    list_filter = ["is_active", "client"]
    list_select_related = ["client"]
    readonly_fields = ["created_at"]
    actions = ["rotate_secrets"]

    def get_fields(self, request: HttpRequest, obj: Webhook | None = None) -> Any:
        if obj is None:
            return ["client", "url"]
        return ["client", "url", "is_active", "created_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Webhook | None = None) -> Any:
        return ["client", "created_at"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Webhook, form: Any, change: bool) -> None:
        actor: Any = request.user
        if change:
            services.change_webhook(obj, actor=actor, url=obj.url, is_active=obj.is_active)
            return
        webhook, secret = services.register_webhook(actor=actor, client=obj.client, url=obj.url)
        obj.pk = webhook.pk
        setattr(request, ISSUED, [(webhook, secret)])

    def response_add(
        self, request: HttpRequest, obj: Webhook, post_url_continue: str | None = None
    ) -> HttpResponse:
        return _secrets_page(request, getattr(request, ISSUED))

    def has_delete_permission(self, request: HttpRequest, obj: Webhook | None = None) -> bool:
        # Its deliveries are the record of what was sent: pause it instead.
        return False

    @admin.action(description=_("Make a new signing secret for the selected webhooks"))
    def rotate_secrets(self, request: HttpRequest, queryset: QuerySet[Webhook]) -> HttpResponse:
        actor: Any = request.user
        issued = [
            (webhook, services.rotate_webhook_secret(webhook, actor=actor)) for webhook in queryset
        ]
        return _secrets_page(request, issued)


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ["number", "started_at", "status_code", "error", "duration_ms"]
    readonly_fields = ["number", "started_at", "status_code", "error", "duration_ms"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


DELIVERY_FIELDS = (
    "webhook",
    "event",
    "project_code",
    "state",
    "attempts",
    "created_at",
    "next_attempt_at",
    "delivered_at",
    "body",
)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ProvinceAdminsOnly, admin.ModelAdmin):
    """What was sent to whom, and every attempt: read only."""

    list_display = [
        "created_at",
        "webhook",
        "event",
        "project_code",
        "state",
        "attempts",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = ["state", "event", "webhook__client"]
    list_select_related = ["webhook__client"]
    search_fields = ["project_code"]
    fields = DELIVERY_FIELDS
    readonly_fields = DELIVERY_FIELDS
    inlines = [WebhookAttemptInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
