"""Two requests saving the same unique thing at the same moment: a clear 409 page, not a 500.

The services that create one record per key take a lock first and say what happened
(``accounts.jurisdictions.lock_jurisdiction``, ``ui.submissions``), but not every
write is ours: the admin's add forms, django-import-export's imports and the like
check a name is free in their form, then insert, so two of them sent at once both pass
the check and the second meets the unique key. Its transaction is rolled back already
(nothing was written twice); this answers it with ``templates/409.html`` ("someone
saved the same at the same moment: reload") and one log line. Only a unique key's
violation: a foreign key or a check constraint that fails is a defect, and stays a 500.
Alike a model's own uniqueness check (``full_clean``'s ValidationError with the code
"unique") that escapes a view: the form before it found the name free, so it too was
taken meanwhile.
"""

import logging
from collections.abc import Callable

import psycopg
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render

logger = logging.getLogger("ops.conflicts")


UNIQUE_CODES = {"unique", "unique_together"}


def conflict_in(error: BaseException) -> str | None:
    """What was taken meanwhile (the unique key's name, or the fields that model
    validation found taken) if ``error`` is a race for a unique value, else None."""
    cause = error.__cause__
    if isinstance(error, IntegrityError) and isinstance(cause, psycopg.errors.UniqueViolation):
        return str(cause.diag.constraint_name)
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        codes = {e.code for errors in error.error_dict.values() for e in errors}
        if codes and codes <= UNIQUE_CODES:
            return ", ".join(sorted(error.error_dict))
    return None


class UniqueConflictMiddleware:
    """A view that meets a unique key's violation answers 409 (see the module)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        taken = conflict_in(exception)
        if taken is None:
            return None
        logger.warning(
            "Unique conflict on %s %s, answering 409: %s", request.method, request.path, taken
        )
        return render(request, "409.html", status=409)
