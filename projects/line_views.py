"""Estimate lines: choose a standard item, give its inputs, see the price; or add a
non-standard line with its justification; re-price lines with the current standard.

Plain forms: they work without JavaScript ("Calculate" prices without saving). With
it, htmx asks ``line_preview`` for the amount and explanation as the clerk types.
"""

from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.permissions import request_member
from projects import estimates, repricing, services
from projects.errors import ProjectError
from projects.forms import NonStandardLineForm, StandardLineForm, add_refusal
from projects.models import EstimateLine, Project
from projects.permissions import get_project_for_edit
from projects.signals import LineReview, line_reviews
from projects.views import project_url
from standards import catalogue, pricing
from standards.models import ServiceItem
from ui.params import posted_version, whole_number


def _lines_url(project: Project) -> str:
    return f"{project_url(project)}#lines"


@dataclass
class Preview:
    """What the form's inputs price at, or why they do not price yet."""

    quote: estimates.Quote | None = None
    explanation: str = ""
    errors: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # required inputs not given yet


def _preview(form: StandardLineForm, project: Project, line: EstimateLine | None = None) -> Preview:
    """Price the form's inputs without saving anything: as ``line`` of ``project``
    (a new line without one), whose requested total must stay within the limit."""
    if not form.is_bound:
        return Preview()
    if not form.is_valid():
        preview = Preview()
        for name, errors in form.errors.items():
            if name not in form.fields:
                preview.errors += [str(error) for error in errors]
            elif form[name].value() in (None, ""):
                preview.missing.append(str(form[name].label))
            else:
                preview.errors += [f"{form[name].label}: {error}" for error in errors]
        return preview
    try:
        quote = estimates.quote_item(form.item, form.grade(), form.values())
    except pricing.PricingError as error:
        return Preview(errors=[error.message])
    others = project.requested_amount - (line.amount if line is not None else 0)
    try:
        services.check_requested_total(others + quote.result.amount)
    except ProjectError as error:
        return Preview(errors=[error.message])
    return Preview(quote, quote.result.explain(get_language() or ""))


def _item_for(project: Project, code: str) -> ServiceItem | None:
    standard = estimates.standard_for(project)
    if standard is None:
        return None
    items = estimates.items_for(project, standard)
    return next((candidate for candidate in items if candidate.code == code), None)


@login_required
def line_add(request: HttpRequest, code: str) -> HttpResponse:
    project = get_project_for_edit(request.user, code)
    standard = estimates.standard_for(project)
    if standard is None:
        messages.error(request, _("No published standard is in force for this budget year."))
        return redirect(_lines_url(project))
    items = estimates.items_for(project, standard)
    chosen = request.GET.get("item") or request.POST.get("item")
    if not chosen:
        query = request.GET.get("q", "").strip()
        shown = catalogue.search(items, query) if query else items
        return render(
            request,
            "projects/line_choose.html",
            {
                "project": project,
                "standard": standard,
                "groups": catalogue.group_by_fee_class(shown),
                "query": query,
            },
        )
    item = next((candidate for candidate in items if candidate.code == chosen), None)
    if item is None:
        raise Http404
    form = StandardLineForm(request.POST or None, item=item, initial={"version": project.version})
    preview = Preview()
    if "calculate" in request.POST:
        # Without JavaScript, "Calculate" shows the price and keeps the form as it is.
        preview = _preview(form, project)
    elif request.method == "POST" and form.is_valid():
        try:
            line = services.add_standard_line(
                project,
                actor=request_member(request),
                expected_version=form.cleaned_data["version"],
                item=item,
                grade=form.grade(),
                values=form.values(),
                justification=form.cleaned_data["justification"],
            )
        except ProjectError as error:
            preview = _preview(form, project)  # before the error makes the form invalid
            add_refusal(form, error)
        else:
            messages.success(
                request,
                _("Line added: %(name)s, %(amount)s yuan.")
                % {"name": line.name, "amount": f"{line.amount:,.2f}"},
            )
            return redirect(_lines_url(project))
    return render(
        request,
        "projects/line_form.html",
        {"project": project, "standard": standard, "item": item, "form": form, "preview": preview},
    )


@login_required
@require_GET
def line_preview(request: HttpRequest, code: str) -> HttpResponse:
    """The amount and explanation for the inputs typed so far (the line form's htmx
    partial). Checks access like the form; writes nothing."""
    project = get_project_for_edit(request.user, code)
    item = _item_for(project, request.GET.get("item", ""))
    if item is None:
        raise Http404
    form = StandardLineForm(request.GET, item=item, preview=True)
    # The line being edited, if any: the project's total counts its new amount, not both.
    line_id = whole_number(request.GET.get("line"))
    line = project.lines.filter(pk=line_id).first() if line_id is not None else None
    preview = _preview(form, project, line)
    return render(request, "projects/line_preview.html", {"preview": preview})


@login_required
def line_add_non_standard(request: HttpRequest, code: str) -> HttpResponse:
    project = get_project_for_edit(request.user, code)
    form = NonStandardLineForm(request.POST or None, initial={"version": project.version})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.add_non_standard_line(
                project,
                actor=request_member(request),
                expected_version=data["version"],
                fee_class=data["fee_class"],
                name=data["name"],
                unit=data["unit"],
                quantity=data["quantity"],
                unit_price=data["unit_price"],
                justification=data["justification"],
            )
        except ProjectError as error:
            add_refusal(form, error)
        else:
            messages.success(request, _("Non-standard line added; reviewers will see it flagged."))
            return redirect(_lines_url(project))
    return render(
        request,
        "projects/line_form.html",
        {"project": project, "standard": None, "item": None, "form": form},
    )


@login_required
def line_remove(request: HttpRequest, code: str, line_id: int) -> HttpResponse:
    """GET: what removing the line takes away, with the confirmation form. POST (that
    form): remove it."""
    project = get_project_for_edit(request.user, code)
    line = get_object_or_404(project.lines.select_related("standard_set"), pk=line_id)
    if request.method != "POST":
        return render(
            request,
            "projects/line_remove.html",
            {
                "project": project,
                "line": line,
                "requested_after": project.requested_amount - line.amount,
                "reviews": _reviews_of(project, line),
            },
        )
    try:
        services.remove_line(
            project,
            actor=request_member(request),
            line_id=line.pk,
            expected_version=posted_version(request),
        )
    except ProjectError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Line removed: %(name)s.") % {"name": line.name})
    return redirect(_lines_url(project))


def _reviews_of(project: Project, line: EstimateLine) -> list[LineReview]:
    """The approved amount a review gave the line, which removing or changing it drops."""
    review = line_reviews(project, [line]).get(line.pk)
    return [review] if review else []


@login_required
def line_edit(request: HttpRequest, code: str, line_id: int) -> HttpResponse:
    """The line's form filled with its inputs (priced live as the clerk types, like adding);
    saving replaces the line in its place (``services.change_line``)."""
    project = get_project_for_edit(request.user, code)
    line = get_object_or_404(project.lines, pk=line_id)
    if line.is_non_standard:
        return _edit_non_standard(request, project, line)
    standard = estimates.standard_for(project)
    item = _item_for(project, line.item_code)
    if standard is None or item is None:
        messages.error(
            request,
            _(
                "The standard in force for this budget year has no item %(code)s: remove "
                "the line and add one priced by another item."
            )
            % {"code": line.item_code},
        )
        return redirect(_lines_url(project))
    initial = {
        **estimates.values_from_inputs(line.inputs),
        "grade": line.grade_code,
        "justification": line.justification,
        "version": project.version,
    }
    form = StandardLineForm(request.POST or None, item=item, initial=initial)
    if request.method != "POST":
        # The line's price as it stands, before the clerk changes anything.
        preview = _preview(StandardLineForm(initial, item=item, preview=True), project, line)
    elif "calculate" in request.POST:
        preview = _preview(form, project, line)
    else:
        preview = Preview()
        if form.is_valid():
            spec = services.LineSpec(
                item=item,
                grade=form.grade(),
                values=form.values(),
                justification=form.cleaned_data["justification"],
            )
            saved = _save_change(request, project, line, form, spec)
            if saved is not None:
                return saved
            preview = _preview(
                StandardLineForm(request.POST, item=item, preview=True), project, line
            )
    return render(
        request,
        "projects/line_form.html",
        {
            "project": project,
            "standard": standard,
            "item": item,
            "form": form,
            "preview": preview,
            "line": line,
            "reviews": _reviews_of(project, line),
        },
    )


def _edit_non_standard(request: HttpRequest, project: Project, line: EstimateLine) -> HttpResponse:
    initial = {
        "fee_class": line.fee_class,
        "name": line.name,
        "unit": line.unit,
        "quantity": line.inputs.get("quantity"),
        "unit_price": line.inputs.get("unit_price"),
        "justification": line.justification,
        "version": project.version,
    }
    form = NonStandardLineForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        spec = services.LineSpec(
            fee_class=data["fee_class"],
            name=data["name"],
            unit=data["unit"],
            quantity=data["quantity"],
            unit_price=data["unit_price"],
            justification=data["justification"],
        )
        saved = _save_change(request, project, line, form, spec)
        if saved is not None:
            return saved
    return render(
        request,
        "projects/line_form.html",
        {
            "project": project,
            "standard": None,
            "item": None,
            "form": form,
            "line": line,
            "reviews": _reviews_of(project, line),
        },
    )


def _save_change(
    request: HttpRequest,
    project: Project,
    line: EstimateLine,
    form: StandardLineForm | NonStandardLineForm,
    spec: services.LineSpec,
) -> HttpResponse | None:
    """Save the edited line; the redirect to the lines, or None with the refusal on the form."""
    try:
        changed = services.change_line(
            project,
            actor=request_member(request),
            expected_version=form.cleaned_data["version"],
            line_id=line.pk,
            spec=spec,
        )
    except ProjectError as error:
        add_refusal(form, error)
        return None
    messages.success(
        request,
        _("Line saved: %(name)s, %(amount)s yuan.")
        % {"name": changed.name, "amount": f"{changed.amount:,.2f}"},
    )
    return redirect(_lines_url(project))


@login_required
def line_reprice(request: HttpRequest, code: str) -> HttpResponse:
    """GET: what re-pricing with the current standard would change, line by line.
    POST (the confirmation form): re-price."""
    project = get_project_for_edit(request.user, code)
    if request.method == "POST":
        try:
            project = services.reprice_lines(
                project,
                actor=request_member(request),
                expected_version=posted_version(request),
                standard_code=request.POST.get("standard", ""),
            )
        except ProjectError as error:
            messages.error(request, error.message)
            return redirect("projects:line_reprice", code=project.code)
        messages.success(
            request,
            _("Lines re-priced; the requested amount is now %(amount)s yuan.")
            % {"amount": f"{project.requested_amount:,.2f}"},
        )
        return redirect(_lines_url(project))
    return render(
        request,
        "projects/line_reprice.html",
        {"project": project, "plan": repricing.plan(project)},
    )
