"""What every app's forms share."""

from typing import Any

from django import forms


class IdPrefixedForm(forms.Form):
    """A form that shares its page with others: its fields' ids start with ``id_prefix``
    (``id_payment_amount``, not a second ``id_amount``), so each label names its own
    field and no id is used twice on the page. The posted names stay the fields' own."""

    id_prefix = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{self.id_prefix}_%s" if self.id_prefix else "id_%s")
        super().__init__(*args, **kwargs)
