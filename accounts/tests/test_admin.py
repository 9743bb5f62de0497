import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AdministrativeLevel, Jurisdiction, Organization, Role, User
from audit.models import Event

pytestmark = pytest.mark.django_db

ADMIN_URLS = [
    "admin:index",
    "admin:accounts_organization_changelist",
    "admin:accounts_organization_add",
    "admin:accounts_user_changelist",
    "admin:accounts_user_add",
    "admin:audit_event_changelist",
]


@pytest.mark.parametrize("url_name", ADMIN_URLS)
@pytest.mark.parametrize(
    "persona", ["submitter", "department_approver", "finance_reviewer", "outsider"]
)
def test_non_admins_are_kept_out_of_django_admin(
    client: Client, request: pytest.FixtureRequest, persona: str, url_name: str
) -> None:
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("url_name", ADMIN_URLS)
def test_admin_opens_every_admin_page(client: Client, admin_user: User, url_name: str) -> None:
    client.force_login(admin_user)
    assert client.get(reverse(url_name)).status_code == 200


def test_admin_lists_keep_a_constant_query_count(
    client: Client, admin_user: User, education: Organization, django_assert_max_num_queries
) -> None:
    client.force_login(admin_user)
    url = reverse("admin:accounts_user_changelist")
    with django_assert_max_num_queries(12):
        client.get(url)
    for number in range(30):
        User.objects.create(
            username=f"bulk{number}", organization=education, roles=[Role.SUBMITTER]
        )
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200


def test_adding_a_unit_in_admin_goes_through_the_service(
    client: Client, admin_user: User, education: Organization
) -> None:
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:accounts_organization_add"),
        {
            "code": "EDULIB",
            "name": "省教育图书馆",
            "level": "secondary",
            "parent": education.pk,
            "jurisdiction": education.jurisdiction_id,
            "administrative_level": "province",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    unit = Organization.objects.get(code="EDULIB")
    assert unit.parent == education
    event = Event.objects.get(event_type="accounts.organization.created", target_key="EDULIB")
    assert event.actor == admin_user


def test_admin_refuses_a_secondary_unit_without_parent_and_says_why(
    client: Client, admin_user: User
) -> None:
    client.force_login(admin_user)
    client.cookies["django_language"] = "en"
    response = client.post(
        reverse("admin:accounts_organization_add"),
        {
            "code": "ORPHAN",
            "name": "无主单位",
            "level": "secondary",
            "administrative_level": "province",
        },
    )
    assert response.status_code == 200
    assert not Organization.objects.filter(code="ORPHAN").exists()
    assert "Choose the primary unit this secondary unit belongs to." in response.content.decode()


def test_history_cannot_be_edited_or_deleted_in_admin(client: Client, admin_user: User) -> None:
    client.force_login(admin_user)
    Event.objects.create(event_type="test.event", target_type="x", target_key="1")
    event = Event.objects.get()
    assert client.get(reverse("admin:audit_event_delete", args=[event.pk])).status_code == 403
    response = client.post(reverse("admin:audit_event_change", args=[event.pk]), {"comment": "x"})
    assert response.status_code == 403


def test_a_password_set_in_admin_goes_through_the_service(
    client: Client, admin_user: User, submitter: User
) -> None:
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:auth_user_password_change", args=[submitter.pk]),
        {"usable_password": "true", "password1": "Ge6-nEw-pAss", "password2": "Ge6-nEw-pAss"},
    )
    assert response.status_code == 302
    submitter.refresh_from_db()
    assert submitter.check_password("Ge6-nEw-pAss")
    event = Event.objects.get(event_type="accounts.user.password_set")
    assert (event.actor, event.target_key) == (admin_user, "edu_clerk")
    assert "Ge6" not in str(event.data) and submitter.password not in str(event.data)


def test_an_admin_may_turn_password_login_off_and_it_is_recorded(
    client: Client, admin_user: User, submitter: User
) -> None:
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:auth_user_password_change", args=[submitter.pk]),
        {"usable_password": "false", "unset-password": "1"},
    )
    assert response.status_code == 302
    submitter.refresh_from_db()
    assert not submitter.has_usable_password()
    assert Event.objects.filter(event_type="accounts.user.password_disabled").exists()


def test_a_users_own_password_change_is_recorded(client: Client, submitter: User) -> None:
    submitter.set_password("old-Pass-2026")
    submitter.save(update_fields=["password"])
    client.force_login(submitter)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "old-Pass-2026",
            "new_password1": "Ge6-nEw-pAss",
            "new_password2": "Ge6-nEw-pAss",
        },
    )
    assert response.status_code == 302
    event = Event.objects.get(event_type="accounts.user.password_set")
    assert event.actor == submitter
    assert client.get(reverse("home")).status_code == 200  # still logged in


def test_removing_a_lost_device_in_admin_is_recorded_and_devices_are_not_edited_there(
    client: Client, admin_user: User, submitter: User
) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=submitter, name="phone", confirmed=True)
    client.force_login(admin_user)
    change = reverse("admin:otp_totp_totpdevice_change", args=[device.pk])
    assert client.post(change, {"user": admin_user.pk, "name": "mine"}).status_code == 403
    device.refresh_from_db()
    assert (device.user, device.name) == (submitter, "phone")
    response = client.post(
        reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.exists()
    event = Event.objects.get(event_type="accounts.user.two_factor_removed")
    assert (event.actor, event.target_key) == (admin_user, "edu_clerk")


@pytest.mark.parametrize("garbage", ["a\x00b", "not a unit", "1.5", "9" * 30])
@pytest.mark.parametrize(
    ("url_name", "field"),
    [("admin:accounts_organization_add", "parent"), ("admin:accounts_user_add", "organization")],
)
def test_a_unit_that_is_no_key_is_a_form_error_not_a_crash(
    client: Client, admin_user: User, url_name: str, field: str, garbage: str
) -> None:
    """The autocomplete widget drew the refused value again by looking it up: ValueError, 500."""
    client.force_login(admin_user)
    response = client.post(
        reverse(url_name),
        {"code": "X1", "name": "某单位", "level": "primary", "username": "u1", field: garbage},
    )
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors


def test_a_city_s_admin_manages_only_its_own_units_and_people(
    client: Client, admin_user: User, education: Organization, submitter: User
) -> None:
    """Issue #18: a jurisdiction's admin manages its own units and users only."""
    province = Jurisdiction.objects.get(parent=None)
    city = Jurisdiction.objects.create(
        code="GD-GZ", name="广州市", level=AdministrativeLevel.CITY, parent=province
    )
    gz_unit = Organization.objects.create(
        code="GZCZJ", name="广州市财政局", level="primary", jurisdiction=city
    )
    gz_admin = User.objects.create_user(
        "gz_admin", organization=gz_unit, roles=[Role.SYSTEM_ADMIN], password="x"
    )
    client.force_login(gz_admin)
    units = client.get(reverse("admin:accounts_organization_changelist")).content.decode()
    assert "广州市财政局" in units and education.name not in units
    people = client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert "gz_admin" in people and submitter.username not in people
    for name, pk in (("organization", education.pk), ("user", submitter.pk)):
        response = client.get(reverse(f"admin:accounts_{name}_change", args=[pk]))
        assert response.status_code == 302  # "doesn't exist": back to the admin index
    assert client.get(reverse("admin:accounts_jurisdiction_add")).status_code == 403
    # The province's admin still manages everyone.
    client.force_login(admin_user)
    units = client.get(reverse("admin:accounts_organization_changelist")).content.decode()
    assert "广州市财政局" in units and education.name in units
