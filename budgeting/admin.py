from typing import Any

from django.contrib import admin
from django.forms import BaseInlineFormSet
from django.http import HttpRequest

from audit.services import record_event
from budgeting.models import ApprovalBatch, BudgetCycle, ControlFigure, ReviewStage


class ReviewStageInline(admin.TabularInline):
    model = ReviewStage
    extra = 0
    fields = ["order", "code", "name", "role", "condition", "may_change_amounts", "is_final"]


class ControlFigureInline(admin.TabularInline):
    model = ControlFigure
    extra = 0
    autocomplete_fields = ["organization"]


@admin.register(BudgetCycle)
class BudgetCycleAdmin(admin.ModelAdmin):
    """Cycles, their review stages (data an admin may change for a new cycle) and
    control figures. Every save is recorded in the history."""

    list_display = ["year", "name", "state", "opens_at", "closes_at"]
    list_filter = ["state"]
    inlines = [ReviewStageInline, ControlFigureInline]

    def save_model(self, request: HttpRequest, obj: BudgetCycle, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        record_event(
            "budgeting.cycle.changed" if change else "budgeting.cycle.created",
            actor=request.user,
            target=obj,
            target_key=str(obj.year),
            to_state=obj.state,
            data={"changed": form.changed_data},
        )

    def save_formset(
        self, request: HttpRequest, form: Any, formset: BaseInlineFormSet, change: bool
    ) -> None:
        super().save_formset(request, form, formset, change)
        if formset.has_changed():
            record_event(
                f"budgeting.cycle.{formset.model._meta.model_name}s_changed",  # type: ignore[union-attr]
                actor=request.user,
                target=form.instance,
                target_key=str(form.instance.year),
                data={
                    "changed": [str(obj) for obj, _fields in formset.changed_objects],
                    "added": [str(obj) for obj in formset.new_objects],
                    "deleted": [str(obj) for obj in formset.deleted_objects],
                },
            )


@admin.register(ApprovalBatch)
class ApprovalBatchAdmin(admin.ModelAdmin):
    """Read-only: batches are made by the finance approver's batch approval."""

    list_display = ["name", "cycle", "approved_by", "approved_at"]
    list_select_related = ["cycle", "approved_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
