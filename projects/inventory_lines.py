"""Estimate lines of an operation (运维) project from its unit's inventory
("从资产清单生成明细").

From the unit's current inventory (its newest submitted or accepted survey):

- hardware O&M: a rate × the original value of the devices out of warranty on
  1 January of the budget year (or with no warranty recorded), priced by the
  standard's percentage item of the O&M fee class at its usual rate; without
  one, a non-standard line at ``DEFAULT_HARDWARE_OM_RATE``;
- cloud: the cores by the standard's core·year item, the storage by its TB·year
  item, each at the item's first grade;
- systems: software O&M by the outsourced O&M staff the unit reports
  (person·year item), and the security level-protection assessment (等保测评)
  of each maintained system of level 2 or 3, by the item whose grades are the levels.

Each line keeps the inventory rows it rests on (``LineBasis``), with their
figures, so a reviewer sees the base behind every amount. Everything is read in a
constant number of queries whatever the number of devices; the lines are written
by ``services.add_generated_lines``.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from accounts.models import User
from inventory import queries
from inventory.models import UnitSurvey
from projects import estimates, services
from projects.models import EstimateLine, LineBasis, Project
from projects.services import LineSpec
from standards import pricing
from standards.models import ProjectKind, ServiceItem, StandardSet, Unit
from standards.pricing import Method

# Hardware O&M where the standard has no percentage item for it: 5 % of the original
# value, the low end of the 5–8 % found in published standards (柳财审〔2020〕16号).
DEFAULT_HARDWARE_OM_RATE = Decimal("0.05")
OM_FEE_CLASS = "运行维护服务费"
GENERATED = "按资产清单生成"


@dataclass
class Generated:
    """One line to add, with the inventory rows behind it."""

    spec: LineSpec
    bases: list[LineBasis] = field(default_factory=list)
    summary: str = ""  # the base in words, for the preview


@dataclass
class Plan:
    survey: UnitSurvey | None
    standard: StandardSet | None
    lines: list[Generated] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what could not be generated, and why


def plan(project: Project) -> Plan:
    """The lines the inventory gives ``project`` (nothing written)."""
    survey = queries.current_survey(project.organization_id)
    standard = estimates.standard_for(project)
    result = Plan(survey, standard)
    if survey is None:
        result.notes.append(_("The unit has no submitted inventory yet."))
        return result
    items = estimates.items_for(project, standard) if standard else []
    _hardware(result, survey, items, estimates.pricing_date(project))
    _cloud(result, survey, items)
    _systems(result, survey, items)
    return result


def generate(project: Project, *, actor: User, expected_version: int) -> list[EstimateLine]:
    """Plan the lines now and add them (``services.add_generated_lines``: ProjectError,
    nothing written, if refused); the lines added."""
    result = plan(project)
    return services.add_generated_lines(
        project,
        actor=actor,
        expected_version=expected_version,
        lines=[(row.spec, row.bases) for row in result.lines],
        source=result.survey.key if result.survey else "",
    )


def _hardware(
    result: Plan, survey: UnitSurvey, items: list[ServiceItem], day: datetime.date
) -> None:
    devices = queries.devices_out_of_warranty(survey, day)
    if not devices:
        return
    base = sum((device.original_value for device in devices), Decimal("0.00"))
    bases = [
        LineBasis(
            device=device,
            label=f"{device.name} × {device.quantity}"[:200],
            quantity=Decimal(device.quantity),
            original_value=device.original_value,
            warranty_end=device.warranty_end,
        )
        for device in devices
    ]
    summary = _(
        "%(count)d device rows out of warranty on %(day)s, original value %(value)s yuan"
    ) % {
        "count": len(devices),
        "day": day.isoformat(),
        "value": f"{base:,.2f}",
    }
    item = next(
        (
            item
            for item in items
            if item.pricing_method == Method.PERCENTAGE
            and estimates.top_fee_class(item) == OM_FEE_CLASS
        ),
        None,
    )
    if item is not None:
        spec = LineSpec(item=item, values={"base": base})
    else:
        amount = pricing.round_money(base * DEFAULT_HARDWARE_OM_RATE)
        spec = LineSpec(
            fee_class=OM_FEE_CLASS,
            name=_("Hardware O&M"),
            unit=Unit.ITEM,
            quantity=Decimal(1),
            unit_price=amount,
            justification=_(
                "%(generated)s: the standard has no hardware O&M item; %(rate)s of the "
                "original value of the devices out of warranty."
            )
            % {"generated": GENERATED, "rate": f"{DEFAULT_HARDWARE_OM_RATE:.0%}"},
        )
    result.lines.append(Generated(spec, bases, summary))


def _unit_price_item(items: list[ServiceItem], unit: str) -> ServiceItem | None:
    return next(
        (
            item
            for item in items
            if item.pricing_method == Method.UNIT_PRICE
            and item.unit == unit
            and list(item.grades.all())
        ),
        None,
    )


def _cloud(result: Plan, survey: UnitSurvey, items: list[ServiceItem]) -> None:
    resources = queries.cloud_resources(survey)
    cores = sum(resource.cores for resource in resources)
    storage = sum((resource.storage_tb for resource in resources), Decimal("0"))
    for unit, total, what in (
        (Unit.CORE_YEAR, Decimal(cores), _("cores")),
        (Unit.TB_YEAR, storage, _("TB of storage")),
    ):
        if not total:
            continue
        item = _unit_price_item(items, unit)
        if item is None:
            result.notes.append(
                _("No %(unit)s item in the standard: %(total)s %(what)s not priced.")
                % {"unit": unit, "total": total, "what": what}
            )
            continue
        grade = next(iter(item.grades.all()))
        bases = [
            LineBasis(
                cloud=resource,
                label=resource.name[:200],
                quantity=Decimal(resource.cores) if unit == Unit.CORE_YEAR else resource.storage_tb,
            )
            for resource in resources
        ]
        summary = _("%(total)s %(what)s on the government cloud, %(count)d allocations") % {
            "total": pricing.fmt(total),
            "what": what,
            "count": len(resources),
        }
        spec = LineSpec(item=item, grade=grade, values={"quantity": total})
        result.lines.append(Generated(spec, bases, summary))


def _systems(result: Plan, survey: UnitSurvey, items: list[ServiceItem]) -> None:
    staff = queries.outsourced_om_staff(survey)
    people = sum(row.count for row in staff)
    item = _unit_price_item(items, Unit.PERSON_YEAR)
    if people and item is not None and estimates.top_fee_class(item) == OM_FEE_CLASS:
        grade = next(iter(item.grades.all()))
        bases = [
            LineBasis(staff=row, label=str(row)[:200], quantity=Decimal(row.count)) for row in staff
        ]
        summary = _("%(count)d outsourced O&M staff") % {"count": people}
        result.lines.append(
            Generated(LineSpec(item=item, grade=grade, values={"quantity": people}), bases, summary)
        )
    assessment = next(
        (
            item
            for item in items
            if item.unit == Unit.TIME
            and {"L2", "L3"} <= {grade.code for grade in item.grades.all()}
        ),
        None,
    )
    for system in queries.maintained_systems(survey):
        if system.security_level not in (2, 3) or assessment is None:
            continue
        grade = next(g for g in assessment.grades.all() if g.code == f"L{system.security_level}")
        basis = LineBasis(
            system=system,
            label=system.name[:200],
            quantity=Decimal(1),
            original_value=system.construction_cost,
        )
        summary = _("%(system)s, security level %(level)s") % {
            "system": system.name,
            "level": system.security_level,
        }
        spec = LineSpec(item=assessment, grade=grade, values={"quantity": 1})
        result.lines.append(Generated(spec, [basis], summary))


# How many inventory rows a page lists under a line (the rest are counted).
SHOWN_BASES = 50


@dataclass
class BasisSummary:
    """The inventory rows behind one line, as a page shows them."""

    rows: list[LineBasis]
    count: int
    original_value: Decimal | None
    quantity: Decimal | None
    earliest_warranty_end: datetime.date | None
    latest_warranty_end: datetime.date | None

    @property
    def more(self) -> int:
        return self.count - len(self.rows)


def attach_bases(lines: list[EstimateLine], project: Project) -> list[LineBasis]:
    """Set ``inventory_basis`` on each line generated from the inventory (one query for
    any number of lines and rows), for the project and review pages; and flag a typed
    hardware O&M base that disagrees with the inventory (``mark_typed_bases``).

    Returns every row read, each with its line (from ``lines``) and its system with the
    system's survey and unit: what ``duplicates.inventory_flags`` judges the O&M asked
    for a system by, so the page reads the project's inventory rows once, not twice."""
    by_line: dict[int, list[LineBasis]] = {}
    line_of = {line.pk: line for line in lines}
    # By project, not by the lines' ids: one query whether there are lines or not.
    bases = list(
        LineBasis.objects.filter(line__project_id=project.pk)
        .select_related("system__survey__organization")
        .order_by("id")
    )
    for basis in bases:
        if basis.line_id in line_of:
            basis.line = line_of[basis.line_id]
        by_line.setdefault(basis.line_id, []).append(basis)
    for line in lines:
        rows = by_line.get(line.pk)
        if not rows:
            continue
        values = [row.original_value for row in rows if row.original_value is not None]
        quantities = [row.quantity for row in rows if row.quantity is not None]
        ends = [row.warranty_end for row in rows if row.warranty_end is not None]
        line.inventory_basis = BasisSummary(
            rows=rows[:SHOWN_BASES],
            count=len(rows),
            original_value=sum(values, Decimal("0.00")) if values else None,
            quantity=sum(quantities, Decimal("0")) if quantities else None,
            earliest_warranty_end=min(ends) if ends else None,
            latest_warranty_end=max(ends) if ends else None,
        )
    mark_typed_bases(lines, project)
    return bases


def mark_typed_bases(lines: list[EstimateLine], project: Project) -> None:
    """On an operation project, a hardware O&M line (a percentage of a base, in the O&M
    fee class) whose base the clerk typed, rather than generated from the inventory, and
    which differs from the original value of the unit's devices out of warranty on
    1 January of the budget year, gets ``inventory_mismatch`` (typed, inventory): a
    flag for the reviewers. Two queries, and none when no line qualifies."""
    typed = [
        line
        for line in lines
        if line.inventory_basis is None
        and line.pricing_method == Method.PERCENTAGE
        and line.fee_class == OM_FEE_CLASS
        and "base" in line.inputs
    ]
    if project.kind != ProjectKind.OPERATION or not typed:
        return
    survey = queries.current_survey(project.organization_id)
    if survey is None:
        return
    value = queries.out_of_warranty_value(survey, estimates.pricing_date(project))
    for line in typed:
        try:
            base = Decimal(str(line.inputs["base"]))
        except ArithmeticError:
            continue
        if base != value:
            line.inventory_mismatch = (base, value)
