"""Every upload path refuses a hostile package with the same check (``ui.uploads``).

There were two checks with different limits; now a zip bomb, a DTD or macros are
refused alike whether they arrive as a project document, a filled-in estimate
template, a standard's workbook (admin page or command) or the admin's import of
fee classes, items and grades, and nothing of them is kept.
"""

import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.models import Role, User
from accounts.tests.factories import OrganizationFactory, UserFactory
from budgeting import figures
from budgeting.tests.workflow_fixtures import two_round_year
from inventory.tests.factories import open_survey, survey_of
from projects.models import Attachment, AttachmentKind, PendingImport
from projects.tests.factories import register
from standards import excel
from standards.models import Grade, StandardSet
from tests.helpers import seed_standards
from ui import uploads

pytestmark = pytest.mark.django_db

NAME = "bomb.xlsx"


def _zip_bomb() -> bytes:
    """A workbook's parts plus one declaring 101 MB (zeros: 100 KB packed)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", bytes(101 * uploads.MB))
    return buffer.getvalue()


def _entities() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("xl/workbook.xml", b'<!DOCTYPE w [<!ENTITY a "aaaa">]><workbook/>')
    return buffer.getvalue()


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def _as_document(content: bytes, submitter: User, **_: Any) -> str:
    project = register(submitter)
    response = _client(submitter).post(
        reverse("projects:attachment_add", args=[project.code]),
        {"kind": AttachmentKind.OTHER, "file": SimpleUploadedFile(NAME, content)},
    )
    assert response.status_code == 400
    assert not Attachment.objects.filter(project=project).exists()
    return " ".join(response.context["attachment_form"].errors["file"])


def _as_estimate(content: bytes, submitter: User, **_: Any) -> str:
    seed_standards()
    project = register(submitter)
    response = _client(submitter).post(
        reverse("projects:estimate_import", args=[project.code]),
        {"file": SimpleUploadedFile(NAME, content)},
    )
    assert response.status_code == 400
    assert not PendingImport.objects.exists()
    return " ".join(response.context["form"].errors["file"])


def _as_standard(content: bytes, admin_user: User, **_: Any) -> str:
    response = _client(admin_user).post(
        reverse("admin:standards_standardset_import"),
        {"file": SimpleUploadedFile(NAME, content), "code": "NEW-2027"},
    )
    assert not StandardSet.objects.filter(code="NEW-2027").exists()
    return " ".join(issue.message for issue in response.context["issues"])


def _as_standard_command(content: bytes, tmp_path: Path, **_: Any) -> str:
    path = tmp_path / NAME
    path.write_bytes(content)
    with translation.override("en"), pytest.raises(excel.WorkbookError) as error:
        excel.read_workbook(path)
    return " ".join(issue.message for issue in error.value.issues)


def _as_admin_grades(content: bytes, admin_user: User, **_: Any) -> str:
    seed_standards()
    before = Grade.objects.count()
    response = _client(admin_user).post(
        reverse("admin:standards_grade_import"),
        {"import_file": SimpleUploadedFile(NAME, content), "format": "1"},  # xlsx
    )
    assert Grade.objects.count() == before
    return " ".join(response.context["form"].errors["import_file"])


def _as_figure_sheet(content: bytes, finance_reviewer: User, **_: Any) -> str:
    draft = figures.create_draft(two_round_year(), actor=finance_reviewer, name="方案")
    response = _client(finance_reviewer).post(
        reverse("budgeting:figure_draft_upload", args=[draft.public_id]),
        {"file": SimpleUploadedFile(NAME, content), "version": "1"},
    )
    assert response.status_code == 400
    draft.refresh_from_db()
    assert draft.version == 1
    return " ".join(response.context["sheet_errors"])


def _as_inventory(content: bytes, submitter: User, admin_user: User, **_: Any) -> str:
    runner = UserFactory.create(
        organization=OrganizationFactory.create(is_data_administration=True),
        roles=[Role.DATA_REVIEWER],
    )
    survey = survey_of(open_survey(runner, submitter.organization), submitter.organization)
    response = _client(submitter).post(
        reverse("inventory:upload", args=[survey.public_id]),
        {"version": survey.version, "file": SimpleUploadedFile(NAME, content)},
    )
    assert response.status_code == 400
    survey.refresh_from_db()
    assert survey.version == 1
    return " ".join(response.context["form"].errors["file"])


PATHS: dict[str, Callable[..., str]] = {
    "inventory survey workbook": _as_inventory,
    "project document": _as_document,
    "estimate template": _as_estimate,
    "standard workbook (admin)": _as_standard,
    "standard workbook (command)": _as_standard_command,
    "admin import of grades": _as_admin_grades,
    "control figure sheet": _as_figure_sheet,
}


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_zip_bomb, f"{NAME} expands to more than 100 MB."),
        (_entities, f"{NAME} contains unsafe XML (a document type declaration)."),
    ],
)
@pytest.mark.parametrize("path", PATHS)
def test_every_upload_path_refuses_the_same_hostile_file_alike(
    path: str,
    make: Callable[[], bytes],
    message: str,
    submitter: User,
    admin_user: User,
    finance_reviewer: User,
    tmp_path: Path,
) -> None:
    refusal = PATHS[path](
        make(),
        submitter=submitter,
        admin_user=admin_user,
        finance_reviewer=finance_reviewer,
        tmp_path=tmp_path,
    )
    assert refusal == message, path
