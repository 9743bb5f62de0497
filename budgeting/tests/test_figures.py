"""Control figures before and at their issue: the base per unit, what-if drafts, the
issue (下达) with its history, its mail and its refusals."""

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.utils import translation
from django_tasks_db.models import DBTaskResult

from accounts.models import Organization, Role, User
from accounts.tests.factories import UserFactory
from audit.models import Event
from budgeting import enforcement, figures, services
from budgeting.models import BudgetCycle, ControlFigure, FigureDraft, RoundResult
from budgeting.permissions import available_actions, control_figure_units
from budgeting.tests.figure_helpers import reviewed_in_first_round
from budgeting.tests.workflow_fixtures import advance, two_round_year
from budgeting.workflow import Action, WorkflowError
from projects.models import Project, ProjectKind, ProjectState
from projects.tests.factories import register

pytestmark = pytest.mark.django_db
MAIL_TASK = "budgeting.notifications.send_notification"


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def year() -> BudgetCycle:
    return two_round_year()


@pytest.fixture
def reviewers(department_approver: User, data_reviewer: User, finance_reviewer: User) -> list[User]:
    return [department_approver, data_reviewer, finance_reviewer]


@pytest.fixture
def exam_clerk(exam_authority: Organization) -> User:
    return UserFactory.create(
        username="exam_clerk", organization=exam_authority, roles=[Role.SUBMITTER]
    )


@pytest.fixture
def first_round(
    year: BudgetCycle,
    submitter: User,
    exam_clerk: User,
    reviewers: list[User],
    health: Organization,
    outsider: User,
) -> dict[str, Project]:
    """一上 of EDU: a construction request cut to 400,000, an operation request kept at
    500,000, and one of its secondary unit EDUEXAM kept at 500,000; HEALTH asks nothing."""
    return {
        "build": reviewed_in_first_round(submitter, reviewers, "教育建设项目", cut_to="400000"),
        "run": reviewed_in_first_round(
            submitter, reviewers, "教育运维项目", kind=ProjectKind.OPERATION
        ),
        "exam": reviewed_in_first_round(exam_clerk, reviewers, "考试院建设项目"),
    }


def _units(user: User) -> list[Organization]:
    return list(control_figure_units(user).order_by("code"))


def _basis(year: BudgetCycle, finance_reviewer: User) -> dict[str, figures.UnitBasis]:
    basis = figures.load_basis(year, _units(finance_reviewer))
    return {row.unit.code: row for row in basis.units}


def test_the_base_counts_the_first_round_of_a_unit_and_its_secondary_units(
    year: BudgetCycle, first_round: dict[str, Project], finance_reviewer: User, submitter: User
) -> None:
    # A draft and a request of last year approved at 800,000 are not of this round.
    register(submitter, name="未报送项目")
    last_year = register(submitter, name="去年项目", budget_year=2026)
    Project.objects.filter(pk=last_year.pk).update(
        state=ProjectState.APPROVED, approved_amount=Decimal("800000")
    )
    rows = _basis(year, finance_reviewer)
    assert set(rows) == {"EDU", "HEALTH"}
    edu = rows["EDU"]
    assert edu.requested == Decimal("1500000.00")
    assert edu.reviewed == Decimal("1400000.00")
    assert edu.reviewed_operation == Decimal("500000.00")
    assert edu.reviewed_construction == Decimal("900000.00")
    assert edu.last_year == Decimal("800000.00")
    assert sorted(p.name for p in edu.projects) == [
        "教育建设项目",
        "教育运维项目",
        "考试院建设项目",
    ]
    assert rows["HEALTH"].requested == rows["HEALTH"].reviewed == Decimal("0")


def test_once_the_round_ended_its_recorded_figures_are_the_base(
    year: BudgetCycle, first_round: dict[str, Project], finance_reviewer: User
) -> None:
    advance(year, finance_reviewer)  # 一下
    advance(year, finance_reviewer)  # 二上: the figures of 一上 are recorded
    assert RoundResult.objects.count() == 3
    # Revising in 二上 changes the live request, not the base.
    Project.objects.filter(pk=first_round["build"].pk).update(requested_amount=Decimal("1"))
    basis = figures.load_basis(year, _units(finance_reviewer))
    assert basis.recorded
    edu = next(row for row in basis.units if row.unit.code == "EDU")
    assert (edu.requested, edu.reviewed) == (Decimal("1500000.00"), Decimal("1400000.00"))


def _draft(year: BudgetCycle, actor: User, **fields: object) -> FigureDraft:
    return figures.create_draft(year, actor=actor, name=str(fields.pop("name", "方案")), **fields)  # type: ignore[arg-type]


def _change(draft: FigureDraft, actor: User, *, version: int, **fields: Any) -> FigureDraft:
    """Change ``draft`` as ``actor`` who saw ``version``: its fields as they are, but
    for ``fields``; the units a figure may be fixed for: every primary unit."""
    values = {
        "name": draft.name,
        "change_percent": draft.change_percent,
        "keep_operation_whole": draft.keep_operation_whole,
        "fixed": {},
        **fields,
    }
    return figures.change_draft(
        draft, actor=actor, expected_version=version, units=_units(actor), **values
    )


def test_a_cut_of_ten_percent_with_operation_kept_whole(
    year: BudgetCycle, first_round: dict[str, Project], finance_reviewer: User
) -> None:
    draft = _draft(year, finance_reviewer, change_percent=Decimal("-10"), keep_operation_whole=True)
    basis = figures.load_basis(year, _units(finance_reviewer))
    edu = next(p for p in figures.propose(basis, draft) if p.basis.unit.code == "EDU")
    assert (edu.construction, edu.operation) == (Decimal("810000.00"), Decimal("500000.00"))
    assert edu.amount == Decimal("1310000.00")
    assert edu.change == Decimal("-90000.00")
    assert edu.change_vs_requested == Decimal("-190000.00")
    shares = {share.project.name: share.change for share in edu.shares}
    # The construction projects carry the cut in proportion (400,000 : 500,000).
    assert shares == {
        "教育建设项目": Decimal("-40000.00"),
        "教育运维项目": Decimal("0.00"),
        "考试院建设项目": Decimal("-50000.00"),
    }


def test_a_cut_over_everything_and_a_fixed_unit(
    year: BudgetCycle, first_round: dict[str, Project], finance_reviewer: User
) -> None:
    draft = _draft(year, finance_reviewer, change_percent=Decimal("-10"))
    units = _units(finance_reviewer)
    draft = _change(
        draft,
        finance_reviewer,
        version=draft.version,
        change_percent=Decimal("-10"),
        keep_operation_whole=False,
        fixed={"HEALTH": Decimal("300000")},
    )
    proposals = {
        p.basis.unit.code: p for p in figures.propose(figures.load_basis(year, units), draft)
    }
    assert proposals["EDU"].amount == Decimal("1260000.00")
    assert proposals["EDU"].construction is None
    assert sum(s.change for s in proposals["EDU"].shares) == Decimal("-140000.00")
    assert proposals["HEALTH"].fixed and proposals["HEALTH"].amount == Decimal("300000.00")
    assert draft.version == 2
    event = Event.objects.get(event_type="budgeting.figure_draft.changed")
    assert event.data["fixed"] == [{}, {"HEALTH": "300000.00"}]


def test_a_stale_draft_edit_is_refused_and_changes_nothing(
    year: BudgetCycle, finance_reviewer: User, finance_approver: User
) -> None:
    draft = _draft(year, finance_reviewer)
    seen = draft.version
    _change(
        draft,
        finance_approver,
        version=seen,
        name="方案A",
        change_percent=Decimal("-5"),
        keep_operation_whole=False,
    )
    with pytest.raises(WorkflowError, match="changed this draft after you opened it"):
        _change(
            draft,
            finance_reviewer,
            version=seen,
            name="方案B",
            change_percent=Decimal("-20"),
            keep_operation_whole=True,
        )
    draft.refresh_from_db()
    assert (draft.name, draft.change_percent) == ("方案A", Decimal("-5.00"))


@pytest.mark.parametrize(
    ("fixed", "refusal"),
    [
        ({"NOPE": Decimal("1")}, "NOPE is no primary budget unit"),
        ({"EDUEXAM": Decimal("1")}, "EDUEXAM is no primary budget unit"),
        ({"EDU": Decimal("-1")}, "cannot be negative"),
        ({"EDU": Decimal("1000000000000")}, "Exceeds the amount limit"),
    ],
)
def test_bad_fixed_figures_are_refused(
    year: BudgetCycle,
    finance_reviewer: User,
    exam_authority: Organization,
    health: Organization,
    fixed: dict[str, Decimal],
    refusal: str,
) -> None:
    draft = _draft(year, finance_reviewer)
    with pytest.raises(WorkflowError, match=refusal):
        _change(
            draft,
            finance_reviewer,
            version=draft.version,
            change_percent=Decimal("0"),
            keep_operation_whole=False,
            fixed=fixed,
        )
    draft.refresh_from_db()
    assert draft.fixed == {} and draft.version == 1


def test_only_finance_drafts(
    year: BudgetCycle, department_approver: User, admin_user: User
) -> None:
    for person in (department_approver, admin_user):
        with pytest.raises(WorkflowError, match="Only finance"):
            _draft(year, person)
    assert not FigureDraft.objects.exists()


def test_draft_names_are_unique_in_a_year(year: BudgetCycle, finance_reviewer: User) -> None:
    _draft(year, finance_reviewer, name="方案")
    with pytest.raises(WorkflowError, match="exists already"):
        _draft(year, finance_reviewer, name=" 方案 ")
    with pytest.raises(WorkflowError, match="between -100"):
        _draft(year, finance_reviewer, name="过大", change_percent=Decimal("1000.01"))


def test_figures_are_issued_only_in_a_round_that_issues_them(
    year: BudgetCycle, first_round: dict[str, Project], finance_reviewer: User
) -> None:
    draft = _draft(year, finance_reviewer)
    with pytest.raises(WorkflowError, match=r"is in 一上\. Nothing was issued"):
        figures.issue_draft(
            draft,
            actor=finance_reviewer,
            expected_version=draft.version,
            seen_issue="",
            units=_units(finance_reviewer),
        )
    assert not ControlFigure.objects.exists()
    draft.refresh_from_db()
    assert draft.issued_at is None


def test_issuing_writes_every_units_figure_one_event_and_the_mail(
    year: BudgetCycle,
    first_round: dict[str, Project],
    finance_reviewer: User,
    department_approver: User,
) -> None:
    department_approver.email = "head@edu.example"
    department_approver.save(update_fields=["email"])
    advance(year, finance_reviewer)  # 一下
    draft = _draft(year, finance_reviewer, change_percent=Decimal("-10"), keep_operation_whole=True)
    DBTaskResult.objects.all().delete()
    events_before = Event.objects.count()
    figures.issue_draft(
        draft,
        actor=finance_reviewer,
        expected_version=draft.version,
        seen_issue="",
        units=_units(finance_reviewer),
    )
    issued = {f.organization.code: f for f in ControlFigure.objects.select_related("organization")}
    assert set(issued) == {"EDU", "HEALTH"}
    edu = issued["EDU"]
    assert (edu.amount, edu.construction_amount, edu.operation_amount) == (
        Decimal("1310000.00"),
        Decimal("810000.00"),
        Decimal("500000.00"),
    )
    assert edu.issued_round is not None and edu.issued_round.code == "1down"
    assert edu.issued_by == finance_reviewer and edu.issued_at is not None
    assert issued["HEALTH"].amount == Decimal("0.00")
    assert Event.objects.count() == events_before + 1
    event = Event.objects.get(event_type="budgeting.control_figures.issued")
    assert event.data["figures"]["EDU"]["amount"] == "1310000.00"
    assert event.data["figures"]["HEALTH"]["before"] is None
    assert event.data["draft"] == draft.name and event.to_state == "1down"
    draft.refresh_from_db()
    assert draft.issued_at == edu.issued_at
    # EDU's approver hears of it through the worker; HEALTH has no approver.
    queued = DBTaskResult.objects.filter(task_path=MAIL_TASK)
    assert queued.count() == 1
    for task in queued:
        task.task.call(*task.args_kwargs["args"], **task.args_kwargs["kwargs"])
    assert [message.to for message in mail.outbox] == [[department_approver.email]]
    assert "1,310,000.00" in mail.outbox[0].body


def test_an_issued_draft_is_not_issued_or_changed_again(
    year: BudgetCycle, first_round: dict[str, Project], finance_reviewer: User
) -> None:
    advance(year, finance_reviewer)
    draft = _draft(year, finance_reviewer)
    units = _units(finance_reviewer)
    figures.issue_draft(
        draft, actor=finance_reviewer, expected_version=1, seen_issue="", units=units
    )
    draft.refresh_from_db()
    token = figures.issue_token(year)
    with pytest.raises(WorkflowError, match="issued already"):
        figures.issue_draft(
            draft,
            actor=finance_reviewer,
            expected_version=draft.version,
            seen_issue=token,
            units=units,
        )
    with pytest.raises(WorkflowError, match="no longer changes"):
        _change(
            draft,
            finance_reviewer,
            version=draft.version,
            name="改名",
            change_percent=Decimal("0"),
            keep_operation_whole=False,
        )
    assert Event.objects.filter(event_type="budgeting.control_figures.issued").count() == 1


def test_an_issue_after_someone_elses_is_told_and_changes_nothing(
    year: BudgetCycle,
    first_round: dict[str, Project],
    finance_reviewer: User,
    finance_approver: User,
) -> None:
    advance(year, finance_reviewer)
    units = _units(finance_reviewer)
    mine = _draft(year, finance_reviewer, name="我的", change_percent=Decimal("-20"))
    theirs = _draft(year, finance_approver, name="他的", change_percent=Decimal("-10"))
    seen = figures.issue_token(year)
    figures.issue_draft(
        theirs, actor=finance_approver, expected_version=1, seen_issue=seen, units=units
    )
    with pytest.raises(WorkflowError, match="Someone issued control figures"):
        figures.issue_draft(
            mine, actor=finance_reviewer, expected_version=1, seen_issue=seen, units=units
        )
    assert ControlFigure.objects.get(organization__code="EDU").amount == Decimal("1260000.00")
    mine.refresh_from_db()
    assert mine.issued_at is None


def test_an_issued_figure_binds_the_second_round(
    year: BudgetCycle,
    first_round: dict[str, Project],
    finance_reviewer: User,
    submitter: User,
) -> None:
    """The issued figure is what enforcement reads in 二上."""
    advance(year, finance_reviewer)
    draft = _draft(year, finance_reviewer, change_percent=Decimal("-50"))
    figures.issue_draft(
        draft,
        actor=finance_reviewer,
        expected_version=1,
        seen_issue="",
        units=_units(finance_reviewer),
    )
    advance(year, finance_reviewer)  # 二上
    build = Project.objects.get(pk=first_round["build"].pk)
    run = Project.objects.get(pk=first_round["run"].pk)
    services.submit(build, actor=submitter, expected_version=build.version)  # 500,000 ≤ 700,000
    second = year.rounds.get(code="2up")
    excess = enforcement.excess_over_figure(run, second)  # 1,000,000 > 700,000
    assert excess is not None
    assert (excess.figure, excess.amount) == (Decimal("700000.00"), Decimal("300000.00"))
    assert Action.SUBMIT not in available_actions(run, submitter)
