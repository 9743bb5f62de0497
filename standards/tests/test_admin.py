"""Django admin for the standards: system admins only; published sets read-only."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import Event
from standards.models import ServiceItem, SetStatus, StandardSet
from standards.tests.factories import filled_set

pytestmark = pytest.mark.django_db

MODELS = ["standardset", "feecategory", "serviceitem"]


@pytest.mark.parametrize("model", MODELS)
def test_anonymous_users_are_sent_to_admin_login(client, model):
    response = client.get(reverse(f"admin:standards_{model}_changelist"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


@pytest.mark.parametrize("model", MODELS)
def test_department_staff_cannot_use_the_admin(clerk_client, model):
    for name in ("changelist", "add"):
        response = clerk_client.get(reverse(f"admin:standards_{model}_{name}"))
        assert response.status_code == 302
        assert reverse("admin:login") in response["Location"]


@pytest.mark.parametrize("model", MODELS)
def test_system_admins_see_every_list(system_admin_client, model):
    filled_set(2)
    response = system_admin_client.get(reverse(f"admin:standards_{model}_changelist"))
    assert response.status_code == 200


def test_a_published_set_is_read_only_in_the_admin(system_admin_client):
    published = filled_set(1)
    item = published.items.get()
    url = reverse("admin:standards_serviceitem_change", args=[item.pk])
    page = system_admin_client.get(url)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    response = system_admin_client.post(url, {"name": "改名"})
    assert response.status_code == 403
    assert ServiceItem.objects.get(pk=item.pk).name == item.name


def test_a_draft_item_is_saved_through_the_service(system_admin_client, system_admin):
    draft = filled_set(1, status=SetStatus.DRAFT)
    item = draft.items.get()
    grades = list(item.grades.all())
    data = {
        "standard_set": draft.pk,
        "category": item.category_id,
        "code": item.code,
        "name": "软件运维服务",
        "unit": item.unit,
        "project_kinds": "",
        "description": "",
        "basis": "",
        "pricing_method": item.pricing_method,
        "parameters": "{}",
        "position": 0,
        "grades-TOTAL_FORMS": len(grades),
        "grades-INITIAL_FORMS": len(grades),
        "grades-MIN_NUM_FORMS": 0,
        "grades-MAX_NUM_FORMS": 1000,
    }
    for index, grade in enumerate(grades):
        data |= {
            f"grades-{index}-id": grade.pk,
            f"grades-{index}-item": item.pk,
            f"grades-{index}-code": grade.code,
            f"grades-{index}-name": grade.name,
            f"grades-{index}-unit_price": "90000.00" if index == 0 else str(grade.unit_price),
            f"grades-{index}-position": 0,
        }
    url = reverse("admin:standards_serviceitem_change", args=[item.pk])
    response = system_admin_client.post(url, data)
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    item.refresh_from_db()
    assert item.name == "软件运维服务"
    assert Event.objects.filter(event_type="standards.item.changed", actor=system_admin).exists()
    assert Event.objects.filter(event_type="standards.grade.changed", actor=system_admin).exists()


def test_publish_action_publishes_and_records(system_admin_client, system_admin):
    draft = filled_set(1, status=SetStatus.DRAFT)
    response = system_admin_client.post(
        reverse("admin:standards_standardset_changelist"),
        {"action": "publish", "_selected_action": [draft.pk]},
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == SetStatus.PUBLISHED
    assert Event.objects.get(event_type="standards.set.published").actor == system_admin


def test_copy_action_makes_a_new_draft(system_admin_client):
    published = filled_set(2, code="GD-2019")
    system_admin_client.post(
        reverse("admin:standards_standardset_changelist"),
        {"action": "copy", "_selected_action": [published.pk]},
    )
    copy = StandardSet.objects.get(code="GD-2019-V2")
    assert copy.status == SetStatus.DRAFT
    assert copy.items.count() == 2


def test_publishing_a_published_set_reports_an_error(system_admin_client):
    published = filled_set(1)
    response = system_admin_client.post(
        reverse("admin:standards_standardset_changelist"),
        {"action": "publish", "_selected_action": [published.pk]},
        follow=True,
    )
    assert any(m.level_tag == "error" for m in response.context["messages"])


# --- Excel in the admin -------------------------------------------------------------


def test_department_staff_cannot_import_or_export(clerk_client, client):
    published = filled_set(1)
    urls = [
        reverse("admin:standards_standardset_import"),
        reverse("admin:standards_standardset_export", args=[published.pk]),
    ]
    for user_client in (clerk_client, client):
        for url in urls:
            response = user_client.get(url)
            assert response.status_code == 302
            assert reverse("admin:login") in response["Location"]


def test_a_staff_user_without_the_admin_role_gets_403(clerk, client):
    # Staff flags normally follow roles; force one past User.save to prove the view checks.
    type(clerk).objects.filter(pk=clerk.pk).update(is_staff=True)
    client.force_login(clerk)
    response = client.get(reverse("admin:standards_standardset_import"))
    assert response.status_code == 403


def test_admin_exports_and_dry_runs_then_imports(system_admin_client, system_admin):
    published = filled_set(2, code="GD-2019")
    export = system_admin_client.get(
        reverse("admin:standards_standardset_export", args=[published.pk])
    )
    assert export.status_code == 200
    assert export["Content-Disposition"] == 'attachment; filename="GD-2019.xlsx"'
    url = reverse("admin:standards_standardset_import")
    assert system_admin_client.get(url).status_code == 200

    def upload(dry_run: bool):
        workbook = SimpleUploadedFile("gd.xlsx", export.content)
        data = {"file": workbook, "code": "GD-2026"} | ({"dry_run": "on"} if dry_run else {})
        return system_admin_client.post(url, data)

    preview = upload(dry_run=True)
    assert preview.context["report"].added["items"] == ["2.01", "2.02"]
    assert not StandardSet.objects.filter(code="GD-2026").exists()
    done = upload(dry_run=False)
    assert done.context["report"].created_set
    assert StandardSet.objects.get(code="GD-2026").items.count() == 2
    assert Event.objects.get(event_type="standards.set.imported").actor == system_admin


def test_admin_import_lists_problems_and_refuses_published_sets(system_admin_client):
    filled_set(1, code="PUB")
    url = reverse("admin:standards_standardset_import")
    bad = system_admin_client.post(
        url, {"file": SimpleUploadedFile("x.xlsx", b"not a workbook"), "code": "NEW"}
    )
    assert bad.context["issues"]
    published = StandardSet.objects.get(code="PUB")
    export = system_admin_client.get(
        reverse("admin:standards_standardset_export", args=[published.pk])
    )
    refused = system_admin_client.post(
        url, {"file": SimpleUploadedFile("pub.xlsx", export.content), "code": "PUB"}
    )
    assert "code" in refused.context["form"].errors


def test_add_forms_offer_only_drafts_to_add_to(system_admin_client):
    filled_set(1, code="PUB")
    draft = filled_set(1, code="DRAFT", status=SetStatus.DRAFT)
    for model in ("feecategory", "serviceitem"):
        form = (
            system_admin_client.get(reverse(f"admin:standards_{model}_add"))
            .context["adminform"]
            .form
        )
        assert list(form.fields["standard_set"].queryset) == [draft]
    set_form = (
        system_admin_client.get(reverse("admin:standards_standardset_add"))
        .context["adminform"]
        .form
    )
    assert [s.code for s in set_form.fields["base"].queryset] == ["PUB"]


def test_a_set_published_while_its_draft_was_edited_gives_a_message_not_a_500(
    system_admin_client, monkeypatch
):
    """The form was valid, then the service found the set no longer a draft (another
    admin published it meanwhile): nothing is saved and the admin says why."""
    from standards import services

    draft = filled_set(1, status=SetStatus.DRAFT)

    def published_meanwhile(pk):
        raise services.StandardsError("已发布，不能修改。")

    monkeypatch.setattr(services, "lock_draft", published_meanwhile)
    url = reverse("admin:standards_standardset_change", args=[draft.pk])
    data = {
        "code": draft.code,
        "name": "改名",
        "region": draft.region,
        "version_label": draft.version_label,
        "effective_from": draft.effective_from.isoformat(),
        "max_om_share": "15",
        "jurisdiction": draft.jurisdiction_id,
    }
    response = system_admin_client.post(url, data, follow=True)
    assert response.status_code == 200
    assert "已发布，不能修改。" in [str(m) for m in response.context["messages"]]
    draft.refresh_from_db()
    assert draft.name != "改名"


@pytest.mark.parametrize("model", ["feecategory", "serviceitem", "grade"])
@pytest.mark.parametrize("query", ["year=%00", "page=-1", "sort=x", "no_such_field__gt=1"])
def test_an_export_with_a_parameter_that_is_no_filter_is_answered_as_the_changelist_does(
    system_admin_client, model, query
):
    """import-export let it raise (a 500, issue #15); the changelist redirects to ?e=1."""
    filled_set(1)
    url = reverse(f"admin:standards_{model}_export")
    response = system_admin_client.get(f"{url}?{query}")
    assert response.status_code == 302
    assert response["Location"] == f"{url}?e=1"
    assert system_admin_client.get(response["Location"]).status_code == 200
    filtered = system_admin_client.get(f"{url}?q=2")  # a real search still selects
    assert filtered.status_code == 200
