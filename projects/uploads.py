"""Checks on uploaded documents: size, type by content (not by name), zip bombs.

A file is accepted only when its bytes are what its extension claims: a PDF
starts with ``%PDF-``; DOCX and XLSX are zip packages holding the parts Word
and Excel write, checked by the one package check every upload uses
(``ui.uploads.check_package``: size, parts, unpacked size, compression ratio,
macros, DTDs). Macro-enabled formats and anything else are refused.
"""

from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from ui.uploads import MAX_PACKAGE_BYTES, check_package, megabytes

# PDFs have the limit of Office packages.
MAX_UPLOAD_BYTES = MAX_PACKAGE_BYTES

CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def check_document(upload: UploadedFile) -> str:
    """Return the content type of an acceptable document, or raise ValidationError."""
    name = upload.name or ""
    extension = PurePath(name).suffix.lower()
    if extension not in CONTENT_TYPES:
        raise ValidationError(
            _("%(name)s: only PDF, DOCX and XLSX files are accepted.") % {"name": name}
        )
    if extension == ".pdf":
        if upload.size is None or upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(
                _("%(name)s is larger than %(limit)s.")
                % {"name": name, "limit": megabytes(MAX_UPLOAD_BYTES)}
            )
        upload.seek(0)
        if not upload.read(5) == b"%PDF-":
            raise ValidationError(_("%(name)s is not a PDF file.") % {"name": name})
    else:
        check_package(upload, name, max_bytes=MAX_UPLOAD_BYTES)
    upload.seek(0)
    return CONTENT_TYPES[extension]
