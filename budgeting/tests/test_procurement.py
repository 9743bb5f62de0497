"""Single-source procurement approval (issue #17): the justification a submission needs,
finance's batches (each refusal, history per project), the withdrawal when the method or
the supplier changes, and the project's procurement state."""

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation

from accounts.models import Role, User
from audit.models import Event
from budgeting import procurement, services
from budgeting.models import BudgetCycle, ProcurementApproval, ProcurementBatchState
from budgeting.permissions import Standing, refusal
from budgeting.tests.workflow_fixtures import make_ready
from budgeting.workflow import Action, WorkflowError
from projects import procurement as project_procurement
from projects import services as project_services
from projects.errors import ProjectError
from projects.models import ProcurementMethod, Project, ProjectState, SingleSourceReason
from projects.signals import ProcurementStanding
from projects.tests.factories import register

pytestmark = pytest.mark.django_db
BATCH = "2027年第一批 单一来源采购方式"
SUPPLIER = "广东某软件有限公司"
JUSTIFIED: dict[str, Any] = {
    "procurement_method": ProcurementMethod.SINGLE_SOURCE,
    "single_source_reason": SingleSourceReason.CONSISTENCY,
    "single_source_justification": "原系统由该公司开发，需保证一致性。",
    "proposed_supplier": SUPPLIER,
}


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def approved(clerk: User, reviewers: list[User], name: str, **fields: Any) -> Project:
    """A ready project of ``clerk``'s unit, submitted and approved through every stage."""
    project = make_ready(register(clerk, name=name, **{**JUSTIFIED, **fields}), clerk)
    project = services.submit(project, actor=clerk, expected_version=project.version)
    for reviewer in reviewers[:-1]:
        project = services.pass_stage(project, actor=reviewer, expected_version=project.version)
    return services.approve(project, actor=reviewers[-1], expected_version=project.version)


def _standing(project: Project, user: User) -> ProcurementStanding:
    standing = project_procurement.procurement_standing(project, user)
    assert standing is not None
    return standing


def approved_quickly(clerk: User, count: int, start: int = 0) -> list[Project]:
    """Approved single-source projects without walking the review (for list sizes)."""
    projects = [register(clerk, name=f"单一来源项目{start + n}", **JUSTIFIED) for n in range(count)]
    Project.objects.filter(pk__in=[p.pk for p in projects]).update(
        state=ProjectState.APPROVED,
        approved_amount=Decimal("1000000.00"),
        reached_roles=[role.value for role in Role if role != Role.SYSTEM_ADMIN],
    )
    return list(Project.objects.filter(pk__in=[p.pk for p in projects]).order_by("code"))


@pytest.fixture
def reviewers(
    department_approver: User, data_reviewer: User, finance_reviewer: User, finance_approver: User
) -> list[User]:
    return [department_approver, data_reviewer, finance_reviewer, finance_approver]


@pytest.fixture
def single_source(cycle: BudgetCycle, submitter: User, reviewers: list[User]) -> Project:
    return approved(submitter, reviewers, "考试系统升级")


def test_a_single_source_submission_names_each_missing_field(
    cycle: BudgetCycle, submitter: User
) -> None:
    project = make_ready(
        register(submitter, procurement_method=ProcurementMethod.SINGLE_SOURCE), submitter
    )
    refused = refusal(Standing.of(project), submitter, Action.SUBMIT)
    assert refused is not None
    assert "single-source ground" in refused.message
    assert "single-source justification" in refused.message
    assert "proposed supplier" in refused.message
    with pytest.raises(WorkflowError, match="proposed supplier"):
        services.submit(project, actor=submitter, expected_version=project.version)


def test_a_justified_single_source_project_is_submitted(
    cycle: BudgetCycle, submitter: User
) -> None:
    project = make_ready(register(submitter, **JUSTIFIED), submitter)
    assert refusal(Standing.of(project), submitter, Action.SUBMIT) is None


def test_another_method_keeps_no_justification(cycle: BudgetCycle, submitter: User) -> None:
    project = register(submitter, **{**JUSTIFIED, "procurement_method": "public_tender"})
    assert (project.single_source_reason, project.proposed_supplier) == ("", "")


def test_finance_creates_and_approves_a_batch_with_history_per_project(
    single_source: Project, submitter: User, reviewers: list[User], finance_reviewer: User,
    finance_approver: User,
) -> None:  # fmt: skip
    other = approved(submitter, reviewers, "考试系统二期", proposed_supplier="另一公司")
    batch = procurement.create_batch(
        actor=finance_reviewer,
        year=2027,
        name=BATCH,
        document_number="粤财采〔2027〕1号",
        projects=[single_source, other],
    )
    assert batch.state == ProcurementBatchState.DRAFT
    assert procurement.standing_of(single_source).code == "pending"
    assert not procurement.candidates(finance_reviewer, 2027).exists()
    batch = procurement.approve_batch(batch, actor=finance_approver, expected_version=batch.version)
    assert batch.state == ProcurementBatchState.APPROVED
    assert batch.approved_by == finance_approver
    items = ProcurementApproval.objects.filter(batch=batch).order_by("project__code")
    assert [(i.supplier, i.amount) for i in items] == [
        (SUPPLIER, Decimal("500000.00")),
        ("另一公司", Decimal("500000.00")),
    ]
    assert procurement.standing_of(single_source).code == "approved"
    events = Event.objects.filter(
        target_key=single_source.code, event_type__startswith="budgeting.procurement."
    ).order_by("pk")
    assert [e.event_type for e in events] == [
        "budgeting.procurement.added",
        "budgeting.procurement.approved",
    ]
    assert events.last().data["batch"] == BATCH  # type: ignore[union-attr]
    assert Event.objects.filter(
        event_type="budgeting.procurement_batch.approved", actor=finance_approver
    ).exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "  "}, "Name the batch"),
        ({"name": "x" * 101}, "at most 100"),
        ({"name": "第一批\x00"}, "without NUL"),
        ({"document_number": "号" * 101}, "at most 100"),
        ({"projects": []}, "Choose at least one project"),
        ({"year": 2028}, "of budget year 2027"),
    ],
)
def test_create_refusals_write_nothing(
    single_source: Project, finance_reviewer: User, change: dict[str, object], message: str
) -> None:
    arguments: dict = {"year": 2027, "name": BATCH, "projects": [single_source], **change}
    with pytest.raises(WorkflowError, match=message):
        procurement.create_batch(actor=finance_reviewer, **arguments)
    assert not ProcurementApproval.objects.exists()
    assert not Event.objects.filter(event_type__startswith="budgeting.procurement").exists()


def test_only_finance_makes_batches(single_source: Project, submitter: User) -> None:
    with pytest.raises(WorkflowError, match="Only finance"):
        procurement.create_batch(actor=submitter, year=2027, name=BATCH, projects=[single_source])


def test_a_project_not_approved_or_not_single_source_is_refused(
    cycle: BudgetCycle, submitter: User, reviewers: list[User], finance_reviewer: User
) -> None:
    draft = register(submitter, name="草稿", **JUSTIFIED)
    tender = approved(submitter, reviewers, "招标项目", procurement_method="public_tender")
    with pytest.raises(WorkflowError) as refused:
        procurement.create_batch(
            actor=finance_reviewer, year=2027, name=BATCH, projects=[draft, tender]
        )
    assert f"{draft.code} is not approved" in refused.value.message
    assert f"{tender.code} is not procured by single source" in refused.value.message
    closed = approved(submitter, reviewers, "已结项的项目", **JUSTIFIED)
    Project.objects.filter(pk=closed.pk).update(state=ProjectState.CLOSED)
    with pytest.raises(WorkflowError, match=f"{closed.code} is closed"):
        procurement.create_batch(actor=finance_reviewer, year=2027, name=BATCH, projects=[closed])


def test_a_project_in_a_batch_already_and_a_name_used_already_are_refused(
    single_source: Project, finance_reviewer: User
) -> None:
    procurement.create_batch(
        actor=finance_reviewer, year=2027, name=BATCH, projects=[single_source]
    )
    with pytest.raises(WorkflowError, match="exists already"):
        procurement.create_batch(
            actor=finance_reviewer, year=2027, name=BATCH, projects=[single_source]
        )
    with pytest.raises(WorkflowError, match=f"{single_source.code} is in {BATCH} already"):
        procurement.create_batch(
            actor=finance_reviewer, year=2027, name="第二批", projects=[single_source]
        )


def test_approving_twice_or_from_a_stale_page_is_refused(
    single_source: Project, finance_reviewer: User, finance_approver: User
) -> None:
    batch = procurement.create_batch(
        actor=finance_reviewer, year=2027, name=BATCH, projects=[single_source]
    )
    with pytest.raises(WorkflowError, match="Someone changed this batch"):
        procurement.approve_batch(batch, actor=finance_approver, expected_version=0)
    procurement.approve_batch(batch, actor=finance_approver, expected_version=batch.version)
    with pytest.raises(WorkflowError, match="was approved on"):
        procurement.approve_batch(batch, actor=finance_reviewer, expected_version=batch.version)


def test_an_empty_batch_is_not_approved(
    single_source: Project, finance_reviewer: User, finance_approver: User
) -> None:
    batch = procurement.create_batch(
        actor=finance_reviewer, year=2027, name=BATCH, projects=[single_source]
    )
    batch = procurement.remove_projects(
        batch, actor=finance_reviewer, projects=[single_source], expected_version=batch.version
    )
    assert Event.objects.filter(event_type="budgeting.procurement.removed").count() == 1
    with pytest.raises(WorkflowError, match="holds no project"):
        procurement.approve_batch(batch, actor=finance_approver, expected_version=batch.version)
    batch = procurement.add_projects(
        batch, actor=finance_reviewer, projects=[single_source], expected_version=batch.version
    )
    assert procurement.standing_of(single_source).code == "pending"


def test_changing_the_method_withdraws_the_approval_with_an_event(
    single_source: Project, submitter: User, finance_reviewer: User, finance_approver: User
) -> None:
    assert _standing(single_source, submitter).state == ("Not applied for")
    batch = procurement.create_batch(
        actor=finance_reviewer, year=2027, name=BATCH, projects=[single_source]
    )
    procurement.approve_batch(batch, actor=finance_approver, expected_version=batch.version)
    standing = _standing(single_source, submitter)
    assert (standing.state, standing.batch, standing.url) == ("Approved", BATCH, "")
    project = Project.objects.get(pk=single_source.pk)
    project = project_procurement.change_procurement(
        project,
        actor=submitter,
        fields={"procurement_method": "public_tender"},
        expected_version=project.version,
        comment="改为公开招标",
    )
    assert project.proposed_supplier == ""
    assert procurement.standing_of(project).code == "withdrawn"
    assert _standing(project, submitter).state == "Withdrawn"
    changed = Event.objects.get(event_type="projects.procurement.changed")
    assert changed.comment == "改为公开招标"
    assert changed.data["procurement_withdrawn"][0]["batch"] == BATCH
    withdrawn = Event.objects.get(event_type="budgeting.procurement.withdrawn")
    assert withdrawn.target_key == project.code
    assert withdrawn.actor == submitter


def test_changing_the_supplier_withdraws_too_and_the_project_may_join_again(
    single_source: Project, submitter: User, finance_reviewer: User, finance_approver: User
) -> None:
    batch = procurement.create_batch(
        actor=finance_reviewer, year=2027, name=BATCH, projects=[single_source]
    )
    procurement.approve_batch(batch, actor=finance_approver, expected_version=batch.version)
    project = project_procurement.change_procurement(
        Project.objects.get(pk=single_source.pk),
        actor=submitter,
        fields={**JUSTIFIED, "proposed_supplier": "新供应商"},
        expected_version=single_source.version,
        comment="原供应商注销",
    )
    assert procurement.standing_of(project).code == "withdrawn"
    assert list(procurement.candidates(finance_reviewer, 2027)) == [project]
    procurement.create_batch(actor=finance_reviewer, year=2027, name="第二批", projects=[project])
    assert procurement.standing_of(project).code == "pending"


@pytest.mark.parametrize(
    ("fields", "comment", "message"),
    [
        (JUSTIFIED, "理由", "Nothing changed"),
        ({**JUSTIFIED, "proposed_supplier": "新"}, " ", "Give the reason"),
        ({**JUSTIFIED, "proposed_supplier": ""}, "理由", "name the proposed supplier"),
    ],
)
def test_change_refusals(
    single_source: Project, submitter: User, fields: dict, comment: str, message: str
) -> None:
    with pytest.raises(ProjectError, match=message):
        project_procurement.change_procurement(
            single_source,
            actor=submitter,
            fields=fields,
            expected_version=single_source.version,
            comment=comment,
        )


def test_only_the_units_submitters_change_an_approved_projects_procurement(
    single_source: Project, outsider: User, finance_reviewer: User
) -> None:
    for person in (outsider, finance_reviewer):
        with pytest.raises(ProjectError, match="Only the unit's submitters"):
            project_procurement.change_procurement(
                single_source,
                actor=person,
                fields={"procurement_method": "public_tender"},
                expected_version=single_source.version,
                comment="x",
            )


def test_a_finance_user_sees_the_batch_as_a_link(
    single_source: Project, finance_reviewer: User
) -> None:
    batch = procurement.create_batch(
        actor=finance_reviewer, year=2027, name=BATCH, projects=[single_source]
    )
    standing = _standing(single_source, finance_reviewer)
    assert standing.state == "Awaiting approval"
    assert str(batch.public_id) in standing.url


def test_an_edit_of_the_supplier_on_the_project_form_withdraws_too(
    cycle: BudgetCycle, submitter: User, finance_reviewer: User
) -> None:
    """Whatever way a project in a batch becomes editable again (a later flow may make
    one so), saving the form with another supplier withdraws its approval."""
    (project,) = approved_quickly(submitter, 1)
    procurement.create_batch(actor=finance_reviewer, year=2027, name=BATCH, projects=[project])
    Project.objects.filter(pk=project.pk).update(state=ProjectState.DRAFT)
    project = Project.objects.get(pk=project.pk)
    fields = {name: getattr(project, name) for name in project_services.PROJECT_FIELDS}
    project_services.update_project(
        project,
        actor=submitter,
        fields={**fields, "proposed_supplier": "新供应商"},
        plan={2027: Decimal("1.00")},
        expected_version=project.version,
    )
    assert procurement.standing_of(project).code == "withdrawn"
    changed = Event.objects.get(event_type="projects.project.changed")
    assert changed.data["procurement_withdrawn"][0]["batch"] == BATCH
