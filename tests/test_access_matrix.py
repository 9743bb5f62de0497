"""Every URL name x every persona → the expected status code (ASVS 8.2.1 and 8.2.2).

The URL names come from the resolver, so a new view fails
``test_every_url_name_has_a_row`` until someone decides, here, who may reach
it. A URL that takes arguments needs an ``args`` function building them from
the ``World`` (objects of EDU, the unit the outsider must never see).
Only GETs here; every POST is also checked for CSRF below.
"""

import datetime
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tasks_db.models import DBTaskResult
from pytest_django.fixtures import Settings

from accounts.models import Organization, User
from api import services as api_services
from api.models import ApiCall, ApiClient, Webhook, WebhookDelivery
from audit.models import Event
from audit.services import record_event
from budgeting.models import ApprovalBatch, BudgetCycle, FigureDraft, ProcurementBatch
from budgeting.tests.workflow_fixtures import make_ready, open_year, pass_to_finance
from classification.models import ClassificationCode, CodeKind
from execution.models import CarryOver, Closure, Contract, ExecutionTarget, Payment
from inventory import services as inventory_services
from inventory.models import Device, SurveyCampaign, UnitSurvey
from inventory.tests.factories import device, open_survey, survey_of
from projects.models import (
    Attachment,
    AttachmentKind,
    EstimateLine,
    PerformanceTarget,
    Project,
)
from projects.tests.factories import register
from reports.export_jobs import request_lines_export, write_lines_export
from reports.models import ExportJob
from standards.models import ServiceItem, StandardSet
from standards.tests.factories import filled_set
from tests.helpers import module_data
from tests.personas import MEMBERS

TODAY = datetime.date(2027, 3, 1)

pytestmark = pytest.mark.django_db

ANONYMOUS = "anonymous"
ID_ATTRIBUTE = re.compile(r'\sid="([^"]+)"')
ADMIN = "admin_user"
PERSONAS = (ANONYMOUS, *MEMBERS)


@dataclass(frozen=True)
class World:
    """The objects the URLs with arguments point at: all of EDU's or about EDU."""

    user: User
    unit: Organization
    group: Group
    attempt: AccessAttempt
    access_log: AccessLog
    failure_log: AccessFailureLog
    event: Event
    device: TOTPDevice
    project: Project  # EDU's, passed by its department and the data administration: at finance
    line: EstimateLine  # the project's
    attachment: Attachment
    target: PerformanceTarget
    batch: ApprovalBatch
    standard: StandardSet
    item: ServiceItem
    cycle: BudgetCycle
    export: ExportJob  # EDU's clerk's, written
    campaign: SurveyCampaign  # the inventory survey covering EDU
    survey: UnitSurvey  # EDU's answer to it, being filled in
    inventory_row: Device  # a device of EDU's survey
    api_client: ApiClient
    api_call: ApiCall
    webhook: Webhook
    delivery: WebhookDelivery
    code: ClassificationCode
    contract: Contract  # the project's, and its payment, carry-over and closure (admin only)
    payment: Payment
    carry_over: CarryOver
    closure: Closure
    execution_target: ExecutionTarget
    procurement_batch: ProcurementBatch


@dataclass(frozen=True)
class Row:
    expected: dict[str, int]
    args: Callable[[World], list[object]] | None = None


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(PERSONAS, status)


def logged_in(status: int) -> dict[str, int]:
    """Anonymous visitors are sent to the login page."""
    return {**everyone(status), ANONYMOUS: 302}


def admin_site(status: int) -> dict[str, int]:
    """Only system admins (is_staff) get in; everyone else goes to the admin login."""
    return {**everyone(302), ADMIN: status}


def admin_model(
    model: str,
    args: Callable[[World], list[object]],
    *,
    add: int = 200,
    change: int = 200,
    delete: int = 200,
) -> dict[str, Row]:
    """The five admin URLs of one registered model, with what a system admin gets."""
    return {
        f"admin:{model}_changelist": Row(admin_site(200)),
        f"admin:{model}_add": Row(admin_site(add)),
        f"admin:{model}_change": Row(admin_site(change), args),
        f"admin:{model}_history": Row(admin_site(200), args),
        f"admin:{model}_delete": Row(admin_site(delete), args),
    }


def seen_by_reviewers(status: int) -> dict[str, int]:
    """EDU's project at finance: its department, the reviewing bodies and admins see it;
    the outsider of another department gets 404, never a hint that it exists."""
    return {**logged_in(status), "outsider": 404}


def only(persona: str, status: int = 200, others: int = 403) -> dict[str, int]:
    return {**logged_in(others), persona: status}


def finance_only(status: int = 200) -> dict[str, int]:
    """Finance's own pages: its reviewers and approvers; everyone else 403."""
    return {**logged_in(403), "finance_reviewer": status, "finance_approver": status}


PROJECT = lambda w: [w.project.code]  # noqa: E731
FINANCE_ONLY = {**logged_in(403), "finance_reviewer": 200, "finance_approver": 200}
FINANCE_ONLY_REDIRECT = {**logged_in(403), "finance_reviewer": 302, "finance_approver": 302}


def _draft_of(cycle: BudgetCycle) -> FigureDraft:
    """The year's what-if draft of the control figures, made on first use."""
    return FigureDraft.objects.filter(cycle=cycle).first() or FigureDraft.objects.create(
        cycle=cycle, name="方案", created_by=User.objects.order_by("pk")[0]
    )


def DRAFT(w: World) -> list[object]:  # noqa: N802  # named like PROJECT, an args function
    return [_draft_of(w.cycle).public_id]


def PROCUREMENT_BATCH(w: World) -> list[object]:  # noqa: N802  # an args function
    """The year's single-source procurement batch, made on first use (empty, being prepared)."""
    batch = ProcurementBatch.objects.filter(year=w.cycle.year).first()
    if batch is None:
        batch = ProcurementBatch.objects.create(
            year=w.cycle.year, name="第一批 单一来源采购方式", created_by=w.user
        )
    return [batch.public_id]


def DERIVED(w: World) -> list[object]:  # noqa: N802  # an args function
    """Guangzhou's standard derived from the world's provincial one (with an override),
    and a newer provincial version to rebase it onto, made on first use."""
    from standards import services as standards_services
    from standards.tests.factories import derived_set, new_version

    city = StandardSet.objects.filter(code="GZ-MATRIX").first()
    if city is None:
        city = derived_set(w.standard, "GZ-MATRIX")
        standards_services.override_item(city, w.item.code, actor=None, reason="市场价")
        standards_services.publish_set(city, actor=None)
        standards_services.publish_set(new_version(w.standard, "GD-MATRIX-2"), actor=None)
    return [city.code, w.item.code]


SURVEY = lambda w: [w.survey.public_id]  # noqa: E731
# The data administration and finance run inventory surveys; the rest get 403.
SURVEY_RUNNERS = {"data_reviewer": 200, "finance_reviewer": 200, "finance_approver": 200}
MATRIX: dict[str, Row] = {
    "home": Row(logged_in(200)),
    "healthz": Row(everyone(200)),
    "login": Row({**everyone(302), ANONYMOUS: 200}),
    "logout": Row(everyone(405)),
    "password_change": Row(logged_in(200)),
    "password_change_done": Row(logged_in(200)),
    "set_language": Row(everyone(302)),
    # Only with ENFORCE_2FA, for reviewers and admins; off here (see test_two_factor).
    "two_factor_setup": Row(logged_in(404)),
    "two_factor_verify": Row(logged_in(404)),
    "admin:index": Row(admin_site(200)),
    "admin:login": Row({**everyone(200), ADMIN: 302}),
    "admin:logout": Row(admin_site(405)),
    "admin:password_change": Row(admin_site(200)),
    "admin:password_change_done": Row(admin_site(200)),
    "admin:autocomplete": Row(admin_site(403)),
    "admin:jsi18n": Row(admin_site(200)),
    "admin:app_list": Row(admin_site(200), lambda w: ["accounts"]),
    "admin:view_on_site": Row(
        admin_site(404), lambda w: [ContentType.objects.get_for_model(User).pk, w.user.pk]
    ),
    "admin:auth_user_password_change": Row(admin_site(200), lambda w: [w.user.pk]),
    # Users and units carry history: deactivated, never deleted.
    **admin_model("accounts_user", lambda w: [w.user.pk], delete=403),
    **admin_model("accounts_organization", lambda w: [w.unit.pk], delete=403),
    **admin_model("accounts_jurisdiction", lambda w: [w.unit.jurisdiction_id], delete=403),
    **admin_model("auth_group", lambda w: [w.group.pk]),
    # History is read-only, even for admins.
    **admin_model("audit_event", lambda w: [w.event.pk], add=403, delete=403),
    **admin_model("execution_contract", lambda w: [w.contract.pk], add=403, delete=403),
    **admin_model("execution_payment", lambda w: [w.payment.pk], add=403, delete=403),
    **admin_model("execution_carryover", lambda w: [w.carry_over.pk], add=403, delete=403),
    **admin_model("execution_closure", lambda w: [w.closure.pk], add=403, delete=403),
    **admin_model(
        "execution_executiontarget", lambda w: [w.execution_target.pk], add=403, delete=403
    ),
    **admin_model(
        "budgeting_procurementbatch", lambda w: [w.procurement_batch.pk], add=403, delete=403
    ),
    # Lockouts are seen and lifted (deleted) in the admin, never made by hand.
    **admin_model("axes_accessattempt", lambda w: [w.attempt.pk], add=403),
    **admin_model("axes_accesslog", lambda w: [w.access_log.pk], add=403),
    **admin_model("axes_accessfailurelog", lambda w: [w.failure_log.pk], add=403),
    # Admins may remove a lost device, never read its secret (OTP_ADMIN_HIDE_SENSITIVE_DATA),
    # nor add, confirm or move one: only its user does, with a code from it.
    **admin_model("otp_totp_totpdevice", lambda w: [w.device.pk], add=403),
    "admin:otp_totp_totpdevice_config": Row(admin_site(403), lambda w: [w.device.pk]),
    "admin:otp_totp_totpdevice_qrcode": Row(admin_site(403), lambda w: [w.device.pk]),
    # Projects: submitters register; a project in review is nobody's to edit.
    "projects:list": Row(logged_in(200)),
    "projects:export": Row(logged_in(200)),
    "projects:create": Row({**logged_in(403), "submitter": 200, "outsider": 200}),
    "projects:create_reserve": Row({**logged_in(403), "submitter": 200, "outsider": 200}),
    # The project library (issue #17): everyone sees the library of their scope; declaring
    # the 2027 project (at finance) for 2027 is nobody's; returning is a POST.
    "library:index": Row(logged_in(200)),
    "library:plan": Row(logged_in(200)),
    "library:declare": Row(seen_by_reviewers(403), lambda w: [w.project.code, w.cycle.year]),
    "library:return": Row(logged_in(405), PROJECT),
    "reports:plan_vs_request": Row(logged_in(200)),
    "reports:plan_vs_request_export": Row(logged_in(200)),
    "projects:detail": Row(seen_by_reviewers(200), PROJECT),
    "projects:edit": Row({**seen_by_reviewers(403)}, PROJECT),
    "projects:attachment": Row(
        seen_by_reviewers(200), lambda w: [w.project.code, w.attachment.public_id]
    ),
    # Adding lines: only the unit's submitters while editable (this project is in review).
    "projects:line_add": Row(seen_by_reviewers(403), PROJECT),
    "projects:line_add_non_standard": Row(seen_by_reviewers(403), PROJECT),
    # Editing or removing a line (a confirmation page, then its POST): the same rule.
    "projects:line_edit": Row(seen_by_reviewers(403), lambda w: [w.project.code, w.line.pk]),
    "projects:line_remove": Row(seen_by_reviewers(403), lambda w: [w.project.code, w.line.pk]),
    # The live price of the line form: checked like the form, though it writes nothing.
    "projects:line_preview": Row(seen_by_reviewers(403), PROJECT),
    "projects:line_reprice": Row(seen_by_reviewers(403), PROJECT),
    # Lines from the inventory: the same rule (operation projects only).
    "projects:inventory_lines": Row(seen_by_reviewers(403), PROJECT),
    # The Excel round trip of the lines: the same rule (the token of an upload is the
    # uploader's own, and none exists here).
    "projects:estimate_template": Row(seen_by_reviewers(403), PROJECT),
    "projects:estimate_import": Row(seen_by_reviewers(403), PROJECT),
    "projects:estimate_import_preview": Row(
        seen_by_reviewers(403), lambda w: [w.project.code, "no-such-upload"]
    ),
    # Writes are POSTs only.
    "projects:target_add": Row(logged_in(405), PROJECT),
    "projects:target_remove": Row(logged_in(405), lambda w: [w.project.code, w.target.pk]),
    "projects:attachment_add": Row(logged_in(405), PROJECT),
    "projects:attachment_remove": Row(
        logged_in(405), lambda w: [w.project.code, w.attachment.public_id]
    ),
    # Review: anyone who may see the project sees its review; actions are POSTs.
    "budgeting:tasks": Row(logged_in(200)),
    "budgeting:tasks_export": Row(logged_in(200)),
    "budgeting:review": Row(seen_by_reviewers(200), PROJECT),
    "budgeting:act": Row(logged_in(405), lambda w: [w.project.code, "pass"]),
    "budgeting:cut": Row(logged_in(405), lambda w: [w.project.code, 1]),
    "budgeting:allow_excess": Row(logged_in(405), PROJECT),
    # Summaries are scoped to what each user sees, so everyone logged in gets one.
    # 标准派生对比: finance and the admins alone.
    "reports:derivations": Row({**finance_only(), ADMIN: 200}),
    "reports:derivations_export": Row({**finance_only(), ADMIN: 200}),
    "reports:derivation_projects": Row({**finance_only(), ADMIN: 200}, DERIVED),
    "reports:summary": Row(logged_in(200)),
    # The roll-up across jurisdictions: provincial finance's and admins' (issue #18).
    "reports:province": Row({**FINANCE_ONLY, ADMIN: 200}),
    "reports:province_export": Row({**FINANCE_ONLY, ADMIN: 200}),
    "reports:summary_export": Row(logged_in(200)),
    "reports:rounds_export": Row(logged_in(200)),
    "reports:review_figures": Row(logged_in(200)),
    "reports:waterfall_export": Row(logged_in(200)),
    "reports:cut_reasons_export": Row(logged_in(200)),
    # The lines export is queued by a POST; its page and file are the requester's alone.
    "reports:lines_export": Row(logged_in(405)),
    "reports:export": Row(only("submitter", others=404), lambda w: [w.export.public_id]),
    "reports:export_download": Row(only("submitter", others=404), lambda w: [w.export.public_id]),
    "reports:open_data": Row(logged_in(200)),
    "budgeting:years": Row(finance_only()),
    "budgeting:rounds": Row(finance_only(), lambda w: [w.cycle.year]),
    "budgeting:advance_round": Row(logged_in(405), lambda w: [w.cycle.year]),
    "budgeting:round_window": Row(
        logged_in(405), lambda w: [w.cycle.year, w.cycle.rounds.get(order=1).pk]
    ),
    "reports:inventory_spend": Row(logged_in(200)),
    "reports:inventory_spend_export": Row(logged_in(200)),
    # The inventory survey: everyone sees their own units' inventories and baseline
    # (scoped); the runners open and follow surveys; EDU's staff fill EDU's inventory,
    # which reviewers and admins may read but not change, and the outsider never sees.
    "inventory:index": Row(logged_in(200)),
    "inventory:baseline": Row(logged_in(200)),
    "inventory:baseline_export": Row(logged_in(200)),
    "inventory:campaign_open": Row({**logged_in(403), **SURVEY_RUNNERS}),
    "inventory:campaign": Row(
        {**logged_in(403), **SURVEY_RUNNERS}, lambda w: [w.campaign.public_id]
    ),
    "inventory:campaign_remind": Row(logged_in(405), lambda w: [w.campaign.public_id]),
    "inventory:survey": Row(seen_by_reviewers(200), SURVEY),
    "inventory:template": Row(seen_by_reviewers(200), SURVEY),
    "inventory:upload": Row(
        {**seen_by_reviewers(403), "submitter": 200, "department_approver": 200}, SURVEY
    ),
    "inventory:row_add": Row(
        {**seen_by_reviewers(403), "submitter": 200, "department_approver": 200},
        lambda w: [w.survey.public_id, "device"],
    ),
    "inventory:row_remove": Row(logged_in(405), lambda w: [w.survey.public_id, "device", 1]),
    # A row of EDU's survey: edited in place by EDU's staff; its history seen by all who
    # see the survey.
    "inventory:row_edit": Row(
        {**seen_by_reviewers(403), "submitter": 200, "department_approver": 200},
        lambda w: [w.survey.public_id, "device", w.inventory_row.pk],
    ),
    "inventory:row_history": Row(
        seen_by_reviewers(200), lambda w: [w.survey.public_id, "device", w.inventory_row.pk]
    ),
    "inventory:survey_act": Row(logged_in(405), lambda w: [w.survey.public_id, "submit"]),
    "budgeting:batches": Row(only("finance_approver")),
    "budgeting:approved_batches": Row(only("finance_approver")),
    # Control figures (控制数): finance's alone, drafts included; everyone else 403.
    "budgeting:figures_latest": Row(FINANCE_ONLY_REDIRECT),
    "budgeting:figures": Row(FINANCE_ONLY, lambda w: [w.cycle.year]),
    "budgeting:figure_compare": Row(FINANCE_ONLY, lambda w: [w.cycle.year]),
    # Writes are POSTs only (the POST itself answers 403 to anyone but finance).
    "budgeting:figure_draft_create": Row(logged_in(405), lambda w: [w.cycle.year]),
    "budgeting:figure_draft": Row(FINANCE_ONLY, DRAFT),
    "budgeting:figure_draft_template": Row(FINANCE_ONLY, DRAFT),
    "budgeting:figure_draft_upload": Row(logged_in(405), DRAFT),
    "budgeting:figure_issue": Row(FINANCE_ONLY, DRAFT),
    "budgeting:batch": Row(only("finance_approver"), lambda w: [w.batch.public_id]),
    # The approval sheet (page and Excel): a batch nobody else sees is as good as missing.
    "budgeting:batch_export": Row(
        only("finance_approver", others=404), lambda w: [w.batch.public_id]
    ),
    "budgeting:batch_sheet": Row(
        only("finance_approver", others=404), lambda w: [w.batch.public_id]
    ),
    # Single-source procurement approval (issue #17): finance's alone, the sheet too;
    # an approved project's unit changes its procurement (this one is still in review).
    "budgeting:procurement_batches": Row(FINANCE_ONLY),
    "budgeting:procurement_create": Row(FINANCE_ONLY),
    "budgeting:procurement_batch": Row(FINANCE_ONLY, PROCUREMENT_BATCH),
    "budgeting:procurement_sheet": Row(FINANCE_ONLY, PROCUREMENT_BATCH),
    "budgeting:procurement_export": Row(FINANCE_ONLY, PROCUREMENT_BATCH),
    "budgeting:procurement_act": Row(logged_in(405), lambda w: [*PROCUREMENT_BATCH(w), "approve"]),
    "projects:procurement_change": Row(seen_by_reviewers(403), PROJECT),
    # Standards: every logged-in user reads the published standards.
    "standards:index": Row(logged_in(200)),
    "standards:compare": Row(logged_in(200)),
    "standards:set": Row(logged_in(200), lambda w: [w.standard.code]),
    "standards:item": Row(logged_in(200), lambda w: [w.standard.code, w.item.code]),
    # Rebasing a derived standard is the system admins' (403 to everyone else).
    "standards:rebase": Row(only(ADMIN), lambda w: DERIVED(w)[:1]),
    **admin_model("budgeting_budgetcycle", lambda w: [w.cycle.pk]),
    # Batches are made by batch approval, never by hand.
    **admin_model("budgeting_approvalbatch", lambda w: [w.batch.pk], add=403, delete=403),
    # The task queue is django-tasks-db's to write: admins only read it (failures).
    **admin_model(
        "django_tasks_database_dbtaskresult",
        lambda w: [DBTaskResult.objects.get().pk],  # the world's export's
        add=403,
        delete=403,
    ),
    # A published standard is read-only: changes go into a new version.
    **admin_model("standards_standardset", lambda w: [w.standard.pk], delete=403),
    "admin:standards_standardset_export": Row(admin_site(200), lambda w: [w.standard.pk]),
    "admin:standards_standardset_import": Row(admin_site(200)),
    **{
        name: row
        for model, args in (
            ("feecategory", lambda w: [w.item.category.pk]),
            ("serviceitem", lambda w: [w.item.pk]),
            ("grade", lambda w: [w.item.grades.first().pk]),
        )
        for name, row in {
            **admin_model(f"standards_{model}", args, delete=403),
            f"admin:standards_{model}_import": Row(admin_site(200)),
            f"admin:standards_{model}_process_import": Row(admin_site(405)),
            f"admin:standards_{model}_export": Row(admin_site(200)),
        }.items()
    },
    # The API answers keys, never a browser's session: 401 for every persona
    # (api/tests/test_endpoint_matrix.py checks each endpoint against each client scope).
    "api:api-root": Row(everyone(404)),
    "api:openapi-json": Row(everyone(200)),
    "api:openapi-view": Row(everyone(200)),
    "api:list_projects": Row(everyone(401)),
    "api:get_project": Row(everyone(401), PROJECT),
    "api:project_lines": Row(everyone(401), PROJECT),
    "api:project_history": Row(everyone(401), PROJECT),
    "api:list_lines": Row(everyone(401)),
    "api:list_quotas": Row(everyone(401)),
    "api:list_standards": Row(everyone(401)),
    "api:get_standard": Row(everyone(401), lambda w: [w.standard.code]),
    "api:summary": Row(everyone(401)),
    "api:list_codes": Row(everyone(401)),
    # A write: POST only (tested per client in execution/tests/test_batches.py).
    "api:post_execution_batch": Row(everyone(405)),
    # The execution page follows the project's own scope.
    "execution:project": Row(seen_by_reviewers(200), PROJECT),
    # Recording, carry-over and closure are POSTs (their rules: execution/tests/test_pages.py).
    "execution:contract_add": Row(logged_in(405), PROJECT),
    "execution:payment_add": Row(logged_in(405), PROJECT),
    "execution:carry_over_request": Row(logged_in(405), PROJECT),
    "execution:carry_over_decide": Row(logged_in(405), PROJECT),
    "execution:close": Row(logged_in(405), PROJECT),
    "execution:target_set": Row(logged_in(405)),
    # Everyone follows the execution of what they see; finance alone imports payments.
    "execution:progress": Row(logged_in(200)),
    "execution:import": Row(finance_only()),
    "execution:import_template": Row(finance_only()),
    # API clients: registered, changed, rotated and revoked, never deleted (history).
    **admin_model("api_apiclient", lambda w: [w.api_client.pk], delete=403),
    # The call log is read-only.
    **admin_model("api_apicall", lambda w: [w.api_call.pk], add=403, delete=403),
    # Webhooks are paused, never deleted; what they sent is read-only.
    **admin_model("api_webhook", lambda w: [w.webhook.pk], delete=403),
    **admin_model("api_webhookdelivery", lambda w: [w.delivery.pk], add=403, delete=403),
    # Code lists come from the finance department's workbook: imported, never typed or
    # deleted (projects carry them).
    **admin_model("classification_classificationcode", lambda w: [w.code.pk], add=403, delete=403),
    "admin:classification_classificationcode_import": Row(admin_site(200)),
}


def _url_names(resolver: URLResolver, namespace: str = "") -> Iterator[str]:
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield namespace + pattern.name


URL_NAMES = sorted(set(_url_names(get_resolver())))


def test_every_url_name_has_a_row() -> None:
    missing = sorted(set(URL_NAMES) - set(MATRIX))
    assert not missing, (
        f"New URL names {missing}: add a row to MATRIX in {__file__} saying which "
        "persona gets which status (and an args function if the URL takes arguments)."
    )
    stale = sorted(set(MATRIX) - set(URL_NAMES))
    assert not stale, f"MATRIX rows for URL names that no longer exist: {stale}"


def test_urls_with_arguments_say_how_to_build_them() -> None:
    lacking = []
    for name, row in MATRIX.items():
        if row.args is None:
            try:
                reverse(name)
            except NoReverseMatch:
                lacking.append(name)
    assert not lacking, f"{lacking} take arguments: give their MATRIX rows an args function."


@pytest.fixture(autouse=True)
def _uploads_in_a_temporary_directory(province_once: dict[str, Any]) -> None:
    """The module's uploads (the project's documents, the export) stay where
    ``province_once`` put them for all its tests."""


@pytest.fixture(scope="module")
def module_world(province_once: dict[str, Any], django_db_blocker: Any) -> Iterator[World]:
    """The world, built once for the module: every test only reads it (each test's own
    writes, such as the drafts made on first use, are rolled back after it)."""
    with module_data(django_db_blocker):
        yield _build_world(province_once)


@pytest.fixture
def world(module_world: World) -> World:
    return module_world


def _build_world(people: dict[str, Any]) -> World:
    submitter: User = people["submitter"]
    education: Organization = people["education"]
    finance_approver: User = people["finance_approver"]
    data_reviewer: User = people["data_reviewer"]
    cycle = open_year()
    at_finance = pass_to_finance(
        make_ready(register(submitter), submitter),
        submitter,
        people["department_approver"],
        data_reviewer,
    )
    # At the finance review, every reviewing body has seen it (a project that never left
    # its department is the business of test_what_never_left_the_department_stays_there).
    project = at_finance
    batch = ApprovalBatch.objects.create(cycle=cycle, name="第一批", approved_by=finance_approver)
    standard = filled_set(1, code="GD-2019")
    item = ServiceItem.objects.filter(standard_set=standard).exclude(grades=None).first()
    assert item is not None
    export = request_lines_export(actor=submitter, year=cycle.year, language="zh-hans")
    write_lines_export.call(str(export.public_id))
    campaign = open_survey(data_reviewer, education)
    inventory_row = inventory_services.add_row(
        survey_of(campaign, education), "device", device(), actor=submitter, expected_version=1
    )
    api_client, _ = api_services.register_client(actor=None, name="finance-core", all_units=True)
    api_call = api_services.record_call(
        api_client.pk, method="GET", endpoint="api/v1/projects/", status=200, duration_ms=3
    )
    webhook, _secret = api_services.register_webhook(
        actor=None, client=api_client, url="https://core.example.gov.cn/hooks"
    )
    delivery = WebhookDelivery.objects.create(
        webhook=webhook, event="project.approved", project_code=project.code, body="{}"
    )
    client_data = {"user_agent": "test", "ip_address": "10.0.0.1", "username": "edu_clerk"}
    return World(
        user=submitter,
        unit=education,
        group=Group.objects.create(name="reviewers"),
        attempt=AccessAttempt.objects.create(
            **client_data, get_data="", post_data="", failures_since_start=1
        ),
        access_log=AccessLog.objects.create(**client_data),
        failure_log=AccessFailureLog.objects.create(**client_data),
        event=record_event(
            "accounts.user.created", actor=None, target=submitter, target_key="edu_clerk"
        ),
        device=TOTPDevice.objects.create(user=submitter, name="phone"),
        project=project,
        line=project.lines.get(),
        attachment=project.attachments.get(kind=AttachmentKind.FEASIBILITY_STUDY),
        target=project.targets.first(),  # type: ignore[arg-type]
        batch=batch,
        standard=standard,
        item=item,
        cycle=cycle,
        export=export,
        campaign=campaign,
        survey=survey_of(campaign, education),
        inventory_row=inventory_row,  # type: ignore[arg-type]
        api_client=api_client,
        api_call=api_call,
        webhook=webhook,
        delivery=delivery,
        code=ClassificationCode.objects.create(
            kind=CodeKind.FUNCTIONAL, year=2026, code="2010150", name="事业运行"
        ),
        # The admin's read-only execution records: rows as the services would leave them.
        contract=(
            contract := Contract.objects.create(
                reference="HT-1", project=project, supplier="某公司", amount=1, signed_on=TODAY
            )
        ),
        payment=Payment.objects.create(
            reference="ZF-1", project=project, contract=contract, amount=1, paid_on=TODAY
        ),
        carry_over=CarryOver.objects.create(
            project=project, amount=1, to_year=2028, reason="延期", requested_by=submitter
        ),
        closure=Closure.objects.create(
            project=project,
            approved=1,
            contracted=1,
            paid=1,
            carried_over=0,
            closed_by=finance_approver,
        ),
        execution_target=ExecutionTarget.objects.create(
            year=2027, rate=50, due_on=TODAY, set_by=finance_approver
        ),
        procurement_batch=ProcurementBatch.objects.create(
            year=2027, name="2027年第一批 单一来源采购方式", created_by=finance_approver
        ),
    )


def _client_for(
    persona: str, people: dict[str, Any], *, enforce_csrf_checks: bool = False
) -> Client:
    client = Client(enforce_csrf_checks=enforce_csrf_checks)
    if persona != ANONYMOUS:
        client.force_login(people[persona])
    return client


def _url(name: str, world: World) -> str:
    row = MATRIX[name]
    return reverse(name, args=row.args(world) if row.args else None)


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_gets_the_expected_status_everywhere(
    persona: str, world: World, province_once: dict[str, Any]
) -> None:
    """The status of every page, each under our Content-Security-Policy; and every answer
    to a logged-in user, pages, reviews, reports, exports and downloads alike, is private
    and never stored: no shared cache or browser disk keeps them
    (ops.middleware.PrivatePagesMiddleware, or the view's own never_cache).

    One walk for both: the second used to be a test of its own that walked the same
    pages again as three of these personas."""
    client = _client_for(persona, province_once)
    expected, actual, kept, twice = {}, {}, [], []
    for name in URL_NAMES:
        response = client.get(_url(name, world))
        expected[name] = MATRIX[name].expected[persona]
        actual[name] = response.status_code
        assert "object-src 'none'" in response["Content-Security-Policy"], name
        if response.get("Content-Type", "").startswith("text/html"):
            ids = Counter(ID_ATTRIBUTE.findall(response.content.decode()))
            twice += [(name, id_) for id_, count in ids.items() if count > 1]
        directives = {part.strip() for part in response.get("Cache-Control", "").split(",")}
        if persona != ANONYMOUS and not {"private", "no-store"} <= directives:
            kept.append((name, response.status_code, response.get("Cache-Control")))
    assert actual == expected
    assert not kept, f"answers to a logged-in user that a cache may keep: {kept}"
    # A label names the first element of its id: with two alike, one field has no label.
    assert not twice, f"ids used twice on a page: {twice}"


@pytest.mark.parametrize("persona", [ANONYMOUS, "submitter", "outsider", ADMIN])
def test_every_post_without_a_csrf_token_is_refused(
    persona: str, world: World, province_once: dict[str, Any]
) -> None:
    client = _client_for(persona, province_once, enforce_csrf_checks=True)
    client.cookies["django_language"] = "en"  # to recognise Django's CSRF failure page
    accepted = []
    # The API is exempt: it authenticates by the Authorization header alone, which no other
    # site can make a browser send, and ignores the session cookie (api/tests/test_clients.py).
    for name in (name for name in URL_NAMES if not name.startswith("api:")):
        response = client.post(_url(name, world), {"username": "edu_clerk"})
        if response.status_code != 403 or b"CSRF verification failed" not in response.content:
            accepted.append((name, response.status_code))
    assert not accepted, f"POSTs without a CSRF token that were not refused: {accepted}"


def test_a_post_with_the_token_gets_through(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("login"))
    token = next(cookie.value for name, cookie in client.cookies.items() if "csrftoken" in name)
    response = client.post(
        reverse("login"),
        {"username": "edu_clerk", "password": "wrong", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 200  # the form's own error, past the CSRF check


@pytest.mark.parametrize("persona", ["data_reviewer", ADMIN])
def test_with_2fa_enforced_an_unverified_reviewer_reaches_only_the_code_pages(
    persona: str, world: World, province_once: dict[str, Any], settings: Settings
) -> None:
    settings.ENFORCE_2FA = True
    client = _client_for(persona, province_once)
    verify = reverse("two_factor_verify")
    reached = {}
    for name in URL_NAMES:
        response = client.get(_url(name, world))
        if not response.get("Location", "").startswith(f"{verify}?next="):
            reached[name] = response.status_code
    assert reached == {
        "healthz": 200,
        "logout": 405,
        "set_language": 302,
        "two_factor_setup": 200,
        "two_factor_verify": 302,  # no device yet: on to the set-up page
    }
