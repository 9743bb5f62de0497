from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.utils import translation

from accounts.models import User
from audit.models import Event
from projects import estimates, services
from projects.errors import ProjectError
from projects.tests.factories import add_priced_line, register
from standards.models import ServiceItem
from tests.helpers import seed_standards

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def standard() -> None:
    seed_standards()


def _item(code: str) -> ServiceItem:
    return ServiceItem.objects.get(standard_set__code="DEMO-GD-2019", code=code)


@pytest.mark.usefixtures("standard")
def test_the_standard_in_force_prices_the_projects_kind(submitter: User) -> None:
    build = register(submitter, kind="construction")
    standard = estimates.standard_for(build)
    assert standard is not None and standard.code == "DEMO-GD-2019"
    codes = {item.code for item in estimates.items_for(build, standard)}
    assert "1.1" in codes and "2.1" not in codes  # O&M staff is for operation projects


@pytest.mark.usefixtures("standard")
def test_lines_of_three_methods_and_the_requested_total(submitter: User) -> None:
    project = register(submitter, kind="construction")
    fp = add_priced_line(project, submitter, "1.1", ufp="1000", category="业务处理", reuse="低")
    assert fp.amount == Decimal("897931.03")  # 1000 × 1.0 × 1 × 6.51 ÷ 174 × 24,000
    assert "897,931.03" in fp.explanation_en and "897,931.03" in fp.explanation_zh
    workload = add_priced_line(
        project, submitter, "1.2", **{"stage:编码": "10", "stage:测试": "2.5"}
    )
    assert workload.amount == Decimal("300000.00")
    security = add_priced_line(
        project, submitter, "5.1", grade="L3", quantity="1", coefficient="1.2"
    )
    assert security.amount == Decimal("120000.00")
    project.refresh_from_db()
    assert project.requested_amount == fp.amount + workload.amount + security.amount
    assert project.version == 4
    assert fp.standard_set is not None and fp.standard_set.code == "DEMO-GD-2019"
    assert fp.parameters["person_month_rate"] == "24000"  # frozen on the line
    event = Event.objects.filter(event_type="projects.line.added").latest("id")
    assert event.data["requested"] == [
        str(fp.amount + workload.amount),
        str(project.requested_amount),
    ]


@pytest.mark.usefixtures("standard")
def test_an_input_outside_the_range_is_refused_naming_the_range(submitter: User) -> None:
    project = register(submitter, kind="construction")
    with pytest.raises(ProjectError, match=r"1\.3"):
        add_priced_line(project, submitter, "5.1", grade="L3", quantity="1", coefficient="1.5")
    with pytest.raises(ProjectError):
        add_priced_line(project, submitter, "1.3", base="1000000", rate="0.35")
    assert not project.lines.exists()


@pytest.mark.usefixtures("standard")
def test_a_price_above_the_standard_needs_a_justification_and_is_flagged(submitter: User) -> None:
    project = register(submitter, kind="operation")
    with pytest.raises(ProjectError, match="justification"):
        add_priced_line(
            project, submitter, "2.1", grade="L3", quantity="2", unit_price_override="150000"
        )
    line = add_priced_line(
        project, submitter, "2.1", grade="L3", quantity="2", unit_price_override="150000",
        justification="驻场人员须具备高级等保测评资质，市场价高于标准。",
    )  # fmt: skip
    assert line.is_above_standard
    assert line.amount == Decimal("300000.00")
    below = add_priced_line(
        project, submitter, "2.1", grade="L3", quantity="1", unit_price_override="90000"
    )
    assert not below.is_above_standard


def test_a_non_standard_line_needs_a_justification(submitter: User) -> None:
    project = register(submitter)
    with pytest.raises(ProjectError, match="justification"):
        services.add_non_standard_line(
            project, actor=submitter, expected_version=project.version, fee_class="其他服务费",
            name="专家评审费", unit="次", quantity=Decimal("3"), unit_price=Decimal("5000"),
            justification=" ",
        )  # fmt: skip
    line = services.add_non_standard_line(
        project, actor=submitter, expected_version=project.version, fee_class="其他服务费",
        name="专家评审费", unit="次", quantity=Decimal("3"), unit_price=Decimal("5000.005"),
        justification="标准未覆盖的评审服务。",
    )  # fmt: skip
    assert line.is_non_standard
    assert line.amount == Decimal("15000.02")  # half-up once per line


@pytest.mark.usefixtures("standard")
def test_removing_a_line_lowers_the_requested_amount(submitter: User, outsider: User) -> None:
    project = register(submitter, kind="construction")
    line = add_priced_line(project, submitter, "1.3", base="1000000")
    project.refresh_from_db()
    assert project.requested_amount == Decimal("150000.00")  # 15 % when unknown
    with pytest.raises(ProjectError):
        services.remove_line(
            project, actor=outsider, line_id=line.pk, expected_version=project.version
        )
    project = services.remove_line(
        project, actor=submitter, line_id=line.pk, expected_version=project.version
    )
    assert project.requested_amount == Decimal("0.00")
