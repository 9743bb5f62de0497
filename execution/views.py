"""Execution pages: a project's execution (with the clerk's and finance's forms), the
payments import, the execution progress dashboard. Thin: access helper, form, service,
refusal to a message, redirect."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import request_member, units_visible_to
from audit.queries import history_of
from execution import payment_file, services
from execution.dashboard import dashboard, default_year, years_with_approvals
from execution.figures import execution_of
from execution.forms import (
    CarryOverDecisionForm,
    CarryOverRequestForm,
    CloseForm,
    ContractForm,
    DashboardFilterForm,
    ImportForm,
    PaymentForm,
    TargetForm,
)
from execution.models import CarryOver, CarryOverState, Closure
from execution.permissions import can_record_execution, is_finance
from execution.services import ExecutionError
from projects.models import Project, ProjectState
from projects.permissions import get_project_for_user
from ui.excel import xlsx_response


@login_required
def project_execution(request: HttpRequest, code: str) -> HttpResponse:
    user = request_member(request)
    project = get_project_for_user(user, code)
    return _render_project(request, project)


def _render_project(
    request: HttpRequest, project: Project, *, status: int = 200, **forms: Any
) -> HttpResponse:
    user = request_member(request)
    approved = project.state == ProjectState.APPROVED
    records = approved and can_record_execution(user, project)
    finance = approved and is_finance(user)
    carry = CarryOver.objects.filter(project=project).select_related("requested_by").first()
    waiting = carry is not None and carry.state == CarryOverState.REQUESTED
    may_request = records and (carry is None or carry.state == CarryOverState.REFUSED)
    contracts = list(project.contracts.all())
    payments = list(project.payments.select_related("contract"))
    # A form drawn again (refused) counts what this page lists now, as a fresh one does.
    for key, listed in (("contract_form", contracts), ("payment_form", payments)):
        if forms.get(key) is not None and forms[key].is_bound:
            forms[key].data = forms[key].data.copy()
            forms[key].data["listed"] = str(len(listed))
    context = {
        "project": project,
        "execution": execution_of(project),
        "contracts": contracts,
        "payments": payments,
        "carry_over": carry,
        "closure": Closure.objects.filter(project=project).select_related("closed_by").first(),
        "contract_form": forms.get("contract_form")
        or (ContractForm(initial={"listed": len(contracts)}) if records else None),
        "payment_form": forms.get("payment_form")
        or (PaymentForm(project=project, initial={"listed": len(payments)}) if records else None),
        "carry_form": forms.get("carry_form") or (CarryOverRequestForm() if may_request else None),
        "decision_form": forms.get("decision_form")
        or (CarryOverDecisionForm() if finance and waiting else None),
        "close_form": forms.get("close_form")
        or (CloseForm(initial={"version": project.version}) if finance and not waiting else None),
        "history": history_of(project, project.code),
    }
    return render(request, "execution/project_execution.html", context, status=status)


def _done(project: Project, anchor: str) -> HttpResponse:
    return redirect(reverse("execution:project", args=[project.code]) + anchor)


def _refused(form: Any, error: ExecutionError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _clerk_post(
    request: HttpRequest, code: str, form_class: Any, *, record: Any, done: str, key: str
) -> HttpResponse:
    """The clerk's contract or payment form: the unit's submitters only, refusals beside
    the field they are about."""
    user = request_member(request)
    project = get_project_for_user(user, code)
    if not can_record_execution(user, project):
        raise PermissionDenied
    extra = {"project": project} if form_class is PaymentForm else {}
    form = form_class(request.POST, **extra)
    if form.is_valid():
        try:
            record(project, actor=user, **form.cleaned_data)
        except ExecutionError as error:
            _refused(form, error)
        else:
            messages.success(request, done)
            return _done(project, f"#{key.split('_', maxsplit=1)[0]}s-title")
    return _render_project(request, project, status=400, **{key: form})


@login_required
@require_POST
def contract_add(request: HttpRequest, code: str) -> HttpResponse:
    return _clerk_post(
        request, code, ContractForm, record=services.record_contract,
        done=_("Contract recorded."), key="contract_form",
    )  # fmt: skip


@login_required
@require_POST
def payment_add(request: HttpRequest, code: str) -> HttpResponse:
    return _clerk_post(
        request, code, PaymentForm, record=services.record_payment,
        done=_("Payment recorded."), key="payment_form",
    )  # fmt: skip


@login_required
@require_POST
def carry_over_request(request: HttpRequest, code: str) -> HttpResponse:
    user = request_member(request)
    project = get_project_for_user(user, code)
    if not can_record_execution(user, project):
        raise PermissionDenied
    form = CarryOverRequestForm(request.POST)
    if form.is_valid():
        try:
            services.request_carry_over(project, actor=user, reason=form.cleaned_data["reason"])
        except ExecutionError as error:
            _refused(form, error)
        else:
            messages.success(request, _("Carry-over requested."))
            return _done(project, "#carry-over-title")
    return _render_project(request, project, status=400, carry_form=form)


@login_required
@require_POST
def carry_over_decide(request: HttpRequest, code: str) -> HttpResponse:
    user = request_member(request)
    project = get_project_for_user(user, code)
    if not is_finance(user):
        raise PermissionDenied
    form = CarryOverDecisionForm(request.POST)
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            services.decide_carry_over(
                project, actor=user, approve=approve, comment=form.cleaned_data["comment"]
            )
        except ExecutionError as error:
            _refused(form, error)
        else:
            messages.success(
                request, _("Carry-over approved.") if approve else _("Carry-over refused.")
            )
            return _done(project, "#carry-over-title")
    return _render_project(request, project, status=400, decision_form=form)


@login_required
@require_POST
def close(request: HttpRequest, code: str) -> HttpResponse:
    user = request_member(request)
    project = get_project_for_user(user, code)
    if not is_finance(user):
        raise PermissionDenied
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            services.close_project(
                project,
                actor=user,
                expected_version=form.cleaned_data["version"],
                comment=form.cleaned_data["comment"],
            )
        except ExecutionError as error:
            _refused(form, error)
        else:
            messages.success(request, _("Project closed."))
            return _done(project, "")
    return _render_project(request, project, status=400, close_form=form)


@login_required
def payments_import(request: HttpRequest) -> HttpResponse:
    user = request_member(request)
    if not is_finance(user):
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None)
    problems: list[payment_file.Problem] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = services.import_payments(upload, upload.name, actor=user)
        except ValidationError as error:
            form.add_error("file", error)
        except payment_file.FileRefusedError as refused:
            problems = refused.problems
        else:
            messages.success(
                request,
                _(
                    "%(created)s payments imported; the file totals %(total)s yuan. "
                    "%(unchanged)s already recorded, not imported again."
                )
                % {
                    "created": result.created,
                    "total": f"{result.total:,.2f}",
                    "unchanged": result.unchanged,
                },
            )
            return redirect("execution:import")
    return render(
        request,
        "execution/payments_import.html",
        {"form": form, "problems": problems},
        status=400 if problems or form.errors else 200,
    )


@login_required
def import_template(request: HttpRequest) -> HttpResponse:
    if not is_finance(request.user):
        raise PermissionDenied
    return xlsx_response(payment_file.template(), "payments-template.xlsx")


@login_required
def progress(request: HttpRequest) -> HttpResponse:
    user = request_member(request)
    units = units_visible_to(user).order_by("name")
    form = DashboardFilterForm(request.GET or None, units=units)
    years = years_with_approvals(user)
    # Each valid filter applies (a unit outside the scope keeps the year asked for): the
    # validation leaves the valid fields alone in ``cleaned_data``; the form shows the rest.
    cleaned: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()
        cleaned = form.cleaned_data
    year = cleaned.get("year") or default_year(user, years)
    board = dashboard(
        user,
        year=year,
        unit=cleaned.get("unit"),
        everything=bool(cleaned.get("everything")),
        page_number=request.GET.get("page"),
    )
    query = request.GET.copy()
    query.pop("page", None)
    target_form = None
    if is_finance(user):
        target = board.target
        target_form = TargetForm(
            initial={
                "year": year,
                "rate": target.rate if target else None,
                "due_on": target.due_on if target else None,
            }
        )
    return render(
        request,
        "execution/progress.html",
        {
            "board": board,
            "years": years,
            "filter_form": form,
            "target_form": target_form,
            "query": query.urlencode(),
            "can_import": is_finance(user),
        },
    )


@login_required
@require_POST
def target_set(request: HttpRequest) -> HttpResponse:
    user = request_member(request)
    if not is_finance(user):
        raise PermissionDenied
    form = TargetForm(request.POST)
    if form.is_valid():
        try:
            services.set_target(
                form.cleaned_data["year"],
                actor=user,
                rate=form.cleaned_data["rate"],
                due_on=form.cleaned_data["due_on"],
            )
        except ExecutionError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Execution target saved."))
        return redirect(f"{reverse('execution:progress')}?year={form.cleaned_data['year']}")
    for name, errors in form.errors.items():
        # Shown above the page, not beside the field: each says which field it is about.
        label = form[name].label if name in form.fields else ""
        text = " ".join(str(error) for error in errors)
        messages.error(request, f"{label}: {text}" if label else text)
    return redirect("execution:progress")
