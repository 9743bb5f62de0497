from decimal import ROUND_HALF_UP, Decimal

from django import forms, template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from ui.submissions import FIELD, new_token

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


@register.filter
def yuan(value: Decimal | None) -> str:
    """1234567.8 -> 1,234,567.80 (元, two places; the amounts are already rounded per line)."""
    if value is None or value == "":
        return "—"
    return f"{Decimal(value):,.2f}"


@register.filter
def wan(value: Decimal | None) -> str:
    """Yuan shown in 万元 (10,000 yuan) with two places, as summary tables do."""
    if value is None or value == "":
        return "—"
    return f"{(Decimal(value) / 10000).quantize(Decimal('0.01'), ROUND_HALF_UP):,.2f}"


@register.simple_tag
def sortable_th(label: str, key: str, current: str, query: str, css_class: str = "") -> SafeString:
    """A column heading that sorts by ``key``; a second click reverses the order."""
    state = "ascending" if current == key else "descending" if current == f"-{key}" else "none"
    target = f"-{key}" if state == "ascending" else key
    arrow = {"ascending": " ▲", "descending": " ▼", "none": ""}[state]
    separator = "&" if query else ""
    return format_html(
        '<th scope="col" class="{}" aria-sort="{}"><a href="?{}{}sort={}">{}{}</a></th>',
        css_class,
        state,
        query,
        separator,
        target,
        label,
        arrow,
    )


@register.filter
def stale_page(form: forms.BaseForm) -> bool:
    """Whether a hidden field of ``form`` was refused: the page the form came from was
    drawn with a value the server no longer takes (or someone altered it), so nothing
    the user can correct is shown; ``includes/form_errors.html`` says to reload."""
    return any(field.errors for field in form.hidden_fields())


@register.simple_tag
def submission_field() -> SafeString:
    """The hidden one-time token of a create form (``ui.submissions``)."""
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, new_token())
