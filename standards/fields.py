"""The one money column of every app: yuan with two places."""

from typing import TYPE_CHECKING, Any

from django.db import models

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def money_field(verbose_name: "StrOrPromise", **options: Any) -> models.DecimalField:
    """Yuan with two places, large enough for any provincial total: at most
    ``standards.pricing.MAX_AMOUNT``, which ``pricing.check_amount`` checks on every path.
    Here, in the lowest domain layer, so the inventory and the projects share it."""
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=2, **options)
