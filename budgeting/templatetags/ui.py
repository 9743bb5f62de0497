from django import forms, template
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def accessible_widget(field: forms.BoundField) -> SafeString:
    """Render a widget tied to its help text and errors, so screen readers announce them."""
    described_by = []
    if field.help_text:
        described_by.append(f"{field.auto_id}_helptext")
    if field.errors:
        described_by.append(f"{field.auto_id}_error")
    attrs: dict[str, str | bool] = (
        {"aria-describedby": " ".join(described_by)} if described_by else {}
    )
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)
