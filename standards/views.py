"""Browsing the standards: the set in force, an item's prices, two versions compared."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.permissions import request_member
from standards import catalogue, rebase
from standards.forms import CompareForm, RebaseForm
from standards.models import StandardSet
from standards.permissions import (
    can_manage_set,
    get_set_for_user,
    sets_visible_to,
)
from standards.pricing import FORMULAS, PARAMETER_LABELS


@require_GET
@login_required
def browse(request: HttpRequest, code: str | None = None) -> HttpResponse:
    """One set's effective items grouped by fee class, filtered by code or name.
    Without a code: the provincial set in force today."""
    visible = sets_visible_to(request.user)
    standard_set = (
        get_set_for_user(request.user, code) if code else catalogue.provincial_set_in_force()
    )
    query = request.GET.get("q", "").strip()[:100]
    groups: list[catalogue.FeeClassGroup] = []
    total = 0
    if standard_set is not None:
        items = catalogue.search(catalogue.effective_items(standard_set), query)
        total = len(items)
        groups = catalogue.group_by_fee_class(items)
    context = {
        "standard_set": standard_set,
        "sets": list(visible.order_by("base_id", "-effective_from", "code")),
        "groups": groups,
        "query": query,
        "total": total,
        "can_manage_set": standard_set is not None and can_manage_set(request.user, standard_set),
        "newer_base": rebase.newer_base(standard_set) if standard_set is not None else None,
    }
    return render(request, "standards/set_browse.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def rebase_page(request: HttpRequest, code: str) -> HttpResponse:
    """A derived set against the newer version of its base: what changed upstream and
    what a rebase keeps and drops (GET); the rebase itself, all or nothing (POST)."""
    standard_set = get_set_for_user(request.user, code)
    if not can_manage_set(request.user, standard_set):
        raise PermissionDenied
    newer = rebase.newer_base(standard_set)
    if newer is None:
        raise Http404
    form = RebaseForm(request.POST or None, initial={"version_label": standard_set.version_label})
    if request.method == "POST" and form.is_valid():
        try:
            copy = rebase.rebase_set(
                standard_set,
                newer,
                actor=request_member(request),
                code=form.cleaned_data["code"],
                version_label=form.cleaned_data["version_label"],
                effective_from=form.cleaned_data["effective_from"],
            )
        except rebase.StandardsError as error:
            messages.error(request, error.message)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(
                request,
                _("%(code)s is a draft based on %(base)s: check it, then publish it.")
                % {"code": copy.code, "base": newer.code},
            )
            return redirect("standards:set", code=copy.code)
    context = {
        "standard_set": standard_set,
        "plan": rebase.plan(standard_set, newer),
        "form": form,
    }
    return render(request, "standards/set_rebase.html", context)


@require_GET
@login_required
def item_detail(request: HttpRequest, code: str, item_code: str) -> HttpResponse:
    """An item as ``code`` prices it: grades with prices, method, unit and basis."""
    standard_set = get_set_for_user(request.user, code)
    items = [i for i in catalogue.effective_items(standard_set) if i.code == item_code]
    if not items:
        raise Http404
    item = items[0]
    context = {
        "standard_set": standard_set,
        "item": item,
        "grades": list(item.grades.all()),
        "inherited_from": item.standard_set if item.standard_set_id != standard_set.pk else None,
        "parameters": _parameter_rows(item.parameters),
        "formula": FORMULAS.get(item.pricing_method, ""),
    }
    return render(request, "standards/item_detail.html", context)


@require_GET
@login_required
def compare(request: HttpRequest) -> HttpResponse:
    """Two versions side by side: items added, removed, and changed prices."""
    visible = sets_visible_to(request.user)
    defaults = {} if request.GET else _compare_defaults(visible)
    form = CompareForm(request.GET or None, sets=visible, initial=defaults)
    comparison = None
    old_set = new_set = None
    if form.is_bound and form.is_valid():
        old_set, new_set = form.cleaned_data["old"], form.cleaned_data["new"]
        comparison = catalogue.compare(old_set, new_set)
    context = {"form": form, "comparison": comparison, "old_set": old_set, "new_set": new_set}
    return render(request, "standards/set_compare.html", context)


def _compare_defaults(visible: QuerySet[StandardSet]) -> dict[str, str]:
    """Offer the provincial standard in force against the version it replaced."""
    current = catalogue.provincial_set_in_force()
    if current is None or current.previous_version_id is None:
        return {}
    previous = visible.filter(pk=current.previous_version_id).first()
    return {"old": previous.code, "new": current.code} if previous else {}


def _parameter_rows(parameters: dict[str, Any]) -> list[tuple[Any, str]]:
    rows = []
    for name, value in parameters.items():
        if isinstance(value, dict):
            shown = "; ".join(f"{key} {factor}" for key, factor in value.items())
        elif isinstance(value, list):
            shown = "、".join(str(v) for v in value)
        else:
            shown = str(value)
        rows.append((PARAMETER_LABELS.get(name, name), shown))
    return rows
