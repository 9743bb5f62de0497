from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.forms import UserAdminChangeForm, UserAdminCreationForm
from accounts.models import Organization, User


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "level",
        "parent",
        "administrative_level",
        "is_finance_department",
        "is_data_administration",
        "is_active",
    ]
    list_filter = ["level", "administrative_level", "is_active"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]

    def save_model(self, request: HttpRequest, obj: Organization, form: Any, change: bool) -> None:
        services.save_organization(obj, actor=request.user)  # type: ignore[arg-type]

    def has_delete_permission(self, request: HttpRequest, obj: Organization | None = None) -> bool:
        # Units carry history; deactivate them instead.
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
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

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        # People carry history; deactivate them instead.
        return False
