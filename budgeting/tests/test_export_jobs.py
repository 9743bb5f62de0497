"""The year's estimate lines exported in the background: queued by a POST, written by
the worker with its progress on the requester's page, downloaded by the requester only."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import User
from audit.models import Event
from budgeting import export_jobs
from budgeting.export_jobs import purge_old_exports, request_lines_export, write_lines_export
from budgeting.models import ExportJob, ExportState
from projects.models import EstimateLine

from .export_helpers import exported_lines, requested_job, rows_of
from .report_fixtures import World, report_world

pytestmark = pytest.mark.django_db

__all__ = ["report_world"]


def _page(client: Client, job: ExportJob, **headers: str) -> Any:
    return client.get(reverse("budgeting:export", args=[job.public_id]), headers=headers)


def test_asking_queues_one_task_and_shows_the_progress_page(
    report_world: World, client: Client, submitter: User
) -> None:
    client.force_login(submitter)
    job = requested_job(client, 2027)
    assert job.state == ExportState.QUEUED
    assert job.requested_by == submitter
    [task] = DBTaskResult.objects.all()
    assert task.task_path == "budgeting.export_jobs.write_lines_export"
    assert task.args_kwargs["args"] == [str(job.public_id)]
    event = Event.objects.get(event_type="budgeting.export.lines")
    assert (event.actor, event.data) == (submitter, {"year": 2027})
    html = _page(client, job).content.decode()
    assert "等待后台处理" in html
    assert 'hx-trigger="every 2s"' in html
    assert reverse("budgeting:export_download", args=[job.public_id]) not in html


def test_asking_again_while_it_runs_gives_the_same_export(
    report_world: World, client: Client, submitter: User
) -> None:
    client.force_login(submitter)
    first = requested_job(client, 2027)
    assert requested_job(client, 2027) == first
    assert DBTaskResult.objects.count() == 1
    assert requested_job(client, 2026) != first  # another year is another export


def test_an_export_that_stopped_moving_is_started_anew(
    report_world: World, client: Client, submitter: User
) -> None:
    client.force_login(submitter)
    first = requested_job(client, 2027)
    later = timezone.now() + export_jobs.STALLED_AFTER + timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        html = _page(client, first).content.decode()
        assert "导出已中断" in html
        assert "hx-trigger" not in html  # nothing left to poll
        second = requested_job(client, 2027)
    assert second != first
    assert DBTaskResult.objects.count() == 2


def test_the_worker_writes_the_users_lines_and_the_page_offers_the_download(
    report_world: World, client: Client, submitter: User
) -> None:
    client.force_login(submitter)
    rows = rows_of(exported_lines(client, 2027))
    edu_lines = EstimateLine.objects.filter(project__organization__code="EDU")
    assert len(rows) - 1 == edu_lines.count() > 0
    assert {row[2] for row in rows[1:]} == {"省教育厅"}  # never HEALTH's
    job = ExportJob.objects.get()
    assert (job.state, job.rows_done, job.rows_total) == ("done", len(rows) - 1, len(rows) - 1)
    assert job.percent == 100
    html = _page(client, job).content.decode()
    assert reverse("budgeting:export_download", args=[job.public_id]) in html
    assert "hx-trigger" not in html


def test_the_workbook_is_in_the_language_it_was_asked_in(
    report_world: World, client: Client, submitter: User
) -> None:
    client.force_login(submitter)
    client.cookies["django_language"] = "en"
    rows = rows_of(exported_lines(client, 2027))
    assert rows[0][:2] == ("Project code", "Project name")
    assert "Approved" in {row[3] for row in rows[1:]}


def test_progress_is_written_as_the_rows_go(
    report_world: World, client: Client, submitter: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export_jobs, "PROGRESS_STEP", 1)
    client.force_login(submitter)
    job = requested_job(client, 2027)
    seen: list[int] = []

    def rows_so_far(rows: Any, target: Any, title: str) -> int:
        seen.extend(ExportJob.objects.get(pk=job.pk).rows_done for _row in rows)
        return len(seen)

    monkeypatch.setattr(export_jobs.exports, "write_lines", rows_so_far)
    write_lines_export.call(str(job.public_id))
    total = EstimateLine.objects.filter(project__organization__code="EDU").count()
    # At one row a step, the n-th row is counted before the writer gets it.
    assert seen == list(range(1, total + 1))


def test_the_page_shows_the_count_and_percent_while_it_runs(
    report_world: World, client: Client, submitter: User
) -> None:
    client.force_login(submitter)
    job = requested_job(client, 2027)
    ExportJob.objects.filter(pk=job.pk).update(state="running", rows_total=200, rows_done=100)
    html = _page(client, job).content.decode()
    assert "已写入 100 行，共 200 行" in html
    assert 'value="47"' in html  # 95 % of the bar for the rows, the rest for packing
    assert _page(client, job, HX_Request="true").status_code == 200


def test_htmx_stops_polling_once_it_is_done(
    report_world: World, client: Client, submitter: User
) -> None:
    client.force_login(submitter)
    job = requested_job(client, 2027)
    write_lines_export.call(str(job.public_id))
    assert _page(client, job, HX_Request="true").status_code == 286
    assert _page(client, job).status_code == 200


def test_nobody_else_sees_the_export_or_its_file(
    report_world: World,
    client: Client,
    submitter: User,
    department_approver: User,
    finance_reviewer: User,
) -> None:
    client.force_login(submitter)
    content = exported_lines(client, 2027)
    job = ExportJob.objects.get()
    urls = [
        reverse("budgeting:export", args=[job.public_id]),
        reverse("budgeting:export_download", args=[job.public_id]),
    ]
    for other in (department_approver, finance_reviewer):  # same unit; sees everything
        client.force_login(other)
        assert [client.get(url).status_code for url in urls] == [404, 404]
    client.logout()
    assert [client.get(url).status_code for url in urls] == [302, 302]
    assert content.startswith(b"PK")


def test_a_get_queues_nothing(report_world: World, client: Client, submitter: User) -> None:
    client.force_login(submitter)
    assert client.get(reverse("budgeting:lines_export"), {"year": "2027"}).status_code == 405
    assert not ExportJob.objects.exists()


def test_no_download_before_it_is_done(
    report_world: World, client: Client, submitter: User
) -> None:
    client.force_login(submitter)
    job = requested_job(client, 2027)
    url = reverse("budgeting:export_download", args=[job.public_id])
    assert client.get(url).status_code == 404


def test_a_failed_export_says_so_and_offers_to_start_again(
    report_world: World, client: Client, submitter: User, settings: Any, tmp_path: Path
) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("the media storage cannot make its folders under a file")
    settings.MEDIA_ROOT = blocked
    client.force_login(submitter)
    job = requested_job(client, 2027)
    write_lines_export.call(str(job.public_id))
    job.refresh_from_db()
    assert job.state == ExportState.FAILED
    assert "Error" in job.error
    assert not job.file
    html = _page(client, job).content.decode()
    assert "无法生成" in html
    assert reverse("budgeting:lines_export") in html
    settings.MEDIA_ROOT = tmp_path / "media"
    again = requested_job(client, 2027)
    assert again != job  # a failed one is never handed back


def test_a_task_delivered_twice_writes_once(
    report_world: World, client: Client, submitter: User
) -> None:
    client.force_login(submitter)
    job = requested_job(client, 2027)
    write_lines_export.call(str(job.public_id))
    job.refresh_from_db()
    first_file = job.file.name
    write_lines_export.call(str(job.public_id))
    job.refresh_from_db()
    assert job.file.name == first_file


def test_exports_older_than_a_day_are_deleted_with_their_files(
    report_world: World, client: Client, submitter: User
) -> None:
    client.force_login(submitter)
    exported_lines(client, 2027)
    old = ExportJob.objects.get()
    path = Path(old.file.path)
    assert path.exists()
    assert purge_old_exports() == 0
    assert purge_old_exports(timezone.now() + export_jobs.KEEP + timedelta(minutes=1)) == 1
    assert not path.exists()
    assert not ExportJob.objects.exists()


def test_the_summary_page_asks_for_the_export_with_a_post(
    report_world: World, client: Client, submitter: User
) -> None:
    client.force_login(submitter)
    html = client.get(reverse("budgeting:summary"), {"year": "2027"}).content.decode()
    assert f'<form method="post" action="{reverse("budgeting:lines_export")}"' in html
    assert '<input type="hidden" name="year" value="2027">' in html


@pytest.mark.django_db(transaction=True)
def test_the_database_worker_runs_the_export_end_to_end(
    report_world: World, client: Client, submitter: User
) -> None:
    """Through the real queue: committed request, `manage.py db_worker`, download."""
    client.force_login(submitter)
    job = requested_job(client, 2027)
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    job.refresh_from_db()
    assert job.state == ExportState.DONE
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    response = client.get(reverse("budgeting:export_download", args=[job.public_id]))
    rows = rows_of(response.getvalue())
    assert len(rows) - 1 == job.rows_total
    assert job.rows_total


def test_the_service_reuses_only_the_same_users_export(
    report_world: World, submitter: User, department_approver: User
) -> None:
    mine = request_lines_export(user=submitter, year=2027, language="zh-hans")
    theirs = request_lines_export(user=department_approver, year=2027, language="zh-hans")
    assert mine != theirs
    english = request_lines_export(user=submitter, year=2027, language="en")
    assert english != mine
