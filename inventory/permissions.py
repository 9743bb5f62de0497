"""Who may run the inventory survey, fill a unit's inventory and read it.

The data administration's reviewers and finance (reviewers and the approver)
open surveys, follow their progress, return or accept a unit's answer, and read
every unit's inventory; a unit's submitters and department approver fill its
own (a primary unit's staff their secondary units' too, as with projects).
"""

from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import Organization, Role, User
from accounts.permissions import (
    AnyUser,
    administered_scope,
    can_approve_for_unit,
    can_submit_for_unit,
    department_scope,
    has_role,
    is_system_admin,
    jurisdiction_scope,
    sees_all_units,
)
from inventory.models import SurveyCampaign, UnitSurvey

SURVEY_RUNNERS = frozenset({Role.DATA_REVIEWER, Role.FINANCE_REVIEWER, Role.FINANCE_APPROVER})


def can_run_surveys(user: AnyUser) -> bool:
    """Data-administration reviewers and finance open surveys, follow them, remind,
    return and accept."""
    return any(has_role(user, role) for role in SURVEY_RUNNERS)


def can_fill_survey(user: AnyUser, survey: UnitSurvey) -> bool:
    """The unit's submitters and department approver fill and submit its inventory
    (the state decides whether it may change now: ``UnitSurvey.is_editable``)."""
    unit = survey.organization
    return can_submit_for_unit(user, unit) or can_approve_for_unit(user, unit)


def surveys_visible_to(user: AnyUser) -> QuerySet[UnitSurvey]:
    """Every unit's survey for reviewers, finance and admins; else the user's unit's
    (and, in a primary unit, its secondary units')."""
    surveys = UnitSurvey.objects.select_related("campaign", "organization")
    if is_system_admin(user):
        return surveys.filter(administered_scope(user, "organization"))
    if sees_all_units(user):  # the reviewing bodies: their own jurisdiction's units
        return surveys.filter(jurisdiction_scope(user, "organization"))
    return surveys.filter(department_scope(user, "organization"))


def get_survey_for_user(user: AnyUser, public_id: UUID) -> UnitSurvey:
    """The survey if the user may see it, else 404 (never a hint that it exists)."""
    survey = surveys_visible_to(user).filter(public_id=public_id).first()
    if survey is None:
        raise Http404
    return survey


def campaigns_visible_to(user: AnyUser) -> QuerySet[SurveyCampaign]:
    """The campaigns of the user's own jurisdiction (issue #18): each jurisdiction runs
    its own, and its lists, pages, counts and baselines show only those."""
    return SurveyCampaign.objects.filter(jurisdiction_scope(user, ""))


def get_campaign_for_runner(user: AnyUser, public_id: UUID) -> SurveyCampaign:
    """A campaign's progress page is the survey runners' (``can_run_surveys``): 404 for
    a campaign that does not exist or is another jurisdiction's; the view answers 403 to
    anyone else."""
    campaign = campaigns_visible_to(user).filter(public_id=public_id).first()
    if campaign is None:
        raise Http404
    return campaign


def fillers_of(unit_ids: list[int]) -> dict[int, set[str]]:
    """The e-mail addresses of the active submitters and department approvers of each
    unit (the people ``can_fill_survey`` lets fill it), by unit id, in one query.
    A secondary unit's own staff; its primary unit's approver hears of it too."""
    wanted = [Role.SUBMITTER, Role.DEPARTMENT_APPROVER]
    units = dict(Organization.objects.filter(pk__in=unit_ids).values_list("pk", "parent_id"))
    people = User.objects.filter(is_active=True, roles__overlap=wanted).exclude(email="")
    people = people.filter(organization_id__in={*units, *filter(None, units.values())})
    addresses: dict[int, set[str]] = {}
    for organization_id, email, roles in people.values_list("organization_id", "email", "roles"):
        for unit, parent in units.items():
            if organization_id == unit or (
                organization_id == parent and Role.DEPARTMENT_APPROVER in roles
            ):
                addresses.setdefault(unit, set()).add(email)
    return addresses
