"""A mail server that hangs: the action is saved and answered at once; the worker's
mail task gives up after EMAIL_TIMEOUT, logs it, fails visibly and is tried again."""

import smtplib
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import User
from budgeting import notifications
from projects.models import Project, ProjectState
from tests.helpers import SilentServer, run_the_worker

TIMEOUT = 2


@pytest.fixture
def hung_mail_server(settings: Any) -> Iterator[SilentServer]:
    with SilentServer(hold=4 * TIMEOUT).running() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = server.port
        settings.EMAIL_TIMEOUT = TIMEOUT
        yield server


@pytest.mark.django_db(transaction=True)
def test_a_hung_mail_server_never_holds_up_an_action(
    hung_mail_server: SilentServer,
    client: Client,
    submitter: User,
    department_approver: User,
    ready_project: Project,
    caplog: pytest.LogCaptureFixture,
) -> None:
    department_approver.email = "head@edu.example.gov.cn"
    department_approver.save(update_fields=["email"])
    client.force_login(submitter)

    started = time.monotonic()
    response = client.post(
        reverse("budgeting:act", args=[ready_project.code, "submit"]),
        {"submit-version": str(ready_project.version)},
    )
    answered_in = time.monotonic() - started
    assert response.status_code == 302
    assert hung_mail_server.connections == 0  # the request never spoke to the mail server
    assert answered_in < TIMEOUT
    ready_project.refresh_from_db()
    assert ready_project.state == ProjectState.IN_REVIEW  # saved
    [queued] = DBTaskResult.objects.all()
    assert queued.task_path == "budgeting.notifications.send_notification"

    started = time.monotonic()
    run_the_worker()
    assert time.monotonic() - started >= TIMEOUT * 0.9  # it waited for the server, then gave up
    assert hung_mail_server.connections == 1
    queued.refresh_from_db()
    assert queued.status == "FAILED"  # listed as failed, with its traceback, in the admin
    assert "timed out" in queued.traceback
    [failure] = [r for r in caplog.records if r.name == "budgeting.notifications"]
    assert failure.levelname == "ERROR"
    assert failure.exc_info is not None
    assert "head@edu.example.gov.cn" in failure.getMessage()
    assert "attempt 1 of 3" in failure.getMessage()
    # ...and it is tried again later, with the same mail.
    [again] = DBTaskResult.objects.filter(status="READY")
    assert again.args_kwargs["args"] == queued.args_kwargs["args"]
    assert again.args_kwargs["kwargs"] == {"attempt": 2}
    assert again.run_after > timezone.now() + notifications.RETRY_AFTER - timedelta(minutes=1)


@pytest.mark.django_db
def test_the_last_attempt_is_not_tried_again(
    hung_mail_server: SilentServer, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(smtplib.SMTPServerDisconnected, match="timed out"):
        notifications.send_notification.call(
            "主题", "正文", ["head@edu.example.gov.cn"], attempt=notifications.ATTEMPTS
        )
    assert not DBTaskResult.objects.exists()
    assert "attempt 3 of 3, given up" in caplog.text
