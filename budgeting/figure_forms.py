"""Forms of the control figure pages: a draft's rule and fixed figures, the sheet
upload, the issue confirmation. They validate; ``budgeting.figures`` writes."""

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from budgeting.figures import MAX_PERCENT, MIN_PERCENT
from budgeting.models import FigureDraft
from standards.pricing import MAX_AMOUNT
from ui.forms import IdPrefixedForm

NAME_MAX_LENGTH = FigureDraft._meta.get_field("name").max_length or 100


class DraftRuleForm(forms.Form):
    """A draft's name and rule: the change of the base, and whether 运维 stays whole."""

    name = forms.CharField(label=_("Draft name"), max_length=NAME_MAX_LENGTH)
    change_percent = forms.DecimalField(
        label=_("Change of the base (%)"),
        max_digits=6,
        decimal_places=2,
        min_value=MIN_PERCENT,
        max_value=MAX_PERCENT,
        initial=0,
        help_text=_("For example -10 to cut a tenth off the reviewed requests."),
    )
    keep_operation_whole = forms.BooleanField(
        label=_("Keep operation (运维) whole: the change applies to construction (建设) only"),
        required=False,
    )


def fixed_field_name(unit: Organization) -> str:
    return f"fixed-{unit.code}"


class DraftForm(DraftRuleForm):
    """The whole draft on one page: its rule, the version the user saw, and a fixed
    figure per unit (empty: the rule decides the unit's figure)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=2**31 - 1)

    def __init__(
        self, *args: Any, draft: FigureDraft, units: Iterable[Organization], **kwargs: Any
    ) -> None:
        fixed = dict(draft.fixed or {})
        kwargs.setdefault(
            "initial",
            {
                "name": draft.name,
                "change_percent": draft.change_percent,
                "keep_operation_whole": draft.keep_operation_whole,
                "version": draft.version,
                **{f"fixed-{code}": amount for code, amount in fixed.items()},
            },
        )
        super().__init__(*args, **kwargs)
        self.units = list(units)
        for unit in self.units:
            self.fields[fixed_field_name(unit)] = forms.DecimalField(
                label=_("Fixed figure of %(unit)s (yuan)") % {"unit": unit.name},
                required=False,
                max_digits=14,
                decimal_places=2,
                min_value=0,
                max_value=MAX_AMOUNT,
                localize=False,
            )

    def fixed(self) -> dict[str, Any]:
        return {
            unit.code: self.cleaned_data[fixed_field_name(unit)]
            for unit in self.units
            if self.cleaned_data.get(fixed_field_name(unit)) is not None
        }


class SheetUploadForm(IdPrefixedForm):
    id_prefix = "upload"
    file = forms.FileField(label=_("Control figure sheet (.xlsx)"))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=2**31 - 1)


class IssueForm(IdPrefixedForm):
    """The confirmation of an issue: the draft's version and the issue the user saw."""

    id_prefix = "issue"
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=2**31 - 1)
    seen_issue = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
