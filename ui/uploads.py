"""The one check of an uploaded Office package (.xlsx, .docx) before anything reads it.

Every upload of a workbook or a Word document goes through ``check_package``: the
project documents, the estimate template, the standards workbook (admin and
command) and the admin's import of grades, items and fee classes. It refuses,
reading no more than each test needs and decompressing nothing but the start of
each part:

- a file larger than ``max_bytes``, or not a zip, or without the parts the format
  must have (``[Content_Types].xml`` and the workbook or document part);
- more than ``MAX_MEMBERS`` parts, or parts declaring more than
  ``MAX_UNPACKED_BYTES`` unpacked in all (Python's zipfile never reads a part past
  its declared size, so the sum is a true bound), or a large part compressed more
  than ``MAX_RATIO`` times over (real workbooks compress 5 to 20 times; a zip bomb
  a thousand);
- macros (a ``vbaProject.bin`` part, a macro-enabled content type, or a
  ``.xlsm``/``.docm`` name);
- a document type declaration in any XML part: Office never writes one, and it is
  what entity-expansion attacks ("billion laughs") and external entities need.
  Each part is parsed only up to its root element, where a declaration must be.
"""

import zipfile
from pathlib import PurePath
from typing import IO
from xml.parsers import expat

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MB = 1024 * 1024
# The file as uploaded (callers may pass a lower limit of their own).
MAX_PACKAGE_BYTES = 20 * MB
# All parts unpacked, by their declared sizes.
MAX_UNPACKED_BYTES = 100 * MB
# Unpacked ÷ packed size of one part, checked for parts of at least RATIO_FROM_BYTES.
MAX_RATIO = 100
RATIO_FROM_BYTES = 1 * MB
MAX_MEMBERS = 1000
# The part each format must contain, beside [Content_Types].xml.
REQUIRED_PART = {".xlsx": "xl/workbook.xml", ".docx": "word/document.xml"}
MACRO_ENABLED = (".xlsm", ".xltm", ".xlam", ".docm", ".dotm")
# How much of a part is read at a time while looking for its root element.
CHUNK = 64 * 1024


def check_package(
    file: IO[bytes],
    name: str,
    *,
    max_bytes: int = MAX_PACKAGE_BYTES,
    max_unpacked_bytes: int = MAX_UNPACKED_BYTES,
    max_ratio: int = MAX_RATIO,
    max_members: int = MAX_MEMBERS,
    kind: str | None = None,
) -> None:
    """Refuse (``ValidationError``, naming ``name`` and the limit) an .xlsx or .docx
    package that is too large, not one, a zip bomb, carries macros or declares a DTD.

    ``file`` is read from its start and left there; ``name`` (the name the user gave
    the file) decides the format by its extension, unless ``kind`` (".xlsx" or ".docx")
    says which format the caller will read it as.
    """
    extension = PurePath(name).suffix.lower()
    if extension in MACRO_ENABLED:
        raise ValidationError(
            _("%(name)s: macro-enabled files (.xlsm, .docm) are not accepted.") % {"name": name},
            code="macros",
        )
    extension = kind or extension
    if extension not in REQUIRED_PART:
        raise ValidationError(
            _("%(name)s: only .xlsx and .docx files are accepted here.") % {"name": name},
            code="type",
        )
    size = file.seek(0, 2)
    file.seek(0)
    if size > max_bytes:
        raise ValidationError(
            _("%(name)s is larger than %(limit)s.") % {"name": name, "limit": megabytes(max_bytes)},
            code="size",
        )
    if extension == ".xlsx":
        message = _("%(name)s is not a valid Excel workbook: save it as an Excel .xlsx file.")
    else:
        message = _("%(name)s is not a valid Word document: save it as a Word .docx file.")
    not_office = ValidationError(message % {"name": name}, code="type")
    try:
        with zipfile.ZipFile(file) as package:
            _check_members(
                package,
                name,
                extension,
                not_office,
                max_unpacked_bytes=max_unpacked_bytes,
                max_ratio=max_ratio,
                max_members=max_members,
            )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError):
        # Not a zip, a damaged one, or one encrypted or compressed in a way Office never
        # writes (zipfile raises RuntimeError for a password, NotImplementedError for a method).
        raise not_office from None
    finally:
        file.seek(0)


def megabytes(size: int) -> str:
    """A limit as people read it: "20 MB"."""
    return f"{size / MB:g} MB"


def _check_members(
    package: zipfile.ZipFile,
    name: str,
    extension: str,
    not_office: ValidationError,
    *,
    max_unpacked_bytes: int,
    max_ratio: int,
    max_members: int,
) -> None:
    members = package.infolist()
    if len(members) > max_members:
        raise ValidationError(
            _("%(name)s has more than %(count)d parts; no real workbook or document has.")
            % {"name": name, "count": max_members},
            code="members",
        )
    # Declared sizes are what a zip bomb lies about least cheaply to us:
    # refuse before anything is decompressed.
    if sum(member.file_size for member in members) > max_unpacked_bytes:
        raise ValidationError(
            _("%(name)s expands to more than %(limit)s.")
            % {"name": name, "limit": megabytes(max_unpacked_bytes)},
            code="unpacked",
        )
    for member in members:
        if member.file_size >= RATIO_FROM_BYTES and (
            member.file_size > max_ratio * max(member.compress_size, 1)
        ):
            raise ValidationError(
                _(
                    "%(name)s holds a part compressed more than %(ratio)d times over, as "
                    "real workbooks and documents never are (a zip bomb)."
                )
                % {"name": name, "ratio": max_ratio},
                code="ratio",
            )
    names = {member.filename for member in members}
    if "[Content_Types].xml" not in names or REQUIRED_PART[extension] not in names:
        raise not_office
    if any(member.filename.lower().endswith("vbaproject.bin") for member in members) or (
        b"macroEnabled" in package.read("[Content_Types].xml")
    ):
        raise ValidationError(
            _("%(name)s contains macros, which are not accepted.") % {"name": name},
            code="macros",
        )
    for member in members:
        if not member.is_dir() and _declares_dtd(package, member):
            raise ValidationError(
                _("%(name)s contains unsafe XML (a document type declaration).") % {"name": name},
                code="dtd",
            )


class _DoctypeFoundError(Exception):
    """The part declares a DTD."""


class _RootReachedError(Exception):
    """The part reached its root element: no DTD can follow."""


def _declares_dtd(package: zipfile.ZipFile, member: zipfile.ZipInfo) -> bool:
    """Whether the part is XML with a document type declaration before its root element.

    Expat (no entity is expanded, nothing fetched) reads the part a chunk at a time
    and stops at the declaration or at the root element, so a part costs its first
    chunk; a part that is not XML (an image) stops it at once.
    """
    parser = expat.ParserCreate()

    def found(*_args: object) -> None:
        raise _DoctypeFoundError

    def root(*_args: object) -> None:
        raise _RootReachedError

    parser.StartDoctypeDeclHandler = found
    parser.EntityDeclHandler = found
    parser.StartElementHandler = root
    try:
        with package.open(member) as part:
            while chunk := part.read(CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _DoctypeFoundError:
        return True
    except (_RootReachedError, expat.ExpatError):
        return False
    return False
