"""What the layers above ask of the inventory: a unit's reported inventory, its devices
out of warranty, and systems whose names resemble a project's.

A unit's *current* inventory is its newest survey that was submitted or accepted:
what it is filling in now, or what a reviewer returned, is not reported yet.
"""

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.contrib.postgres.search import TrigramSimilarity
from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Greatest

from audit.models import Event
from inventory.models import (
    REPORTED_STATES,
    CloudResource,
    Device,
    InformationSystem,
    ITStaff,
    StaffRole,
    SystemStatus,
    UnitSurvey,
)

# pg_trgm's default for its % operator, as projects.duplicates uses for project names.
SIMILARITY_THRESHOLD = 0.3


def current_surveys() -> QuerySet[UnitSurvey, Any]:
    """Each unit's newest reported survey (one per unit), as a subquery of ids."""
    return (
        UnitSurvey.objects.filter(state__in=REPORTED_STATES)
        .order_by("organization_id", "-campaign__year")
        .distinct("organization_id")
        .values("pk")
    )


def current_survey(unit_id: int) -> UnitSurvey | None:
    """The unit's newest submitted or accepted survey, or None."""
    return (
        UnitSurvey.objects.filter(organization_id=unit_id, state__in=REPORTED_STATES)
        .select_related("campaign", "organization")
        .order_by("-campaign__year")
        .first()
    )


def devices_out_of_warranty(survey: UnitSurvey, day: datetime.date) -> list[Device]:
    """The survey's devices whose warranty ended before ``day`` or was never recorded."""
    return list(
        Device.objects.filter(survey=survey)
        .filter(Q(warranty_end__isnull=True) | Q(warranty_end__lt=day))
        .order_by("purchase_date", "id")
    )


def out_of_warranty_value(survey: UnitSurvey, day: datetime.date) -> Decimal:
    """The original value of the devices ``devices_out_of_warranty`` lists, in one query."""
    total = (
        Device.objects.filter(survey=survey)
        .filter(Q(warranty_end__isnull=True) | Q(warranty_end__lt=day))
        .aggregate(total=Sum("original_value"))["total"]
    )
    return total or Decimal("0.00")


def maintained_systems(survey: UnitSurvey) -> list[InformationSystem]:
    """The systems someone still maintains: live or being replaced, not retired."""
    return list(survey.systems.exclude(status=SystemStatus.RETIRED).order_by("name", "id"))


def cloud_resources(survey: UnitSurvey) -> list[CloudResource]:
    return list(survey.cloud.order_by("name", "id"))


def outsourced_om_staff(survey: UnitSurvey) -> list[ITStaff]:
    """Outsourced operation-and-maintenance staff: what software O&M pays for."""
    return list(survey.staff.filter(employment="outsourced", role=StaffRole.OPERATION))


def systems_like(
    name: str,
    *,
    statuses: Iterable[str],
    unit_id: int | None = None,
    purpose: bool = False,
    limit: int = 10,
) -> list[InformationSystem]:
    """Systems of the units' current inventories in one of ``statuses`` whose names
    resemble ``name`` (with ``purpose``: or whose stated purpose does, the same thing
    under another name), most similar first, with their unit (``survey.organization``);
    of one unit only with ``unit_id``. Uses the trigram index on system names; purposes
    are compared over the current inventories' systems, a few thousand rows."""
    alike = Q(name__trigram_similar=name)
    similarity: Any = TrigramSimilarity("name", name)
    if purpose:
        alike |= Q(purpose__trigram_similar=name)
        similarity = Greatest(similarity, TrigramSimilarity("purpose", name))
    systems = InformationSystem.objects.filter(
        alike, survey_id__in=current_surveys(), status__in=list(statuses)
    )
    if unit_id is not None:
        systems = systems.filter(survey__organization_id=unit_id)
    return list(
        systems.annotate(similarity=similarity)
        .filter(similarity__gte=SIMILARITY_THRESHOLD)
        .select_related("survey__organization")
        .order_by("-similarity", "name")[:limit]
    )


ROW_EVENTS = ("inventory.row.added", "inventory.row.changed", "inventory.row.removed")


def row_history(survey: UnitSurvey, kind: str, row_id: int, *, exists: bool) -> list[Event]:
    """The history of one inventory row, newest first: its own events (added, changed,
    removed, which name the row's id) and, for a row that came with a workbook rather than
    being added by hand, the import that brought it (the survey's latest: an import
    replaces every row). ``exists``: whether the row is there now; an id that names no
    row, now or in the history, has no history. Two queries."""
    survey_events = Event.objects.filter(
        target_type=UnitSurvey._meta.label_lower, target_key=survey.key
    ).select_related("actor")
    own = list(
        survey_events.filter(event_type__in=ROW_EVENTS, data__kind=kind, data__row_id=row_id)
    )
    if (exists or own) and not any(event.event_type == "inventory.row.added" for event in own):
        imported = survey_events.filter(event_type="inventory.rows.imported").first()
        if imported is not None:
            own.append(imported)
    return sorted(own, key=lambda event: (event.occurred_at, event.pk), reverse=True)
