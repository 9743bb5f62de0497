import pytest
from django.core.exceptions import ValidationError

from accounts import services
from accounts.models import Organization, Role, UnitLevel, User
from audit.models import Event

pytestmark = pytest.mark.django_db


def test_creating_a_unit_records_a_history_event(admin_user: User) -> None:
    unit = services.save_organization(
        Organization(code="TRANS", name="省交通运输厅", level=UnitLevel.PRIMARY), actor=admin_user
    )
    event = Event.objects.get(event_type="accounts.organization.created")
    assert event.actor == admin_user
    assert event.target_key == "TRANS"
    assert event.target_type == "accounts.organization"
    assert event.data["name"] == "省交通运输厅"
    assert unit.pk is not None


def test_changing_a_unit_records_only_what_changed(
    admin_user: User, education: Organization
) -> None:
    education.name = "广东省教育厅新名称"
    services.save_organization(education, actor=admin_user)
    event = Event.objects.get(event_type="accounts.organization.changed")
    assert event.data == {"name": ["省教育厅", "广东省教育厅新名称"]}


def test_saving_an_unchanged_unit_records_nothing(
    admin_user: User, education: Organization
) -> None:
    services.save_organization(education, actor=admin_user)
    assert not Event.objects.filter(event_type="accounts.organization.changed").exists()


def test_invalid_unit_is_refused_and_nothing_is_written(admin_user: User) -> None:
    with pytest.raises(ValidationError):
        services.save_organization(
            Organization(code="ORPHAN", name="无主单位", level=UnitLevel.SECONDARY),
            actor=admin_user,
        )
    assert not Organization.objects.filter(code="ORPHAN").exists()
    assert not Event.objects.exists()


def test_role_change_is_recorded_with_before_and_after(admin_user: User, submitter: User) -> None:
    submitter.roles = [Role.SUBMITTER, Role.DEPARTMENT_APPROVER]
    services.save_user(submitter, actor=admin_user)
    event = Event.objects.get(event_type="accounts.user.changed", target_key="edu_clerk")
    assert event.actor == admin_user
    assert event.data == {"roles": [[Role.SUBMITTER], [Role.DEPARTMENT_APPROVER, Role.SUBMITTER]]}


def test_role_not_allowed_in_the_unit_is_refused_and_not_saved(
    admin_user: User, submitter: User
) -> None:
    submitter.roles = [Role.FINANCE_APPROVER]
    with pytest.raises(ValidationError):
        services.save_user(submitter, actor=admin_user)
    submitter.refresh_from_db()
    assert submitter.roles == [Role.SUBMITTER]
    assert not Event.objects.exists()


def test_create_user_hashes_the_password(education: Organization) -> None:
    user = services.create_user(
        username="new_clerk",
        organization=education,
        roles=[Role.SUBMITTER],
        password="a-long-password-1",
        actor=None,
    )
    assert user.check_password("a-long-password-1")
    assert "a-long-password-1" not in user.password
    event = Event.objects.get(event_type="accounts.user.created")
    assert event.actor is None
    assert "password" not in event.data
