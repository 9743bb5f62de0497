from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Organization, User
from accounts.permissions import units_visible_to
from budgeting.models import BudgetRound, CutReason, ReviewStage, RoundKind
from budgeting.permissions import stages_decided_by
from budgeting.workflow import COMMENT_REQUIRED, Action
from projects.models import Project
from projects.widgets import QuickSelect


class ActionForm(forms.Form):
    """The confirmation form of one workflow action; it carries the version the user saw."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    comment = forms.CharField(
        label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    to_previous_stage = forms.BooleanField(
        label=_("Return to the previous stage instead of the submitter"), required=False
    )

    def __init__(
        self,
        *args: Any,
        action: Action,
        project: Project,
        offer_previous_stage: bool = True,
        **kwargs: Any,
    ) -> None:
        """``offer_previous_stage``: whether the page offers a return to the previous
        stage (there is one); a posted form keeps the field, and the service decides."""
        kwargs.setdefault("prefix", action.value)
        super().__init__(*args, **kwargs)
        self.action = action
        self.initial["version"] = project.version
        if action in COMMENT_REQUIRED:
            self.fields["comment"].required = True
            self.fields["comment"].label = _("Reason (required)")
        if action == Action.SUBMIT:
            del self.fields["comment"]
        if action != Action.RETURN or not offer_previous_stage:
            del self.fields["to_previous_stage"]


class BatchForm(forms.Form):
    """The projects chosen for a batch, its name and approval document number; none is
    chosen until the approver ticks it. ``codes``: the projects awaiting final approval,
    the only valid choices."""

    project = forms.MultipleChoiceField(
        label=_("Projects"),
        error_messages={
            "required": _("Choose at least one project for the batch."),
            "invalid_choice": _(
                "%(value)s no longer awaits final approval: it is not in the list any more."
            ),
        },
    )
    name = forms.CharField(
        label=_("Batch name"),
        max_length=100,
        error_messages={"required": _("Name the batch, e.g. “2027年第一批”.")},
        widget=forms.TextInput(attrs={"placeholder": "2027年第一批"}),
    )
    # Optional: finance may approve before the document is numbered; the approval sheet
    # shows it, or that it is not yet given.
    document_number = forms.CharField(
        label=pgettext_lazy("approval sheet", "Approval document number"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "粤财预〔2027〕1号"}),
    )

    def __init__(self, *args: Any, codes: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].choices = [(code, code) for code in codes]  # type: ignore[attr-defined]


class CutForm(forms.Form):
    """One line's approved amount at the current stage, with the reason for a cut (the
    review page has one per line: ``auto_id`` keeps their ids apart, names stay plain).
    The range and the need for a reason are the service's to check."""

    NOT_A_NUMBER = _("Enter the approved amount as a number.")

    approved_amount = forms.CharField(
        label=_("Approved amount"),
        error_messages={"required": NOT_A_NUMBER},
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 12}),
    )
    reason = forms.ChoiceField(
        label=_("Cut reason"), choices=[("", "—"), *CutReason.choices], required=False
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.TextInput(attrs={"size": 16})
    )

    def __init__(self, *args: Any, line_id: int, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"cut-{line_id}-%s")
        super().__init__(*args, **kwargs)

    def clean_approved_amount(self) -> Decimal:
        raw = self.cleaned_data["approved_amount"].replace(",", "").strip()
        try:
            amount = Decimal(raw)
        except InvalidOperation:
            raise forms.ValidationError(self.NOT_A_NUMBER) from None
        if not amount.is_finite():  # NaN and infinities are no amount
            raise forms.ValidationError(self.NOT_A_NUMBER)
        return amount


class StageChoiceField(forms.ModelChoiceField):
    """A stage named with its cycle's year: each cycle has a stage of each name."""

    def label_from_instance(self, obj: ReviewStage) -> str:
        return f"{obj.cycle.year} · {obj}"


class QueueFilterForm(forms.Form):
    """The filters of the reviewers' queues (my tasks, batch approval), read from GET.
    Every field optional; an invalid one is said at its field and otherwise ignored."""

    stage = StageChoiceField(
        label=_("Stage"),
        queryset=ReviewStage.objects.none(),
        required=False,
        empty_label=_("All"),
        widget=QuickSelect,
    )
    unit = forms.ModelChoiceField(
        label=_("Budget unit"),
        queryset=Organization.objects.none(),
        required=False,
        empty_label=_("All"),
        widget=QuickSelect,
        help_text=_("With its secondary units."),
    )
    # The submission round the project was last submitted in (一上, 二上, ...).
    round = forms.ModelChoiceField(
        label=_("Round"),
        queryset=BudgetRound.objects.none(),
        required=False,
        empty_label=_("All"),
        widget=QuickSelect,
    )
    amount_from = forms.DecimalField(
        label=_("Requested from (yuan)"),
        required=False,
        min_value=Decimal("0"),
        max_digits=16,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 12}),
    )
    amount_to = forms.DecimalField(
        label=_("Requested up to (yuan)"),
        required=False,
        min_value=Decimal("0"),
        max_digits=16,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 12}),
    )

    def __init__(self, *args: Any, user: User, final_only: bool = False, **kwargs: Any) -> None:
        """``final_only``: the batch page, where every project stands at a final stage."""
        super().__init__(*args, **kwargs)
        stages = stages_decided_by(user).select_related("cycle").order_by("-cycle__year", "order")
        if final_only:
            stages = stages.filter(is_final=True)
        self.fields["stage"].queryset = stages  # type: ignore[attr-defined]
        self.fields["round"].queryset = (  # type: ignore[attr-defined]
            BudgetRound.objects.filter(kind=RoundKind.SUBMISSION, cycle__in=stages.values("cycle"))
            .select_related("cycle")
            .order_by("-cycle__year", "order")
        )
        self.fields["unit"].queryset = units_visible_to(user).order_by("code")  # type: ignore[attr-defined]

    def filters(self) -> dict[str, Any]:
        """The valid filters given, by name (validates the form)."""
        self.is_valid()
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if value is not None and value != ""
        }


class AllowanceForm(forms.Form):
    """Finance's leave for a request to exceed its unit's control figure, with the reason."""

    reason = forms.CharField(
        label=_("Reason for allowing the excess"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ProcurementBatchForm(forms.Form):
    """A single-source procurement batch's year, name and approval document number."""

    year = forms.IntegerField(label=_("Budget year"), min_value=2000, max_value=2100)
    name = forms.CharField(
        label=_("Batch name"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "2027年第一批 单一来源采购方式"}),
    )
    document_number = forms.CharField(
        label=pgettext_lazy("approval sheet", "Approval document number"),
        max_length=100,
        required=False,
    )


class ProcurementFilterForm(forms.Form):
    """The filters of the projects that may join a procurement batch (GET)."""

    unit = forms.ModelChoiceField(
        label=_("Budget unit"),
        queryset=Organization.objects.none(),
        required=False,
        to_field_name="code",
    )
    q = forms.CharField(label=_("Code or name contains"), max_length=100, required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units_visible_to(user).order_by("code")  # type: ignore[attr-defined]
