"""The demo's cities and county (issue #18), loaded by ``manage.py seed_demo``.

Guangzhou (广州市) and Shenzhen (深圳市) under the province, and Tianhe (天河区) under
Guangzhou, each with its finance department and data administration, one or two
budget units, its people, its own 2027 budget year (one round, open) and a few
projects: some waiting at its own finance review, one at its final approval, some
drafts (none approved: the province's approved set stays the execution demo's and
the API's). So the
demo shows a Guangzhou reviewer Guangzhou's projects only, and provincial finance
the roll-up across them (``/reports/province/``).

Idempotent: a jurisdiction, unit, user, cycle or project that exists (by code,
username, year or name) is left as it is; a project that left the draft state is not
moved again. Jurisdictions are got or created by code, so another part of the demo
making the same ones agrees.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts import services as account_services
from accounts.models import AdministrativeLevel, Jurisdiction, Organization, Role, UnitLevel, User
from budgeting import cycles
from budgeting.demo import submit_and_pass
from budgeting.models import BudgetCycle, CycleState
from projects import demo as demo_projects
from projects.demo import BUDGET_YEAR, DemoProject
from projects.models import ProcurementMethod, Project, ProjectKind, ProjectState

BUILD, RUN = ProjectKind.CONSTRUCTION, ProjectKind.OPERATION
P = ProcurementMethod


@dataclass(frozen=True)
class DemoJurisdiction:
    code: str
    name: str
    level: AdministrativeLevel
    parent: str
    prefix: str  # of its people's usernames: gz_clerk, gz_finance_reviewer, ...
    finance: tuple[str, str]
    data_administration: tuple[str, str]
    units: tuple[tuple[str, str], ...]


JURISDICTIONS = (
    DemoJurisdiction(
        "GD-GZ", "广州市", AdministrativeLevel.CITY, "GD", "gz",
        ("GZCZJ", "广州市财政局"), ("GZZSJ", "广州市政务服务数据管理局"),
        (("GZEDU", "广州市教育局"), ("GZHEALTH", "广州市卫生健康委员会")),
    ),
    DemoJurisdiction(
        "GD-SZ", "深圳市", AdministrativeLevel.CITY, "GD", "sz",
        ("SZCZJ", "深圳市财政局"), ("SZZSJ", "深圳市政务服务数据管理局"),
        (("SZEDU", "深圳市教育局"),),
    ),
    DemoJurisdiction(
        "GD-GZ-TH", "天河区", AdministrativeLevel.COUNTY, "GD-GZ", "th",
        ("THCZJ", "广州市天河区财政局"), ("THZSJ", "广州市天河区政务服务数据管理局"),
        (("THEDU", "广州市天河区教育局"),),
    ),
)  # fmt: skip

# (username suffix, where: "unit" = the first budget unit, "finance", "data"), roles, name
PEOPLE = (
    ("clerk", "unit", (Role.SUBMITTER,), "林", "晓"),
    ("head", "unit", (Role.DEPARTMENT_APPROVER,), "何", "斌"),
    ("data_reviewer", "data", (Role.DATA_REVIEWER,), "梁", "慧"),
    ("finance_reviewer", "finance", (Role.FINANCE_REVIEWER,), "罗", "峰"),
    ("finance_director", "finance", (Role.FINANCE_APPROVER,), "谢", "红"),
    # Manages the jurisdiction's own units, people, standards and years (issue #18).
    ("admin", "data", (Role.SYSTEM_ADMIN,), "陈", "立"),
)


def usernames() -> list[tuple[str, str, tuple[Role, ...]]]:
    """(username, unit code, roles) of every person of the demo's cities and county."""
    found: list[tuple[str, str, tuple[Role, ...]]] = []
    for place in JURISDICTIONS:
        where = {"unit": place.units[0][0], "finance": place.finance[0]}
        where["data"] = place.data_administration[0]
        for suffix, home, roles, _last, _first in PEOPLE:
            found.append((f"{place.prefix}_{suffix}", where[home], roles))
    found += [(username, unit, (Role.SUBMITTER,)) for username, unit in MORE_CLERKS]
    return found


# A clerk of a jurisdiction's second unit: (username, unit code).
MORE_CLERKS = (("gz_health_clerk", "GZHEALTH"),)

# The projects, by jurisdiction prefix, and how far each goes: "draft" stays a draft,
# "finance" waits at its finance review, "department" at its department's review,
# "final" at its final approval (its finance director's).
# fmt: off
PROJECTS = {
    "gz": (
        (DemoProject("gz_clerk", "GZEDU", "广州市智慧教育平台建设", BUILD, True, P.PUBLIC_TENDER, 3_200_000), "finance"),
        (DemoProject("gz_clerk", "GZEDU", "广州市教育城域网运维", RUN, False, P.COMPETITIVE_CONSULTATION, 540_000), "final"),
        (DemoProject("gz_health_clerk", "GZHEALTH", "广州市健康医疗大数据平台建设", BUILD, True, P.PUBLIC_TENDER, 1_800_000), "draft"),
    ),
    "sz": (
        (DemoProject("sz_clerk", "SZEDU", "深圳市智慧教育平台建设", BUILD, True, P.PUBLIC_TENDER, 2_900_000), "finance"),
        (DemoProject("sz_clerk", "SZEDU", "深圳市教育数据中心运维", RUN, False, P.PRICE_INQUIRY, 460_000), "draft"),
    ),
    "th": (
        (DemoProject("th_clerk", "THEDU", "天河区智慧校园建设", BUILD, False, P.PUBLIC_TENDER, 1_200_000), "department"),
        (DemoProject("th_clerk", "THEDU", "天河区教育办公系统运维", RUN, False, P.PRICE_INQUIRY, 260_000), "draft"),
    ),
}
# fmt: on


def seed_jurisdictions(password: str) -> tuple[int, int, int]:
    """Create what is missing; return (jurisdictions, users, projects) created."""
    created_places = created_people = created_projects = 0
    now = timezone.now()
    with transaction.atomic():
        for place in JURISDICTIONS:
            jurisdiction, new = Jurisdiction.objects.get_or_create(
                code=place.code,
                defaults={
                    "name": place.name,
                    "level": place.level,
                    "parent": Jurisdiction.objects.get(code=place.parent),
                },
            )
            created_places += new
            _units(place, jurisdiction)
            if not BudgetCycle.objects.filter(jurisdiction=jurisdiction, year=BUDGET_YEAR).exists():
                cycles.create_cycle(
                    actor=None,
                    year=BUDGET_YEAR,
                    name=f"{BUDGET_YEAR}年度{place.name}部门预算",
                    opens_at=now - timedelta(days=30),
                    closes_at=now + timedelta(days=60),
                    state=CycleState.OPEN,
                    jurisdiction=jurisdiction,
                )
        units = {unit.code: unit for unit in Organization.objects.all()}
        existing = set(User.objects.values_list("username", flat=True))
        for username, unit_code, roles in usernames():
            if username in existing:
                continue
            last, first = next((p[3], p[4]) for p in PEOPLE if username.endswith(p[0]))
            account_services.create_user(
                username=username,
                organization=units[unit_code],
                roles=roles,
                password=password,
                actor=None,
                last_name=last,
                first_name=first,
            )
            created_people += 1
        clerks = {user.username: user for user in User.objects.filter(username__contains="clerk")}
        for projects in PROJECTS.values():
            for demo, goal in projects:
                project, new = demo_projects.ensure_project(
                    demo, BUDGET_YEAR, clerks, units, predecessor=None
                )
                created_projects += new
                if goal != "draft" and project.state == ProjectState.DRAFT:
                    _move(project, goal)
    return created_places, created_people, created_projects


def _units(place: DemoJurisdiction, jurisdiction: Jurisdiction) -> None:
    existing = set(Organization.objects.values_list("code", flat=True))
    bodies = [(place.finance, True, False), (place.data_administration, False, True)]
    for (code, name), finance, data in [*bodies, *((unit, False, False) for unit in place.units)]:
        if code in existing:
            continue
        account_services.save_organization(
            Organization(
                code=code,
                name=name,
                level=UnitLevel.PRIMARY,
                jurisdiction=jurisdiction,
                administrative_level=place.level,
                is_finance_department=finance,
                is_data_administration=data,
            ),
            actor=None,
        )


def _move(project: Project, goal: str) -> None:
    """Submit the project and pass it on up to ``goal``'s stage."""
    project = Project.objects.get(pk=project.pk)  # as its lines left it
    submit_and_pass(project, until=lambda stage: stage.code == goal)
