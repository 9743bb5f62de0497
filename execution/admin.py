"""The execution's records in the admin, to read only: contracts and payments are written
by the clerk's forms, the API and finance's file (``services``), targets, carry-overs
and closures by finance's actions, each with its history; the admin changes none."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from accounts.admin_scopes import AdministeredRows
from execution.models import CarryOver, Closure, Contract, ExecutionTarget, Payment


class ReadOnlyAdmin(AdministeredRows, admin.ModelAdmin):
    """A project's records: a city's admin reads its own city's."""

    jurisdiction_path = "project__organization"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Contract)
class ContractAdmin(ReadOnlyAdmin):
    list_display = ["reference", "project", "supplier", "amount", "signed_on", "recorded_by"]
    search_fields = ["reference", "project__code", "supplier"]
    list_select_related = ["project", "recorded_by"]
    date_hierarchy = "signed_on"


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["reference", "project", "contract", "amount", "paid_on", "recorded_by"]
    search_fields = ["reference", "project__code"]
    list_select_related = ["project", "contract", "recorded_by"]
    date_hierarchy = "paid_on"


@admin.register(ExecutionTarget)
class ExecutionTargetAdmin(ReadOnlyAdmin):
    jurisdiction_path = ""
    list_display = ["year", "jurisdiction", "rate", "due_on", "set_by", "set_at"]
    list_select_related = ["jurisdiction", "set_by"]


@admin.register(CarryOver)
class CarryOverAdmin(ReadOnlyAdmin):
    list_display = ["project", "amount", "to_year", "state", "requested_by", "decided_by"]
    list_filter = ["state", "to_year"]
    search_fields = ["project__code"]
    list_select_related = ["project", "requested_by", "decided_by"]


@admin.register(Closure)
class ClosureAdmin(ReadOnlyAdmin):
    list_display = ["project", "approved", "contracted", "paid", "carried_over", "closed_at"]
    search_fields = ["project__code"]
    list_select_related = ["project"]
