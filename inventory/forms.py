from typing import Any

from django import forms
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from inventory.models import CloudResource, Device, InformationSystem, ITStaff

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CampaignForm(forms.Form):
    """Open a survey: year, title, deadline and the units it covers (every active unit
    but the two reviewing bodies, unless the runner narrows it)."""

    year = forms.IntegerField(label=_("Survey year"), min_value=2000, max_value=2100)
    title = forms.CharField(label=_("Title"), max_length=200)
    deadline = forms.DateField(label=_("Deadline"), widget=DATE)
    units = forms.ModelMultipleChoiceField(
        label=_("Units covered"),
        queryset=Organization.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self, *args: Any, units: QuerySet[Organization] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # ``units``: those the runner may see (their jurisdiction's, issue #18).
        units = (units if units is not None else Organization.objects).filter(is_active=True)
        units = units.order_by("code")
        units_field = self.fields["units"]
        assert isinstance(units_field, forms.ModelMultipleChoiceField)
        units_field.queryset = units
        year = timezone.localdate().year
        self.initial.setdefault("year", year)
        self.initial.setdefault("title", _("IT inventory survey %(year)s") % {"year": year})
        self.initial.setdefault(
            "units",
            [
                unit.pk
                for unit in units
                if not unit.is_finance_department and not unit.is_data_administration
            ],
        )


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("What the unit must correct"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=10_000,
    )


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Filled-in survey workbook"),
        help_text=_("The .xlsx file downloaded here, at most 20 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )


def _row_form(model: type[models.Model], **widgets: forms.Widget) -> type[forms.ModelForm]:
    meta = type("Meta", (), {"model": model, "exclude": ["survey"], "widgets": widgets})
    return type(f"{model.__name__}Form", (forms.ModelForm,), {"Meta": meta})


ROW_FORMS: dict[str, type[forms.ModelForm]] = {
    "system": _row_form(InformationSystem, purpose=forms.Textarea(attrs={"rows": 2})),
    "device": _row_form(Device, purchase_date=DATE, warranty_end=DATE),
    "cloud": _row_form(CloudResource),
    "staff": _row_form(ITStaff),
}
ROW_TITLES = {
    "system": _("Information systems"),
    "device": _("Hardware and devices"),
    "cloud": _("Cloud resources"),
    "staff": _("IT staff"),
}
