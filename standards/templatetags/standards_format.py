from decimal import Decimal

from django import template

from standards import pricing

register = template.Library()


@register.filter
def yuan(value: Decimal | None) -> str:
    """12345.6 -> "12,345.60"; empty for no value."""
    return "" if value is None else pricing.money(value)


@register.filter
def factor(value: Decimal | None) -> str:
    """1.2000 -> "1.2"; empty for no value."""
    return "" if value is None else pricing.fmt(value)
