"""The survey's pages: open a survey and follow it (the data administration and finance),
fill a unit's inventory in the browser or from the workbook (the unit), return or
accept it (the reviewers). Thin views: access helper, form, service, message, redirect."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.permissions import request_member, units_visible_to
from audit.labels import details_for, label_for
from audit.queries import History, HistoryEntry, history_of
from inventory import baseline, queries, services, workbook
from inventory.baseline import Baseline
from inventory.forms import ROW_FORMS, ROW_TITLES, CampaignForm, ReturnForm, UploadForm
from inventory.models import SecurityLevel, SurveyCampaign, SurveyState, UnitSurvey
from inventory.permissions import (
    campaigns_visible_to,
    can_fill_survey,
    can_run_surveys,
    get_campaign_for_runner,
    get_survey_for_user,
    surveys_visible_to,
)
from inventory.services import InventoryError
from ui import charts
from ui.excel import write_table, xlsx_response
from ui.params import posted_version, whole_number
from ui.submissions import act_once


def _runner(request: HttpRequest) -> None:
    if not can_run_surveys(request.user):
        raise PermissionDenied


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The runners' campaigns; everyone's own units' surveys."""
    runner = can_run_surveys(request.user)
    campaigns = (
        campaigns_visible_to(request.user).annotate(
            units=Count("surveys"),
            submitted=Count(
                "surveys",
                filter=Q(surveys__state__in=[SurveyState.SUBMITTED, SurveyState.ACCEPTED]),
            ),
        )
        if runner
        else campaigns_visible_to(request.user).none()
    )
    own = (
        surveys_visible_to(request.user).none()
        if runner
        else surveys_visible_to(request.user).order_by("-campaign__year", "organization__code")
    )
    return render(
        request,
        "inventory/index.html",
        {"runner": runner, "campaigns": campaigns, "surveys": own},
    )


@login_required
def campaign_open(request: HttpRequest) -> HttpResponse:
    _runner(request)
    form = CampaignForm(request.POST or None, units=units_visible_to(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.open_campaign(
                actor=request_member(request),
                year=form.cleaned_data["year"],
                title=form.cleaned_data["title"],
                deadline=form.cleaned_data["deadline"],
                units=form.cleaned_data["units"],
            )
        except InventoryError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("The survey is open."))
            return redirect("inventory:campaign", public_id=campaign.public_id)
    return render(
        request, "inventory/campaign_form.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
def campaign_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Progress: each unit's state, whether it is late, and why it was returned."""
    _runner(request)
    campaign = get_campaign_for_runner(request.user, public_id)
    surveys = list(
        # The runner's own jurisdiction's units only (issue #18).
        surveys_visible_to(request.user).filter(campaign=campaign).order_by("organization__code")
    )
    today = timezone.localdate()
    rows = [(survey, survey.is_late_on(today)) for survey in surveys]
    counts = {
        "submitted": sum(s.state in (SurveyState.SUBMITTED, SurveyState.ACCEPTED) for s in surveys),
        "late": sum(late for _s, late in rows),
        "returned": sum(s.state == SurveyState.RETURNED for s in surveys),
        "units": len(surveys),
    }
    return render(
        request,
        "inventory/campaign_detail.html",
        {"campaign": campaign, "rows": rows, "counts": counts},
    )


@login_required
@require_POST
def campaign_remind(request: HttpRequest, public_id: UUID) -> HttpResponse:
    _runner(request)
    campaign = get_campaign_for_runner(request.user, public_id)

    def remind() -> HttpResponse:
        sent = services.send_reminders(campaign, actor=request_member(request))
        messages.success(
            request,
            _("%(count)d reminders queued; they are sent by mail shortly.") % {"count": sent},
        )
        return redirect("inventory:campaign", public_id=campaign.public_id)

    # Sent twice (a double click), each unit is reminded once.
    return act_once(
        request, remind, fallback=reverse("inventory:campaign", args=[campaign.public_id])
    )


def _survey_context(request: HttpRequest, survey: UnitSurvey) -> dict[str, object]:
    """What the survey page shows: its actions, its four tables of rows, its history."""
    can_fill = can_fill_survey(request.user, survey)
    reviewer = can_run_surveys(request.user)
    tables = [
        ("system", ROW_TITLES["system"], list(survey.systems.all())),
        ("device", ROW_TITLES["device"], list(survey.devices.all())),
        ("cloud", ROW_TITLES["cloud"], list(survey.cloud.all())),
        ("staff", ROW_TITLES["staff"], list(survey.staff.all())),
    ]
    return {
        "survey": survey,
        "tables": tables,
        "can_edit": can_fill and survey.is_editable,
        "can_submit": can_fill and survey.is_editable,
        "can_review": reviewer and survey.state == SurveyState.SUBMITTED,
        "is_late": survey.is_late_on(timezone.localdate()),
        "return_form": ReturnForm(),
        "history": history_of(survey, survey.key),
    }


@login_required
def survey_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    survey = get_survey_for_user(request.user, public_id)
    return render(request, "inventory/survey_detail.html", _survey_context(request, survey))


def _survey_for_edit(request: HttpRequest, public_id: UUID) -> UnitSurvey:
    """404 unless the user may see it; 403 unless they fill it and it is editable."""
    survey = get_survey_for_user(request.user, public_id)
    if not can_fill_survey(request.user, survey) or not survey.is_editable:
        raise PermissionDenied
    return survey


@login_required
def row_add(request: HttpRequest, public_id: UUID, kind: str) -> HttpResponse:
    if kind not in ROW_FORMS:
        raise Http404
    survey = _survey_for_edit(request, public_id)
    form = ROW_FORMS[kind](request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_row(
                survey,
                kind,
                form.save(commit=False),
                actor=request_member(request),
                expected_version=posted_version(request),
            )
        except InventoryError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Row added."))
            return redirect(f"{_survey_url(survey)}#{kind}")
    return render(
        request,
        "inventory/row_form.html",
        {"survey": survey, "form": form, "kind": kind, "title": ROW_TITLES[kind]},
        status=400 if form.errors else 200,
    )


def _row_or_404(survey: UnitSurvey, kind: str, row_id: int) -> models.Model:
    """The survey's own row: 404 for an unknown kind and for any other survey's row id."""
    model = services.ROW_MODELS.get(kind)
    row = model._default_manager.filter(survey=survey, pk=row_id).first() if model else None
    if row is None:
        raise Http404
    return row


@login_required
def row_edit(request: HttpRequest, public_id: UUID, kind: str, row_id: int) -> HttpResponse:
    """Edit one row in place: htmx swaps the row for this form, and on success the
    survey's body (its tables with the new version, and the history) for the form; without
    JavaScript, a page of its own and a redirect back. Through ``services.change_row``."""
    survey = _survey_for_edit(request, public_id)
    row = _row_or_404(survey, kind, row_id)
    form = ROW_FORMS[kind](request.POST or None, instance=row)
    htmx = request.headers.get("HX-Request") == "true"
    if request.method == "POST" and form.is_valid():
        try:
            services.change_row(
                survey,
                kind,
                row_id,
                {name: form.cleaned_data[name] for name in form.fields},
                actor=request_member(request),
                expected_version=posted_version(request),
            )
        except InventoryError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            if not htmx:
                messages.success(request, _("Row changed."))
                return redirect(f"{_survey_url(survey)}#{kind}-{row_id}")
            survey.refresh_from_db()
            return render(
                request, "inventory/includes/survey_body.html", _survey_context(request, survey)
            )
    context = {"survey": survey, "form": form, "kind": kind, "row": row, "title": ROW_TITLES[kind]}
    if htmx:
        # The form replaces the row; after a refusal, it replaces itself (htmx swaps 200s).
        response = render(request, "inventory/includes/row_edit.html", context)
        if request.method == "POST":
            response["HX-Retarget"] = f"#{kind}-{row_id}"
            response["HX-Reswap"] = "outerHTML"
        return response
    return render(request, "inventory/row_form.html", context, status=400 if form.errors else 200)


@login_required
def row_history(request: HttpRequest, public_id: UUID, kind: str, row_id: int) -> HttpResponse:
    """One row's history: who added, changed (each field before and after) or imported
    it. For everyone who may see the survey; a removed row keeps its history here."""
    survey = get_survey_for_user(request.user, public_id)
    if kind not in services.ROW_MODELS:
        raise Http404
    row = services.ROW_MODELS[kind]._default_manager.filter(survey=survey, pk=row_id).first()
    events = queries.row_history(survey, kind, row_id, exists=row is not None)
    if row is None and not events:
        raise Http404
    return render(
        request,
        "inventory/row_history.html",
        {
            "survey": survey,
            "kind": kind,
            "title": ROW_TITLES[kind],
            "row": row,
            "history": History(
                entries=[
                    HistoryEntry(event, label_for(event.event_type), details_for(event))
                    for event in events
                ],
                limit=len(events),
                more=False,
            ),
        },
    )


@login_required
@require_POST
def row_remove(request: HttpRequest, public_id: UUID, kind: str, row_id: int) -> HttpResponse:
    survey = _survey_for_edit(request, public_id)
    try:
        services.remove_row(
            survey,
            kind,
            row_id,
            actor=request_member(request),
            expected_version=posted_version(request),
        )
    except InventoryError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Row removed."))
    return redirect(f"{_survey_url(survey)}#{kind}")


@login_required
@require_POST
def survey_act(request: HttpRequest, public_id: UUID, action: str) -> HttpResponse:
    survey = get_survey_for_user(request.user, public_id)
    if action not in services.TRANSITIONS:
        raise Http404
    allowed = (
        can_fill_survey(request.user, survey)
        if action == services.Action.SUBMIT
        else can_run_surveys(request.user)
    )
    if not allowed:
        raise PermissionDenied
    reason = ""
    if action == services.Action.RETURN:
        form = ReturnForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                messages.error(request, " ".join(str(error) for error in errors))
            return redirect(_survey_url(survey))
        reason = form.cleaned_data["reason"]
    try:
        services.act(
            survey,
            action,
            actor=request_member(request),
            expected_version=posted_version(request),
            reason=reason,
        )
    except InventoryError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Done: %(action)s.") % {"action": services.Action(action).label}
        )
    return redirect(_survey_url(survey))


@login_required
def survey_template(request: HttpRequest, public_id: UUID) -> HttpResponse:
    survey = get_survey_for_user(request.user, public_id)
    content = workbook.write_template(survey)
    return xlsx_response(content, f"inventory-{survey.key}.xlsx")


@login_required
def survey_upload(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Upload the workbook: the package check, then every sheet read; all rows replace
    the inventory, or nothing changes and every problem is listed by sheet/row/column."""
    survey = _survey_for_edit(request, public_id)
    form = UploadForm(request.POST or None, request.FILES or None)
    problems: list[workbook.Problem] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            workbook.check_upload(upload, upload.name or "")
            reading = workbook.read_workbook(upload)
        except ValidationError as error:
            form.add_error("file", error)
        else:
            problems = reading.problems
            if not problems:
                try:
                    services.replace_rows(
                        survey,
                        reading.rows,
                        actor=request_member(request),
                        expected_version=posted_version(request),
                        source=(upload.name or "")[:200],
                    )
                except InventoryError as error:
                    form.add_error(None, error.message)
                else:
                    messages.success(
                        request,
                        _("%(count)d inventory rows imported.") % {"count": reading.rows.count},
                    )
                    return redirect(_survey_url(survey))
    return render(
        request,
        "inventory/survey_upload.html",
        {"survey": survey, "form": form, "problems": problems},
        status=400 if form.errors or problems else 200,
    )


def _survey_url(survey: UnitSurvey) -> str:
    return reverse("inventory:survey", kwargs={"public_id": survey.public_id})


def _baseline_data(request: HttpRequest) -> tuple[SurveyCampaign | None, list, Baseline]:
    """The chosen (``?year=``) or latest campaign's baselines, scoped to the user."""
    campaigns = campaigns_visible_to(request.user).order_by("-year")
    year = whole_number(request.GET.get("year"), maximum=9999)
    campaign = (campaigns.filter(year=year) if year else campaigns).first()
    if campaign is None:
        return None, [], Baseline("")
    surveys = baseline.reported(surveys_visible_to(request.user), campaign)
    rows, total = baseline.baselines(surveys, campaign.year)
    return campaign, rows, total


@dataclass(frozen=True)
class Figure:
    """A chart and the table of the same figures beside it (what screen readers read)."""

    key: str
    chart: charts.Chart
    headers: list[str]
    rows: list[list[str]]
    wide: bool = False  # a row of bars per unit: the page's full width


def _count(value: Decimal) -> str:
    return f"{value:,.0f}"


def _percent(part: Decimal | int, whole: Decimal | int) -> str:
    if not whole:
        return "—"
    return f"{(Decimal(part) * 100 / Decimal(whole)).quantize(Decimal('0.1'), ROUND_HALF_UP)}"


def _share_figure(key: str, title: str, what: str, parts: list[tuple[str, int]]) -> Figure:
    whole = sum(count for _label, count in parts)
    return Figure(
        key,
        charts.shares(title, parts, show=_count),
        [what, str(_("Systems")), str(_("Share, per cent"))],
        [[label, f"{count:,}", _percent(count, whole)] for label, count in parts],
    )


def _baseline_figures(rows: list[Baseline], total: Baseline) -> list[Figure]:
    """The baseline's charts: systems by age, hosting and security level (of all the
    units shown), and each unit's hardware value with the part out of warranty."""
    figures = [
        _share_figure(
            "age",
            _("Systems by age"),
            _("Age"),
            [
                (_("Built within 3 years"), total.new),
                (_("3 to 5 years old"), total.middle),
                (_("6 years or older"), total.old),
            ],
        ),
        _share_figure(
            "hosting",
            _("Systems by hosting"),
            _("Hosting"),
            [
                (_("On the government cloud"), total.gov_cloud),
                (_("In own machine rooms"), total.own_room),
            ],
        ),
        _share_figure(
            "levels",
            _("Systems by security protection level (等保)"),
            _("Security protection level (等保)"),
            [(str(SecurityLevel(level).label), count) for level, count in zip(
                SecurityLevel.values, total.levels, strict=True
            )],
        ),
    ]  # fmt: skip
    value, expired = _("Hardware original value"), _("Out of warranty")
    figures.append(
        Figure(
            "hardware",
            charts.bars(
                _("Hardware original value and the part out of warranty by unit (10k yuan)"),
                [(row.unit, [row.device_value, row.out_of_warranty_value]) for row in rows],
                [value, expired],
            ),
            [
                str(_("Budget unit")),
                str(_("Hardware original value (10k yuan)")),
                str(_("Out of warranty (10k yuan)")),
                str(_("Share of value out of warranty, per cent")),
            ],
            [
                [
                    row.unit,
                    charts.wan(row.device_value),
                    charts.wan(row.out_of_warranty_value),
                    _percent(row.out_of_warranty_value, row.device_value),
                ]
                for row in [*rows, _total_row(total)]
            ],
            wide=True,
        )
    )
    return figures


def _total_row(total: Baseline) -> Baseline:
    total.unit = str(_("Total"))
    return total


@login_required
def baseline_report(request: HttpRequest) -> HttpResponse:
    """Per unit and in all: what the units run (the units one may see), in charts each
    beside the table of its figures."""
    campaign, rows, total = _baseline_data(request)
    return render(
        request,
        "inventory/baseline.html",
        {
            "campaign": campaign,
            "rows": rows,
            "total": total,
            "figures": _baseline_figures(rows, total) if campaign else [],
            "years": campaigns_visible_to(request.user)
            .order_by("-year")
            .values_list("year", flat=True),
        },
    )


BASELINE_HEADERS = (
    gettext_lazy("Budget unit"),
    gettext_lazy("Systems"),
    gettext_lazy("Live"),
    gettext_lazy("Retired"),
    gettext_lazy("On the government cloud"),
    gettext_lazy("In own machine rooms"),
    gettext_lazy("Level 1"),
    gettext_lazy("Level 2"),
    gettext_lazy("Level 3"),
    gettext_lazy("Level 4"),
    gettext_lazy("Built within 3 years"),
    gettext_lazy("3 to 5 years old"),
    gettext_lazy("6 years or older"),
    gettext_lazy("Construction cost (yuan)"),
    gettext_lazy("Yearly O&M (yuan)"),
    gettext_lazy("Devices"),
    gettext_lazy("Hardware original value (yuan)"),
    gettext_lazy("Out of warranty (yuan)"),
    gettext_lazy("Share of value out of warranty, per cent"),
    gettext_lazy("Cores"),
    gettext_lazy("Memory (GB)"),
    gettext_lazy("Storage (TB)"),
    gettext_lazy("In-house IT staff"),
    gettext_lazy("Outsourced IT staff"),
)


def _baseline_row(row: Baseline) -> list[object]:
    return [
        row.unit, row.systems, row.live, row.retired, row.gov_cloud, row.own_room, *row.levels,
        row.new, row.middle, row.old, row.construction_cost, row.yearly_om_cost, row.devices,
        row.device_value, row.out_of_warranty_value, row.out_of_warranty_share, row.cores,
        row.memory_gb, row.storage_tb, row.in_house, row.outsourced,
    ]  # fmt: skip


@login_required
def baseline_export(request: HttpRequest) -> HttpResponse:
    """The baseline table as Excel, through the formula-safe writer."""
    campaign, rows, total = _baseline_data(request)
    total.unit = _("Total")
    content = write_table(
        _("IT inventory baseline"),
        [str(header) for header in BASELINE_HEADERS],
        [_baseline_row(row) for row in rows],
        money_columns=frozenset({13, 14, 16, 17}),
        totals=_baseline_row(total),
    )
    year = campaign.year if campaign else "none"
    return xlsx_response(content, f"inventory-baseline-{year}.xlsx")
