import pytest
from django.contrib.auth.models import AnonymousUser

from accounts import permissions
from accounts.models import Organization, Role, User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_department_staff_see_own_unit_and_its_secondary_units(
    submitter: User, education: Organization, exam_authority: Organization, health: Organization
) -> None:
    assert permissions.can_view_unit(submitter, education)
    assert permissions.can_view_unit(submitter, exam_authority)
    assert not permissions.can_view_unit(submitter, health)
    assert set(permissions.units_visible_to(submitter)) == {education, exam_authority}


def test_secondary_unit_staff_see_only_their_own_unit(
    secondary_submitter: User, education: Organization, exam_authority: Organization
) -> None:
    assert permissions.can_view_unit(secondary_submitter, exam_authority)
    assert not permissions.can_view_unit(secondary_submitter, education)
    assert list(permissions.units_visible_to(secondary_submitter)) == [exam_authority]


def test_outsider_sees_nothing_of_another_department(
    outsider: User, education: Organization, exam_authority: Organization
) -> None:
    assert not permissions.can_view_unit(outsider, education)
    assert not permissions.can_view_unit(outsider, exam_authority)
    assert not permissions.can_submit_for_unit(outsider, education)
    assert education not in permissions.units_visible_to(outsider)


@pytest.mark.parametrize(
    "persona", ["data_reviewer", "finance_reviewer", "finance_approver", "admin_user"]
)
def test_reviewers_and_admins_see_every_unit(
    request: pytest.FixtureRequest, persona: str, education: Organization, health: Organization
) -> None:
    user = request.getfixturevalue(persona)
    assert permissions.sees_all_units(user)
    assert permissions.can_view_unit(user, health)
    assert {education, health} <= set(permissions.units_visible_to(user))


def test_primary_unit_submitter_may_submit_for_its_secondary_units(
    submitter: User,
    secondary_submitter: User,
    education: Organization,
    exam_authority: Organization,
) -> None:
    assert permissions.can_submit_for_unit(submitter, exam_authority)
    assert permissions.can_submit_for_unit(secondary_submitter, exam_authority)
    assert not permissions.can_submit_for_unit(secondary_submitter, education)


def test_only_submitters_may_submit(department_approver: User, education: Organization) -> None:
    assert permissions.can_view_unit(department_approver, education)
    assert not permissions.can_submit_for_unit(department_approver, education)


def test_primary_unit_approver_covers_its_secondary_units(
    department_approver: User,
    education: Organization,
    exam_authority: Organization,
    health: Organization,
) -> None:
    assert permissions.can_approve_for_unit(department_approver, education)
    assert permissions.can_approve_for_unit(department_approver, exam_authority)
    assert not permissions.can_approve_for_unit(department_approver, health)


def test_secondary_unit_approver_does_not_give_the_department_review(
    exam_authority: Organization,
) -> None:
    approver = UserFactory.create(organization=exam_authority, roles=[Role.DEPARTMENT_APPROVER])
    assert not permissions.can_approve_for_unit(approver, exam_authority)


def test_submitter_cannot_approve(submitter: User, education: Organization) -> None:
    assert not permissions.can_approve_for_unit(submitter, education)


def test_anonymous_user_has_no_access(education: Organization) -> None:
    anonymous = AnonymousUser()
    assert not permissions.can_view_unit(anonymous, education)
    assert not permissions.has_role(anonymous, Role.SUBMITTER)
    assert not permissions.units_visible_to(anonymous).exists()


def test_deactivated_user_loses_all_access(submitter: User, education: Organization) -> None:
    submitter.is_active = False
    assert not permissions.can_view_unit(submitter, education)
    assert not permissions.can_submit_for_unit(submitter, education)
    assert not permissions.units_visible_to(submitter).exists()


def test_a_user_may_hold_several_roles(
    education: Organization, exam_authority: Organization
) -> None:
    both = UserFactory.create(
        organization=education, roles=[Role.SUBMITTER, Role.DEPARTMENT_APPROVER]
    )
    assert permissions.can_submit_for_unit(both, exam_authority)
    assert permissions.can_approve_for_unit(both, exam_authority)
    assert not permissions.sees_all_units(both)


def test_department_scope_is_the_filter_twin_of_the_unit_checks(
    submitter: User,
    secondary_submitter: User,
    education: Organization,
    exam_authority: Organization,
    health: Organization,
) -> None:
    units = Organization.objects.all()
    for user in (submitter, secondary_submitter):
        assert set(units.filter(permissions.department_scope(user, ""))) == {
            unit for unit in units if permissions.can_view_unit(user, unit)
        }
        assert set(units.filter(permissions.submission_scope(user, ""))) == {
            unit for unit in units if permissions.can_submit_for_unit(user, unit)
        }
    assert not units.filter(permissions.department_scope(AnonymousUser(), "")).exists()


def test_approval_scope_is_the_filter_twin_of_can_approve_for_unit(
    department_approver: User,
    submitter: User,
    education: Organization,
    exam_authority: Organization,
    health: Organization,
) -> None:
    secondary_approver = UserFactory.create(
        organization=exam_authority, roles=[Role.DEPARTMENT_APPROVER]
    )
    units = Organization.objects.all()
    for user in (department_approver, secondary_approver, submitter):
        assert set(units.filter(permissions.approval_scope(user, ""))) == {
            unit for unit in units if permissions.can_approve_for_unit(user, unit)
        }
    assert list(permissions.approvers_for_unit(exam_authority)) == [department_approver]
