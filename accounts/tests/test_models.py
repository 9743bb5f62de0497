import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from accounts.models import Organization, Role, UnitLevel, User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_secondary_unit_without_primary_unit_is_refused_by_the_database() -> None:
    with pytest.raises(IntegrityError):
        Organization.objects.create(code="ORPHAN", name="无主单位", level=UnitLevel.SECONDARY)


def test_primary_unit_with_a_parent_is_refused(education: Organization) -> None:
    unit = Organization(code="BAD", name="错误单位", level=UnitLevel.PRIMARY, parent=education)
    with pytest.raises(ValidationError) as error:
        unit.full_clean()
    assert "parent" in error.value.message_dict


def test_secondary_unit_must_sit_under_a_primary_unit(exam_authority: Organization) -> None:
    unit = Organization(
        code="DEEP", name="三级单位", level=UnitLevel.SECONDARY, parent=exam_authority
    )
    with pytest.raises(ValidationError) as error:
        unit.full_clean()
    assert "parent" in error.value.message_dict


def test_reviewing_body_must_be_primary(education: Organization) -> None:
    with pytest.raises(IntegrityError):
        Organization.objects.create(
            code="SUBFIN",
            name="下属财政",
            level=UnitLevel.SECONDARY,
            parent=education,
            is_finance_department=True,
        )


def test_unit_code_format_is_checked() -> None:
    unit = Organization(code="edu-1", name="小写单位", level=UnitLevel.PRIMARY)
    with pytest.raises(ValidationError) as error:
        unit.full_clean()
    assert "code" in error.value.message_dict


def test_primary_unit_id_of_a_secondary_unit_is_its_parent(
    education: Organization, exam_authority: Organization
) -> None:
    assert education.primary_unit_id == education.pk
    assert exam_authority.primary_unit_id == education.pk


def test_system_admin_role_grants_django_admin_and_removing_it_revokes(
    education: Organization,
) -> None:
    user = UserFactory.create(organization=education, roles=[Role.SYSTEM_ADMIN])
    user.refresh_from_db()
    assert user.is_staff and user.is_superuser
    user.roles = [Role.SUBMITTER]
    user.save(update_fields=["roles"])
    user.refresh_from_db()
    assert not user.is_staff
    assert not user.is_superuser


def test_roles_are_stored_sorted_without_duplicates(education: Organization) -> None:
    user = UserFactory.create(
        organization=education, roles=[Role.SUBMITTER, Role.DEPARTMENT_APPROVER, Role.SUBMITTER]
    )
    user.refresh_from_db()
    assert user.roles == [Role.DEPARTMENT_APPROVER, Role.SUBMITTER]


def test_finance_roles_only_in_the_finance_department(education: Organization) -> None:
    user = User(username="fake_finance", organization=education, roles=[Role.FINANCE_REVIEWER])
    with pytest.raises(ValidationError) as error:
        user.full_clean(exclude=["password"])
    assert "roles" in error.value.message_dict


def test_data_reviewer_only_in_the_data_administration(finance_department: Organization) -> None:
    user = User(username="fake_data", organization=finance_department, roles=[Role.DATA_REVIEWER])
    with pytest.raises(ValidationError) as error:
        user.full_clean(exclude=["password"])
    assert "roles" in error.value.message_dict


def test_createsuperuser_gets_the_admin_role(data_administration: Organization) -> None:
    user = User.objects.create_superuser(
        "root", "root@example.org", "a-long-password-1", organization=data_administration
    )
    assert user.roles == [Role.SYSTEM_ADMIN]
    assert user.is_superuser


def test_chinese_names_read_family_name_first(education: Organization) -> None:
    assert (
        UserFactory.create(organization=education, last_name="李", first_name="明").get_full_name()
        == "李明"
    )
    assert (
        UserFactory.create(
            organization=education, last_name="Lovelace", first_name="Ada"
        ).get_full_name()
        == "Ada Lovelace"
    )
