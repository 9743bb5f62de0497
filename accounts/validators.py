"""Validators of values every app keeps about people: phone numbers (issue #15)."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# A landline with its area code (0 and 2 or 3 digits, bare or in brackets), a local
# number of 7 or 8 digits (never starting with 0 or 1), and perhaps an extension after
# a dash, a space, “转”, “#” or “ext”: 020-83134000, (0755) 2345 6789, 020-83134000-8001.
LANDLINE = re.compile(
    r"(?:0\d{2,3}|\(0\d{2,3}\))[ -]?[2-9]\d{2,3}[ -]?\d{4}(?:(?:[ -]|转|#|ext\.?)\d{1,6})?"
)
# A mobile number: 11 digits from 13x to 19x, perhaps grouped 3-4-4: 138 1234 5678.
MOBILE = re.compile(r"1[3-9]\d[ -]?\d{4}[ -]?\d{4}")


def validate_phone(value: str) -> None:
    """Refuse what is neither a Chinese landline number with its area code nor an
    11-digit mobile number; spaces and dashes between the groups are allowed."""
    if not (LANDLINE.fullmatch(value) or MOBILE.fullmatch(value)):
        raise ValidationError(
            _(
                "Enter a phone number: an 11-digit mobile number, or a landline number "
                "with its area code, e.g. 020-83134000 (an extension after a dash: "
                "020-83134000-8001)."
            ),
            code="invalid_phone",
        )
