"""What a system admin may reach in Django admin (issue #18): every app's admin classes
take one of these mixins, so the rule lives here once.

A system admin is a Django superuser, so without them a city's admin would change the
province's standards, code lists and API clients. ``AdministeredRows`` limits a model's
rows to the admin's own jurisdiction (``accounts.permissions.administered_scope``; the
province's admins reach every row); ``ProvinceAdminsOnly`` keeps what belongs to no
jurisdiction to the province's admins.
"""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import Jurisdiction, Organization
from accounts.permissions import administered_scope, administers_province


def administered_choices(db_field: Any, request: HttpRequest, kwargs: dict[str, Any]) -> None:
    """A form's unit and jurisdiction choices (any foreign key to either): the acting
    admin's own."""
    scope = administered_scope(request.user, "")
    if db_field.related_model is Organization:
        kwargs["queryset"] = Organization.objects.filter(scope)
    elif db_field.related_model is Jurisdiction and not administers_province(request.user):
        kwargs["queryset"] = Jurisdiction.objects.filter(
            pk__in=Organization.objects.filter(scope).values("jurisdiction_id")
        )


class AdministeredRows:
    """Rows of the admin's own jurisdiction: ``jurisdiction_path`` leads from the model
    to its jurisdiction's owner, as ``administered_scope``'s ``unit_field`` does ("" for
    a model with its own ``jurisdiction``, ``"project__organization"`` for a contract).
    Out-of-scope rows are missing from the list, the change page and the actions alike,
    since Django finds every object through ``get_queryset``."""

    jurisdiction_path = ""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        rows: QuerySet[Any] = super().get_queryset(request)  # type: ignore[misc]
        return rows.filter(administered_scope(request.user, self.jurisdiction_path))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        administered_choices(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


class ProvinceAdminsOnly:
    """What belongs to no jurisdiction: the province's system admins alone see or change
    it; to a city's admin the model is not in the admin at all."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return administers_province(request.user) and super().has_module_permission(request)  # type: ignore[misc]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return administers_province(request.user) and super().has_view_permission(request, obj)  # type: ignore[misc]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return administers_province(request.user) and super().has_add_permission(request, *args)  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return administers_province(request.user) and super().has_change_permission(  # type: ignore[misc]
            request, obj
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return administers_province(request.user) and super().has_delete_permission(  # type: ignore[misc]
            request, obj
        )
