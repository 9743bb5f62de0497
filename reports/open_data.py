"""Open data: a cycle's approved budgets as a CSV file and a ``datapackage.json`` in the
shape of the Fiscal Data Package (0.3), zipped together for publication.

One row per approved project. Measures: the requested amount (phase "proposed")
and the approved amount (phase "approved"), in CNY. Dimensions: the budget unit
and its primary unit (administrative classification), the kind (建设/运维) and
the other classifications, the budget year. The fields are described in
docs/open-data.md.
"""

import csv
import io
import json
import zipfile
from typing import Any

from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce

from projects.models import (
    APPROVED_STATES,
    BudgetCategory,
    Continuity,
    ProcurementMethod,
    Project,
    ProjectKind,
)
from ui.excel import FORMULA_TRIGGERS

# (CSV column, type, description); the order of the file's columns.
FIELDS: list[tuple[str, str, str]] = [
    ("project_code", "string", "Project code (项目编号), unique"),
    ("project_name", "string", "Project name (项目名称)"),
    ("budget_year", "integer", "Budget year (预算年度)"),
    ("primary_unit_code", "string", "Code of the primary budget unit (一级预算单位)"),
    ("primary_unit_name", "string", "Name of the primary budget unit"),
    ("unit_code", "string", "Code of the budget unit that asked (预算单位; may be secondary)"),
    ("unit_name", "string", "Name of the budget unit that asked"),
    ("kind", "string", "construction (建设类) or operation (运维类)"),
    ("kind_name", "string", "The kind in Chinese"),
    ("continuity", "string", "new (新建) or continuing (续建)"),
    ("managed_by_data_admin", "boolean", "Under the data administration's management (已纳入)"),
    ("budget_category", "string", "operating or specific_purpose (预算项目类别)"),
    ("procurement_method", "string", "Procurement method code (采购方式)"),
    ("requested_amount", "number", "Requested amount (申报数), yuan, 2 places"),
    ("approved_amount", "number", "Approved amount (审核数/批复数), yuan, 2 places"),
]
LABELS = {
    "kind": dict(ProjectKind.choices),
    "continuity": dict(Continuity.choices),
    "budget_category": dict(BudgetCategory.choices),
    "procurement_method": dict(ProcurementMethod.choices),
}


def approved_rows(projects: QuerySet[Project], year: int) -> QuerySet[Any]:
    return (
        projects.filter(budget_year=year, state__in=APPROVED_STATES)
        .annotate(
            primary_unit_code=Coalesce("organization__parent__code", "organization__code"),
            primary_unit_name=Coalesce("organization__parent__name", "organization__name"),
            unit_code=F("organization__code"),
            unit_name=F("organization__name"),
        )
        .order_by("code")
        .values_list(
            "code",
            "name",
            "budget_year",
            "primary_unit_code",
            "primary_unit_name",
            "unit_code",
            "unit_name",
            "kind",
            "continuity",
            "managed_by_data_admin",
            "budget_category",
            "procurement_method",
            "requested_amount",
            "approved_amount",
        )
    )


def _text(value: Any) -> Any:
    # A leading apostrophe keeps a spreadsheet from running user text as a formula.
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def write_csv(projects: QuerySet[Project], year: int) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([name for name, _type, _description in FIELDS])
    kinds = {key: str(label) for key, label in LABELS["kind"].items()}
    for row in approved_rows(projects, year).iterator(chunk_size=2000):
        values = list(row)
        values.insert(8, kinds.get(values[7], values[7]))
        values[10] = "true" if values[10] else "false"
        writer.writerow([_text(value) for value in values])
    return buffer.getvalue()


def datapackage(year: int, csv_path: str) -> dict[str, Any]:
    """The descriptor: package metadata, the resource's table schema and the model."""
    return {
        "name": f"it-project-budgets-{year}",
        "title": f"{year}年度政务信息化项目批复预算 (approved IT project budgets {year})",
        "profiles": {"fiscal": "*", "tabular": "*"},
        "countryCode": "cn",
        "granularity": "aggregated",
        "fiscalPeriod": {"start": f"{year}-01-01", "end": f"{year}-12-31"},
        "resources": [
            {
                "name": "approved-budgets",
                "path": csv_path,
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {
                    "fields": [
                        {"name": name, "type": kind, "description": description}
                        for name, kind, description in FIELDS
                    ],
                    "primaryKey": "project_code",
                },
            }
        ],
        "model": {
            "measures": {
                "requested": {
                    "source": "requested_amount",
                    "currency": "CNY",
                    "direction": "expenditure",
                    "phase": "proposed",
                },
                "approved": {
                    "source": "approved_amount",
                    "currency": "CNY",
                    "direction": "expenditure",
                    "phase": "approved",
                },
            },
            "dimensions": {
                "administrative-classification": {
                    "dimensionType": "classification",
                    "classificationType": "administrative",
                    "attributes": {
                        "level1_code": {"source": "primary_unit_code"},
                        "level1_label": {"source": "primary_unit_name", "labelfor": "level1_code"},
                        "code": {"source": "unit_code", "parent": "level1_code"},
                        "label": {"source": "unit_name", "labelfor": "code"},
                    },
                    "primaryKey": ["code"],
                },
                "type": {
                    "dimensionType": "classification",
                    "attributes": {
                        "code": {"source": "kind"},
                        "label": {"source": "kind_name", "labelfor": "code"},
                    },
                    "primaryKey": ["code"],
                },
                "project": {
                    "dimensionType": "activity",
                    "attributes": {
                        "code": {"source": "project_code"},
                        "name": {"source": "project_name", "labelfor": "code"},
                        "continuity": {"source": "continuity"},
                        "managed_by_data_admin": {"source": "managed_by_data_admin"},
                        "budget_category": {"source": "budget_category"},
                        "procurement_method": {"source": "procurement_method"},
                    },
                    "primaryKey": ["code"],
                },
                "date": {
                    "dimensionType": "datetime",
                    "attributes": {"year": {"source": "budget_year"}},
                    "primaryKey": ["year"],
                },
            },
        },
    }


def package_zip(projects: QuerySet[Project], year: int) -> bytes:
    """The zip: ``datapackage.json`` and ``data/approved-budgets-YEAR.csv``."""
    csv_path = f"data/approved-budgets-{year}.csv"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "datapackage.json",
            json.dumps(datapackage(year, csv_path), ensure_ascii=False, indent=2),
        )
        archive.writestr(csv_path, write_csv(projects, year))
    return buffer.getvalue()
