"""The rounds of a budget year (一上 → 一下 → 二上 → 二下), for finance: where the year
stands, each round's window and requests, and the step to the next round."""

from collections.abc import Sequence

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.permissions import request_member
from budgeting import round_changes, rounds
from budgeting.models import BudgetCycle, BudgetRound, RoundKind, RoundResult, RoundState
from budgeting.permissions import can_manage_rounds, cycles_visible_to
from budgeting.workflow import WorkflowError
from projects.models import APPROVED_STATES, ProjectState
from ui.params import whole_number

MAX_YEAR = 32767  # the year column's limit


class RoundWindowForm(forms.Form):
    opens_at = forms.DateTimeField(
        label=gettext_lazy("Opens"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    closes_at = forms.DateTimeField(
        label=gettext_lazy("Closes"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


def _cycle(user: User, year: int) -> BudgetCycle:
    """The budget year's cycle of the user's jurisdiction, or 404 (also for a number no
    year column holds)."""
    if year > MAX_YEAR:
        raise Http404
    return get_object_or_404(cycles_visible_to(user), year=year)


def _finance(request: HttpRequest) -> User:
    if not can_manage_rounds(request.user):
        raise PermissionDenied
    return request.user  # type: ignore[return-value]


@login_required
def year_list(request: HttpRequest) -> HttpResponse:
    _finance(request)
    years = cycles_visible_to(request.user).prefetch_related("rounds").order_by("-year")
    rows = [(cycle, rounds.open_round(list(cycle.rounds.all()))) for cycle in years]
    return render(request, "budgeting/years.html", {"rows": rows})


@login_required
def year_rounds(request: HttpRequest, year: int) -> HttpResponse:
    _finance(request)
    return render(request, "budgeting/rounds.html", _context(_cycle(request_member(request), year)))


def _context(cycle: BudgetCycle, window_forms: dict[int, RoundWindowForm] | None = None) -> dict:
    year_rounds = list(
        cycle.rounds.annotate(
            submitted=Count("reviews"),
            in_review=Count("reviews", filter=Q(reviews__project__state=ProjectState.IN_REVIEW)),
            approved=Count("reviews", filter=Q(reviews__project__state__in=APPROVED_STATES)),
        ).order_by("order")
    )
    # A round that ended handed its requests on: its figures are the results it kept.
    kept = dict(
        RoundResult.objects.filter(round__cycle=cycle)
        .values_list("round")
        .annotate(count=Count("pk"))
        .values_list("round", "count")
    )
    for round_ in year_rounds:
        round_.kept = kept.get(round_.pk)  # type: ignore[attr-defined]
    current = rounds.open_round(year_rounds)
    closed = [r for r in year_rounds if r.state == RoundState.CLOSED]
    following = rounds.next_round(current or (closed[-1] if closed else None), year_rounds)
    window_forms = window_forms or {}
    return {
        "cycle": cycle,
        "rows": [
            {
                "round": r,
                "meaning": _meaning(r, year_rounds),
                "form": window_forms.get(
                    r.pk,
                    RoundWindowForm(
                        initial={"opens_at": r.opens_at, "closes_at": r.closes_at},
                        prefix=f"round-{r.pk}",
                    ),
                ),
            }
            for r in year_rounds
        ],
        "current": current,
        "following": following,
        "can_advance": cycle.state == "open" and (current is not None or following is not None),
    }


def _meaning(round_: BudgetRound, year_rounds: Sequence[BudgetRound]) -> str:
    if round_.kind == RoundKind.SUBMISSION:
        if rounds.bound_by_figures(round_, year_rounds):
            return _("Departments revise and submit within their control figures.")
        return (
            _("Departments submit; the reviews end at the final stage.")
            if not (rounds.is_last_submission(round_, year_rounds))
            else _("Departments submit; the reviews end in final approval.")
        )
    if rounds.issues_approval(round_, year_rounds):
        return _("Finance gives the final approval in batches (批复).")
    return _("Finance issues the control figures (控制数).")


@login_required
@require_POST
def advance(request: HttpRequest, year: int) -> HttpResponse:
    actor = _finance(request)
    cycle = _cycle(request_member(request), year)
    expected = whole_number(request.POST.get("expected_round") or "")
    try:
        moved = round_changes.advance_round(cycle, actor=actor, expected_round=expected)
    except WorkflowError as error:
        messages.error(request, error.message)
    else:
        if moved.state == RoundState.OPEN:
            messages.success(request, _("%(round)s is open.") % {"round": moved.name})
        else:
            messages.success(request, _("Every round of this year is closed."))
    return redirect("budgeting:rounds", year=cycle.year)


@login_required
@require_POST
def set_window(request: HttpRequest, year: int, round_id: int) -> HttpResponse:
    actor = _finance(request)
    round_ = get_object_or_404(BudgetRound, cycle=_cycle(actor, year), pk=round_id)
    form = RoundWindowForm(request.POST, prefix=f"round-{round_.pk}")
    if form.is_valid():
        try:
            round_changes.set_round_window(
                round_,
                actor=actor,
                opens_at=form.cleaned_data["opens_at"],
                closes_at=form.cleaned_data["closes_at"],
            )
        except WorkflowError as error:
            if error.field is None:  # about the round, not the window typed
                messages.error(request, error.message)
                return redirect("budgeting:rounds", year=year)
            form.add_error(error.field, error.message)
        else:
            saved = _("The window of %(round)s is saved.") % {"round": round_.name}
            messages.success(request, saved)
            return redirect("budgeting:rounds", year=year)
    return render(
        request,
        "budgeting/rounds.html",
        _context(round_.cycle, {round_.pk: form}),
        status=400,
    )
