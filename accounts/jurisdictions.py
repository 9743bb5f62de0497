"""Creating a jurisdiction (a city or a county) with its two reviewing bodies.

A jurisdiction reviews its own units (issue #18), so it is of no use without its
finance department and data administration: ``create_jurisdiction`` makes all three
in one transaction, with the history of each. The budgeting layer adds its first
budget year with the default stages (``budgeting.jurisdiction_setup``).
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts import services
from accounts.models import AdministrativeLevel, Jurisdiction, Organization, UnitLevel, User
from audit.services import record_event


@dataclass(frozen=True)
class Bodies:
    """A jurisdiction with its finance department and data administration."""

    jurisdiction: Jurisdiction
    finance: Organization
    data_administration: Organization


# What may sit under what: a city under the province, a county under a city (or, as
# for the province's directly administered counties, under the province).
ALLOWED_PARENTS = {
    AdministrativeLevel.CITY: {AdministrativeLevel.PROVINCE},
    AdministrativeLevel.COUNTY: {AdministrativeLevel.CITY, AdministrativeLevel.PROVINCE},
}


def create_jurisdiction(
    *,
    actor: User | None,
    code: str,
    name: str,
    level: str,
    parent: Jurisdiction,
    finance: tuple[str, str],
    data_administration: tuple[str, str],
) -> Bodies:
    """Create a city or county under ``parent`` with its finance department and data
    administration (each given as (unit code, unit name)), recording the history.

    Raises ``ValidationError`` (nothing written) for a level that does not fit the
    parent, a code or name in use, or a unit code in use."""
    if level not in ALLOWED_PARENTS:
        raise ValidationError({"level": _("Create a city or a county; there is one province.")})
    with transaction.atomic():
        locked_parent = Jurisdiction.objects.select_for_update().get(pk=parent.pk)
        if locked_parent.level not in ALLOWED_PARENTS[AdministrativeLevel(level)]:
            raise ValidationError(
                {"parent": _("A city sits under the province; a county under a city.")}
            )
        jurisdiction = Jurisdiction(
            code=code.strip(), name=name.strip(), level=level, parent=locked_parent
        )
        jurisdiction.full_clean()
        jurisdiction.save()
        record_event(
            "accounts.jurisdiction.created",
            actor=actor,
            target=jurisdiction,
            target_key=jurisdiction.code,
            data={"name": jurisdiction.name, "level": level, "parent": locked_parent.code},
        )
        finance_unit = _body(jurisdiction, *finance, actor=actor, finance=True)
        data_unit = _body(jurisdiction, *data_administration, actor=actor, finance=False)
    return Bodies(jurisdiction, finance_unit, data_unit)


def _body(
    jurisdiction: Jurisdiction, code: str, name: str, *, actor: User | None, finance: bool
) -> Organization:
    field = "finance" if finance else "data_administration"
    try:
        return services.save_organization(
            Organization(
                code=code.strip(),
                name=name.strip(),
                level=UnitLevel.PRIMARY,
                jurisdiction=jurisdiction,
                administrative_level=jurisdiction.level,
                is_finance_department=finance,
                is_data_administration=not finance,
            ),
            actor=actor,
        )
    except ValidationError as error:
        # The unit's own field names mean nothing on the jurisdiction's form.
        raise ValidationError({field: error.messages}) from None


def lock_jurisdiction(jurisdiction_id: int) -> None:
    """Take the jurisdiction's row lock for the rest of the transaction, so that the
    writes of one thing per jurisdiction and year (its execution target, its survey) queue
    instead of both finding none and both inserting. ``FOR NO KEY UPDATE``: the units and
    records that merely refer to the jurisdiction are not held up."""
    Jurisdiction.objects.select_for_update(no_key=True).filter(pk=jurisdiction_id).exists()
