from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from standards.models import StandardSet


class SetChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} · {obj.name} ({obj.version_label})"


class CompareForm(forms.Form):
    """Choose two versions to compare; only sets the user may see are offered."""

    old = SetChoiceField(
        queryset=StandardSet.objects.none(), to_field_name="code", label=_("Older version")
    )
    new = SetChoiceField(
        queryset=StandardSet.objects.none(), to_field_name="code", label=_("Newer version")
    )

    def __init__(self, *args: Any, sets: QuerySet[StandardSet], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = sets.order_by("base_id", "-effective_from", "code")
        self.fields["old"].queryset = choices  # type: ignore[attr-defined]
        self.fields["new"].queryset = choices  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("old") and data.get("old") == data.get("new"):
            raise forms.ValidationError(_("Choose two different versions."))
        return data
