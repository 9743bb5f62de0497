"""What Django's debug page and error e-mails may show of the settings and environment.

``make run`` serves with DEBUG on, and its error page answers anybody who sends a
bad Host header; in the environment (``request.META`` under runserver) and the
settings it would print DATABASE_URL with its password. Django hides names like
PASSWORD, SECRET or KEY; this filter also hides DATABASE_URL, and any value that
is a URL with a password in it (REDIS_URL, a cache's LOCATION, whatever its name).
"""

import re
from typing import Any
from urllib.parse import urlsplit

from django.views.debug import SafeExceptionReporterFilter


def has_password(value: str) -> bool:
    """True for a URL that carries a password: ``scheme://user:password@host/...``."""
    if "://" not in value or "@" not in value:
        return False
    try:
        return urlsplit(value.strip()).password is not None
    except ValueError:
        return True  # malformed, but shaped like credentials: hide it


class SecretsHidingFilter(SafeExceptionReporterFilter):
    """Django's filter, with DATABASE_URL and every URL carrying a password hidden."""

    hidden_settings = re.compile(
        r"API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|DATABASE_URL", flags=re.IGNORECASE
    )

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        if isinstance(value, str) and has_password(value):
            return self.cleansed_substitute
        return super().cleanse_setting(key, value)
