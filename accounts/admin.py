import copy
import functools
from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.admin_scopes import AdministeredRows, administered_choices
from accounts.forms import (
    AdminLoginForm,
    AdminPasswordForm,
    UserAdminChangeForm,
    UserAdminCreationForm,
)
from accounts.models import Jurisdiction, Organization, User
from accounts.permissions import administered_scope
from ui.admin import KeyCheckingAutocomplete

# The admin's login page refuses a malformed username or password as ours does.
admin.site.login_form = AdminLoginForm


@admin.register(Jurisdiction)
class JurisdictionAdmin(KeyCheckingAutocomplete, admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Jurisdiction]:
        scope = administered_scope(request.user, "")
        jurisdictions = super().get_queryset(request)
        if scope == Q():  # the province's admins: every jurisdiction
            return jurisdictions
        return jurisdictions.filter(
            pk__in=Organization.objects.filter(scope).values("jurisdiction_id")
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Cities and counties are made by the province (or `create_jurisdiction`).
        return super().has_add_permission(request) and administered_scope(request.user, "") == Q()

    def has_delete_permission(self, request: HttpRequest, obj: Jurisdiction | None = None) -> bool:
        # Units, standards and history hang on a jurisdiction.
        return False


@admin.register(Organization)
class OrganizationAdmin(KeyCheckingAutocomplete, admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "level",
        "parent",
        "jurisdiction",
        "administrative_level",
        "is_finance_department",
        "is_data_administration",
        "is_active",
    ]
    list_filter = ["jurisdiction", "level", "administrative_level", "is_active"]
    search_fields = ["code", "name"]
    list_select_related = ["parent", "jurisdiction"]
    autocomplete_fields = ["parent", "jurisdiction"]

    def save_model(self, request: HttpRequest, obj: Organization, form: Any, change: bool) -> None:
        services.save_organization(obj, actor=request.user)  # type: ignore[arg-type]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organization]:
        # A city's or county's admin manages its own jurisdiction's units (issue #18).
        return super().get_queryset(request).filter(administered_scope(request.user, ""))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        administered_choices(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request: HttpRequest, obj: Organization | None = None) -> bool:
        # Units carry history; deactivate them instead.
        return False


@admin.register(User)
class UserAdmin(KeyCheckingAutocomplete, DjangoUserAdmin):
    form = UserAdminChangeForm
    add_form = UserAdminCreationForm
    list_display = ["username", "full_name", "organization", "role_list", "is_active", "last_login"]
    list_filter = ["is_active", "organization__level", "organization"]
    search_fields = ["username", "first_name", "last_name", "email", "organization__name"]
    list_select_related = ["organization"]
    autocomplete_fields = ["organization"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("last_name", "first_name", "email", "phone")}),
        (_("Unit and roles"), {"fields": ("organization", "roles", "is_active")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "organization", "roles", "email", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ["last_login", "date_joined"]

    @admin.display(description=_("name"))
    def full_name(self, obj: User) -> str:
        return obj.get_full_name()

    @admin.display(description=_("roles"))
    def role_list(self, obj: User) -> str:
        return "、".join(obj.role_labels())

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        services.save_user(obj, actor=request.user)  # type: ignore[arg-type]

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        """Django builds this page's form as ``self.change_password_form(user, data)``:
        a copy of this admin for the one request names the acting admin in it, so the
        password is set through ``services.set_password`` with its history event."""
        this_request = copy.copy(self)
        actor: User = request.user  # type: ignore[assignment]  # the admin site let only staff in
        this_request.change_password_form = functools.partial(AdminPasswordForm, actor=actor)
        return super(UserAdmin, this_request).user_change_password(request, id, form_url)

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        # A city's or county's admin manages its own jurisdiction's people (issue #18).
        return super().get_queryset(request).filter(administered_scope(request.user))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        administered_choices(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        # People carry history; deactivate them instead.
        return False


admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class TwoFactorDeviceAdmin(AdministeredRows, TOTPDeviceAdmin):
    """Admins see the devices of the people they manage and remove a lost one, through
    the service. A device is added and confirmed only by its own user, with a code from
    it (the set-up page): an admin who could add, confirm or move one could pass
    anybody's second factor."""

    jurisdiction_path = "user__organization"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: TOTPDevice) -> None:
        services.remove_two_factor(obj, actor=request.user)  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[TOTPDevice]) -> None:
        for device in queryset.select_related("user"):
            self.delete_model(request, device)
