import hashlib
import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from accounts.models import User
from audit.models import Event
from projects import services
from projects.models import Attachment, AttachmentKind
from projects.tests import documents
from projects.tests.factories import register
from projects.uploads import check_document

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.parametrize("make", [documents.pdf, documents.xlsx, documents.docx])
def test_real_documents_are_accepted(make) -> None:
    assert check_document(make()).startswith("application/")


def _zip_bomb() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", b"<Types/>")
        package.writestr("xl/workbook.xml", b"<workbook/>")
        package.writestr("xl/sharedStrings.xml", b"\0" * (101 * 1024 * 1024))
    return SimpleUploadedFile("bomb.xlsx", buffer.getvalue())


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: SimpleUploadedFile("tool.exe", b"MZ\x90\x00"), "only PDF, DOCX and XLSX"),
        (lambda: SimpleUploadedFile("report.pdf", b"MZ\x90\x00 renamed"), "is not a PDF"),
        (lambda: SimpleUploadedFile("plan.docx", b"plain text"), "not a valid Word document"),
        (lambda: documents.office_zip("plan.docx", {"[Content_Types].xml": b"x"}), "not a valid"),
        (lambda: documents.xlsx("macros.xlsm"), "only PDF, DOCX and XLSX"),
        (
            lambda: documents.office_zip(
                "table.xlsx",
                {"[Content_Types].xml": b"x", "xl/workbook.xml": b"x", "xl/vbaProject.bin": b"x"},
            ),
            "contains macros",
        ),
        (_zip_bomb, "expands to more than"),
        (
            lambda: SimpleUploadedFile("huge.pdf", b"%PDF-" + b"0" * (20 * 1024 * 1024)),
            "larger than",
        ),
    ],
)
def test_hostile_or_wrong_files_are_refused_with_a_reason(upload, message: str) -> None:
    with translation.override("en"), pytest.raises(ValidationError, match=message):
        check_document(upload())


def test_attaching_stores_the_file_under_a_random_name_with_its_digest(submitter: User) -> None:
    project = register(submitter)
    attachment = services.attach_document(
        project, actor=submitter, kind=AttachmentKind.FEASIBILITY_STUDY, upload=documents.pdf()
    )
    assert attachment.original_name == "可行性研究报告.pdf"
    assert "可行性" not in str(attachment.file.name)
    assert attachment.sha256 == hashlib.sha256(documents.PDF_BYTES).hexdigest()
    with attachment.file.open("rb") as stored:
        assert stored.read() == documents.PDF_BYTES
    assert Event.objects.filter(event_type="projects.attachment.added").exists()


def test_a_refused_file_writes_nothing(submitter: User) -> None:
    project = register(submitter)
    with pytest.raises(ValidationError):
        services.attach_document(
            project,
            actor=submitter,
            kind=AttachmentKind.OTHER,
            upload=SimpleUploadedFile("x.pdf", b"not a pdf"),
        )
    assert not Attachment.objects.exists()
    assert not Event.objects.filter(event_type="projects.attachment.added").exists()


def test_removing_hides_the_document_but_keeps_it(submitter: User) -> None:
    project = register(submitter)
    attachment = services.attach_document(
        project, actor=submitter, kind=AttachmentKind.OTHER, upload=documents.docx()
    )
    services.remove_attachment(project, actor=submitter, attachment_id=attachment.pk)
    attachment.refresh_from_db()
    assert attachment.is_removed
    assert attachment.file.storage.exists(str(attachment.file.name))
