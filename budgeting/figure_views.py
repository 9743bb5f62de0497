"""The control figure pages (控制数) of finance: the units' base per year, what-if
drafts, drafts side by side, the sheet round trip and the issue (下达). Every page is
finance's alone (``permissions.can_manage_rounds``): 403 for anyone else."""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.models import Organization, User
from accounts.permissions import units_visible_to
from audit.queries import history_of
from budgeting import figure_sheet, figures
from budgeting.figure_forms import (
    DraftForm,
    DraftRuleForm,
    IssueForm,
    SheetUploadForm,
    fixed_field_name,
)
from budgeting.models import BudgetCycle, FigureDraft
from budgeting.permissions import can_manage_rounds, control_figure_units, cycles_visible_to
from budgeting.workflow import WorkflowError
from ui.excel import xlsx_response
from ui.uploads import check_package

COMPARED_AT_MOST = 3


def _finance(request: HttpRequest) -> User:
    if not can_manage_rounds(request.user):
        raise PermissionDenied
    return request.user  # type: ignore[return-value]


def _units(user: User) -> list[Organization]:
    return list(control_figure_units(user).order_by("code"))


def _drafts(user: User) -> QuerySet[FigureDraft]:
    """The drafts the user may open: every one for finance, none for anyone else."""
    if not can_manage_rounds(user):
        return FigureDraft.objects.none()
    return FigureDraft.objects.filter(cycle__in=cycles_visible_to(user)).select_related(
        "cycle", "created_by"
    )


def _draft(user: User, public_id: str) -> FigureDraft:
    return get_object_or_404(_drafts(user), public_id=public_id)


@login_required
def figures_latest(request: HttpRequest) -> HttpResponse:
    """The control figures of the latest budget year."""
    _finance(request)
    cycle = cycles_visible_to(request.user).order_by("-year").first()
    if cycle is None:
        messages.info(request, _("There is no budget year yet."))
        return redirect("home")
    return redirect("budgeting:figures", year=cycle.year)


@login_required
def figure_overview(request: HttpRequest, year: int) -> HttpResponse:
    """Per primary unit: 一上申报数, 一上审核数, last year's approved total and the issued
    figure; the year's drafts, to open, compare or start one."""
    user = _finance(request)
    cycle = get_object_or_404(cycles_visible_to(user), year=year)
    return _overview(request, user, cycle, DraftRuleForm(initial={"change_percent": 0}))


def _overview(
    request: HttpRequest, user: User, cycle: BudgetCycle, form: DraftRuleForm, status: int = 200
) -> HttpResponse:
    basis = figures.load_basis(cycle, _units(user))
    drafts = list(_drafts(user).filter(cycle=cycle).order_by("-created_at"))
    # The latest draft not issued yet proposes a figure beside the issued one.
    proposing = next((draft for draft in drafts if draft.issued_at is None), None)
    proposals = figures.propose(basis, proposing) if proposing else []
    return render(
        request,
        "budgeting/figures.html",
        {
            "cycle": cycle,
            "basis": basis,
            "rows": [
                (row, proposals[index] if proposals else None)
                for index, row in enumerate(basis.units)
            ],
            "proposing": proposing,
            "history": history_of(cycle, str(cycle.year)),
            "proposed_total": sum((p.amount for p in proposals), figures.ZERO),
            "drafts": drafts,
            "form": form,
        },
        status=status,
    )


@login_required
@require_POST
def draft_create(request: HttpRequest, year: int) -> HttpResponse:
    user = _finance(request)
    cycle = get_object_or_404(cycles_visible_to(user), year=year)
    form = DraftRuleForm(request.POST)
    if form.is_valid():
        try:
            draft = figures.create_draft(
                cycle,
                actor=user,
                name=form.cleaned_data["name"],
                change_percent=form.cleaned_data["change_percent"],
                keep_operation_whole=form.cleaned_data["keep_operation_whole"],
            )
        except WorkflowError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Draft %(name)s created.") % {"name": draft.name})
            return redirect("budgeting:figure_draft", public_id=draft.public_id)
    return _overview(request, user, cycle, form, status=400)


@login_required
def draft_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    """GET: the what-if table of a draft (per unit: base, proposed figure, change against
    the base and against 一上申报数, the projects it affects) with its form. POST: the
    draft saved (rule and fixed figures), one version at a time."""
    user = _finance(request)
    draft = _draft(user, public_id)
    units = _units(user)
    form = DraftForm(request.POST or None, draft=draft, units=units)
    if request.method == "POST" and form.is_valid():
        try:
            figures.change_draft(
                draft,
                actor=user,
                expected_version=form.cleaned_data["version"],
                name=form.cleaned_data["name"],
                change_percent=form.cleaned_data["change_percent"],
                keep_operation_whole=form.cleaned_data["keep_operation_whole"],
                fixed=form.fixed(),
                units=units,
            )
        except WorkflowError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Draft %(name)s saved.") % {"name": draft.name})
            return redirect("budgeting:figure_draft", public_id=draft.public_id)
    return _draft_page(request, draft, units, form)


def _draft_page(
    request: HttpRequest,
    draft: FigureDraft,
    units: list[Organization],
    form: DraftForm,
    **extra: object,
) -> HttpResponse:
    basis = figures.load_basis(draft.cycle, units)
    proposals = figures.propose(basis, draft)
    return render(
        request,
        "budgeting/figure_draft.html",
        {
            "draft": draft,
            "basis": basis,
            "proposals": proposals,
            "rows_html": _whatif_rows(proposals, form),
            "total": sum((p.amount for p in proposals), figures.ZERO),
            "form": form,
            "upload_form": extra.pop("upload_form", None)
            or SheetUploadForm(initial={"version": draft.version}),
            "history": history_of(draft, str(draft.public_id)),
            "issue_form": IssueForm(
                initial={"version": draft.version, "seen_issue": figures.issue_token(basis)}
            ),
            **extra,
        },
        status=400 if form.errors or extra.get("sheet_errors") else 200,
    )


def _yuan(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def _whatif_rows(proposals: list[figures.Proposal], form: DraftForm) -> SafeString:
    """The rows of the what-if table, written here rather than by a template loop: at
    500 units and 2,000 projects the template engine alone took a second (see
    docs/performance.md). Every value is escaped by ``format_html``."""
    labels = {
        "unit": _("Budget unit"),
        "requested": _("1st submission requested (yuan)"),
        "base": _("Base: reviewed (yuan)"),
        "proposed": _("Proposed figure (yuan)"),
        "change": _("Change against the base (yuan)"),
        "vs_requested": _("Change against the request (yuan)"),
        "fixed": _("Fixed figure (yuan)"),
        "projects": _("Projects affected"),
        "project": _("Project"),
        "project_requested": _("Requested (yuan)"),
        "share": _("Share of the change (yuan)"),
        "none": _("None"),
    }
    share_head = format_html(
        '<table class="table table--compact"><thead><tr><th scope="col">{}</th>'
        '<th scope="col" class="num">{}</th><th scope="col" class="num">{}</th></tr></thead>',
        labels["project"],
        labels["project_requested"],
        labels["share"],
    )
    rows = []
    for proposal in proposals:
        unit = proposal.basis.unit
        name = fixed_field_name(unit)
        value = form.data.get(name, "") if form.is_bound else form.initial.get(name, "")
        errors = form.errors.get(name) if form.is_bound else None
        field_id = f"id_{name}"
        split = (
            format_html(
                '<br><span class="muted">{}</span>',
                _("construction %(c)s · operation %(o)s")
                % {"c": _yuan(proposal.construction), "o": _yuan(proposal.operation)},
            )
            if proposal.construction is not None
            else ""
        )
        rate = (
            format_html(' <span class="muted">({}%)</span>', proposal.change_rate)
            if proposal.change_rate is not None
            else ""
        )
        error_html = (
            format_html(
                '<div class="field__error" id="{}_error">{}</div>',
                field_id,
                format_html_join("", "<p>{}</p>", ((error,) for error in errors)),
            )
            if errors
            else ""
        )
        widget = format_html(
            '<label class="visually-hidden" for="{}">{}</label>'
            '<input type="text" inputmode="decimal" name="{}" id="{}" value="{}"{}>{}',
            field_id,
            form.fields[name].label,
            name,
            field_id,
            value if value is not None else "",
            format_html(' aria-invalid="true" aria-describedby="{}_error"', field_id)
            if errors
            else "",
            error_html,
        )
        if proposal.basis.projects:
            shares = format_html_join(
                "",
                '<tr><td>{} {}</td><td class="num">{}</td><td class="num">{}</td></tr>',
                (
                    (s.project.code, s.project.name, _yuan(s.project.requested), _yuan(s.change))
                    for s in proposal.shares
                ),
            )
            projects = format_html(
                "<details><summary>{}</summary>{}<tbody>{}</tbody></table></details>",
                ngettext(
                    "%(counter)s project", "%(counter)s projects", len(proposal.basis.projects)
                )
                % {"counter": len(proposal.basis.projects)},
                share_head,
                shares,
            )
        else:
            projects = format_html('<span class="muted">{}</span>', labels["none"])
        rows.append(
            format_html(
                '<tr class="{}">'
                '<th scope="row" data-label="{}">{} <span class="tag">{}</span></th>'
                '<td data-label="{}" class="num">{}</td>'
                '<td data-label="{}" class="num">{}</td>'
                '<td data-label="{}" class="num">{}{}</td>'
                '<td data-label="{}" class="num">{}{}</td>'
                '<td data-label="{}" class="num">{}</td>'
                '<td data-label="{}">{}</td>'
                '<td data-label="{}">{}</td>'
                "</tr>",
                "row--fixed" if proposal.fixed else "",
                labels["unit"],
                unit.name,
                unit.code,
                labels["requested"],
                _yuan(proposal.basis.requested),
                labels["base"],
                _yuan(proposal.basis.reviewed),
                labels["proposed"],
                _yuan(proposal.amount),
                split,
                labels["change"],
                _yuan(proposal.change),
                rate,
                labels["vs_requested"],
                _yuan(proposal.change_vs_requested),
                labels["fixed"],
                widget,
                labels["projects"],
                projects,
            )
        )
    return format_html_join("\n", "{}", ((row,) for row in rows))


@login_required
def draft_template(request: HttpRequest, public_id: str) -> HttpResponse:
    user = _finance(request)
    draft = _draft(user, public_id)
    basis = figures.load_basis(draft.cycle, _units(user))
    return xlsx_response(
        figure_sheet.template(basis, draft), f"control-figures-{draft.cycle.year}.xlsx"
    )


@login_required
@require_POST
def draft_upload(request: HttpRequest, public_id: str) -> HttpResponse:
    """The fixed figures of an uploaded sheet replace the draft's, all or nothing; every
    problem of the sheet is listed by row and column."""
    user = _finance(request)
    draft = _draft(user, public_id)
    units = _units(user)
    upload_form = SheetUploadForm(request.POST, request.FILES)
    errors: list[str] = []
    if upload_form.is_valid():
        upload = upload_form.cleaned_data["file"]
        try:
            check_package(upload, upload.name or "", kind=".xlsx")
            fixed = figure_sheet.read(upload, units_visible_to(user))
            figures.change_draft(
                draft,
                actor=user,
                expected_version=upload_form.cleaned_data["version"],
                name=draft.name,
                change_percent=draft.change_percent,
                keep_operation_whole=draft.keep_operation_whole,
                fixed=fixed,
                units=units,
            )
        except ValidationError as error:
            errors.extend(error.messages)
        except figure_sheet.SheetError as refused:
            errors.extend(str(problem) for problem in refused.errors)
        except WorkflowError as error:
            errors.append(error.message)
        else:
            messages.success(
                request,
                _("The sheet fixed %(count)s figures of draft %(name)s.")
                % {"count": len(fixed), "name": draft.name},
            )
            return redirect("budgeting:figure_draft", public_id=draft.public_id)
    form = DraftForm(draft=draft, units=units)
    return _draft_page(
        request,
        draft,
        units,
        form,
        upload_form=upload_form,
        sheet_errors=errors or [_("Choose a sheet to upload.")],
    )


@login_required
def draft_issue(request: HttpRequest, public_id: str) -> HttpResponse:
    """GET: the confirmation (round, units, total); POST: the figures issued."""
    user = _finance(request)
    draft = _draft(user, public_id)
    units = _units(user)
    basis = figures.load_basis(draft.cycle, units)
    form = IssueForm(
        request.POST or None,
        initial={"version": draft.version, "seen_issue": figures.issue_token(basis)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            figures.issue_draft(
                draft,
                actor=user,
                expected_version=form.cleaned_data["version"],
                seen_issue=form.cleaned_data["seen_issue"],
                units=units,
            )
        except WorkflowError as error:
            messages.error(request, error.message)
            return redirect("budgeting:figure_draft", public_id=draft.public_id)
        messages.success(
            request,
            _("The control figures of draft %(name)s were issued to %(count)s units.")
            % {"name": draft.name, "count": len(units)},
        )
        return redirect("budgeting:figures", year=draft.cycle.year)
    proposals = figures.propose(basis, draft)
    return render(
        request,
        "budgeting/figure_issue.html",
        {
            "draft": draft,
            "basis": basis,
            "proposals": proposals,
            "total": sum((p.amount for p in proposals), figures.ZERO),
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@login_required
def draft_compare(request: HttpRequest, year: int) -> HttpResponse:
    """Two or three drafts of the year side by side: units × drafts, with totals."""
    user = _finance(request)
    cycle = get_object_or_404(cycles_visible_to(user), year=year)
    asked = request.GET.getlist("draft")
    wanted = [value for value in asked if len(value) <= 36 and "\x00" not in value]
    drafts = list(_drafts(user).filter(cycle=cycle).order_by("-created_at"))
    chosen = [draft for draft in drafts if str(draft.public_id) in wanted]
    error = ""
    comparison = None
    if not 2 <= len(chosen) <= COMPARED_AT_MOST:
        error = _("Choose two or three drafts to compare.")
    else:
        comparison = figures.compare(figures.load_basis(cycle, _units(user)), chosen)
    return render(
        request,
        "budgeting/figure_compare.html",
        {
            "cycle": cycle,
            "drafts": drafts,
            "chosen": {str(draft.public_id) for draft in chosen},
            "comparison": comparison,
            "error": error if asked else "",
        },
        status=400 if error and asked else 200,
    )
