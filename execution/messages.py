"""The refusals that the batch service (``services.record_batch``) and the file's set-wise
writer (``file_import``) share, in the same words."""

from django.utils.translation import gettext as _


def closed_message() -> str:
    return _("The project is closed (结项): no more contracts or payments are recorded.")


def already_message(reference: str) -> str:
    return _("%(reference)s is already recorded with other figures.") % {"reference": reference}
