"""The control figure pages (控制数) of finance: the units' base per year, what-if
drafts, drafts side by side, the sheet round trip and the issue (下达). Every page is
finance's alone (``permissions.can_manage_rounds``): 403 for anyone else."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Organization, User
from budgeting import figure_sheet, figures
from budgeting.figure_forms import DraftForm, DraftRuleForm, IssueForm, SheetUploadForm
from budgeting.models import BudgetCycle, FigureDraft
from budgeting.permissions import can_manage_rounds, control_figure_units
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
    return FigureDraft.objects.select_related("cycle", "created_by")


def _draft(user: User, public_id: str) -> FigureDraft:
    return get_object_or_404(_drafts(user), public_id=public_id)


@login_required
def figures_latest(request: HttpRequest) -> HttpResponse:
    """The control figures of the latest budget year."""
    _finance(request)
    cycle = BudgetCycle.objects.order_by("-year").first()
    if cycle is None:
        messages.info(request, _("There is no budget year yet."))
        return redirect("home")
    return redirect("budgeting:figures", year=cycle.year)


@login_required
def figure_overview(request: HttpRequest, year: int) -> HttpResponse:
    """Per primary unit: 一上申报数, 一上审核数, last year's approved total and the issued
    figure; the year's drafts, to open, compare or start one."""
    user = _finance(request)
    cycle = get_object_or_404(BudgetCycle, year=year)
    return _overview(request, user, cycle, DraftRuleForm(initial={"change_percent": 0}))


def _overview(
    request: HttpRequest, user: User, cycle: BudgetCycle, form: DraftRuleForm, status: int = 200
) -> HttpResponse:
    basis = figures.load_basis(cycle, _units(user))
    drafts = list(_drafts(user).filter(cycle=cycle).order_by("-created_at"))
    return render(
        request,
        "budgeting/figures.html",
        {"cycle": cycle, "basis": basis, "drafts": drafts, "form": form},
        status=status,
    )


@login_required
@require_POST
def draft_create(request: HttpRequest, year: int) -> HttpResponse:
    user = _finance(request)
    cycle = get_object_or_404(BudgetCycle, year=year)
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
    fields = form.fixed_fields()
    return render(
        request,
        "budgeting/figure_draft.html",
        {
            "draft": draft,
            "basis": basis,
            "rows": [(proposal, fields[proposal.basis.unit.code]) for proposal in proposals],
            "total": sum((p.amount for p in proposals), figures.ZERO),
            "form": form,
            "upload_form": extra.pop("upload_form", None)
            or SheetUploadForm(initial={"version": draft.version}),
            "issue_form": IssueForm(
                initial={"version": draft.version, "seen_issue": figures.issue_token(basis)}
            ),
            **extra,
        },
        status=400 if form.errors or extra.get("sheet_errors") else 200,
    )


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
            fixed = figure_sheet.read(upload, Organization.objects.all())
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
        except figure_sheet.SheetRefused as refused:
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
        request, draft, units, form, upload_form=upload_form, sheet_errors=errors or [_("Choose a sheet to upload.")]
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
    cycle = get_object_or_404(BudgetCycle, year=year)
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
