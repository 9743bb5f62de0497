"""What a project still lacks before it can be submitted for review."""

from django.utils.translation import gettext as _

from projects.models import AttachmentKind, Project, ProjectKind, ProjectState, TargetTier
from projects.procurement import procurement_problems

# The states a project is submitted from: budgeting.workflow's SUBMIT sources (a test in
# budgeting keeps the two equal; projects may not import the workflow).
BEFORE_SUBMISSION = frozenset({ProjectState.DRAFT, ProjectState.RETURNED, ProjectState.WITHDRAWN})

REQUIRED_DOCUMENTS = {
    ProjectKind.CONSTRUCTION: [
        AttachmentKind.FEASIBILITY_STUDY,
        AttachmentKind.IMPLEMENTATION_PLAN,
    ],
    ProjectKind.OPERATION: [AttachmentKind.IMPLEMENTATION_PLAN],
}


def submission_problems(project: Project) -> list[str]:
    """Every reason the project cannot be submitted yet, in the user's language; empty if ready."""
    problems = []
    if not project.lines.exists():
        problems.append(_("Add at least one estimate line."))
    tiers = set(project.targets.values_list("tier", flat=True))
    if TargetTier.OUTPUT not in tiers:
        problems.append(_("Add at least one output target (产出指标)."))
    if TargetTier.BENEFIT not in tiers:
        problems.append(_("Add at least one benefit target (效益指标)."))
    present = set(project.attachments.filter(is_removed=False).values_list("kind", flat=True))
    problems.extend(
        _("Upload the %(document)s.") % {"document": AttachmentKind(kind).label}
        for kind in REQUIRED_DOCUMENTS[ProjectKind(project.kind)]
        if kind not in present
    )
    problems.extend(procurement_problems(project))
    if project.needs_plan_reason and not project.plan_deviation_reason.strip():
        problems.append(plan_difference(project))
    return problems


def plan_difference(project: Project) -> str:
    """The plan rule's words (``Project.needs_plan_reason``): which year, the request and
    the plan figure. The submission check and the registration form both show them."""
    return _(
        "The request (%(requested)s yuan) differs from the plan for %(year)s "
        "(%(planned)s yuan): give the reason in the registration form."
    ) % {
        "requested": f"{project.requested_amount:,.2f}",
        "year": project.budget_year,
        "planned": f"{project.plan_for(project.budget_year):,.2f}",
    }


def still_needed(project: Project) -> list[str]:
    """The "still needed before submitting" list the project page and the review page
    both show: ``submission_problems`` while the project can be submitted, else nothing."""
    return submission_problems(project) if project.state in BEFORE_SUBMISSION else []
