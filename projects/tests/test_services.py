from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.utils import translation

from accounts.models import Organization, User
from audit.models import Event
from projects import services
from projects.errors import ProjectError
from projects.models import Continuity, Project, ProjectState, TargetIndicator, TargetTier
from projects.tests.factories import project_fields, register

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Refusal messages are asserted in English (the default language is Chinese)."""
    with translation.override("en"):
        yield


def test_registering_gives_a_public_code_by_year_unit_and_sequence(
    submitter: User, exam_authority: Organization
) -> None:
    first = register(submitter)
    second = register(submitter, name="第二个项目")
    other_unit = register(submitter, exam_authority)
    assert (first.code, second.code) == ("2027-EDU-0001", "2027-EDU-0002")
    assert other_unit.code == "2027-EDUEXAM-0001"
    assert first.state == ProjectState.DRAFT
    assert first.created_by == submitter
    assert {p.year: p.amount for p in first.year_plans.all()} == {
        2027: Decimal("1200000.00"),
        2028: Decimal("300000.00"),
    }


def test_registration_is_recorded_in_history(submitter: User) -> None:
    project = register(submitter)
    event = Event.objects.get(event_type="projects.project.registered")
    assert event.actor == submitter
    assert event.target_key == project.code
    assert event.to_state == ProjectState.DRAFT
    assert event.data["fields"]["name"] == "教育考试综合管理平台"
    assert event.data["plan"] == {"2027": "1200000.00", "2028": "300000.00"}


def test_outsider_cannot_register_for_another_unit(outsider: User, education: Organization) -> None:
    with pytest.raises(ProjectError):
        register(outsider, education)
    assert not Project.objects.exists()


def test_approver_cannot_register(department_approver: User) -> None:
    with pytest.raises(ProjectError):
        register(department_approver)


def test_continuing_project_needs_an_earlier_project_of_the_same_unit(
    submitter: User, outsider: User, exam_authority: Organization
) -> None:
    with pytest.raises(ProjectError, match="earlier project"):
        register(submitter, continuity=Continuity.CONTINUING, predecessor=None)
    earlier_other_unit = register(submitter, exam_authority, budget_year=2026, start_year=2026)
    with pytest.raises(ProjectError, match="same budget unit"):
        register(submitter, continuity=Continuity.CONTINUING, predecessor=earlier_other_unit)
    same_year = register(submitter)
    with pytest.raises(ProjectError, match="earlier budget year"):
        register(submitter, continuity=Continuity.CONTINUING, predecessor=same_year)
    earlier = register(submitter, budget_year=2026, start_year=2026)
    continuing = register(submitter, continuity=Continuity.CONTINUING, predecessor=earlier)
    assert continuing.predecessor == earlier


def test_update_saves_changes_bumps_version_and_records_them(submitter: User) -> None:
    project = register(submitter)
    fields = project_fields(submitter.organization, name="教育考试综合管理平台二期")
    updated = services.update_project(
        project,
        actor=submitter,
        fields=fields,
        plan={2027: Decimal("900000.00")},
        expected_version=1,
    )
    assert updated.version == 2
    assert Project.objects.get(pk=project.pk).name == "教育考试综合管理平台二期"
    event = Event.objects.get(event_type="projects.project.changed")
    assert event.data["changes"]["name"] == ["教育考试综合管理平台", "教育考试综合管理平台二期"]
    assert event.data["changes"]["plan"][1] == {"2027": "900000.00"}


def test_stale_edit_is_refused_and_overwrites_nothing(submitter: User) -> None:
    project = register(submitter)
    services.update_project(
        project,
        actor=submitter,
        fields=project_fields(submitter.organization, name="先保存的名称"),
        plan={2027: Decimal("1.00")},
        expected_version=1,
    )
    with pytest.raises(ProjectError, match="Someone saved this project"):
        services.update_project(
            project,
            actor=submitter,
            fields=project_fields(submitter.organization, name="后保存的名称"),
            plan={2027: Decimal("2.00")},
            expected_version=1,
        )
    project.refresh_from_db()
    assert project.name == "先保存的名称"
    assert project.year_plans.get().amount == Decimal("1.00")


def test_project_in_review_cannot_be_edited(submitter: User) -> None:
    project = register(submitter)
    Project.objects.filter(pk=project.pk).update(state=ProjectState.IN_REVIEW)
    with pytest.raises(ProjectError, match="can no longer be changed"):
        services.update_project(
            project,
            actor=submitter,
            fields=project_fields(submitter.organization),
            plan={},
            expected_version=1,
        )


def test_outsider_cannot_update(submitter: User, outsider: User) -> None:
    project = register(submitter)
    with pytest.raises(ProjectError):
        services.update_project(
            project,
            actor=outsider,
            fields=project_fields(submitter.organization),
            plan={},
            expected_version=1,
        )


def test_targets_are_added_and_removed_with_history(submitter: User) -> None:
    project = register(submitter)
    project = services.add_target(
        project,
        actor=submitter,
        expected_version=1,
        tier=TargetTier.OUTPUT,
        indicator=TargetIndicator.QUANTITY,
        name="接入考点数量",
        target_value="≥ 120",
        unit="个",
    )
    target = project.targets.get()
    assert project.version == 2
    services.remove_target(project, actor=submitter, target_id=target.pk, expected_version=2)
    assert not project.targets.exists()
    assert list(
        Event.objects.filter(target_key=project.code).values_list("event_type", flat=True)
    ) == ["projects.target.removed", "projects.target.added", "projects.project.registered"]


def test_target_indicator_must_belong_to_its_tier(submitter: User) -> None:
    project = register(submitter)
    with pytest.raises(ProjectError, match="does not belong"):
        services.add_target(
            project,
            actor=submitter,
            expected_version=1,
            tier=TargetTier.OUTPUT,
            indicator=TargetIndicator.SOCIAL,
            name="社会效益",
            target_value="显著",
            unit="",
        )
    assert not project.targets.exists()


def test_targets_are_listed_output_benefit_satisfaction(submitter: User) -> None:
    project = register(submitter)
    for tier, indicator in (
        (TargetTier.SATISFACTION, TargetIndicator.SERVICE_USERS),
        (TargetTier.BENEFIT, TargetIndicator.SOCIAL),
        (TargetTier.OUTPUT, TargetIndicator.QUANTITY),
    ):
        project = services.add_target(
            project, actor=submitter, expected_version=project.version,
            tier=tier, indicator=indicator, name=tier, target_value="1", unit="",
        )  # fmt: skip
    assert list(project.targets.values_list("tier", flat=True)) == [
        "output",
        "benefit",
        "satisfaction",
    ]
