"""Django admin for budget cycles, their review stages and control figures.

Every write goes through ``budgeting.cycles`` with its checks and history event.
The forms run the same ``check_*`` functions the services run, so a refusal is a
form error next to the field; the services check again under the lock, and a
refusal there (someone changed the cycle meanwhile) rolls the whole save back and
says why.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from accounts.admin_scopes import AdministeredRows
from accounts.models import User
from accounts.permissions import jurisdiction_of
from budgeting import cycles, rounds
from budgeting.models import (
    ApprovalBatch,
    BudgetCycle,
    BudgetRound,
    ControlFigure,
    CycleState,
    ProcurementBatch,
    ReviewStage,
)
from budgeting.workflow import WorkflowError
from ui.admin import KeyCheckingAutocomplete


def _actor(request: HttpRequest) -> User:
    # Only active system admins get past the admin site's permission checks.
    return request.user  # type: ignore[return-value]


def _refusal(error: WorkflowError) -> ValidationError:
    return ValidationError(error.message)


class StageFormSet(BaseInlineFormSet):
    """The cycle's stages as one whole: ``cycles.check_stages`` judges the set."""

    def kept_and_deleted(self) -> tuple[list[ReviewStage], list[ReviewStage]]:
        deleted = [form.instance for form in self.deleted_forms if form.instance.pk]
        kept = [
            form.instance
            for form in self.forms
            if form not in self.deleted_forms and (form.instance.pk or form.has_changed())
        ]
        return kept, deleted

    def clean(self) -> None:
        super().clean()
        if any(self.errors) or not self.has_changed():
            return
        kept, deleted = self.kept_and_deleted()
        try:
            cycles.check_stages(self.instance, kept, deleted)
        except WorkflowError as error:
            raise _refusal(error) from error


class ReviewStageInline(admin.TabularInline):
    model = ReviewStage
    formset = StageFormSet
    extra = 0
    fields = ["order", "code", "name", "role", "condition", "may_change_amounts", "is_final"]


class BudgetRoundInline(admin.TabularInline):
    """The year's rounds, as finance moves them on the rounds page (read-only here)."""

    model = BudgetRound
    extra = 0
    fields = ("order", "name", "kind", "state", "opens_at", "closes_at", "opened_at", "closed_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ControlFigureForm(forms.ModelForm):
    class Meta:
        model = ControlFigure
        fields = ["organization", "amount"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        unit, amount = cleaned.get("organization"), cleaned.get("amount")
        if self.instance.pk and "organization" in self.changed_data:
            raise ValidationError(
                _("To give the figure to another unit, delete it and add one for that unit.")
            )
        if unit is not None and amount is not None and not cleaned.get("DELETE"):
            cycle = BudgetCycle.objects.get(pk=self.instance.cycle_id)
            try:
                cycles.check_control_figure(cycle, unit, amount)
            except WorkflowError as error:
                self.add_error("amount", _refusal(error))
        return cleaned


class ControlFigureInline(AdministeredRows, KeyCheckingAutocomplete, admin.TabularInline):
    model = ControlFigure
    form = ControlFigureForm
    extra = 0
    autocomplete_fields = ["organization"]
    jurisdiction_path = "organization"


class BudgetCycleForm(forms.ModelForm):
    # Only when the year is made: its rounds are fixed once requests come in.
    rounds = forms.ChoiceField(
        label=_("Rounds"),
        choices=[
            ("1", _("One round (一上, 一下)")),
            ("2", _("Two rounds: 两上两下 (一上, 一下, 二上, 二下)")),
            ("3", _("Three rounds: 三上三下")),
        ],
        initial="2",
        required=False,
        help_text=_(
            "Departments submit in each 上; finance issues control figures "
            "or the approval in each 下."
        ),
    )

    class Meta:
        model = BudgetCycle
        fields = ["year", "name", "opens_at", "closes_at", "state"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["rounds"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        # Before _post_clean the instance still holds the stored values.
        if self.instance.pk and cleaned.get("state"):
            try:
                cycles.check_cycle_change(self.instance, cleaned["state"])
            except WorkflowError as error:
                self.add_error("state", _refusal(error))
        return cleaned


@admin.register(BudgetCycle)
class BudgetCycleAdmin(AdministeredRows, admin.ModelAdmin):
    """Cycles, their review stages (data an admin may change for a new cycle) and
    control figures. A new cycle gets the default stages; an archived one is read-only.
    A city's admin manages its own city's cycles, and makes them for it."""

    form = BudgetCycleForm
    list_display = ["year", "name", "state", "opens_at", "closes_at"]
    list_filter = ["state"]
    inlines = [BudgetRoundInline, ReviewStageInline, ControlFigureInline]

    def get_inlines(self, request: HttpRequest, obj: BudgetCycle | None) -> list[Any]:
        # A new cycle starts with the default stages; change them once it exists.
        return self.inlines if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        fields = list(super().get_fields(request, obj))
        # The rounds are chosen when the year is made (the form drops the field after).
        return [name for name in fields if name != "rounds"] if obj is not None else fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Projects belong to the cycle of their budget year: the year never changes.
        return ["year"] if obj is not None else []

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.state == CycleState.ARCHIVED:
            return False
        return super().has_change_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # One at a time, through the delete page and the service.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except WorkflowError as error:
            # The whole save was rolled back (Django runs it in one transaction).
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except WorkflowError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request: HttpRequest, obj: BudgetCycle, form: Any, change: bool) -> None:
        fields = {name: form.cleaned_data[name] for name in cycles.CYCLE_FIELDS}
        if change:
            cycles.change_cycle(obj, actor=_actor(request), **fields)
            return
        created = cycles.create_cycle(
            actor=_actor(request),
            year=form.cleaned_data["year"],
            rounds=rounds.SHAPES.get(form.cleaned_data.get("rounds") or "2", rounds.TWO_ROUNDS),
            jurisdiction=jurisdiction_of(request.user),
            **fields,
        )
        obj.pk = created.pk
        obj._state.adding = False

    def save_formset(
        self, request: HttpRequest, form: Any, formset: BaseInlineFormSet, change: bool
    ) -> None:
        # Fills new_objects, changed_objects and deleted_objects for the admin's change
        # message; with commit=False it writes nothing (the services below write).
        formset.save(commit=False)
        if not formset.has_changed():
            return
        cycle = form.instance
        if isinstance(formset, StageFormSet):
            kept, deleted = formset.kept_and_deleted()
            cycles.save_stages(cycle, actor=_actor(request), stages=kept, deleted=deleted)
            return
        for figure_form in formset.deleted_forms:
            if figure_form.instance.pk:
                cycles.remove_control_figure(figure_form.instance, actor=_actor(request))
        for figure_form in formset.forms:
            if figure_form in formset.deleted_forms or not figure_form.has_changed():
                continue
            cycles.set_control_figure(
                cycle,
                figure_form.cleaned_data["organization"],
                figure_form.cleaned_data["amount"],
                actor=_actor(request),
            )

    def delete_model(self, request: HttpRequest, obj: BudgetCycle) -> None:
        cycles.delete_cycle(obj, actor=_actor(request))


@admin.register(ApprovalBatch)
class ApprovalBatchAdmin(AdministeredRows, admin.ModelAdmin):
    """Read-only: batches are made by the finance approver's batch approval."""

    list_display = ["name", "cycle", "approved_by", "approved_at"]
    list_select_related = ["cycle", "approved_by"]
    jurisdiction_path = "cycle"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ProcurementBatch)
class ProcurementBatchAdmin(AdministeredRows, admin.ModelAdmin):
    """Read-only: finance makes, approves and the clerk's change of method withdraws these
    batches through ``budgeting.procurement``, each step with its history."""

    list_display = ["name", "year", "document_number", "state", "created_by", "approved_at"]
    list_filter = ["year", "state"]
    search_fields = ["name", "document_number"]
    list_select_related = ["created_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
