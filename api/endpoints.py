"""The API under /api/: read endpoints of /api/v1/, the OpenAPI schema at /api/schema/
and its documentation at /api/docs/ (Swagger UI served from our own static files).

Every endpoint is registered by ``endpoint``, which names the grants it needs
(``api.scopes``): the key check (``api.auth.ApiKey``) authenticates the client and
refuses a call without them (403 naming the grant), and the schema states them. Every
query is scoped to the client's projects (``api.permissions``). Lists
are paged by cursor (``api.pagination``) with a fixed number of queries per page.
"""

import datetime
import inspect
import json
from collections.abc import Callable
from typing import Annotated, Any

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.defaults import page_not_found
from ninja import NinjaAPI, Path, Query, Status
from ninja.errors import AuthenticationError
from ninja.openapi.schema import OpenAPISchema

from api import quotas, schemas
from api.auth import ApiKey, RateLimitedError, client_of
from api.pagination import page, page_of
from api.permissions import get_project_for_client, projects_visible_to_client
from api.scopes import Needed, Scope, ScopeMissingError, batch_needs, fixed
from audit.models import Event
from classification.models import ClassificationCode, CodeKind
from execution import services as execution
from projects.models import APPROVED_STATES, COUNTED_STATES, EstimateLine, Project, ProjectState
from reports import summary as summaries
from standards.catalogue import VISIBLE_STATUSES, sets_with_lineage
from standards.models import ServiceItem

# A public code (a project's 2027-EDU-0001, a standard's GD-2019): the path converter
# ``code`` (ui.converters) admits its alphabet alone, and the schema says so.
Code = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
# The answers every endpoint may give besides its 200, for the schema (and schemathesis).
ERRORS: dict[int, Any] = {
    401: schemas.Error,
    403: schemas.ScopeMissing,
    404: schemas.Error,
    422: schemas.ValidationErrors,
    429: schemas.Error,
}


class ScopedApi(NinjaAPI):
    """States each operation's grants as its security requirement's scopes (OpenAPI
    3.1 lets a bearer scheme list them), which django-ninja leaves empty: all of them,
    or, for a rule that depends on the request (``x-any-scope``), each as one
    alternative."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for operations in schema["paths"].values():
            for operation in operations.values():
                grants = operation.get("x-required-scopes", [])
                if operation.pop("x-any-scope", False):
                    operation["security"] = [{"ApiKey": [grant]} for grant in grants]
                else:
                    operation["security"] = [{"ApiKey": grants}]
        return schema


api = ScopedApi(
    title="Government IT project budgeting API",
    version="1",
    description=(
        "Approved projects and their budget quotas (预算指标) for the finance core system, "
        "estimate lines, history, published budget standards and summary figures. "
        "Authenticate with `Authorization: Bearer <key>`; see docs/api.md."
    ),
    # An endpoint registered without ``endpoint`` (a mistake) needs every grant.
    auth=ApiKey(fixed(*Scope)),
    urls_namespace="api",
    openapi_url="/schema/",
    docs_url="/docs/",
)


@api.exception_handler(RateLimitedError)
def rate_limited(request: HttpRequest, error: RateLimitedError) -> HttpResponse:
    response = api.create_response(
        request, {"detail": "Too many calls: wait for the next minute."}, status=429
    )
    response["Retry-After"] = str(error.retry_after)
    return response


@api.exception_handler(ScopeMissingError)
def scope_missing(request: HttpRequest, error: ScopeMissingError) -> HttpResponse:
    names = " or ".join(error.missing) if error.any_of else ", ".join(error.missing)
    return api.create_response(
        request,
        {"detail": f"This client lacks the scope {names}.", "missing_scopes": error.missing},
        status=403,
    )


def endpoint(
    method: str,
    path: str,
    *scopes: Scope,
    needed: Needed | None = None,
    rule: str | None = None,
    **options: Any,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a view for ``method path`` that needs the grants ``scopes`` (or, for a
    rule that depends on the request, ``needed`` described by ``rule``): the one
    place where an endpoint's grants are declared, checked and put in the schema
    (its description, and its security requirement's scopes)."""
    grants = " and ".join(f"`{scope.value}`" for scope in scopes)
    rule = rule or f"Needs the scope {grants}."

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        description = f"{inspect.cleandoc(view.__doc__ or '')}\n\n**Scope.** {rule}"
        return api.api_operation(
            [method],
            path,
            auth=ApiKey(needed or fixed(*scopes)),
            description=description,
            openapi_extra={
                "x-required-scopes": [scope.value for scope in scopes],
                "x-any-scope": needed is not None,
            },
            **options,
        )(view)

    return register


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request, {"detail": "Send a valid key: Authorization: Bearer <key>."}, status=401
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(Http404)
def not_found(request: HttpRequest, error: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": "Not found."}, status=404)


def not_found_page(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler404``: a JSON answer under /api/ (an address no route matches, such as
    a code outside its alphabet), the site's 404 page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)


def _projects(request: HttpRequest) -> QuerySet[Project]:
    """The projects of the calling client."""
    return projects_visible_to_client(client_of(request))


def _aware(moment: datetime.datetime) -> datetime.datetime:
    """The moment in UTC: PostgreSQL refuses offsets beyond ±15:59 that RFC 3339 allows
    (schemathesis sent +17:17), and the far ends of the calendar stay at those ends."""
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    try:
        return moment.astimezone(datetime.UTC)
    except OverflowError:
        if moment.year == datetime.MINYEAR:
            return datetime.datetime.min.replace(tzinfo=datetime.UTC)
        return datetime.datetime.max.replace(tzinfo=datetime.UTC)


def _filtered(
    projects: QuerySet[Project],
    *,
    year: int | None,
    state: ProjectState | None,
    unit: str | None,
    changed_since: datetime.datetime | None,
    counted: bool | None = None,
    round_code: str | None = None,
) -> QuerySet[Project]:
    if year is not None:
        projects = projects.filter(budget_year=year)
    if round_code is not None:
        projects = projects.filter(review__round__code=round_code)
    if state is not None:
        projects = projects.filter(state=state)
    if unit is not None:  # a primary unit's code takes in its secondary units, as the list
        projects = projects.filter(Q(organization__code=unit) | Q(organization__parent__code=unit))
    if changed_since is not None:
        projects = projects.filter(updated_at__gte=_aware(changed_since))
    if counted is not None:
        in_totals = Q(state__in=COUNTED_STATES)
        projects = projects.filter(in_totals if counted else ~in_totals)
    return projects


def _project(project: Project) -> dict[str, Any]:
    unit = project.organization
    parent = unit.parent
    return {
        "code": project.code,
        "name": project.name,
        "unit": {
            "code": unit.code,
            "name": unit.name,
            "primary_unit_code": parent.code if parent else unit.code,
        },
        "budget_year": project.budget_year,
        "kind": project.kind,
        "continuity": project.continuity,
        "predecessor_code": project.predecessor.code if project.predecessor else None,
        "managed_by_data_admin": project.managed_by_data_admin,
        "budget_category": project.budget_category,
        "procurement_method": project.procurement_method,
        "start_year": project.start_year,
        "end_year": project.end_year,
        "state": project.state,
        "counted": project.state in COUNTED_STATES,
        "requested_amount": project.requested_amount,
        "approved_amount": project.approved_amount,
        "version": project.version,
        "updated_at": project.updated_at,
    }


@endpoint(
    "GET",
    "/v1/projects/",
    Scope.PROJECTS_READ,
    response={200: schemas.ProjectPage, **ERRORS},
    tags=["projects"],
)
def list_projects(request: HttpRequest, filters: Query[schemas.ProjectFilters]) -> dict[str, Any]:
    """The client's projects, oldest first by id. `?year=2027&state=approved` gives exactly
    the projects the budget summary counts as approved; `?counted=true` all it counts."""
    projects = _filtered(
        _projects(request),
        year=filters.year,
        state=filters.state,
        unit=filters.unit,
        changed_since=filters.changed_since,
        counted=filters.counted,
        round_code=filters.round,
    ).select_related("organization__parent", "predecessor")
    items, next_cursor = page(projects, filters.cursor, filters.limit)
    return page_of([_project(project) for project in items], next_cursor)


@endpoint(
    "GET",
    "/v1/projects/{code:code}/",
    Scope.PROJECTS_READ,
    response={200: schemas.Project, **ERRORS},
    tags=["projects"],
)
def get_project(request: HttpRequest, code: Code) -> dict[str, Any]:
    """One project; 404 when it is outside the client's units (as if it did not exist)."""
    return _project(get_project_for_client(client_of(request), code))


def _lines(lines: QuerySet[EstimateLine]) -> QuerySet[EstimateLine]:
    return lines.select_related("project", "standard_set").annotate(
        **quotas.code_annotations("project__"),
        fin_audit=quotas.before_final(),
        reply=summaries.line_amount_after(),
    )


def _line(line: Any) -> dict[str, Any]:
    approved = line.project.state in APPROVED_STATES
    return {
        "id": line.pk,
        "project_code": line.project.code,
        "position": line.position,
        "fee_class": line.fee_class,
        "item_code": line.item_code,
        "name": line.name,
        "unit": line.unit,
        "standard_code": line.standard_set.code if line.standard_set else None,
        "is_non_standard": line.is_non_standard,
        "is_above_standard": line.is_above_standard,
        "is_out_of_range": line.is_out_of_range,
        "APPLY_UP": line.amount,
        "FIN_AUDIT_MONEY": line.fin_audit,
        "REPLY_AMT": line.reply if approved else None,
        **quotas.codes_of(line),
    }


@endpoint(
    "GET",
    "/v1/projects/{code:code}/lines/",
    Scope.LINES_READ,
    response={200: schemas.LinePage, **ERRORS},
    tags=["projects"],
)
def project_lines(
    request: HttpRequest, code: Code, paging: Query[schemas.Paging]
) -> dict[str, Any]:
    """A project's estimate lines with their requested, audited and approved amounts."""
    project = get_project_for_client(client_of(request), code)
    items, next_cursor = page(_lines(project.lines.all()), paging.cursor, paging.limit)
    return page_of([_line(line) for line in items], next_cursor)


@endpoint(
    "GET",
    "/v1/lines/",
    Scope.LINES_READ,
    response={200: schemas.LinePage, **ERRORS},
    tags=["projects"],
)
def list_lines(request: HttpRequest, filters: Query[schemas.LineFilters]) -> dict[str, Any]:
    """The estimate lines of the client's projects (`?year=2027&state=approved`: every
    approved line of the year), with 申报数, 财政审核数 and 批复数."""
    projects = _filtered(
        _projects(request),
        year=filters.year,
        state=filters.state,
        unit=filters.unit,
        changed_since=None,
        round_code=filters.round,
    )
    lines = EstimateLine.objects.filter(project__in=projects.values("pk"))
    items, next_cursor = page(_lines(lines), filters.cursor, filters.limit)
    return page_of([_line(line) for line in items], next_cursor)


@endpoint(
    "GET",
    "/v1/projects/{code:code}/history/",
    Scope.HISTORY_READ,
    response={200: schemas.HistoryPage, **ERRORS},
    tags=["projects"],
)
def project_history(
    request: HttpRequest, code: Code, paging: Query[schemas.Paging]
) -> dict[str, Any]:
    """A project's history (who, when, what, why), oldest first."""
    project = get_project_for_client(client_of(request), code)
    events = Event.objects.filter(
        target_type=Project._meta.label_lower, target_key=project.code
    ).select_related("actor")
    items, next_cursor = page(events, paging.cursor, paging.limit)
    return page_of(
        [
            {
                "id": event.pk,
                "occurred_at": event.occurred_at,
                "event_type": event.event_type,
                "actor": event.actor.get_username() if event.actor else None,
                "from_state": event.from_state,
                "to_state": event.to_state,
                "comment": event.comment,
                "data": event.data,
            }
            for event in items
        ],
        next_cursor,
    )


@endpoint(
    "GET",
    "/v1/quotas/",
    Scope.QUOTAS_READ,
    response={200: schemas.QuotaPage, **ERRORS},
    tags=["quotas"],
)
def list_quotas(request: HttpRequest, filters: Query[schemas.QuotaFilters]) -> dict[str, Any]:
    """Budget quotas (预算指标): the client's approved projects in the core system's field
    names. Sync a year with `?year=2027`, then `?changed_since=` the last sync's time."""
    projects = quotas.with_quota_figures(
        _filtered(
            _projects(request),
            year=filters.year,
            state=None,
            unit=filters.unit,
            changed_since=filters.changed_since,
        ).filter(state__in=APPROVED_STATES)
    )
    if filters.round is not None:
        projects = projects.filter(review__batch__round__code=filters.round)
    items, next_cursor = page(projects, filters.cursor, filters.limit)
    return page_of([quotas.quota(project) for project in items], next_cursor)


def _set_summary(standard: Any) -> dict[str, Any]:
    return {
        "code": standard.code,
        "name": standard.name,
        "region": standard.region,
        "version_label": standard.version_label,
        "status": standard.status,
        "effective_from": standard.effective_from,
        "effective_to": standard.effective_to,
        "base_code": standard.base.code if standard.base else None,
    }


@endpoint(
    "GET",
    "/v1/standards/",
    Scope.STANDARDS_READ,
    response={200: list[schemas.StandardSetSummary], **ERRORS},
    tags=["standards"],
)
def list_standards(request: HttpRequest) -> list[dict[str, Any]]:
    """The published (and retired) budget standards, so another system prices the same way."""
    sets = sets_with_lineage().filter(status__in=VISIBLE_STATUSES).order_by("code")
    return [_set_summary(standard) for standard in sets]


@endpoint(
    "GET",
    "/v1/standards/{code:code}/",
    Scope.STANDARDS_READ,
    response={200: schemas.StandardSet, **ERRORS},
    tags=["standards"],
)
def get_standard(request: HttpRequest, code: Code) -> dict[str, Any]:
    """One published standard with its items and grades (a draft is 404)."""
    standard = sets_with_lineage().filter(status__in=VISIBLE_STATUSES, code=code).first()
    if standard is None:
        raise Http404
    items = (
        ServiceItem.objects.filter(standard_set=standard)
        .select_related("category")
        .prefetch_related("grades")
    )
    return {
        **_set_summary(standard),
        "items": [
            {
                "code": item.code,
                "name": item.name,
                "fee_class": item.category.name,
                "unit": item.unit,
                "pricing_method": item.pricing_method,
                "parameters": item.parameters or {},
                "grades": [
                    {
                        "code": grade.code,
                        "name": grade.name,
                        "unit_price": grade.unit_price,
                        "coefficient": grade.coefficient,
                        "range_min": grade.range_min,
                        "range_max": grade.range_max,
                    }
                    for grade in item.grades.all()
                ],
            }
            for item in items
        ],
    }


@endpoint(
    "GET",
    "/v1/codes/",
    Scope.CODES_READ,
    response={200: schemas.CodePage, **ERRORS},
    tags=["codes"],
)
def list_codes(request: HttpRequest, filters: Query[schemas.CodeFilters]) -> dict[str, Any]:
    """The code lists the admins imported (支出功能分类, 政府预算 and 部门预算支出经济分类,
    资金性质, 资金来源), by year and list: what the codes of projects and quotas mean.
    The same for every client: code lists belong to no unit."""
    codes = ClassificationCode.objects.all()
    if filters.year is not None:
        codes = codes.filter(year=filters.year)
    if filters.kind is not None:
        codes = codes.filter(kind=filters.kind)
    items, next_cursor = page(codes, filters.cursor, filters.limit)
    return page_of(
        [
            {
                "kind": code.kind,
                "kind_name": str(CodeKind(code.kind).label),
                "year": code.year,
                "code": code.code,
                "name": code.name,
            }
            for code in items
        ],
        next_cursor,
    )


def _summary_row(row: summaries.SummaryRow) -> dict[str, Any]:
    return {
        "key": None if row.key is None else row.drill_value(),
        "label": str(row.label),
        "projects": row.projects,
        "requested": row.requested,
        "approved": row.approved,
        "cut": row.cut,
    }


@endpoint(
    "GET",
    "/v1/summary/",
    Scope.SUMMARY_READ,
    response={200: schemas.Summary, **ERRORS},
    tags=["figures"],
)
def summary(request: HttpRequest, query: Query[schemas.SummaryQuery]) -> dict[str, Any]:
    """The budget summary's figures for the client's projects, as the summary page adds
    them up (the same rule of counted projects, the same totals)."""
    rows, total = summaries.summary_by(_projects(request).filter(budget_year=query.year), query.by)
    return {
        "year": query.year,
        "by": query.by,
        "rows": [_summary_row(row) for row in rows],
        "total": _summary_row(total),
    }


@endpoint(
    "POST",
    "/v1/execution/batches/",
    Scope.CONTRACTS_WRITE,
    Scope.PAYMENTS_WRITE,
    needed=batch_needs,
    rule="Needs `contracts:write` to send contracts and `payments:write` to send payments.",
    # 400: a body that is no JSON at all.
    response={200: schemas.BatchOut, 400: schemas.Error, 409: schemas.ValidationErrors, **ERRORS},
    tags=["execution"],
)
def post_execution_batch(request: HttpRequest, batch: schemas.BatchIn) -> Any:
    """Contracts and payments from the treasury, for the client's approved projects.
    Idempotent by reference: a batch sent again changes nothing (`created` 0). All or
    nothing: a batch the schema refuses is a 422; one that conflicts with what is
    recorded (a project outside the client's scope or not approved, an unknown
    contract, a reference twice, or already recorded with other figures) is a 409
    listing each problem with where it is. Either way nothing is kept."""
    client = client_of(request)
    if not isinstance(json.loads(request.body or b"null"), dict):
        # django-ninja fills a lone body model's defaults from a JSON array; the schema
        # says an object.
        return Status(422, {"detail": [{"loc": "body", "msg": "Send a JSON object."}]})
    try:
        result = execution.record_batch(
            [execution.ContractIn(**item.dict()) for item in batch.contracts],
            [execution.PaymentIn(**item.dict()) for item in batch.payments],
            projects=projects_visible_to_client(client),
            source=client.name,
        )
    except execution.BatchRefusedError as error:
        problems = [{"loc": where, "msg": msg} for where, msg in error.problems]
        return Status(409, {"detail": problems})
    return {"created": result.created, "unchanged": result.unchanged}
