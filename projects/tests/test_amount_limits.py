"""Money limits and odd input (issue #15): every path that writes an amount refuses one
no column holds with the same words ("exceeds the amount limit", 超出金额上限), at the
field, cell or row it comes from; quantities are of something, whole where the unit is
counted whole; a coefficient the grade lacks is refused, not ignored. Each case was an
HTTP 500 or a traceback before."""

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from audit.models import Event
from projects import services
from projects.errors import ProjectError
from projects.models import EstimateLine, Project
from projects.tests.estimate_files import fill_template, upload
from projects.tests.factories import (
    add_priced_line,
    project_fields,
    publish_newer_version,
    register,
)
from tests.helpers import seed_standards

pytestmark = pytest.mark.django_db

LIMIT = "Exceeds the amount limit"
NINE_HUNDRED_BILLION = Decimal("900000000000")


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    seed_standards()
    with translation.override("en"):
        yield


@pytest.fixture
def project(submitter: User) -> Project:
    return register(submitter, kind="operation")


@pytest.fixture
def clerk(client: Client, submitter: User) -> Client:
    client.force_login(submitter)
    client.cookies["django_language"] = "en"
    return client


def _fresh(project: Project) -> Project:
    return Project.objects.get(pk=project.pk)


def _non_standard(
    project: Project,
    clerk: User,
    quantity: str,
    unit_price: str,
    *,
    unit: str = "项",
) -> EstimateLine:
    return services.add_non_standard_line(
        project,
        actor=clerk,
        expected_version=_fresh(project).version,
        fee_class="其他服务费",
        name="专项服务",
        unit=unit,
        quantity=Decimal(quantity),
        unit_price=Decimal(unit_price),
        justification="标准未覆盖。",
    )


def _refused(call: Any) -> ProjectError:
    with pytest.raises(ProjectError) as error:
        call()
    return error.value


# --- The services ------------------------------------------------------------------------


def test_a_quadrillion_person_years_are_refused_at_the_quantity(
    project: Project, submitter: User
) -> None:
    # Before: 10^15 × 83,900 reached the database, whose numeric column overflowed.
    error = _refused(
        lambda: add_priced_line(project, submitter, "2.1", grade="L1", quantity="1000000000000000")
    )
    assert error.message.startswith(f"{LIMIT}: the line's amount is 83,900,000,000,000,000,000.00")
    assert error.field == "quantity"
    assert not EstimateLine.objects.exists()
    assert _fresh(project).requested_amount == Decimal("0.00")


def test_a_non_standard_line_beyond_the_limit_is_refused(project: Project, submitter: User) -> None:
    # 99,999,999,999 × 99,999: before, a database error.
    error = _refused(lambda: _non_standard(project, submitter, "99999999999", "99999"))
    assert error.message.startswith(f"{LIMIT}: the line's amount is 9,999,899,999,900,001.00")
    assert error.field == "quantity"
    # A line of 10^12 yuan: its unit price is beyond the limit itself.
    error = _refused(lambda: _non_standard(project, submitter, "1", "1000000000000"))
    assert error.message.startswith(f"{LIMIT}: Unit price (yuan) is 1,000,000,000,000.00")
    assert error.field == "unit_price"
    assert not EstimateLine.objects.exists()


def test_sixteen_digits_by_sixteen_digits_is_refused_not_an_invalid_operation(
    project: Project, submitter: User
) -> None:
    # Before: decimal.InvalidOperation rounding a 32-digit product.
    error = _refused(
        lambda: add_priced_line(
            project,
            submitter,
            "2.1",
            grade="L1",
            quantity="9999999999999999",
            unit_price_override="9999999999999999",
            justification="测试",
        )
    )
    assert error.message.startswith(f"{LIMIT}: Own unit price")
    assert error.field == "unit_price_override"


def test_a_line_pushing_the_total_past_the_limit_is_refused_and_nothing_changes(
    project: Project, submitter: User
) -> None:
    _non_standard(project, submitter, "1", str(NINE_HUNDRED_BILLION))
    version = _fresh(project).version
    error = _refused(lambda: _non_standard(project, submitter, "1", str(NINE_HUNDRED_BILLION)))
    assert error.message == (
        "Exceeds the amount limit: the project's requested total is 1,800,000,000,000.00 "
        "yuan, at most 999,999,999,999.99 yuan."
    )
    project = _fresh(project)
    assert project.lines.count() == 1
    assert project.requested_amount == NINE_HUNDRED_BILLION
    assert project.version == version
    assert Event.objects.filter(event_type="projects.line.added").count() == 1


def test_changing_a_line_past_the_total_limit_is_refused(project: Project, submitter: User) -> None:
    _non_standard(project, submitter, "1", str(NINE_HUNDRED_BILLION))
    small = _non_standard(project, submitter, "1", "1000")
    spec = services.LineSpec(
        fee_class="其他服务费", name="专项服务", unit="项", quantity=Decimal(1),
        unit_price=NINE_HUNDRED_BILLION, justification="标准未覆盖。",
    )  # fmt: skip
    error = _refused(
        lambda: services.change_line(
            project,
            actor=submitter,
            expected_version=_fresh(project).version,
            line_id=small.pk,
            spec=spec,
        )
    )
    assert error.message.startswith(f"{LIMIT}: the project's requested total")
    assert EstimateLine.objects.get(pk=small.pk).amount == Decimal("1000.00")


def test_repricing_past_the_total_limit_is_refused_and_nothing_changes(
    project: Project, submitter: User
) -> None:
    # 10,000,000 person-years of L1: 839,000,000,000 now, 900,000,000,000 by the newer standard.
    staff = add_priced_line(project, submitter, "2.1", grade="L1", quantity="10000000")
    _non_standard(project, submitter, "1", "150000000000")
    publish_newer_version()
    project = _fresh(project)
    assert project.requested_amount == Decimal("989000000000.00")
    error = _refused(
        lambda: services.reprice_lines(
            project,
            actor=submitter,
            expected_version=project.version,
            standard_code="DEMO-GD-2026",
        )
    )
    assert error.message.startswith(f"{LIMIT}: the project's requested total")
    staff.refresh_from_db()
    assert staff.amount == Decimal("839000000000.00")
    assert staff.standard_set is not None and staff.standard_set.code == "DEMO-GD-2019"
    assert not Event.objects.filter(event_type="projects.lines.repriced").exists()


def test_an_import_past_the_total_limit_is_refused_on_apply(
    project: Project, submitter: User
) -> None:
    line = services.LineSpec(
        fee_class="其他服务费", name="专项服务", unit="项", quantity=Decimal(1),
        unit_price=NINE_HUNDRED_BILLION, justification="标准未覆盖。",
    )  # fmt: skip
    error = _refused(
        lambda: services.replace_lines(
            project,
            actor=submitter,
            expected_version=project.version,
            lines=[line, line],
            standard_code="DEMO-GD-2019",
        )
    )
    assert error.message.startswith(f"{LIMIT}: the project's requested total")
    assert not EstimateLine.objects.exists()


def test_a_plan_beyond_the_limit_is_refused_at_its_year(submitter: User) -> None:
    error = _refused(
        lambda: services.register_project(
            actor=submitter,
            fields=project_fields(submitter.organization),
            plan={2027: Decimal("1e13")},
        )
    )
    assert error.message.startswith(f"{LIMIT}: The plan for 2027")
    assert error.field == "plan_0"
    assert not Project.objects.exists()


# --- Quantities and coefficients ------------------------------------------------------------


@pytest.mark.parametrize("quantity", ["0", "-1"])
def test_a_quantity_of_nothing_is_refused(project: Project, submitter: User, quantity: str) -> None:
    error = _refused(
        lambda: add_priced_line(project, submitter, "2.1", grade="L1", quantity=quantity)
    )
    assert error.field == "quantity"
    error = _refused(lambda: _non_standard(project, submitter, "0", "5000"))
    assert "more than 0" in error.message
    assert error.field == "quantity"
    assert not EstimateLine.objects.exists()


def test_a_fraction_of_a_unit_counted_whole_is_refused(submitter: User) -> None:
    construction = register(submitter, name="等保测评", kind="construction")
    # Before: one and a half security assessments priced at 120,000.
    error = _refused(
        lambda: add_priced_line(construction, submitter, "5.1", grade="L2", quantity="1.5")
    )
    assert error.message == ("Quantity used must be a whole number: 次 is counted whole; got 1.5.")
    assert error.field == "quantity"
    error = _refused(lambda: _non_standard(construction, submitter, "2.5", "5000", unit="台"))
    assert "whole number: 台" in error.message
    # Half a person-day is fine.
    assert _non_standard(construction, submitter, "2.5", "1000", unit="人天").amount == Decimal(
        "2500.00"
    )


def test_a_coefficient_for_a_grade_without_one_is_refused_not_ignored(submitter: User) -> None:
    construction = register(submitter, name="等保测评", kind="construction")
    # Before: priced at 80,000, the coefficient silently dropped.
    error = _refused(
        lambda: add_priced_line(
            construction, submitter, "5.1", grade="L2", quantity="1", coefficient="1.3"
        )
    )
    assert "no coefficient" in error.message
    assert error.field == "coefficient"
    assert not EstimateLine.objects.exists()


# --- Through the pages --------------------------------------------------------------------


def test_the_line_form_shows_the_limit_at_the_quantity(clerk: Client, project: Project) -> None:
    response = clerk.post(
        reverse("projects:line_add", args=[project.code]),
        {"item": "2.1", "version": project.version, "grade": "L1", "quantity": "1000000000000000"},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["quantity"][0].startswith(f"{LIMIT}: the line's amount")
    assert not EstimateLine.objects.exists()


def test_the_line_form_in_chinese_says_the_amount_limit(
    client: Client, submitter: User, project: Project
) -> None:
    client.force_login(submitter)
    response = client.post(
        reverse("projects:line_add", args=[project.code]),
        {"item": "2.1", "version": project.version, "grade": "L1", "quantity": "1000000000000000"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["quantity"][0].startswith("超出金额上限：本行金额为")


def test_the_non_standard_form_shows_the_refusals_at_their_fields(
    clerk: Client, project: Project
) -> None:
    url = reverse("projects:line_add_non_standard", args=[project.code])
    data = {
        "version": project.version, "fee_class": "其他服务费", "name": "专项服务", "unit": "次",
        "quantity": "99999999999", "unit_price": "99999", "justification": "标准未覆盖",
    }  # fmt: skip
    response = clerk.post(url, data)
    assert response.status_code == 200
    assert response.context["form"].errors["quantity"][0].startswith(LIMIT)
    response = clerk.post(url, {**data, "quantity": "1.5", "unit_price": "5000"})
    assert response.status_code == 200
    assert "whole number" in response.context["form"].errors["quantity"][0]
    assert not EstimateLine.objects.exists()


def test_the_form_refuses_a_line_pushing_the_total_past_the_limit(
    clerk: Client, project: Project, submitter: User
) -> None:
    _non_standard(project, submitter, "1", str(NINE_HUNDRED_BILLION))
    project = _fresh(project)
    response = clerk.post(
        reverse("projects:line_add", args=[project.code]),
        {"item": "2.1", "version": project.version, "grade": "L1", "quantity": "2000000"},
    )
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert errors[0].startswith(f"{LIMIT}: the project's requested total is 1,067,800,000,000.00")
    assert _fresh(project).lines.count() == 1


def test_the_live_preview_says_the_limit_of_the_line_and_of_the_total(
    clerk: Client, project: Project, submitter: User
) -> None:
    url = reverse("projects:line_preview", args=[project.code])
    response = clerk.get(url, {"item": "2.1", "grade": "L1", "quantity": "1000000000000000"})
    assert response.status_code == 200
    assert f"{LIMIT}: the line&#x27;s amount" in response.content.decode()
    big = _non_standard(project, submitter, "1", str(NINE_HUNDRED_BILLION))
    response = clerk.get(url, {"item": "2.1", "grade": "L1", "quantity": "2000000"})
    assert f"{LIMIT}: the project&#x27;s requested total" in response.content.decode()
    # Editing the line itself counts its new amount instead of its old one.
    staff = add_priced_line(project, submitter, "2.1", grade="L1", quantity="1")
    response = clerk.get(
        url, {"item": "2.1", "grade": "L1", "quantity": "1000000", "line": str(staff.pk)}
    )
    assert "83,900,000,000.00" in response.content.decode()  # 900 bn + 83.9 bn: within
    response = clerk.get(
        url, {"item": "2.1", "grade": "L1", "quantity": "2000000", "line": str(big.pk)}
    )
    assert "167,800,000,000.00" in response.content.decode()  # in place of the 900 bn line


def test_the_registration_form_shows_a_plan_beyond_the_limit_at_its_field(
    clerk: Client, submitter: User
) -> None:
    data = {
        "name": "省教育数据共享平台", "organization": str(submitter.organization.pk),
        "budget_year": "2027", "kind": "construction", "continuity": "new",
        "managed_by_data_admin": "True", "budget_category": "specific_purpose",
        "procurement_method": "public_tender", "start_year": "2027", "end_year": "2027",
        "plan_0": "1e13", "plan_1": "", "plan_2": "", "background": "背景", "content": "内容",
        "expected_results": "成效", "contact_name": "李明", "contact_phone": "020-12345678",
    }  # fmt: skip
    response = clerk.post(reverse("projects:create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["plan_0"][0].startswith(f"{LIMIT}: Plan, budget year")
    assert not Project.objects.exists()


# --- The Excel estimate import ---------------------------------------------------------------


def _preview_errors(client: Client, project: Project, rows: list[dict[str, Any]]) -> Any:
    template = client.get(reverse("projects:estimate_template", args=[project.code])).content
    response = client.post(
        reverse("projects:estimate_import", args=[project.code]),
        {"file": upload(fill_template(template, rows))},
    )
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200
    return response["Location"], page


NON_STANDARD_ROW = {
    "名称": "专项服务",
    "数量": 1,
    "自报单价（元）": 900000000000,
    "费用类别（非标准）": "其他服务费",
    "计量单位（非标准）": "项",
    "理由": "标准未覆盖",
}


def test_the_import_preview_refuses_lines_past_the_total_at_the_row_that_crosses_it(
    clerk: Client, project: Project
) -> None:
    # Before: two lines of 900,000,000,000 previewed fine, then applying failed.
    url, page = _preview_errors(clerk, project, [NON_STANDARD_ROW, NON_STANDARD_ROW])
    errors = [str(error) for error in page.context["preview"].errors]
    assert errors == [
        "Row 3, column D (数量): Exceeds the amount limit: the project's requested total is "
        "1,800,000,000,000.00 yuan, at most 999,999,999,999.99 yuan."
    ]
    assert not page.context["can_apply"]
    assert clerk.post(url).status_code == 400
    assert not EstimateLine.objects.exists()


def test_the_import_preview_names_row_and_column_of_a_line_beyond_the_limit(
    client: Client, submitter: User, project: Project
) -> None:
    client.force_login(submitter)  # in Chinese, as the clerk works
    rows = [
        {"服务内容编码": "2.1", "等次编码": "L1", "数量": 1},
        {"服务内容编码": "2.1", "等次编码": "L1", "数量": 1000000000000000},
        {**NON_STANDARD_ROW, "自报单价（元）": 1000000000000},
        {**NON_STANDARD_ROW, "数量": 2.5, "自报单价（元）": 100, "计量单位（非标准）": "套"},
        {"服务内容编码": "2.1", "等次编码": "L1", "数量": 0},
    ]
    with translation.override("zh-hans"):
        _url, page = _preview_errors(client, project, rows)
        errors = [str(error) for error in page.context["preview"].errors]
    assert [error.split("：")[0] for error in errors] == [
        "第 3 行 D 列（数量）",
        "第 4 行 F 列（自报单价（元））",
        "第 5 行 D 列（数量）",
        "第 6 行 D 列（数量）",
    ]
    assert errors[0].startswith("第 3 行 D 列（数量）：超出金额上限：本行金额为 ")
    assert errors[1].startswith("第 4 行 F 列（自报单价（元））：超出金额上限：自报单价（元）为 ")
    assert "须为整数" in errors[2]
    assert "须大于 0" in errors[3]
