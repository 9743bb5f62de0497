"""Admin pieces every app's admin shares (no models here: ui has none)."""

from collections.abc import Sequence
from typing import Any

from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.db.models import ForeignKey
from django.forms import ModelChoiceField
from django.http import HttpRequest


class KeyCheckingAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete widget looks the submitted value up again to draw the form with
    its errors; a value that is no key at all (text, a NUL byte) makes that lookup raise
    ValueError while the page renders, a 500 for a mistyped or tampered form. Such a value
    is drawn as nothing chosen; the field's own error ("select a valid choice") says why."""

    def optgroups(
        self, name: str, value: Sequence[str], attrs: dict[str, Any] | None = None
    ) -> Any:
        target = self.field.target_field
        keys = []
        for submitted in value:
            try:
                target.to_python(submitted)
            except ValidationError:
                continue
            keys.append(submitted)
        return super().optgroups(name, keys, attrs)


class KeyCheckingAutocomplete(admin.options.BaseModelAdmin):
    """Mix into a ModelAdmin or inline with autocomplete_fields (before the admin class)."""

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = KeyCheckingAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
