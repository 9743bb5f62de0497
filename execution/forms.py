"""Execution's forms: they validate; the services write."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from execution.models import Contract
from projects.forms import amount_limit
from projects.models import Project
from ui.forms import IdPrefixedForm
from ui.params import POSTGRES_INT_MAX

TEXT_MAX = 10_000


def _money(label: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=14,
        decimal_places=2,
        min_value=0.01,
        validators=[amount_limit(label)],
    )


def _reason(label: Any, *, required: bool = False, help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=help_text,
    )


OVER_APPROVAL_HELP = _("Only when the total would exceed the approved amount.")


def _listed() -> forms.IntegerField:
    """How many of the project's contracts (or payments) the page listed: the service
    refuses the form when more are recorded by then (a second click of the same form)."""
    return forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=POSTGRES_INT_MAX)


DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ContractForm(IdPrefixedForm):
    id_prefix = "contract"
    listed = _listed()
    supplier = forms.CharField(label=_("Supplier"), max_length=200)
    amount = _money(_("Contract amount (yuan)"))
    signed_on = forms.DateField(label=_("Signed on"), widget=DATE)
    over_approval_reason = _reason(
        _("Reason for exceeding the approved amount"), help_text=OVER_APPROVAL_HELP
    )


class PaymentForm(IdPrefixedForm):
    id_prefix = "payment"
    listed = _listed()
    amount = _money(_("Amount paid (yuan)"))
    paid_on = forms.DateField(label=_("Paid on"), widget=DATE)
    contract = forms.ModelChoiceField(
        label=_("Contract"),
        queryset=Contract.objects.none(),
        required=False,
        to_field_name="reference",
        empty_label=_("— not against a contract —"),
    )
    over_approval_reason = _reason(
        _("Reason for exceeding the approved amount"), help_text=OVER_APPROVAL_HELP
    )

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["contract"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = project.contracts.all()


class CarryOverRequestForm(IdPrefixedForm):
    id_prefix = "carry"
    reason = _reason(_("Reason for the carry-over"), required=True)


class CarryOverDecisionForm(IdPrefixedForm):
    id_prefix = "decision"
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve the carry-over")), ("refuse", _("Refuse the carry-over"))],
        widget=forms.RadioSelect,
    )
    comment = _reason(_("Comment"), help_text=_("Required when refusing."))


class CloseForm(IdPrefixedForm):
    id_prefix = "close"
    version = forms.IntegerField(widget=forms.HiddenInput)
    comment = _reason(_("Comment"))


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Payments file"), help_text=_("The template's sheet as .xlsx, or the same as .csv.")
    )


class TargetForm(IdPrefixedForm):
    id_prefix = "target"
    year = forms.IntegerField(label=_("Budget year"), min_value=2000, max_value=2100)
    rate = forms.DecimalField(
        label=_("Target execution rate (%)"),
        max_digits=5,
        decimal_places=2,
        min_value=0.01,
        max_value=100,
    )
    due_on = forms.DateField(label=_("By"), widget=DATE)


class DashboardFilterForm(forms.Form):
    year = forms.IntegerField(
        label=_("Budget year"), min_value=2000, max_value=2100, required=False
    )
    unit = forms.ModelChoiceField(
        label=_("Budget unit"),
        queryset=Organization.objects.none(),
        required=False,
        to_field_name="code",
        empty_label=_("All units"),
    )
    everything = forms.BooleanField(
        label=_("Show every project, not only those below the target"), required=False
    )

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = units
