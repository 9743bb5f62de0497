"""The year's estimate lines exported in the background: queued by a POST, written by
the worker with its progress on the requester's page, downloaded by the requester only."""

import os
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import User
from audit.models import Event
from benchmarks.http_load import database_url, served
from budgeting import cycles
from budgeting.models import BudgetCycle, CycleState
from ops import workers
from projects.models import EstimateLine
from reports import export_jobs
from reports.export_jobs import (
    ExportError,
    purge_old_exports,
    request_lines_export,
    write_lines_export,
)
from reports.models import ExportJob, ExportState
from reports.tests.export_helpers import exported_lines, requested_job, rows_of, run_the_worker
from reports.tests.report_fixtures import World, report_world
from tests.helpers import BASE_DIR, WORKER_SIGNALS, clean_environment

pytestmark = pytest.mark.django_db

__all__ = ["report_world"]


def _page(client: Client, job: ExportJob, **headers: str) -> Any:
    return client.get(reverse("reports:export", args=[job.public_id]), headers=headers)


def _cycle(year: int) -> BudgetCycle:
    now = timezone.now()
    return cycles.create_cycle(
        actor=None,
        year=year,
        name=f"{year}年度部门预算",
        opens_at=now - timedelta(days=400),
        closes_at=now - timedelta(days=300),
        state=CycleState.CLOSED,
    )


def _running(job: ExportJob, **fields: Any) -> None:
    ExportJob.objects.filter(pk=job.pk).update(state=ExportState.RUNNING, **fields)


def test_asking_queues_one_task_and_shows_the_progress_page(
    report_world: World, client: Client, submitter: User
) -> None:
    client.force_login(submitter)
    job = requested_job(client, 2027)
    assert job.state == ExportState.QUEUED
    assert job.requested_by == submitter
    [task] = DBTaskResult.objects.all()
    assert task.task_path == "reports.export_jobs.write_lines_export"
    assert task.args_kwargs["args"] == [str(job.public_id)]
    event = Event.objects.get(event_type="reports.export.lines")
    assert (event.actor, event.data) == (submitter, {"year": 2027})
    html = _page(client, job).content.decode()
    assert '<h2 id="export-state">等待后台处理</h2>' in html
    assert 'hx-trigger="every 2s"' in html
    assert reverse("reports:export_download", args=[job.public_id]) not in html


def test_asking_again_while_it_waits_gives_the_same_export(
    report_world: World, client: Client, submitter: User
) -> None:
    client.force_login(submitter)
    first = requested_job(client, 2027)
    assert requested_job(client, 2027) == first
    assert DBTaskResult.objects.count() == 1
    _cycle(2026)
    assert requested_job(client, 2026) != first  # another year is another export


def test_a_year_without_a_cycle_is_refused_with_a_message(
    report_world: World, client: Client, submitter: User
) -> None:
    client.force_login(submitter)
    response = client.post(reverse("reports:lines_export"), {"year": "2031"})
    assert response["Location"] == f"{reverse('reports:summary')}?year=2031"
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["2031 年没有预算年度。"]
    assert not ExportJob.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_one_user_has_at_most_three_unfinished_exports(
    report_world: World, client: Client, submitter: User
) -> None:
    client.force_login(submitter)
    for year in (2026, 2028, 2029):
        _cycle(year)
    for year in (2026, 2027, 2028):
        requested_job(client, year)
    response = client.post(reverse("reports:lines_export"), {"year": "2029"})
    assert response.status_code == 302
    [message] = get_messages(response.wsgi_request)
    assert "3 个导出" in str(message)
    assert ExportJob.objects.count() == 3
    write_lines_export.call(str(ExportJob.objects.get(year=2026).public_id))
    requested_job(client, 2029)  # one finished: room for another


def test_a_running_export_that_stopped_moving_is_replaced(
    report_world: World, client: Client, submitter: User
) -> None:
    client.force_login(submitter)
    first = requested_job(client, 2027)
    _running(first)
    later = timezone.now() + export_jobs.STALLED_AFTER + timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        response = _page(client, first, HX_Request="true")
        assert response.status_code == 286  # nothing left to poll
        assert "导出已中断" in response.content.decode()
        second = requested_job(client, 2027)
    assert second != first
    first.refresh_from_db()
    assert first.state == ExportState.FAILED
    # Its worker, should it come back, finds it no longer queued and writes nothing.
    write_lines_export.call(str(first.public_id))
    first.refresh_from_db()
    assert (first.state, first.file.name) == (ExportState.FAILED, "")


def test_a_queued_export_waits_however_long_and_says_the_worker_may_be_down(
    report_world: World, client: Client, submitter: User
) -> None:
    client.force_login(submitter)
    job = requested_job(client, 2027)
    assert "manage.py run_worker" not in _page(client, job).content.decode()
    with time_machine.travel(timezone.now() + timedelta(minutes=20), tick=False):
        html = _page(client, job).content.decode()
        assert "manage.py run_worker" in html
        assert 'hx-trigger="every 2s"' in html  # still waiting, not given up
        assert requested_job(client, 2027) == job


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
    assert reverse("reports:export_download", args=[job.public_id]) in html
    assert "hx-trigger" not in html
    assert '<p id="export-announcement" class="visually-hidden" role="status">已生成</p>' in html


def test_the_workbook_is_in_the_language_it_was_asked_in(
    report_world: World, client: Client, submitter: User
) -> None:
    client.force_login(submitter)
    client.cookies["django_language"] = "en"
    rows = rows_of(exported_lines(client, 2027))
    assert rows[0][:2] == ("Project code", "Project name")
    assert "Approved" in {row[3] for row in rows[1:]}


@pytest.mark.django_db(transaction=True)
def test_progress_is_committed_as_the_rows_go(
    report_world: World, client: Client, submitter: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seen from another connection, as the polling page sees it: each count is
    committed before the writer gets the row, not at the end of one transaction."""
    monkeypatch.setattr(export_jobs, "PROGRESS_STEP", 1)
    client.force_login(submitter)
    job = requested_job(client, 2027)
    observer = connections.create_connection("default")
    seen: list[int] = []

    def rows_so_far(rows: Any, target: Any, title: str) -> int:
        with observer.cursor() as cursor:
            for _row in rows:
                sql = "SELECT rows_done FROM budgeting_exportjob WHERE id = %s"
                cursor.execute(sql, [job.pk])
                seen.append(cursor.fetchone()[0])
        return len(seen)

    monkeypatch.setattr(export_jobs.exports, "write_lines", rows_so_far)
    try:
        write_lines_export.call(str(job.public_id))
    finally:
        observer.close()
    total = EstimateLine.objects.filter(project__organization__code="EDU").count()
    assert seen == list(range(1, total + 1))


def test_the_page_shows_the_count_and_percent_while_it_runs(
    report_world: World, client: Client, submitter: User
) -> None:
    client.force_login(submitter)
    job = requested_job(client, 2027)
    _running(job, rows_total=200, rows_done=100)
    html = _page(client, job).content.decode()
    assert "已写入 100 行，共 200 行" in html
    assert 'value="47"' in html  # 95 % of the bar for the rows, the rest for packing


def test_htmx_gets_the_status_block_alone_and_the_messages_wait(
    report_world: World, client: Client, submitter: User
) -> None:
    client.force_login(submitter)
    job = requested_job(client, 2027)
    client.post(reverse("reports:lines_export"), {"year": "2031"})  # leaves a message
    response = _page(client, job, HX_Request="true")
    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    html = response.content.decode()
    assert "<html" not in html
    assert '<progress id="export-progress"' in html
    assert '<p id="export-announcement" hx-swap-oob="innerHTML"></p>' in html
    assert "2031 年没有预算年度。" in _page(client, job).content.decode()  # not used up


def test_htmx_stops_polling_once_it_is_done_and_the_end_is_announced(
    report_world: World, client: Client, submitter: User
) -> None:
    client.force_login(submitter)
    job = requested_job(client, 2027)
    write_lines_export.call(str(job.public_id))
    response = _page(client, job, HX_Request="true")
    assert response.status_code == 286
    assert '<p id="export-announcement" hx-swap-oob="innerHTML">已生成</p>' in (
        response.content.decode()
    )
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
        reverse("reports:export", args=[job.public_id]),
        reverse("reports:export_download", args=[job.public_id]),
    ]
    for other in (department_approver, finance_reviewer):  # same unit; sees everything
        client.force_login(other)
        assert [client.get(url).status_code for url in urls] == [404, 404]
    client.logout()
    assert [client.get(url).status_code for url in urls] == [302, 302]
    assert content.startswith(b"PK")


def test_a_get_queues_nothing(report_world: World, client: Client, submitter: User) -> None:
    client.force_login(submitter)
    assert client.get(reverse("reports:lines_export"), {"year": "2027"}).status_code == 405
    assert not ExportJob.objects.exists()


def test_no_download_before_it_is_done(
    report_world: World, client: Client, submitter: User
) -> None:
    client.force_login(submitter)
    job = requested_job(client, 2027)
    url = reverse("reports:export_download", args=[job.public_id])
    assert client.get(url).status_code == 404


def test_a_failed_export_says_so_fails_its_task_and_offers_to_start_again(
    report_world: World, client: Client, submitter: User, settings: Any, tmp_path: Path
) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("the media storage cannot make its folders under a file")
    settings.MEDIA_ROOT = blocked
    client.force_login(submitter)
    job = requested_job(client, 2027)
    with pytest.raises(OSError):  # the worker records the task as failed, with its traceback
        write_lines_export.call(str(job.public_id))
    job.refresh_from_db()
    assert job.state == ExportState.FAILED
    assert "Error" in job.error
    assert not job.file
    html = _page(client, job).content.decode()
    assert "无法生成" in html
    assert reverse("reports:lines_export") in html
    settings.MEDIA_ROOT = tmp_path / "media"
    again = requested_job(client, 2027)
    assert again != job  # a failed one is never handed back


def test_an_export_replaced_while_it_ran_keeps_no_file(
    report_world: World,
    client: Client,
    submitter: User,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> None:
    client.force_login(submitter)
    job = requested_job(client, 2027)
    write = export_jobs.exports.write_lines

    def replaced_meanwhile(rows: Any, target: Any, title: str) -> int:
        ExportJob.objects.filter(pk=job.pk).update(state=ExportState.FAILED)
        return write(rows, target, title)

    monkeypatch.setattr(export_jobs.exports, "write_lines", replaced_meanwhile)
    write_lines_export.call(str(job.public_id))
    job.refresh_from_db()
    assert (job.state, job.file.name) == (ExportState.FAILED, "")
    assert not list(Path(settings.MEDIA_ROOT).glob("exports/**/*.xlsx"))


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
    _cycle(2026)
    never_ran = requested_job(client, 2026)
    assert purge_old_exports() == 0
    assert purge_old_exports(timezone.now() + export_jobs.KEEP + timedelta(minutes=1)) == 2
    assert not path.exists()
    assert not ExportJob.objects.filter(pk__in=[old.pk, never_ran.pk]).exists()


def test_the_summary_page_asks_for_the_export_with_a_post(
    report_world: World, client: Client, submitter: User
) -> None:
    client.force_login(submitter)
    html = client.get(reverse("reports:summary"), {"year": "2027"}).content.decode()
    assert f'<form method="post" action="{reverse("reports:lines_export")}"' in html
    assert '<input type="hidden" name="year" value="2027">' in html


def test_the_service_reuses_only_the_same_users_export(
    report_world: World, submitter: User, department_approver: User
) -> None:
    mine = request_lines_export(actor=submitter, year=2027, language="zh-hans")
    theirs = request_lines_export(actor=department_approver, year=2027, language="zh-hans")
    assert mine != theirs
    english = request_lines_export(actor=submitter, year=2027, language="en")
    assert english != mine
    with pytest.raises(ExportError):
        request_lines_export(actor=submitter, year=1999, language="en")


@pytest.mark.django_db(transaction=True)
def test_the_database_worker_runs_the_export_end_to_end(
    report_world: World, client: Client, submitter: User
) -> None:
    """Through the real queue: committed request, `manage.py db_worker`, download."""
    client.force_login(submitter)
    job = requested_job(client, 2027)
    run_the_worker()
    job.refresh_from_db()
    assert job.state == ExportState.DONE
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    response = client.get(reverse("reports:export_download", args=[job.public_id]))
    rows = rows_of(response.getvalue())
    assert len(rows) - 1 == job.rows_total
    assert job.rows_total


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.django_db(transaction=True)
def test_as_make_serve_runs_it_gunicorn_starts_the_worker_and_stops_it_on_exit(
    report_world: World, submitter: User, tmp_path: Path, settings: Any
) -> None:
    """RUN_TASK_WORKER=true, as `make serve` sets it: the export gets written by the
    worker gunicorn started, and stopping gunicorn stops the worker."""
    settings.MEDIA_ROOT = media = tmp_path / "shared-media"
    log = tmp_path / "gunicorn.log"
    environment = {"RUN_TASK_WORKER": "true", "MEDIA_ROOT": str(media), "WEB_CONCURRENCY": "1"}
    with served(log, environment):
        job = request_lines_export(actor=submitter, year=2027, language="zh-hans")
        deadline = time.monotonic() + 60
        while job.state != ExportState.DONE:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)
            job.refresh_from_db()
        started = re.search(r"Started the background worker \(pid (\d+)\)", log.read_text())
        assert started, log.read_text()
        worker = int(started[1])
        assert _alive(worker)
        [child] = _log_lines_until(log, r"Starting worker worker_id=\S+:(\d+) ")
        assert _alive(int(child[1]))  # run_worker's db_worker
    assert not _alive(worker)
    assert not _alive(int(child[1]))
    assert job.file.name
    assert (media / job.file.name).exists()


def test_a_worker_starting_fails_the_exports_a_dead_worker_was_writing(
    report_world: World, client: Client, submitter: User
) -> None:
    """The worker was killed at 10,000 of 100,708 lines: as soon as a worker starts
    again the export is failed and its owner offered to start again, not ten minutes
    later. One still moving in a live worker is left alone."""
    client.force_login(submitter)
    killed = requested_job(client, 2027)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    _running(killed, rows_total=100708, rows_done=10000, worker=f"{workers.PLACE}:{dead.pid}")
    _cycle(2026)
    alive = requested_job(client, 2026)
    _running(alive, worker=workers.this_process())
    html = _page(client, killed).content.decode()
    assert "导出已中断" in html  # at once on this machine, before any worker starts
    assert "已写入 10000 行" not in html

    workers.worker_starting.send(sender=None)
    killed.refresh_from_db()
    alive.refresh_from_db()
    assert (killed.state, alive.state) == (ExportState.FAILED, ExportState.RUNNING)
    assert killed.error.startswith(export_jobs.INTERRUPTED)
    response = _page(client, killed, HX_Request="true")
    assert response.status_code == 286
    assert "后台处理程序在导出完成前停止了" in response.content.decode()
    assert reverse("reports:lines_export") in response.content.decode()
    assert requested_job(client, 2027) != killed
    url = reverse("reports:export_download", args=[killed.public_id])
    assert client.get(url).status_code == 404  # nothing half-written is ever served


def test_a_running_export_that_moved_two_minutes_ago_is_failed_when_a_worker_starts(
    report_world: World, client: Client, submitter: User
) -> None:
    """Its worker on another machine, which this one cannot look at: no progress for
    two minutes is what tells."""
    client.force_login(submitter)
    job = requested_job(client, 2027)
    _running(job, worker="another-app-server:4026531836:4242")
    with time_machine.travel(timezone.now() + timedelta(seconds=100), tick=False):
        assert export_jobs.fail_abandoned_exports() == 0
        assert "导出已中断" not in _page(client, job).content.decode()
    with time_machine.travel(timezone.now() + timedelta(seconds=121), tick=False):
        assert export_jobs.fail_abandoned_exports() == 1
    job.refresh_from_db()
    assert job.state == ExportState.FAILED


def test_the_worker_writing_an_export_is_recorded(
    report_world: World, client: Client, submitter: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.force_login(submitter)
    job = requested_job(client, 2027)
    seen: list[str] = []
    write = export_jobs.exports.write_lines

    def watched(rows: Any, target: Any, title: str) -> int:
        seen.append(ExportJob.objects.get(pk=job.pk).worker)
        return write(rows, target, title)

    monkeypatch.setattr(export_jobs.exports, "write_lines", watched)
    write_lines_export.call(str(job.public_id))
    assert seen == [workers.this_process()]


def _log_lines_until(log: Path, pattern: str, count: int = 1) -> list[re.Match[str]]:
    deadline = time.monotonic() + 60
    while True:
        found = list(re.finditer(pattern, log.read_text()))
        if len(found) >= count:
            return found
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)


@pytest.mark.django_db(transaction=True)
def test_run_worker_starts_a_killed_worker_again_and_fails_what_it_was_writing(
    report_world: World, submitter: User, tmp_path: Path, settings: Any
) -> None:
    """`manage.py run_worker`, as make run and make serve start it: kill -9 its worker
    mid-export; a new one starts, the export is failed, and the next one is written."""
    settings.MEDIA_ROOT = media = tmp_path / "shared-media"
    log = tmp_path / "worker.log"
    env = clean_environment(
        {
            "DEBUG": "false",
            "SECRET_KEY": settings.SECRET_KEY,
            "DATABASE_URL": database_url(),
            "MEDIA_ROOT": str(media),
            "LOG_LEVEL": "INFO",
        }
    )
    started = r"Starting worker worker_id=(\S+:(\d+)) "
    with log.open("w") as output:
        supervisor = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker", "--interval=0.2"],
            cwd=BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        [first] = _log_lines_until(log, started)
        writing = request_lines_export(actor=submitter, year=2027, language="zh-hans")
        writing.refresh_from_db()
        deadline = time.monotonic() + 60
        while writing.state != ExportState.DONE:  # the first worker works
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
            writing.refresh_from_db()
        _running(writing, rows_done=10000, rows_total=100708, worker=first[1], file="")
        os.kill(int(first[2]), signal.SIGKILL)
        second = _log_lines_until(log, started, count=2)[1]
        assert second[2] != first[2]
        assert re.search(r"exited with code -9 .* starting it again in 1 s", log.read_text())
        writing.refresh_from_db()
        assert writing.state == ExportState.FAILED
        assert writing.error.startswith(export_jobs.INTERRUPTED)
        _cycle(2026)
        after = request_lines_export(actor=submitter, year=2026, language="zh-hans")
        deadline = time.monotonic() + 60
        while after.state != ExportState.DONE:  # and the new worker works
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
            after.refresh_from_db()
    finally:
        supervisor.terminate()
        supervisor.wait(timeout=60)
    assert supervisor.returncode == 0
    assert not _alive(int(_log_lines_until(log, started, count=2)[1][2]))


@pytest.mark.django_db(transaction=True)
def test_an_export_goes_before_the_mail_waiting_in_the_queue(
    report_world: World, client: Client, submitter: User
) -> None:
    """A hung mail server holds the worker EMAIL_TIMEOUT a mail: the mail waiting in
    the queue does not hold up an export asked for after it."""
    from budgeting.notifications import send_notification

    send_notification.enqueue("主题", "正文", ["head@edu.example.gov.cn"])
    client.force_login(submitter)
    job = requested_job(client, 2027)
    handlers = {number: signal.getsignal(number) for number in WORKER_SIGNALS}
    try:
        call_command("db_worker", "--batch", "--max-tasks=1", "--no-startup-delay", verbosity=0)
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
    job.refresh_from_db()
    assert job.state == ExportState.DONE
    mail = DBTaskResult.objects.get(task_path="budgeting.notifications.send_notification")
    assert mail.status == "READY"
