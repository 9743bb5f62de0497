from collections.abc import Iterator

import pytest
from django.core import mail
from django.db import transaction
from django.utils import translation
from django_tasks_db.models import DBTaskResult

from accounts.models import User
from audit.models import Event
from budgeting import services
from budgeting.models import ApprovalBatch, BudgetCycle, Review
from budgeting.tests.workflow_fixtures import make_ready
from budgeting.workflow import WorkflowError
from projects.models import Project, ProjectState
from projects.tests.factories import register

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _at_final_stage(project: Project, reviewers: list[User]) -> Project:
    clerk = project.created_by
    project = services.submit(project, actor=clerk, expected_version=project.version)
    for reviewer in reviewers:
        project = services.pass_stage(project, actor=reviewer, expected_version=project.version)
    return project


@pytest.fixture
def reviewers(department_approver: User, data_reviewer: User, finance_reviewer: User) -> list[User]:
    return [department_approver, data_reviewer, finance_reviewer]


def test_batch_approves_every_project_in_one_go(
    cycle: BudgetCycle, submitter: User, reviewers: list[User], finance_approver: User
) -> None:
    projects = [
        _at_final_stage(make_ready(register(submitter, name=f"项目{n}"), submitter), reviewers)
        for n in range(3)
    ]
    batch = services.approve_batch(
        projects,
        actor=finance_approver,
        name="2027年第一批",
        versions={p.pk: p.version for p in projects},
    )
    assert Review.objects.filter(batch=batch).count() == 3
    assert set(Project.objects.values_list("state", flat=True)) == {ProjectState.APPROVED}
    assert Event.objects.filter(event_type="budgeting.batch.approved").count() == 1


def test_batch_is_all_or_nothing(
    cycle: BudgetCycle, submitter: User, reviewers: list[User], finance_approver: User
) -> None:
    ready = _at_final_stage(make_ready(register(submitter, name="可批复"), submitter), reviewers)
    early = make_ready(register(submitter, name="仍在部门审核"), submitter)
    early = services.submit(early, actor=submitter, expected_version=early.version)
    with pytest.raises(WorkflowError) as refused:
        services.approve_batch(
            [ready, early],
            actor=finance_approver,
            name="第一批",
            versions={ready.pk: ready.version, early.pk: early.version},
        )
    assert early.code in refused.value.message
    assert not ApprovalBatch.objects.exists()
    ready.refresh_from_db()
    assert ready.state == ProjectState.IN_REVIEW
    assert not Event.objects.filter(event_type="budgeting.project.approve").exists()


def test_batch_needs_a_name_and_projects(cycle: BudgetCycle, finance_approver: User) -> None:
    with pytest.raises(WorkflowError, match="Name the batch"):
        services.approve_batch([], actor=finance_approver, name=" ", versions={})
    with pytest.raises(WorkflowError, match="at least one project"):
        services.approve_batch([], actor=finance_approver, name="第一批", versions={})


def _mail_the_worker_sends() -> list[mail.EmailMessage]:
    """Run the queued mail tasks as the worker does; what they sent."""
    for queued in DBTaskResult.objects.filter(task_path=MAIL_TASK, status="READY"):
        queued.task.call(*queued.args_kwargs["args"], **queued.args_kwargs["kwargs"])
    return list(mail.outbox)


MAIL_TASK = "budgeting.notifications.send_notification"


def test_next_stage_hears_of_a_submission_through_the_worker(
    cycle: BudgetCycle, submitter: User, department_approver: User
) -> None:
    department_approver.email = "head@edu.example.gov.cn"
    department_approver.save(update_fields=["email"])
    project = make_ready(register(submitter), submitter)
    services.submit(project, actor=submitter, expected_version=project.version)
    assert mail.outbox == []  # the action sends nothing itself
    [message] = _mail_the_worker_sends()
    assert message.to == ["head@edu.example.gov.cn"]
    assert project.code in message.subject


def test_submitter_hears_of_a_return_with_the_reason(
    cycle: BudgetCycle, submitter: User, department_approver: User
) -> None:
    submitter.email = "clerk@edu.example.gov.cn"
    submitter.save(update_fields=["email"])
    project = make_ready(register(submitter), submitter)
    project = services.submit(project, actor=submitter, expected_version=project.version)
    services.return_for_revision(
        project, actor=department_approver, expected_version=project.version, comment="请补充"
    )
    sent = _mail_the_worker_sends()
    assert [message.to for message in sent] == [["clerk@edu.example.gov.cn"]]
    assert "请补充" in sent[0].body


def test_no_mail_for_a_refused_action(
    cycle: BudgetCycle, submitter: User, department_approver: User
) -> None:
    department_approver.email = "head@edu.example.gov.cn"
    department_approver.save(update_fields=["email"])
    project = register(submitter)  # not ready: submission is refused
    with pytest.raises(WorkflowError):
        services.submit(project, actor=submitter, expected_version=project.version)
    assert not DBTaskResult.objects.exists()
    assert _mail_the_worker_sends() == []


def test_the_mail_exists_only_if_the_action_committed(
    cycle: BudgetCycle, submitter: User, department_approver: User
) -> None:
    """Queued in the action's transaction: rolled back with it, never sent for nothing."""
    department_approver.email = "head@edu.example.gov.cn"
    department_approver.save(update_fields=["email"])
    project = make_ready(register(submitter), submitter)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.submit(project, actor=submitter, expected_version=project.version)
        assert DBTaskResult.objects.filter(task_path=MAIL_TASK).count() == 1
        raise RuntimeError("something after the action failed: all of it is undone")
    assert not DBTaskResult.objects.exists()
    assert _mail_the_worker_sends() == []


def test_batch_pages_are_for_the_finance_approver_only(
    client,
    cycle: BudgetCycle,
    submitter: User,
    reviewers: list[User],
    finance_approver: User,
    finance_reviewer: User,
) -> None:
    import io

    from django.urls import reverse
    from openpyxl import load_workbook

    project = _at_final_stage(make_ready(register(submitter), submitter), reviewers)
    for person in (submitter, finance_reviewer):
        client.force_login(person)
        assert client.get(reverse("budgeting:batches")).status_code == 403
    client.force_login(finance_approver)
    response = client.post(
        reverse("budgeting:batches"),
        {
            "name": "2027年第一批",
            "project": [project.code],
            f"version-{project.code}": str(project.version),
            "step": "confirm",
        },
    )
    batch = ApprovalBatch.objects.get()
    assert response["Location"] == reverse("budgeting:batch", args=[batch.public_id])
    page = client.get(response["Location"])
    assert page.context["unit_count"] == 1
    sheet = load_workbook(
        io.BytesIO(client.get(reverse("budgeting:batch_export", args=[batch.public_id])).content)
    ).active
    # The approval sheet: five facts, an empty row, the header, then the projects (code in B).
    codes = [row[1] for row in sheet.iter_rows(min_row=8, values_only=True) if row[1]]
    assert codes == [project.code]
    client.force_login(finance_reviewer)
    assert client.get(reverse("budgeting:batch", args=[batch.public_id])).status_code == 403


def test_a_batch_named_as_excel_forbids_for_a_sheet_still_exports(
    client,
    cycle: BudgetCycle,
    submitter: User,
    reviewers: list[User],
    finance_approver: User,
) -> None:
    import io

    from django.urls import reverse
    from openpyxl import load_workbook

    # / * ? : [ ] and longer than Excel's 31 characters: openpyxl refused it (HTTP 500).
    name = "2027年第一批/补充: [单一来源] *紧急?* 省政务服务数据管理局审核通过项目"
    project = _at_final_stage(make_ready(register(submitter), submitter), reviewers)
    batch = services.approve_batch(
        [project], actor=finance_approver, name=name, versions={project.pk: project.version}
    )
    client.force_login(finance_approver)
    response = client.get(reverse("budgeting:batch_export", args=[batch.public_id]))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["2027年第一批_补充_ _单一来源_ _紧急__ 省政务服务"]
    assert len(book.sheetnames[0]) == 31
    codes = [row[1] for row in book.active.iter_rows(min_row=8, values_only=True) if row[1]]
    assert codes == [project.code]
