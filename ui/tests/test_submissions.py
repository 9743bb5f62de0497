"""A create form acts once however often it is sent (ui.submissions): the same form sent
twice registers one project and attaches one document, the second answer leading to the
first's result; a different form from the same page acts; a refused form keeps nothing,
so the corrected one acts; and two sent at the same moment (real threads, their own
connections) make one record."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Organization, User
from projects.models import Project
from projects.tests import documents
from projects.tests.test_views import _form_data
from tests.helpers import at_once
from ui.models import FormSubmission

TOKEN = re.compile(r'name="submission" value="([0-9a-f-]{36})"')


def _token(client: Client, url: str) -> str:
    found = TOKEN.search(client.get(url).content.decode())
    assert found, "the page draws no submission token"
    return found.group(1)


@pytest.mark.django_db
def test_the_registration_form_sent_twice_registers_one_project(
    client: Client, submitter: User, education: Organization
) -> None:
    client.force_login(submitter)
    client.cookies["django_language"] = "en"
    url = reverse("projects:create")
    data = {**_form_data(education), "submission": _token(client, url)}
    first = client.post(url, data)
    project = Project.objects.get()
    again = client.post(url, data, follow=True)
    assert Project.objects.count() == 1
    assert again.redirect_chain[0][0] == first["Location"]
    assert "This form was sent twice; it was acted on once." in again.content.decode()
    # Another project from the same page (its token) is registered.
    client.post(url, {**data, "name": "另一个项目"})
    assert Project.objects.exclude(pk=project.pk).get().name == "另一个项目"


@pytest.mark.django_db
def test_a_refused_form_keeps_nothing_and_the_corrected_one_acts(
    client: Client, submitter: User, education: Organization
) -> None:
    client.force_login(submitter)
    url = reverse("projects:create")
    token = _token(client, url)
    refused = client.post(url, {**_form_data(education, name=""), "submission": token})
    assert refused.status_code == 200
    assert not FormSubmission.objects.exists()
    client.post(url, {**_form_data(education, name="补全后的项目"), "submission": token})
    assert Project.objects.get().name == "补全后的项目"


@pytest.mark.django_db
def test_a_document_sent_twice_is_attached_once(
    client: Client, submitter: User, education: Organization
) -> None:
    client.force_login(submitter)
    client.post(reverse("projects:create"), _form_data(education))
    project = Project.objects.get()
    token = _token(client, reverse("projects:detail", args=[project.code]))
    url = reverse("projects:attachment_add", args=[project.code])
    for _ in range(2):
        sent = {"kind": "feasibility_study", "file": documents.pdf(), "submission": token}
        assert client.post(url, sent).status_code == 302
    assert project.attachments.count() == 1
    other = {"kind": "other", "file": documents.pdf("另一份.pdf"), "submission": token}
    client.post(url, other)
    assert project.attachments.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_registrations_sent_at_the_same_moment_make_one_project(
    submitter: User, education: Organization
) -> None:
    page = Client()
    page.force_login(submitter)
    url = reverse("projects:create")
    data = {**_form_data(education), "submission": _token(page, url)}

    def send() -> int:
        client = Client()
        client.cookies = page.cookies
        return client.post(url, data).status_code

    statuses = at_once(send, send)
    assert statuses == [302, 302]
    assert Project.objects.count() == 1
