from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, UnitLevel, User
from accounts.permissions import units_visible_to
from classification.models import ClassificationCode
from classification.rules import CODE_PARAMETERS, PROJECT_CODE_FIELDS
from projects import estimates
from projects.errors import ProjectError
from projects.models import (
    INDICATORS_BY_TIER,
    AttachmentKind,
    BudgetCategory,
    Continuity,
    PerformanceTarget,
    ProcurementMethod,
    Project,
    ProjectKind,
    ProjectState,
    TargetIndicator,
    TargetTier,
)
from projects.permissions import projects_visible_to
from projects.readiness import plan_difference
from projects.services import PROJECT_FIELDS, RESERVE_FIELDS, plan_start
from projects.widgets import QuickSelect
from standards import pricing
from standards.models import Grade, ServiceItem

PLAN_YEARS = 3


def amount_limit(name: Any) -> Callable[[Decimal], None]:
    """A validator of a money field named ``name``: the one amount limit
    (``pricing.check_amount``), in its words."""

    def validate(value: Decimal) -> None:
        try:
            pricing.check_amount(value, name)
        except pricing.PricingError as error:
            raise ValidationError(error.message, code="amount_limit") from error

    return validate


def add_refusal(form: forms.BaseForm, error: ProjectError) -> None:
    """A service's refusal on ``form``: at the field it names if the form has that field
    (a quantity beyond the amount limit, say), else above the form."""
    form.add_error(error.field if error.field in form.fields else None, error.message)


RADIO_CHOICES = {
    "kind": ProjectKind.choices,
    "continuity": Continuity.choices,
    "budget_category": BudgetCategory.choices,
}
YES_NO = [(True, _("Managed (已纳入)")), (False, _("Not managed (未纳入)"))]


class ProjectForm(forms.ModelForm):
    """Registration and classification. The three-year plan starts at the budget year; for
    a project in the reserve (``reserve``, or an instance in the reserve), which has no
    budget year, at its planned start year, and the year's code lists do not apply."""

    managed_by_data_admin = forms.TypedChoiceField(
        label=_("Managed by the data administration"),
        choices=YES_NO,
        coerce=lambda value: value in {True, "True"},
        widget=forms.RadioSelect,
        help_text=_("Projects under its management pass its technical review."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Project
        fields = PROJECT_FIELDS
        widgets = {
            "kind": forms.RadioSelect,
            "continuity": forms.RadioSelect,
            "budget_category": forms.RadioSelect,
            "background": forms.Textarea(attrs={"rows": 4}),
            "content": forms.Textarea(attrs={"rows": 4}),
            "expected_results": forms.Textarea(attrs={"rows": 3}),
            "single_source_justification": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, user: User, reserve: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reserve = reserve or self.instance.in_reserve
        self._drop_what_does_not_apply()
        units = units_visible_to(user).filter(is_active=True)
        self.fields["organization"].queryset = units  # type: ignore[attr-defined]
        self.fields["organization"].empty_label = None  # type: ignore[attr-defined]
        self.fields["predecessor"].queryset = (  # type: ignore[attr-defined]
            projects_visible_to(user)
            .filter(organization__in=units, budget_year__isnull=False)
            .select_related("organization")
            .order_by("-budget_year", "code")
        )
        self.fields["predecessor"].help_text = _(
            "Required for a continuing project: its earlier project of the same unit."
        )
        # Radio buttons need no empty "---------" choice: every dimension is required.
        for name, choices in RADIO_CHOICES.items():
            self.fields[name].choices = choices  # type: ignore[attr-defined]
        next_year = timezone.localdate().year + 1
        if not self.instance.pk:
            self.initial.setdefault("budget_year", next_year)
            self.initial.setdefault("start_year", next_year)
            self.initial.setdefault("end_year", next_year)
            self.initial.setdefault("organization", user.organization_id)
        else:
            self.initial["version"] = self.instance.version
            for plan in self.instance.year_plans.all():
                offset = plan.year - plan_start(self.instance)
                if 0 <= offset < PLAN_YEARS:
                    self.initial[f"plan_{offset}"] = plan.amount
        self._add_plan_fields()
        for year_field in ("budget_year", "start_year", "end_year"):
            if year_field in self.fields:
                self.fields[year_field].widget.attrs.update({"min": 2000, "max": 2100})
        # The code lists of the budget year (issue #20); the finance review needs them.
        code_year = self.instance.budget_year if self.instance.pk else next_year
        for kind, name in PROJECT_CODE_FIELDS.items():
            if name not in self.fields:
                continue
            self.fields[name].queryset = ClassificationCode.objects.filter(  # type: ignore[attr-defined]
                kind=kind, year=code_year
            )

    def _drop_what_does_not_apply(self) -> None:
        """A reserve project has no year (nor its code lists); a project registered straight
        into a year, no plan of an earlier year to depart from."""
        if self.reserve:
            for name in set(PROJECT_FIELDS) - set(RESERVE_FIELDS):
                del self.fields[name]
            return
        self.fields["budget_year"].required = True
        # The plan rule holds for every project of a year (``Project.needs_plan_reason``):
        # the form says when it applies, with the year and both figures once it does.
        reason = self.fields["plan_deviation_reason"]
        reason.widget.attrs["rows"] = 2
        if self.instance.pk and self.instance.needs_plan_reason:
            reason.help_text = plan_difference(self.instance)
        else:
            reason.help_text = _(
                "Needed when the budget year's request differs from its plan figure."
            )

    def _add_plan_fields(self) -> None:
        """The three years of the plan, from the budget year (the start year in the reserve)."""
        for offset in range(PLAN_YEARS):
            if self.reserve:
                label = (
                    _("Plan, start year + %(offset)s (yuan)") % {"offset": offset}
                    if offset
                    else _("Plan, start year (yuan)")
                )
            else:
                label = (
                    _("Plan, budget year + %(offset)s (yuan)") % {"offset": offset}
                    if offset
                    else _("Plan, budget year (yuan)")
                )
            self.fields[f"plan_{offset}"] = forms.DecimalField(
                label=label,
                min_value=Decimal("0"),
                decimal_places=2,
                validators=[amount_limit(label)],
                required=offset == 0,
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for year_field in ("budget_year", "start_year", "end_year"):
            year = cleaned.get(year_field)
            if year is not None and not 2000 <= year <= 2100:
                self.add_error(year_field, _("Enter a year between 2000 and 2100."))
        for name in PROJECT_CODE_FIELDS.values():
            code, year = cleaned.get(name), cleaned.get("budget_year")
            if code is not None and year is not None and code.year != year:
                self.add_error(name, _("Choose a code of the %(year)s lists.") % {"year": year})
        start, end = cleaned.get("start_year"), cleaned.get("end_year")
        if start and end and end < start:
            self.add_error("end_year", _("The end year cannot be before the start year."))
        continuity, predecessor = cleaned.get("continuity"), cleaned.get("predecessor")
        if continuity == "continuing" and predecessor is None:
            self.add_error("predecessor", _("A continuing project must name its earlier project."))
        if continuity == "new" and predecessor is not None:
            self.add_error("predecessor", _("A new project has no earlier project."))
        unit: Organization | None = cleaned.get("organization")
        if predecessor is not None and unit is not None:
            if predecessor.organization_id != unit.pk:
                self.add_error(
                    "predecessor", _("The earlier project must belong to the same budget unit.")
                )
            year = cleaned.get("budget_year")
            if predecessor.budget_year is None or (
                year is not None and predecessor.budget_year >= year
            ):
                self.add_error(
                    "predecessor", _("The earlier project must be from an earlier budget year.")
                )
        return cleaned

    def project_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in PROJECT_FIELDS if name in self.fields}

    def plan(self) -> dict[int, Decimal]:
        year = self.cleaned_data["start_year" if self.reserve else "budget_year"]
        return {
            year + offset: self.cleaned_data[f"plan_{offset}"]
            for offset in range(PLAN_YEARS)
            if self.cleaned_data.get(f"plan_{offset}") is not None
        }


class TargetForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = PerformanceTarget
        fields = ["tier", "indicator", "name", "target_value", "unit"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Group the second-level indicators under their tier.
        self.fields["indicator"].choices = [  # type: ignore[attr-defined]
            ("", "---------"),
            *[
                (TargetTier(tier).label, [(i.value, i.label) for i in indicators])
                for tier, indicators in INDICATORS_BY_TIER.items()
            ],
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        tier, indicator = cleaned.get("tier"), cleaned.get("indicator")
        if tier and indicator and TargetIndicator(indicator) not in INDICATORS_BY_TIER[tier]:
            self.add_error("indicator", _("This indicator does not belong to the chosen tier."))
        return cleaned

    def target_values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Document"), choices=AttachmentKind.choices)
    file = forms.FileField(label=_("File"), help_text=_("PDF, DOCX or XLSX, at most 20 MB."))


def _any(choices: Any) -> list[tuple[str, Any]]:
    return [("", _("All")), *choices]


class ProjectFilterForm(forms.Form):
    """The list's filters; every field optional, invalid values simply ignored."""

    q = forms.CharField(label=_("Code or name"), required=False)
    year = forms.IntegerField(label=_("Budget year"), required=False)
    unit = forms.ModelChoiceField(
        label=_("Budget unit"),
        queryset=Organization.objects.none(),
        required=False,
        empty_label=_("All"),
        widget=QuickSelect,
    )
    level = forms.ChoiceField(
        widget=QuickSelect, label=_("Unit level"), required=False, choices=_any(UnitLevel.choices)
    )
    kind = forms.ChoiceField(
        widget=QuickSelect, label=_("Kind"), required=False, choices=_any(ProjectKind.choices)
    )
    continuity = forms.ChoiceField(
        widget=QuickSelect,
        label=_("New or continuing"),
        required=False,
        choices=_any(Continuity.choices),
    )
    managed = forms.ChoiceField(
        widget=QuickSelect,
        label=_("Data administration"),
        required=False,
        choices=_any([("yes", _("Managed")), ("no", _("Not managed"))]),
    )
    category = forms.ChoiceField(
        widget=QuickSelect,
        label=_("Budget category"),
        required=False,
        choices=_any(BudgetCategory.choices),
    )
    procurement = forms.ChoiceField(
        widget=QuickSelect,
        label=_("Procurement method"),
        required=False,
        choices=_any(ProcurementMethod.choices),
    )
    state = forms.ChoiceField(
        widget=QuickSelect, label=_("State"), required=False, choices=_any(ProjectState.choices)
    )
    # The projects the totals count (COUNTED_STATES): the summary's drill-down.
    counted = forms.ChoiceField(
        widget=QuickSelect,
        label=_("Counted in the totals"),
        required=False,
        choices=_any([("yes", _("Counted: in review, returned or approved"))]),
    )
    # Projects with at least one estimate line of this fee class (the summary's drill-down).
    fee_class = forms.ChoiceField(
        widget=QuickSelect,
        label=_("Fee class"),
        required=False,
        choices=_any([(fee_class, fee_class) for fee_class in estimates.FEE_CLASSES]),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units_visible_to(user)  # type: ignore[attr-defined]
        # The finance core system's codes, typed as the code ("2010150"; "-": none chosen),
        # as the summary's rows of a code list drill down.
        for name, kind in CODE_PARAMETERS.items():
            self.fields[name] = forms.RegexField(
                label=kind.label,
                regex=r"\A(?:[0-9A-Za-z]{1,20}|-)\Z",
                required=False,
                max_length=20,
            )


class StandardLineForm(forms.Form):
    """The inputs one standard item's pricing method needs, built from the item."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, item: ServiceItem, preview: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.item = item
        if preview:  # pricing as the clerk types saves nothing, so needs no version
            del self.fields["version"]
        grades = list(item.grades.all())
        if grades:
            self.fields["grade"] = forms.ChoiceField(
                label=_("Grade"),
                choices=[(grade.code, _grade_label(grade)) for grade in grades],
            )
        for spec in estimates.input_specs(item):
            if spec.choices:
                self.fields[spec.name] = forms.ChoiceField(
                    label=spec.label, choices=[(c, c) for c in spec.choices], required=spec.required
                )
            else:
                self.fields[spec.name] = forms.DecimalField(
                    label=spec.label, required=spec.required, min_value=Decimal("0"), max_digits=16
                )
        self.fields["justification"] = forms.CharField(
            label=_("Justification"),
            required=False,
            widget=forms.Textarea(attrs={"rows": 2}),
            help_text=_(
                "Required when the price is above the standard or an input is outside "
                "its allowed range."
            ),
        )

    def grade(self) -> Grade | None:
        code = self.cleaned_data.get("grade")
        return self.item.grades.get(code=code) if code else None

    def values(self) -> dict[str, Any]:
        skip = {"version", "grade", "justification"}
        return {name: value for name, value in self.cleaned_data.items() if name not in skip}


def _grade_label(grade: Grade) -> str:
    price = f" · {grade.unit_price:,.2f}" if grade.unit_price is not None else ""
    return f"{grade.name}{price}"


class NonStandardLineForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    fee_class = forms.ChoiceField(
        label=_("Fee class"), choices=[(name, name) for name in estimates.FEE_CLASSES]
    )
    name = forms.CharField(label=_("Service content"), max_length=200)
    unit = forms.CharField(label=_("Unit of measure"), max_length=16)
    quantity = forms.DecimalField(label=_("Quantity used"), min_value=Decimal("0"), max_digits=16)
    unit_price = forms.DecimalField(
        label=_("Unit price (yuan)"),
        min_value=Decimal("0"),
        max_digits=16,
        decimal_places=4,
    )
    justification = forms.CharField(
        label=_("Justification"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Why no standard item fits: reviewers see it with the line."),
    )


class ProcurementForm(forms.ModelForm):
    """An approved project's procurement method and single-source justification, changed
    with a reason (``projects.procurement.change_procurement``)."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    comment = forms.CharField(
        label=_("Reason for the change"), widget=forms.Textarea(attrs={"rows": 3})
    )

    class Meta:
        model = Project
        fields = [
            "procurement_method",
            "single_source_reason",
            "single_source_justification",
            "proposed_supplier",
        ]
        widgets = {"single_source_justification": forms.Textarea(attrs={"rows": 3})}
