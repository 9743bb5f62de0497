"""Uploaded estimate templates waiting for the clerk's confirmation.

The upload is read and priced once, when it arrives; what the preview shows and
what applying needs (each line's spec, its priced fields, every error) is kept as
JSON in a ``PendingImport`` row under a random token, with who uploaded it, for
which project, at which project version and with which standard in force. The
file itself is not kept, so no later request parses it again.

Each upload has its own row, so a clerk previewing three files in three tabs keeps
three previews (one list in the session lost all but the last write). A token is
useless to another user or for another project; applying is refused when the
project or the standard in force changed since the upload, so the clerk applies
only prices they saw. A user keeps at most ``MAX_PENDING`` uploads (the oldest
goes first), and uploads older than ``MAX_AGE`` are removed whenever anyone uploads.
"""

import datetime
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.files.storage import default_storage
from django.utils import timezone

from accounts.models import User
from projects import estimates, services
from projects.errors import ProjectError
from projects.estimate_excel import BY_KEY, NUMBER, CellError, Preview, PreviewRow
from projects.models import EstimateLine, PendingImport, Project
from standards.models import StandardSet

# Uploads kept per user; the oldest is dropped first.
MAX_PENDING = 5
# Uploads older than this are removed whenever someone uploads.
MAX_AGE = datetime.timedelta(hours=24)
# Where earlier versions kept the uploaded files (see _remove_stale_files).
DIRECTORY = "estimate-imports"
# The fields of a priced line that the preview shows (and mark_unusual reads).
LINE_FIELDS = [
    "fee_class", "standard_set_id", "item_id", "item_code", "name", "unit", "pricing_method",
    "parameters", "grade_code", "grade_name", "grade_figures", "inputs", "explanation_zh",
    "explanation_en", "is_non_standard", "is_above_standard", "is_out_of_range", "justification",
]  # fmt: skip


@dataclass(frozen=True)
class KeptRow:
    """A line of a kept preview: its row in the file and the line as it was priced."""

    row: int
    line: EstimateLine


@dataclass
class KeptPreview:
    """A kept preview as the page shows it (the shape of ``estimate_excel.Preview``)."""

    rows: list[KeptRow] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((row.line.amount for row in self.rows), Decimal("0.00"))


def store(
    project: Project,
    user: User,
    name: str,
    standard: StandardSet | None,
    preview: Preview,
) -> PendingImport:
    """Keep ``preview`` (the upload ``name`` read for ``project`` with ``standard``, the
    standard in force now) for ``user`` under a new token; drop their oldest uploads
    beyond ``MAX_PENDING`` and everyone's older than ``MAX_AGE``."""
    _remove_stale()
    pending = PendingImport.objects.create(
        token=secrets.token_urlsafe(24),
        project=project,
        user=user,
        version=project.version,
        standard_code=standard.code if standard else "",
        name=name[:200],
        lines=[_row_json(row) for row in preview.rows],
        problems=[[e.row, e.column, e.header, e.message] for e in preview.errors],
    )
    older = PendingImport.objects.filter(user=user).order_by("-created_at", "-pk")[MAX_PENDING:]
    PendingImport.objects.filter(pk__in=list(older.values_list("pk", flat=True))).delete()
    return pending


def find(user: Any, project: Project, token: str) -> PendingImport | None:
    """The pending upload for this token if ``user`` made it for this project, still
    within ``MAX_AGE``."""
    return PendingImport.objects.filter(
        token=token,
        project=project,
        user_id=user.pk,
        created_at__gte=timezone.now() - MAX_AGE,
    ).first()


def preview(pending: PendingImport) -> KeptPreview:
    """The kept preview, as priced at upload: no file is read, no price computed."""
    return KeptPreview(
        rows=[KeptRow(data["row"], _line(data["line"])) for data in pending.lines],
        errors=[CellError(*problem) for problem in pending.problems],
    )


def line_specs(pending: PendingImport, project: Project) -> list[services.LineSpec]:
    """The kept lines as specs to apply, with the items and grades of the standard they
    were priced with (``services.replace_lines`` refuses them if another is now in force).
    ProjectError if that standard or one of its items is gone."""
    standard = StandardSet.objects.filter(code=pending.standard_code).first()
    items = {item.code: item for item in estimates.items_for(project, standard)} if standard else {}
    try:
        return [_spec(data["spec"], items) for data in pending.lines]
    except KeyError:
        raise ProjectError(str(services.STANDARD_CHANGED)) from None


def discard(pending: PendingImport) -> None:
    PendingImport.objects.filter(pk=pending.pk).delete()


def _row_json(row: PreviewRow) -> dict[str, Any]:
    line = row.line
    return {
        "row": row.row,
        "spec": _spec_json(row.spec),
        "line": {
            **{name: getattr(line, name) for name in LINE_FIELDS},
            "amount": str(line.amount),
        },
    }


def _line(data: dict[str, Any]) -> EstimateLine:
    return EstimateLine(**{**data, "amount": Decimal(data["amount"])})


def _spec_json(spec: services.LineSpec) -> dict[str, Any]:
    if spec.item is not None:
        return {
            "item": spec.item.code,
            "grade": spec.grade.code if spec.grade else None,
            "values": {key: str(value) for key, value in spec.values.items()},
            "justification": spec.justification,
        }
    return {
        "item": None,
        "fee_class": spec.fee_class,
        "name": spec.name,
        "unit": spec.unit,
        "quantity": str(spec.quantity),
        "unit_price": str(spec.unit_price),
        "justification": spec.justification,
    }


def _spec(data: dict[str, Any], items: dict[str, Any]) -> services.LineSpec:
    """The spec as the file's reader gave it: numbers as Decimal, text as text."""
    if data["item"] is None:
        return services.LineSpec(
            fee_class=data["fee_class"],
            name=data["name"],
            unit=data["unit"],
            quantity=Decimal(data["quantity"]),
            unit_price=Decimal(data["unit_price"]),
            justification=data["justification"],
        )
    item = items[data["item"]]
    grade = None
    if data["grade"] is not None:
        grade = {grade.code: grade for grade in item.grades.all()}[data["grade"]]
    return services.LineSpec(
        item=item,
        grade=grade,
        values={key: _value(key, value) for key, value in data["values"].items()},
        justification=data["justification"],
    )


def _value(key: str, value: str) -> Any:
    if key.startswith("stage:") or BY_KEY[key].kind == NUMBER:
        return Decimal(value)
    return value


def _remove_stale() -> None:
    """Uploads nobody confirmed do not pile up. Several uploads may sweep at once: a row
    or file another request removed first is simply gone already."""
    PendingImport.objects.filter(created_at__lt=timezone.now() - MAX_AGE).delete()
    _remove_stale_files()


def _remove_stale_files() -> None:
    """Files that earlier versions kept under ``DIRECTORY`` for their pending uploads."""
    try:
        _directories, files = default_storage.listdir(DIRECTORY)
    except FileNotFoundError:
        return
    cutoff = timezone.now() - MAX_AGE
    for name in files:
        path = f"{DIRECTORY}/{name}"
        try:
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
        except FileNotFoundError:
            continue  # another upload's sweep removed it between listing and now
