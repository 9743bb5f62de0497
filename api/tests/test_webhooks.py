"""Webhooks against a real consumer: an HTTP server on this machine, in a thread. Events
are queued in the change's transaction and sent by the worker alone, signed, retried
with doubling waits, every attempt logged; a consumer that hangs holds up no request."""

import contextlib
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import Organization, User
from api import services
from api.models import ApiClient, DeliveryState, Webhook, WebhookDelivery
from api.scopes import Scope
from api.tests.conftest import approve_all_the_way
from audit.services import record_event
from budgeting import services as workflow
from budgeting.tests.workflow_fixtures import make_ready
from classification.models import ClassificationCode, CodeKind
from projects.models import Project
from projects.tests.factories import register
from tests.helpers import SilentServer, run_the_worker

pytestmark = pytest.mark.django_db(transaction=True)


class Consumer:
    """A consumer's endpoint: records each POST (headers and body) and answers the next
    status of ``answers`` (200 once they are used up)."""

    def __init__(self, answers: list[int] | None = None) -> None:
        self.answers = list(answers or [])
        self.received: list[tuple[dict[str, str], bytes]] = []
        consumer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                consumer.received.append((dict(self.headers.items()), body))
                self.send_response(consumer.answers.pop(0) if consumer.answers else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/budget"

    @contextlib.contextmanager
    def running(self) -> Iterator["Consumer"]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()
            thread.join(timeout=5)


@pytest.fixture
def consumer() -> Iterator[Consumer]:
    with Consumer().running() as running:
        yield running


def _hook(url: str, **scope: Any) -> tuple[Webhook, str]:
    scope.setdefault("all_units", True)
    client, _key = services.register_client(actor=None, name=f"core-{url[-12:]}", **scope)
    return services.register_webhook(actor=None, client=client, url=url)


def _approve(project: Project, finance_reviewer: User, finance_approver: User) -> Project:
    project = workflow.pass_stage(project, actor=finance_reviewer, expected_version=project.version)
    return workflow.approve(project, actor=finance_approver, expected_version=project.version)


def _signature_ok(secret: str, headers: dict[str, str], body: bytes) -> bool:
    message = headers["X-Budget-Timestamp"].encode() + b"." + body
    expected = "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["X-Budget-Signature"])


def test_an_approval_reaches_the_consumer_signed_from_the_worker(
    consumer: Consumer, at_finance: Project, finance_reviewer: User, finance_approver: User
) -> None:
    _webhook, secret = _hook(consumer.url)
    project = _approve(at_finance, finance_reviewer, finance_approver)
    [delivery] = WebhookDelivery.objects.all()
    assert delivery.event == "project.approved"
    assert consumer.received == []  # queued with the approval; nothing sent by it

    run_the_worker()
    [(headers, body)] = consumer.received
    assert headers["X-Budget-Event"] == "project.approved"
    assert headers["X-Budget-Delivery"] == str(delivery.public_id)
    assert _signature_ok(secret, headers, body)
    assert not _signature_ok("whsec_another", headers, body)
    sent = json.loads(body)
    assert sent["event"] == "project.approved"
    assert sent["quota"]["PRO_CODE"] == project.code
    assert sent["quota"]["REPLY_AMT"] == str(project.approved_amount)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (DeliveryState.DELIVERED, 1)
    [attempt] = delivery.attempt_log.all()
    assert (attempt.number, attempt.status_code, attempt.error) == (1, 200, "")
    run_the_worker()
    assert len(consumer.received) == 1  # delivered once


def test_a_failing_consumer_is_tried_again_with_doubling_waits(
    settings: Any, at_finance: Project, finance_reviewer: User, finance_approver: User
) -> None:
    settings.WEBHOOK_RETRY_SECONDS = 30
    settings.WEBHOOK_ATTEMPTS = 3
    with Consumer(answers=[500, 503, 500]).running() as consumer:
        _hook(consumer.url)
        _approve(at_finance, finance_reviewer, finance_approver)
        delivery = WebhookDelivery.objects.get()
        waits = []
        for _attempt in range(3):
            before = timezone.now()
            run_the_worker()
            delivery.refresh_from_db()
            if delivery.next_attempt_at is not None:
                waits.append(delivery.next_attempt_at - before)
            # Time passes: the next attempt is due now.
            DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
        assert len(consumer.received) == 3
    assert [round(wait.total_seconds() / 30) for wait in waits] == [1, 2]
    assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, 3)
    assert list(delivery.attempt_log.values_list("number", "status_code")) == [
        (1, 500),
        (2, 503),
        (3, 500),
    ]
    assert not DBTaskResult.objects.filter(status="READY").exists()  # given up


def test_a_consumer_that_recovers_gets_the_event(
    settings: Any, at_finance: Project, finance_reviewer: User, finance_approver: User
) -> None:
    settings.WEBHOOK_RETRY_SECONDS = 0  # due at once: one worker run tries until it is taken
    with Consumer(answers=[502]).running() as consumer:
        _hook(consumer.url)
        _approve(at_finance, finance_reviewer, finance_approver)
        run_the_worker()
        delivery = WebhookDelivery.objects.get()
        assert delivery.state == DeliveryState.DELIVERED
        assert list(delivery.attempt_log.values_list("status_code", flat=True)) == [502, 200]
        [first, second] = consumer.received
        assert first[1] == second[1]  # the same body, each time signed afresh


def test_a_hanging_consumer_never_holds_up_a_request(
    settings: Any,
    client: Client,
    at_finance: Project,
    finance_reviewer: User,
    finance_approver: User,
) -> None:
    settings.WEBHOOK_TIMEOUT = 2
    with SilentServer(hold=4 * settings.WEBHOOK_TIMEOUT).running() as consumer:
        _hook(f"http://127.0.0.1:{consumer.port}/hooks")
        project = workflow.pass_stage(
            at_finance, actor=finance_reviewer, expected_version=at_finance.version
        )
        client.force_login(finance_approver)
        started = time.monotonic()
        response = client.post(
            reverse("budgeting:act", args=[project.code, "approve"]),
            {"approve-version": str(project.version)},
        )
        answered_in = time.monotonic() - started
        assert response.status_code == 302
        assert Project.objects.get(pk=project.pk).state == "approved"
        assert answered_in < settings.WEBHOOK_TIMEOUT
        time.sleep(0.3)
        assert consumer.connections == 0  # the request never called the consumer

        started = time.monotonic()
        run_the_worker()
        assert time.monotonic() - started >= settings.WEBHOOK_TIMEOUT * 0.9
        assert consumer.connections == 1
    delivery = WebhookDelivery.objects.get()
    [attempt] = delivery.attempt_log.all()
    assert attempt.status_code is None
    assert "timed out" in attempt.error
    assert delivery.state == DeliveryState.PENDING
    assert delivery.next_attempt_at is not None
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=20)


def test_a_change_of_an_approved_quota_is_sent_once_and_nothing_else_is(
    consumer: Consumer,
    at_finance: Project,
    finance_reviewer: User,
    finance_approver: User,
) -> None:
    _hook(consumer.url)
    project = _approve(at_finance, finance_reviewer, finance_approver)
    functional = ClassificationCode.objects.create(
        kind=CodeKind.FUNCTIONAL, year=2027, code="2010150", name="事业运行"
    )
    # What a later correction writes (a code, an adjustment): the project and its event.
    Project.objects.filter(pk=project.pk).update(
        functional_code=functional, updated_at=timezone.now()
    )
    record_event("projects.project.changed", actor=None, target=project, target_key=project.code)
    # An event that leaves the quota as it is: no delivery.
    record_event("projects.attachment.added", actor=None, target=project, target_key=project.code)
    assert list(WebhookDelivery.objects.order_by("id").values_list("event", flat=True)) == [
        "project.approved",
        "quota.changed",
    ]
    run_the_worker()
    changed = json.loads(consumer.received[-1][1])
    assert changed["event"] == "quota.changed"
    assert changed["quota"]["EXP_FUNC_CODE"] == "2010150"


def test_a_webhook_hears_only_of_its_clients_units_and_with_the_quotas_grant(
    consumer: Consumer,
    education: Organization,
    cycle: Any,
    outsider: User,
    health: Organization,
    deciders: tuple[User, ...],
) -> None:
    _hook(consumer.url, all_units=False, units=[education])
    paused, _secret = _hook(consumer.url + "/paused")
    services.change_webhook(paused, actor=None, url=paused.url, is_active=False)
    # All units, but without the quotas grant the events carry: nothing either.
    _hook(consumer.url + "/no-quotas", scopes=[Scope.PROJECTS_READ, Scope.LINES_READ])
    approver = User.objects.create(
        username="health_head", organization=health, roles=["department_approver"]
    )
    project = make_ready(register(outsider, name="全民健康信息平台"), outsider)
    approve_all_the_way(project, outsider, approver, *deciders[1:])
    assert not WebhookDelivery.objects.exists()


def test_the_admin_registers_a_webhook_and_sees_its_secret_once(
    admin_user: User, consumer: Consumer
) -> None:
    client, _key = services.register_client(actor=None, name="finance-core", all_units=True)
    browser = Client()
    browser.force_login(admin_user)
    response = browser.post(
        reverse("admin:api_webhook_add"), {"client": client.pk, "url": consumer.url}
    )
    assert response.status_code == 200
    webhook = Webhook.objects.get()
    assert f"<code>{webhook.secret}</code>" in response.content.decode()
    page = browser.get(reverse("admin:api_webhook_change", args=[webhook.pk]))
    assert webhook.secret not in page.content.decode()
    refused = browser.post(
        reverse("admin:api_webhook_add"), {"client": client.pk, "url": "ftp://example.org/x"}
    )
    assert "url" in refused.context["adminform"].form.errors
    assert Webhook.objects.count() == 1
    assert ApiClient.objects.get().webhooks.get() == webhook
