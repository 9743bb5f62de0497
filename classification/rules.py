"""The rule finance review applies (issue #20): a project passes or is approved by
finance only with a code from each list of its budget year, once admins have imported
that year's lists. Before the lists of a year exist there is nothing to choose from,
so the rule waits for them (years before the codes keep working as they did).

``budgeting.permissions`` calls ``missing_codes_to_pass`` where it decides what an
action still lacks, so the refusal, the hidden button and the service agree.
"""

from typing import Any

from django.utils.translation import gettext as _

from accounts.models import Role
from classification.models import ClassificationCode, CodeKind

FINANCE_ROLES = frozenset({Role.FINANCE_REVIEWER, Role.FINANCE_APPROVER})

# Project field carrying each list's code.
PROJECT_CODE_FIELDS = {
    CodeKind.FUNCTIONAL: "functional_code",
    CodeKind.ECONOMIC_GOVERNMENT: "economic_government_code",
    CodeKind.ECONOMIC_DEPARTMENT: "economic_department_code",
    CodeKind.FUND_TYPE: "fund_type_code",
    CodeKind.FUND_SOURCE: "fund_source_code",
}

# The name of each list in the project list's filters and the summary's dimensions
# (?functional=2010150), and the filter value of the projects without a code of it
# (a code has letters and digits alone, so it is none).
CODE_PARAMETERS = {
    "functional": CodeKind.FUNCTIONAL,
    "economic_government": CodeKind.ECONOMIC_GOVERNMENT,
    "economic_department": CodeKind.ECONOMIC_DEPARTMENT,
    "fund_type": CodeKind.FUND_TYPE,
    "fund_source": CodeKind.FUND_SOURCE,
}
NO_CODE = "-"


def missing_codes(project: Any, year: int) -> list[str]:
    """The names of the lists of ``year`` the project has no code from (one query)."""
    lists = set(
        ClassificationCode.objects.filter(year=year).values_list("kind", flat=True).distinct()
    )
    return [
        str(kind.label)
        for kind, field in PROJECT_CODE_FIELDS.items()
        if kind in lists and getattr(project, f"{field}_id", None) is None
    ]


def missing_codes_to_pass(project: Any, role: str, passing: bool) -> list[str]:
    """Why a reviewer of ``role`` may not pass (or approve, ``passing``) the project
    yet: the code lists of its year it lacks, as one reason. Nothing for the other
    bodies' stages, nor for a return or a rejection."""
    if not passing or role not in FINANCE_ROLES:
        return []
    missing = missing_codes(project, project.budget_year)
    if not missing:
        return []
    return [
        _("Choose the project's classification codes before finance passes it: %(lists)s.")
        % {"lists": "、".join(missing)}
    ]
