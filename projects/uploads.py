"""Checks on uploaded documents: size, type by content (not by name), zip bombs.

A file is accepted only when its bytes are what its extension claims: a PDF
starts with ``%PDF-``; DOCX and XLSX are zip packages holding the parts Word
and Excel write. Macro-enabled formats and anything else are refused.
"""

import zipfile
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024

CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# The part each Office format must contain.
REQUIRED_PART = {".docx": "word/document.xml", ".xlsx": "xl/workbook.xml"}


def check_document(upload: UploadedFile) -> str:
    """Return the content type of an acceptable document, or raise ValidationError."""
    name = upload.name or ""
    extension = PurePath(name).suffix.lower()
    if extension not in CONTENT_TYPES:
        raise ValidationError(
            _("%(name)s: only PDF, DOCX and XLSX files are accepted.") % {"name": name}
        )
    if upload.size is None or upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("%(name)s is larger than %(limit)s.")
            % {"name": name, "limit": filesizeformat(MAX_UPLOAD_BYTES)}
        )
    upload.seek(0)
    if extension == ".pdf":
        if not upload.read(5) == b"%PDF-":
            raise ValidationError(_("%(name)s is not a PDF file.") % {"name": name})
    else:
        _check_office_package(upload, name, REQUIRED_PART[extension])
    upload.seek(0)
    return CONTENT_TYPES[extension]


def _check_office_package(upload: UploadedFile, name: str, required_part: str) -> None:
    if required_part == REQUIRED_PART[".xlsx"]:
        message = _("%(name)s is not a valid Excel workbook: save it as an Excel .xlsx file.")
    else:
        message = _("%(name)s is not a valid Word document: save it as a Word .docx file.")
    not_office = ValidationError(message % {"name": name})
    try:
        with zipfile.ZipFile(upload) as package:
            members = package.infolist()
            names = {member.filename for member in members}
            if "[Content_Types].xml" not in names or required_part not in names:
                raise not_office
            if any(member.filename.lower().endswith("vbaproject.bin") for member in members):
                raise ValidationError(
                    _("%(name)s contains macros, which are not accepted.") % {"name": name}
                )
            # Declared sizes are what a zip bomb lies about least cheaply to us:
            # refuse before anything is decompressed.
            if sum(member.file_size for member in members) > MAX_UNZIPPED_BYTES:
                raise ValidationError(
                    _("%(name)s expands to more than %(limit)s.")
                    % {"name": name, "limit": filesizeformat(MAX_UNZIPPED_BYTES)}
                )
    except zipfile.BadZipFile:
        raise not_office from None
