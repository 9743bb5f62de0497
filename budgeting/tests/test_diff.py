"""The resubmission diff: the pure comparison, the snapshot a return keeps, and the
review page that shows it."""

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from audit.models import Event
from budgeting import diff, services
from budgeting.diff import ChangeKind
from budgeting.tests.workflow_fixtures import add_line
from projects import services as project_services
from projects.models import Project
from projects.tests.factories import register
from standards.demo import PROVINCE_CODE
from standards.models import ServiceItem
from tests.helpers import seed_standards


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _line(line_id: int, name: str, amount: str, item: str = "", **inputs: str) -> dict[str, Any]:
    return {
        "id": line_id,
        "item": item,
        "name": name,
        "grade": "",
        "unit": "项",
        "inputs": inputs,
        "amount": amount,
    }


BEFORE = [
    _line(1, "系统开发", "500000.00", "1.1", ufp="400"),
    _line(2, "等保测评", "100000.00", "5.1", quantity="1"),
    _line(3, "数据迁移", "30000.00", quantity="1", unit_price="30000"),
]


def test_identical_lines_are_unchanged() -> None:
    result = diff.compare(BEFORE, [dict(line) for line in BEFORE])
    assert [change.kind for change in result.changes] == [ChangeKind.UNCHANGED] * 3
    assert result.rows == []
    assert result.total_change == Decimal("0.00")
    assert result.unchanged_count == 3


def test_added_removed_and_changed_lines_with_amounts_and_total() -> None:
    after = [
        _line(1, "系统开发", "400000.00", "1.1", ufp="320"),  # re-priced in place
        _line(2, "等保测评", "100000.00", "5.1", quantity="1"),  # untouched
        _line(9, "运维驻场", "250000.00", "2.1", quantity="1"),  # new
    ]  # line 3 removed
    result = diff.compare(BEFORE, after)
    kinds = {change.record["name"]: change.kind for change in result.changes}
    assert kinds == {
        "系统开发": ChangeKind.CHANGED,
        "等保测评": ChangeKind.UNCHANGED,
        "运维驻场": ChangeKind.ADDED,
        "数据迁移": ChangeKind.REMOVED,
    }
    changed, added, removed = result.rows
    assert (changed.amount_before, changed.amount_after, changed.difference) == (
        Decimal("500000.00"), Decimal("400000.00"), Decimal("-100000.00"),
    )  # fmt: skip
    assert changed.changed == {"inputs", "amount"}
    assert (added.amount_before, added.amount_after, added.difference) == (
        None, Decimal("250000.00"), Decimal("250000.00"),
    )  # fmt: skip
    assert (removed.amount_before, removed.amount_after, removed.difference) == (
        Decimal("30000.00"), None, Decimal("-30000.00"),
    )  # fmt: skip
    assert result.total_before == Decimal("630000.00")
    assert result.total_after == Decimal("750000.00")
    assert result.total_change == Decimal("120000.00")
    assert result.kind_of_line() == {
        1: ChangeKind.CHANGED,
        2: ChangeKind.UNCHANGED,
        9: ChangeKind.ADDED,
    }


def test_a_line_removed_and_added_again_for_the_same_item_is_one_change() -> None:
    after = [
        _line(2, "等保测评", "100000.00", "5.1", quantity="1"),
        _line(3, "数据迁移", "30000.00", quantity="1", unit_price="30000"),
        _line(7, "系统开发", "480000.00", "1.1", ufp="384"),  # new id, same item
    ]
    result = diff.compare(BEFORE, after)
    assert [(c.kind, c.record["name"]) for c in result.rows] == [(ChangeKind.CHANGED, "系统开发")]
    assert result.rows[0].difference == Decimal("-20000.00")


def test_a_change_of_inputs_alone_is_a_change() -> None:
    after = [dict(line) for line in BEFORE]
    after[2] = _line(3, "数据迁移", "30000.00", quantity="2", unit_price="15000")
    (change,) = diff.compare(BEFORE, after).rows
    assert change.changed == {"inputs"}
    assert change.difference == Decimal("0.00")
    assert change.inputs_before == "Quantity used: 1; Unit price (yuan): 30,000.00"
    assert change.inputs_after == "Quantity used: 2; Unit price (yuan): 15,000.00"


def test_everything_removed_and_nothing_before() -> None:
    gone = diff.compare(BEFORE, [])
    assert [c.kind for c in gone.changes] == [ChangeKind.REMOVED] * 3
    assert gone.total_change == Decimal("-630000.00")
    new = diff.compare([], BEFORE)
    assert [c.kind for c in new.changes] == [ChangeKind.ADDED] * 3
    assert new.total_before == Decimal("0.00")


def test_inputs_in_words() -> None:
    assert diff.describe_inputs({"ufp": "400", "reuse": "中", "productivity": ""}) == (
        "Unadjusted function points (UFP): 400; Reuse level: 中"
    )
    assert diff.describe_inputs({"mystery": "x"}) == "mystery: x"


def test_money_inputs_in_words_are_formatted_as_yuan() -> None:
    assert diff.describe_inputs({"unit_price": "86000", "quantity": "1200"}) == (
        "Unit price (yuan): 86,000.00; Quantity used: 1200"
    )
    assert diff.describe_inputs({"one_off_cost": "1234.5", "annual_om": "n/a"}) == (
        "One-off cost (yuan): 1,234.50; Annual O&M (yuan): n/a"
    )


@pytest.mark.django_db
def test_a_saved_workload_line_shows_each_stage_with_its_value(submitter: User) -> None:
    seed_standards()
    project = register(submitter)
    item = ServiceItem.objects.get(standard_set__code=PROVINCE_CODE, code="1.2")
    line = project_services.add_standard_line(
        project, actor=submitter, expected_version=project.version, item=item, grade=None,
        values={"stage:需求设计": "2", "stage:编码": "5", "stage:测试": ""}, justification="",
    )  # fmt: skip
    [record] = diff.snapshot([line])
    assert record["inputs"] == {"stages": {"需求设计": "2", "编码": "5"}}  # as lines keep them
    assert diff.describe_inputs(record["inputs"]) == "需求设计: 2; 编码: 5"


def _pairs(result: diff.LineDiff) -> list[tuple[int | None, int | None]]:
    """The ids of each change's earlier and later line."""
    return [((c.before or {}).get("id"), (c.after or {}).get("id")) for c in result.changes]


def test_lines_of_one_item_and_name_pair_by_grade() -> None:
    before = [
        {**_line(1, "运维驻场", "83900.00", "2.1", quantity="1"), "grade": "L1"},
        {**_line(2, "运维驻场", "125900.00", "2.1", quantity="1"), "grade": "L3"},
    ]
    # Both removed and added again (new ids), the L3 line first.
    after = [{**before[1], "id": 8}, {**before[0], "id": 9}]
    result = diff.compare(before, after)
    assert [change.kind for change in result.changes] == [ChangeKind.UNCHANGED] * 2
    assert _pairs(result) == [(2, 8), (1, 9)]


def test_lines_of_one_key_pair_in_order_around_those_paired_by_id() -> None:
    before = [_line(i, "培训", f"{i}000.00", quantity=str(i)) for i in range(1, 5)]
    # Line 2 kept its id; 1, 3 and 4 were removed and added again in their order.
    after = [before[1], *({**before[i], "id": 10 + i} for i in (0, 2, 3)), _line(20, "培训", "1")]
    result = diff.compare(before, after)
    assert _pairs(result) == [(2, 2), (1, 10), (3, 12), (4, 13), (None, 20)]
    assert result.count(ChangeKind.UNCHANGED) == 4


# The snapshot and the page, on the database.


def _submit(project: Project, clerk: User) -> Project:
    return services.submit(project, actor=clerk, expected_version=project.version)


def _return(project: Project, head: User, **options: Any) -> Project:
    return services.return_for_revision(
        project, actor=head, expected_version=project.version, comment="请压减开发费用", **options
    )


def _revise(project: Project, clerk: User) -> Project:
    """The clerk re-prices the development line lower and adds a migration line."""
    old = project.lines.get(name="系统开发")
    project = project_services.remove_line(
        project, actor=clerk, line_id=old.pk, expected_version=project.version
    )
    project = add_line(project, clerk, "系统开发", "420000")
    return add_line(project, clerk, "数据迁移", "30000")


@pytest.mark.django_db
def test_a_return_keeps_the_lines_in_its_history_event(
    ready_project: Project, submitter: User, department_approver: User
) -> None:
    project = _return(_submit(ready_project, submitter), department_approver)
    event = Event.objects.get(event_type="budgeting.project.return")
    line = project.lines.get()
    assert event.data["lines"] == [
        {
            "id": line.pk,
            "item": "",
            "name": "系统开发",
            "grade": "",
            "unit": "项",
            "inputs": {"quantity": "1", "unit_price": "500000"},
            "amount": "500000.00",
            "non_standard": True,
        }
    ]


@pytest.mark.django_db
def test_a_return_to_the_previous_stage_keeps_no_snapshot(
    ready_project: Project, submitter: User, department_approver: User, data_reviewer: User
) -> None:
    project = _submit(ready_project, submitter)
    project = services.pass_stage(
        project, actor=department_approver, expected_version=project.version
    )
    project = _return(project, data_reviewer, to_previous_stage=True)
    assert "lines" not in Event.objects.get(event_type="budgeting.project.return").data
    assert diff.since_last_return(project, list(project.lines.all())) is None


@pytest.mark.django_db
def test_the_diff_appears_only_after_a_return_and_resubmission(
    ready_project: Project, submitter: User, department_approver: User
) -> None:
    project = _submit(ready_project, submitter)
    assert diff.since_last_return(project, list(project.lines.all())) is None  # never returned
    project = _return(project, department_approver)
    project = _revise(project, submitter)
    assert diff.since_last_return(project, list(project.lines.all())) is None  # still revising
    project = _submit(project, submitter)
    result, event = diff.since_last_return(project, list(project.lines.all()))  # type: ignore[misc]
    assert event.actor == department_approver
    assert [(c.kind, c.record["name"], c.difference) for c in result.rows] == [
        (ChangeKind.CHANGED, "系统开发", Decimal("-80000.00")),
        (ChangeKind.ADDED, "数据迁移", Decimal("30000.00")),
    ]
    assert result.total_change == Decimal("-50000.00")


@pytest.mark.django_db
def test_the_diff_is_against_the_latest_return(
    ready_project: Project, submitter: User, department_approver: User
) -> None:
    project = _return(_submit(ready_project, submitter), department_approver)
    project = _submit(add_line(project, submitter, "数据迁移", "30000"), submitter)
    project = _return(project, department_approver)
    project = _submit(add_line(project, submitter, "培训", "10000"), submitter)
    result, _event = diff.since_last_return(project, list(project.lines.all()))  # type: ignore[misc]
    assert [(c.kind, c.record["name"]) for c in result.rows] == [(ChangeKind.ADDED, "培训")]


@pytest.mark.django_db
def test_review_page_shows_the_diff_to_the_reviewer(
    client: Client, ready_project: Project, submitter: User, department_approver: User
) -> None:
    client.force_login(department_approver)
    client.cookies["django_language"] = "en"
    project = _submit(ready_project, submitter)
    page = client.get(reverse("budgeting:review", args=[project.code]))
    assert page.context["line_diff"] is None
    assert "Changes since the return" not in page.content.decode()

    project = _submit(_revise(_return(project, department_approver), submitter), submitter)
    page = client.get(reverse("budgeting:review", args=[project.code]))
    html = page.content.decode()
    assert "Changes since the return" in html
    assert '<span class="state state--changed">Changed</span>' in html
    assert '<span class="state state--added">Added</span>' in html
    assert "500,000.00" in html and "420,000.00" in html and "-80,000.00" in html
    assert "-50,000.00" in html  # the total change
    assert "Added since the return" in html  # flag on the line in the lines table
    assert "请压减开发费用" in html


@pytest.mark.django_db
def test_review_page_queries_do_not_grow_with_lines(
    client: Client, ready_project: Project, submitter: User, department_approver: User
) -> None:
    client.force_login(department_approver)
    project = _return(_submit(ready_project, submitter), department_approver)
    project = _submit(add_line(project, submitter, "数据迁移", "30000"), submitter)
    url = reverse("budgeting:review", args=[project.code])
    client.get(url)  # warm caches (sessions, content types)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    project = _return(project, department_approver)
    for number in range(6):
        project = add_line(project, submitter, f"新增明细{number}", "1000")
    project = _submit(project, submitter)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url)
    assert len(page.context["line_diff"].rows) == 6
    assert len(many.captured_queries) == len(few.captured_queries)
