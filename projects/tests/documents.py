"""Real documents for upload tests, made in memory."""

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

PDF_BYTES = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def pdf(name: str = "可行性研究报告.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def xlsx(name: str = "绩效目标申报表.xlsx") -> SimpleUploadedFile:
    workbook = Workbook()
    workbook.active.append(["指标", "目标值"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def office_zip(name: str, members: dict[str, bytes]) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for member, data in members.items():
            package.writestr(member, data)
    return SimpleUploadedFile(name, buffer.getvalue())


def docx(name: str = "实施方案.docx") -> SimpleUploadedFile:
    return office_zip(
        name, {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}
    )
