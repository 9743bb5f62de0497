"""Who may see an export: the user who asked for it, nobody else (not even an admin:
the file holds what the requester's own scope let them see)."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Role
from accounts.permissions import (
    AnyUser,
    active_user,
    administers_province,
    is_provincial_finance,
)
from reports.models import ExportJob


def exports_visible_to(user: AnyUser) -> QuerySet[ExportJob]:
    """The user's own exports; scope every export lookup with it."""
    member = active_user(user)
    if member is None:
        return ExportJob.objects.none()
    return ExportJob.objects.filter(requested_by=member)


def get_export_for_user(user: AnyUser, public_id: str) -> ExportJob:
    """The export with this public id if it is the user's own; anybody else's is as good
    as missing (404)."""
    return get_object_or_404(exports_visible_to(user), public_id=public_id)


def can_read_province(user: AnyUser) -> bool:
    """The roll-up across jurisdictions (``/reports/province/``) is provincial finance's
    (and the province's system admins): a city's finance or admin sees its own city, never
    its neighbours'."""
    return is_provincial_finance(user) or administers_province(user)


def can_see_derivations(user: AnyUser) -> bool:
    """The derivation report (标准派生对比) is the finance department's and the admins'."""
    member = active_user(user)
    return member is not None and bool(
        {Role.FINANCE_REVIEWER, Role.FINANCE_APPROVER, Role.SYSTEM_ADMIN} & set(member.roles)
    )
