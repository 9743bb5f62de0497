"""The demo survey: most units submitted, one late, one returned; O&M priced from it."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command

from inventory.models import SurveyCampaign, SurveyState, UnitSurvey
from projects.models import EstimateLine, LineBasis, Project

# seed_demo runs once for the module (``demo_province``).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_province")]


def test_the_demo_survey_and_the_om_lines_generated_from_it() -> None:
    campaign = SurveyCampaign.objects.get(year=2026)
    states = dict(
        UnitSurvey.objects.filter(campaign=campaign).values_list("organization__code", "state")
    )
    assert states["NATRESSURVEY"] == SurveyState.DRAFT
    assert states["HEALTHCDC"] == SurveyState.RETURNED
    reported = [code for code, state in states.items() if state in ("submitted", "accepted")]
    assert len(reported) == len(states) - 2
    late = [
        s
        for s in UnitSurvey.objects.filter(campaign=campaign)
        if s.is_late_on(datetime.date(2026, 12, 1))
    ]
    assert {s.organization.code for s in late} == {"NATRESSURVEY", "HEALTHCDC"}
    # EDU's O&M project: servers worth 1,000,000 yuan out of warranty, at 5 %.
    project = Project.objects.get(name="教育政务服务平台运维", budget_year=2027)
    hardware = EstimateLine.objects.get(project=project, item_code="2.2")
    assert hardware.amount == Decimal("50000.00")
    assert LineBasis.objects.filter(line=hardware).count() == 1
    call_command("seed_demo", verbosity=0)  # twice: nothing more
    assert EstimateLine.objects.filter(project=project, item_code="2.2").count() == 1


def test_the_demo_shows_om_above_the_standards_share() -> None:
    """A reviewer finds the flag on a request in review: 考试报名系统 was built for
    2,600,000 yuan, and its O&M request is above the standard's 15 % of that (390,000)."""
    from projects.duplicates import inventory_flags

    project = Project.objects.get(name="考试报名系统运维", budget_year=2027)
    (flag,) = inventory_flags(project).om_above_share
    assert flag.system.name == "考试报名系统"
    assert flag.requested == project.requested_amount > Decimal("390000.00")
