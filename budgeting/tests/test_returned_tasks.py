"""A project returned for revision is the submitters' task: listed in their tasks with
the latest reason (counted on the home page: reports; announced on the project page:
projects)."""

import datetime
import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import User
from budgeting import services
from budgeting.models import BudgetCycle
from budgeting.review_views import returned_to
from budgeting.tests.workflow_fixtures import make_ready, make_returned
from projects.tests.factories import register

pytestmark = pytest.mark.django_db


def test_my_tasks_list_returned_projects_oldest_first_with_the_latest_reason(
    client: Client,
    cycle: BudgetCycle,
    submitter: User,
    department_approver: User,
    outsider: User,
) -> None:
    first = make_returned(submitter, department_approver, "先退回的项目", "缺少附件")
    second = make_returned(
        submitter, department_approver, "两次退回的项目", "原因一", "请补充测算依据"
    )
    still = make_ready(register(submitter, name="审核中的项目"), submitter)
    services.submit(still, actor=submitter, expected_version=still.version)
    client.force_login(submitter)
    response = client.get(reverse("budgeting:tasks"))
    returned = response.context["returned"]
    assert [p.code for p in returned] == [first.code, second.code]
    assert [p.return_reason for p in returned] == ["缺少附件", "请补充测算依据"]
    page = response.content.decode()
    assert "请补充测算依据" in page and 'id="returned"' in page
    assert "2 个项目已退回您修改" in page
    # Not the reviewer's, nor another unit's submitter's, task.
    assert list(returned_to(department_approver)) == []
    assert list(returned_to(outsider)) == []


def test_returned_tasks_take_the_same_queries_however_many(
    client: Client, cycle: BudgetCycle, submitter: User, department_approver: User
) -> None:
    make_returned(submitter, department_approver, "项目", "原因")
    client.force_login(submitter)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("budgeting:tasks"))
    for number in range(4):
        make_returned(submitter, department_approver, f"项目{number}", "原因", "再次退回")
    with CaptureQueriesContext(connection) as five:
        response = client.get(reverse("budgeting:tasks"))
    assert len(response.context["returned"]) == 5
    assert len(five.captured_queries) == len(one.captured_queries)


def test_my_tasks_export_lists_the_returned_projects_too(
    client: Client, cycle: BudgetCycle, submitter: User, department_approver: User
) -> None:
    returned = make_returned(submitter, department_approver, "退回的项目", "缺少附件")
    client.force_login(submitter)
    client.cookies["django_language"] = "en"
    assert (
        reverse("budgeting:tasks_export") in client.get(reverse("budgeting:tasks")).content.decode()
    )
    response = client.get(reverse("budgeting:tasks_export"))
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert len(rows) == 2
    code, _name, _unit, stage, since, amount = rows[1]
    assert (code, stage, amount) == (returned.code, "Returned for revision", 500000)
    assert isinstance(since, datetime.datetime)
