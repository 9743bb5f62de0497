"""What the API answers, as pydantic models: the OpenAPI schema is made from them.

Amounts are decimal strings in yuan with two places ("1234.50"), never floats.
The quota fields carry the finance core system's names (预算管理一体化): APPLY_UP
申报数, FIN_AUDIT_MONEY 财政审核数, REPLY_AMT 批复数.
"""

import datetime
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import AwareDatetime, BeforeValidator, WithJsonSchema

from execution.limits import REFERENCE_PATTERN
from projects.models import ProjectState

Money = Decimal
DEFAULT_LIMIT = 100
MAX_LIMIT = 500
UNIT_CODE = r"^[A-Z][A-Z0-9]{1,15}$"
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})", re.I)


def _rfc3339(value: object) -> object:
    """An RFC 3339 time with its offset ("2027-03-01T09:00:00+08:00"), as the schema says;
    not the Unix seconds or offset-less times pydantic would otherwise take."""
    if not isinstance(value, str) or not RFC3339.fullmatch(value):
        raise ValueError("Give an RFC 3339 date-time with its offset, e.g. 2027-03-01T09:00:00Z.")
    return value


Since = Annotated[AwareDatetime, BeforeValidator(_rfc3339)]


class Paging(Schema):
    """Query parameters of every paged list."""

    cursor: str | None = Field(
        None, pattern=r"^[0-9]{1,18}$", description="The next_cursor of the previous page."
    )
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Rows per page.")


ROUND_CODE = r"^[A-Za-z0-9_-]{1,30}$"


class LineFilters(Paging):
    year: int | None = Field(None, ge=2000, le=2100, description="Budget year.")
    state: ProjectState | None = Field(None, description="The projects' state.")
    round: str | None = Field(
        None,
        pattern=ROUND_CODE,
        description="The submission round of the project's latest submission, by its code "
        "(1up 一上, 2up 二上).",
    )
    unit: str | None = Field(
        None,
        pattern=UNIT_CODE,
        description="A unit's code; a primary unit's takes in its secondary units'.",
    )


class QuotaFilters(Paging):
    year: int | None = Field(None, ge=2000, le=2100, description="Budget year.")
    round: str | None = Field(
        None,
        pattern=ROUND_CODE,
        description="The round the quota was approved in, by its code (2down 二下): ROUND_CODE.",
    )
    unit: str | None = Field(None, pattern=UNIT_CODE, description="As for projects.")
    changed_since: Since | None = Field(
        None, description="Only what changed at or after this time (incremental sync)."
    )


class ProjectFilters(LineFilters):
    changed_since: Since | None = Field(
        None, description="Only what changed at or after this time (incremental sync)."
    )
    counted: bool | None = Field(
        None, description="true: the projects the summary page adds up (its totals)."
    )


class Unit(Schema):
    code: str
    name: str
    primary_unit_code: str = Field(description="The unit itself if primary, else its parent.")


class Project(Schema):
    code: str = Field(description="Public project code, e.g. 2027-EDU-0001.")
    name: str
    unit: Unit
    budget_year: int
    kind: str
    continuity: str
    predecessor_code: str | None
    managed_by_data_admin: bool
    budget_category: str
    procurement_method: str
    start_year: int
    end_year: int
    state: str
    counted: bool = Field(description="Counted in the year's totals (the summary page's rule).")
    requested_amount: Money = Field(description="申报数, yuan.")
    approved_amount: Money | None = Field(description="批复数 once approved, yuan.")
    version: int
    updated_at: datetime.datetime


class ProjectPage(Schema):
    items: list[Project]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null: last.")


class Line(Schema):
    id: int
    project_code: str
    position: int
    fee_class: str
    item_code: str
    name: str
    unit: str
    standard_code: str | None
    is_non_standard: bool
    is_above_standard: bool
    is_out_of_range: bool
    APPLY_UP: Money = Field(description="申报数: the line as requested, yuan.")
    FIN_AUDIT_MONEY: Money = Field(
        description="财政审核数: after every review stage before the final approval, yuan."
    )
    REPLY_AMT: Money | None = Field(description="批复数: once the project is approved, yuan.")
    EXP_FUNC_CODE: str | None = Field(description="支出功能分类科目代码 (the project's)")
    GOV_BGT_ECO_CODE: str | None = Field(description="政府预算支出经济分类代码 (the project's)")
    DEP_BGT_ECO_CODE: str | None = Field(description="部门预算支出经济分类代码 (the project's)")
    FUND_TYPE_CODE: str | None = Field(description="资金性质代码 (the project's)")
    FUND_SOURCE_CODE: str | None = Field(description="资金来源代码 (the project's)")


class LinePage(Schema):
    items: list[Line]
    next_cursor: str | None


class Quota(Schema):
    """A budget quota (预算指标): an approved project as the finance core system takes it."""

    PRO_CODE: str = Field(description="项目代码")
    PRO_NAME: str = Field(description="项目名称")
    AGENCY_CODE: str = Field(description="预算单位代码")
    AGENCY_NAME: str = Field(description="预算单位名称")
    SET_YEAR: int = Field(description="预算年度")
    APPLY_UP: Money = Field(description="申报数, yuan")
    FIN_AUDIT_MONEY: Money = Field(description="财政审核数, yuan")
    REPLY_AMT: Money = Field(description="批复数, yuan")
    EXP_FUNC_CODE: str | None = Field(description="支出功能分类科目代码")
    GOV_BGT_ECO_CODE: str | None = Field(description="政府预算支出经济分类代码")
    DEP_BGT_ECO_CODE: str | None = Field(description="部门预算支出经济分类代码")
    FUND_TYPE_CODE: str | None = Field(description="资金性质代码")
    FUND_SOURCE_CODE: str | None = Field(description="资金来源代码")
    REPLY_DOC_NO: str | None = Field(
        description="批复文号: the approval document number of the batch that approved it"
    )
    REPLY_BATCH_NAME: str | None = Field(description="批复批次, e.g. 2027年第一批")
    ROUND_CODE: str | None = Field(description="The round of the approval (二下), its code")
    ROUND_NAME: str | None = Field(description="The round of the approval, its name")
    updated_at: datetime.datetime


class QuotaPage(Schema):
    items: list[Quota]
    next_cursor: str | None


CodeListName = Literal[
    "functional", "economic_government", "economic_department", "fund_type", "fund_source"
]


class CodeFilters(Paging):
    year: int | None = Field(None, ge=2000, le=2100, description="Budget year of the list.")
    kind: CodeListName | None = Field(
        None,
        description="The code list: `functional` 支出功能分类, `economic_government` "
        "政府预算支出经济分类, `economic_department` 部门预算支出经济分类, `fund_type` "
        "资金性质, `fund_source` 资金来源.",
    )


class ClassificationCode(Schema):
    """One code of a code list as the admins imported it for a year."""

    kind: CodeListName
    kind_name: str = Field(description="The list's name, e.g. 政府预算支出经济分类.")
    year: int
    code: str = Field(description="e.g. 2010150")
    name: str = Field(description="e.g. 事业运行")


class CodePage(Schema):
    items: list[ClassificationCode]
    next_cursor: str | None


class HistoryEvent(Schema):
    id: int
    occurred_at: datetime.datetime
    event_type: str
    actor: str | None = Field(description="Username; null for the system.")
    from_state: str
    to_state: str
    comment: str
    data: dict[str, object]


class HistoryPage(Schema):
    items: list[HistoryEvent]
    next_cursor: str | None


class Grade(Schema):
    code: str
    name: str
    unit_price: Decimal | None
    coefficient: Decimal | None
    range_min: Decimal | None
    range_max: Decimal | None


class ServiceItem(Schema):
    code: str
    name: str
    fee_class: str
    unit: str
    pricing_method: str
    parameters: dict[str, object]
    grades: list[Grade]


class StandardSetSummary(Schema):
    code: str
    name: str
    region: str
    version_label: str
    status: str
    effective_from: datetime.date
    effective_to: datetime.date | None
    base_code: str | None


class StandardSet(StandardSetSummary):
    items: list[ServiceItem]


class SummaryRow(Schema):
    key: str | None
    label: str
    projects: int
    requested: Money
    approved: Money
    cut: Money


class SummaryQuery(Schema):
    year: int = Field(..., ge=2000, le=2100, description="Budget year.")
    by: Literal[
        "unit",
        "level",
        "kind",
        "continuity",
        "managed",
        "category",
        "procurement",
        "fee_class",
        "state",
        "functional",
        "economic_government",
        "economic_department",
        "fund_type",
        "fund_source",
    ] = Field(
        "unit",
        description="The dimension, as on the summary page; the last five are the finance "
        "core system's code lists (a row's key is the code, null for no code chosen): "
        "`functional` 支出功能分类, `economic_government` 政府预算支出经济分类, "
        "`economic_department` 部门预算支出经济分类, `fund_type` 资金性质, "
        "`fund_source` 资金来源.",
    )


class Summary(Schema):
    year: int
    by: str
    rows: list[SummaryRow]
    total: SummaryRow


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: object) -> object:
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        raise ValueError("Give a date as YYYY-MM-DD.")
    return value


Day = Annotated[datetime.date, BeforeValidator(_iso_date)]
# The one rule of a treasury reference, the payments file's too (``execution.limits``).
Reference = Annotated[str, Field(pattern=f"^{REFERENCE_PATTERN}$")]
ProjectCode = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
AMOUNT = re.compile(r"[0-9]{1,12}(\.[0-9]{1,2})?")


def _amount(value: object) -> object:
    """Yuan as a decimal string ("90000.00"), never a JSON number (a float on the way)."""
    if not isinstance(value, str) or not AMOUNT.fullmatch(value):
        raise ValueError('Give the amount as a string of yuan, e.g. "90000.00".')
    return value


# Up to 999,999,999,999.99 (standards.pricing.MAX_AMOUNT); zero is the service's refusal.
Amount = Annotated[
    Decimal,
    BeforeValidator(_amount),
    WithJsonSchema({"type": "string", "pattern": "^" + AMOUNT.pattern + "$"}),
]


class ContractIn(Schema):
    reference: Reference = Field(description="The treasury's own reference, unique.")
    project_code: ProjectCode
    supplier: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00]*$")
    amount: Amount = Field(description="Yuan, two places at most.")
    signed_on: Day


class PaymentIn(Schema):
    reference: Reference = Field(description="The treasury's own reference, unique.")
    project_code: ProjectCode
    amount: Amount = Field(description="Yuan, two places at most.")
    paid_on: Day
    contract_reference: Reference | None = Field(
        None, description="The contract paid, if any (recorded before or in this batch)."
    )


class BatchIn(Schema):
    contracts: list[ContractIn] = Field(default_factory=list, max_length=1000)
    payments: list[PaymentIn] = Field(default_factory=list, max_length=5000)


class BatchOut(Schema):
    created: int = Field(description="Contracts and payments recorded by this call.")
    unchanged: int = Field(description="Already recorded with the same figures: left alone.")


class Error(Schema):
    detail: str


class ScopeMissing(Schema):
    """403: the client lacks a grant the call needs (``missing_scopes`` names it)."""

    detail: str
    missing_scopes: list[str]


class ValidationErrors(Schema):
    """A parameter that is not what the schema says: each problem and where."""

    detail: list[dict[str, Any]]
