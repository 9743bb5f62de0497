from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from standards.excel import MAX_FILE_BYTES
from standards.models import CODE_VALIDATOR, StandardSet


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


class ImportForm(forms.Form):
    """Upload a workbook into a draft set (new or existing); a dry run by default."""

    file = forms.FileField(label=_("Workbook (.xlsx)"))
    code = forms.CharField(
        label=_("Into the draft standard"),
        max_length=32,
        validators=[CODE_VALIDATOR],
        help_text=_("An existing draft, or a new code to create a draft."),
    )
    dry_run = forms.BooleanField(
        label=_("Dry run: show what would change, write nothing"), required=False, initial=True
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        return upload


class RebaseForm(forms.Form):
    """The new draft version a rebase makes: its code, version and start."""

    code = forms.CharField(
        label=_("Code of the new version"), max_length=32, validators=[CODE_VALIDATOR]
    )
    version_label = forms.CharField(label=_("Version"), max_length=50)
    effective_from = forms.DateField(label=_("Effective from"))
