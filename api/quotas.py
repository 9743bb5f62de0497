"""Budget quotas (预算指标): approved projects as the finance core system takes them, in
its field names. ``GET /api/v1/quotas/`` lists them and the webhooks send one with each
event (``api.webhooks``), so both say the same thing the same way."""

from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, F, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from budgeting.models import LineDecision
from projects.models import EstimateLine, Project

MONEY = DecimalField(max_digits=16, decimal_places=2)
ZERO = Decimal("0.00")

# The core system's name of each classification code a project carries.
CODE_FIELDS = {
    "EXP_FUNC_CODE": "functional_code",
    "GOV_BGT_ECO_CODE": "economic_government_code",
    "DEP_BGT_ECO_CODE": "economic_department_code",
    "FUND_TYPE_CODE": "fund_type_code",
    "FUND_SOURCE_CODE": "fund_source_code",
}


def before_final() -> Coalesce:
    """A line's 财政审核数: the latest decision of a stage before the final approval,
    else the amount requested."""
    decisions = LineDecision.objects.filter(line=OuterRef("pk"), stage__is_final=False)
    latest = decisions.order_by("-stage__order").values("approved_amount")[:1]
    return Coalesce(Subquery(latest), F("amount"), output_field=MONEY)


def with_quota_figures(projects: QuerySet[Project]) -> QuerySet[Project]:
    """``projects`` with what ``quota`` reads, in the same one query."""
    fin_audit = (
        EstimateLine.objects.filter(project=OuterRef("pk"))
        .annotate(figure=before_final())
        .values("project")
        .annotate(total=Sum("figure"))
        .values("total")
    )
    return projects.select_related("organization").annotate(
        **code_annotations(),
        fin_audit=Coalesce(Subquery(fin_audit, output_field=MONEY), ZERO),
        # The batch that approved it (批次批复), its 批复文号 and the round it issued in.
        batch_name=F("review__batch__name"),
        document_number=F("review__batch__document_number"),
        round_code=F("review__batch__round__code"),
        round_name=F("review__batch__round__name"),
    )


def quota(project: Any) -> dict[str, Any]:
    """One project of ``with_quota_figures`` as a quota."""
    return {
        "PRO_CODE": project.code,
        "PRO_NAME": project.name,
        "AGENCY_CODE": project.organization.code,
        "AGENCY_NAME": project.organization.name,
        "SET_YEAR": project.budget_year,
        "APPLY_UP": project.requested_amount,
        "FIN_AUDIT_MONEY": project.fin_audit,
        "REPLY_AMT": project.approved_amount or ZERO,
        **codes_of(project),
        # How it was approved: null when not in a batch, or no number was given.
        "REPLY_DOC_NO": project.document_number or None,
        "REPLY_BATCH_NAME": project.batch_name,
        "ROUND_CODE": project.round_code,
        "ROUND_NAME": project.round_name,
        "updated_at": project.updated_at,
    }


def code_annotations(to_project: str = "") -> dict[str, F]:
    """The project's codes as text in the core system's names, to annotate a query of
    projects (or of rows ``to_project`` leads from, "project__"): five joins, no rows to
    build, so a page of 500 lines costs little more."""
    return {name: F(f"{to_project}{field}__code") for name, field in CODE_FIELDS.items()}


def codes_of(row: Any) -> dict[str, str | None]:
    """The codes of a row annotated with ``code_annotations`` (null: none chosen)."""
    return {name: getattr(row, name) for name in CODE_FIELDS}
