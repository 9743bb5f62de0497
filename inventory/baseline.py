"""Baseline figures (基础数据) from a survey: per unit and in all, what the units run.

Systems by hosting, security level and age; hardware value and the share out of
warranty; cloud resources; IT staff. One query per kind of row, whatever the number
of units, over the surveys the user may see that were submitted or accepted.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from inventory.models import (
    REPORTED_STATES,
    CloudResource,
    Device,
    Employment,
    Hosting,
    InformationSystem,
    ITStaff,
    SurveyCampaign,
    SystemStatus,
    UnitSurvey,
)

# Age bands of a system, in whole years since it was built (survey year − year built).
NEW_UP_TO = 3
OLD_FROM = 6
ZERO = Decimal("0.00")


@dataclass
class Baseline:
    unit: str
    systems: int = 0
    live: int = 0
    retired: int = 0
    gov_cloud: int = 0
    own_room: int = 0
    levels: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    new: int = 0  # built within NEW_UP_TO years
    middle: int = 0
    old: int = 0  # OLD_FROM years or more
    construction_cost: Decimal = ZERO
    yearly_om_cost: Decimal = ZERO
    devices: int = 0
    device_value: Decimal = ZERO
    out_of_warranty_value: Decimal = ZERO
    cores: int = 0
    memory_gb: int = 0
    storage_tb: Decimal = ZERO
    in_house: int = 0
    outsourced: int = 0

    @property
    def out_of_warranty_share(self) -> Decimal | None:
        """Percent of the hardware's original value out of warranty (None without hardware)."""
        if not self.device_value:
            return None
        return (self.out_of_warranty_value * 100 / self.device_value).quantize(Decimal("0.1"))

    def add(self, other: "Baseline") -> None:
        for name in (
            "systems", "live", "retired", "gov_cloud", "own_room", "new", "middle", "old",
            "construction_cost", "yearly_om_cost", "devices", "device_value",
            "out_of_warranty_value", "cores", "memory_gb", "storage_tb", "in_house", "outsourced",
        ):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.levels = [
            mine + theirs for mine, theirs in zip(self.levels, other.levels, strict=True)
        ]


def reported(surveys: QuerySet[UnitSurvey], campaign: SurveyCampaign) -> QuerySet[UnitSurvey]:
    return surveys.filter(campaign=campaign, state__in=REPORTED_STATES).order_by(
        "organization__code"
    )


def baselines(surveys: Iterable[UnitSurvey], year: int) -> tuple[list[Baseline], Baseline]:
    """Each survey's baseline (in the order given) and their total: five queries."""
    surveys = list(surveys)
    by_survey = {survey.pk: Baseline(survey.organization.name) for survey in surveys}
    ids = list(by_survey)
    start_of_year = datetime.date(year, 1, 1)
    systems = (
        InformationSystem.objects.filter(survey_id__in=ids)
        .values("survey_id")
        .annotate(
            count=Count("id"),
            live=Count("id", filter=Q(status=SystemStatus.LIVE)),
            retired=Count("id", filter=Q(status=SystemStatus.RETIRED)),
            gov_cloud=Count("id", filter=Q(hosting=Hosting.GOV_CLOUD)),
            own_room=Count("id", filter=Q(hosting=Hosting.OWN_ROOM)),
            level1=Count("id", filter=Q(security_level=1)),
            level2=Count("id", filter=Q(security_level=2)),
            level3=Count("id", filter=Q(security_level=3)),
            level4=Count("id", filter=Q(security_level=4)),
            new=Count("id", filter=Q(built_year__gt=year - NEW_UP_TO)),
            old=Count("id", filter=Q(built_year__lte=year - OLD_FROM)),
            construction=Sum("construction_cost"),
            om=Sum("yearly_om_cost"),
        )
    )
    for row in _rows(systems):
        baseline = by_survey[row["survey_id"]]
        baseline.systems = row["count"]
        baseline.live, baseline.retired = row["live"], row["retired"]
        baseline.gov_cloud, baseline.own_room = row["gov_cloud"], row["own_room"]
        baseline.levels = [row[f"level{level}"] for level in range(1, 5)]
        baseline.new, baseline.old = row["new"], row["old"]
        baseline.middle = row["count"] - row["new"] - row["old"]
        baseline.construction_cost = row["construction"] or ZERO
        baseline.yearly_om_cost = row["om"] or ZERO
    devices = (
        Device.objects.filter(survey_id__in=ids)
        .values("survey_id")
        .annotate(
            count=Sum("quantity"),
            value=Sum("original_value"),
            expired=Sum(
                "original_value",
                filter=Q(warranty_end__isnull=True) | Q(warranty_end__lt=start_of_year),
            ),
        )
    )
    for row in _rows(devices):
        baseline = by_survey[row["survey_id"]]
        baseline.devices = row["count"] or 0
        baseline.device_value = row["value"] or ZERO
        baseline.out_of_warranty_value = row["expired"] or ZERO
    cloud = (
        CloudResource.objects.filter(survey_id__in=ids)
        .values("survey_id")
        .annotate(cores=Sum("cores"), memory=Sum("memory_gb"), storage=Sum("storage_tb"))
    )
    for row in _rows(cloud):
        baseline = by_survey[row["survey_id"]]
        baseline.cores, baseline.memory_gb = row["cores"] or 0, row["memory"] or 0
        baseline.storage_tb = row["storage"] or ZERO
    staff = (
        ITStaff.objects.filter(survey_id__in=ids)
        .values("survey_id")
        .annotate(
            in_house=Sum("count", filter=Q(employment=Employment.IN_HOUSE)),
            outsourced=Sum("count", filter=Q(employment=Employment.OUTSOURCED)),
        )
    )
    for row in _rows(staff):
        baseline = by_survey[row["survey_id"]]
        baseline.in_house, baseline.outsourced = row["in_house"] or 0, row["outsourced"] or 0
    total = Baseline("")
    for baseline in by_survey.values():
        total.add(baseline)
    return [by_survey[survey.pk] for survey in surveys], total


def _rows(values: Any) -> list[dict[str, Any]]:
    """The rows of a ``values()`` query, as plain dicts (its aggregates vary per query)."""
    return [dict(row) for row in values]
