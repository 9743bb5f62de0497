"""The import service: make a draft standard hold exactly a workbook's rows.

Kept apart from ``services`` for size; the same rules apply: system admins
only (the callers check), one transaction, the set's row locked, drafts only,
one history event. Rows are written in bulk so 10,000 prices import quickly.
"""

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connection, transaction
from django.db.models import Model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Jurisdiction, User
from audit.services import record_event
from standards.excel import (
    CATEGORY_SHEET,
    GRADE_SHEET,
    ITEM_SHEET,
    SET_SHEET,
    Issue,
    ParsedWorkbook,
    Row,
    Sheet,
    WorkbookError,
    check_category_references,
    issue_at,
)
from standards.models import (
    FeeCategory,
    Grade,
    ServiceItem,
    SetStatus,
    StandardSet,
    set_lineage_ids,
)
from standards.services import (
    DERIVATION_FIELDS,
    GRADE_FIELDS,
    ITEM_FIELDS,
    StandardsError,
    lock_draft,
)

LABELS = {
    "added": gettext_lazy("added"),
    "changed": gettext_lazy("changed"),
    "removed": gettext_lazy("removed"),
    "set": gettext_lazy("standard version"),
    "categories": gettext_lazy("fee classes"),
    "items": gettext_lazy("service items"),
    "grades": gettext_lazy("grades"),
}


@dataclass
class ImportReport:
    """What an import adds, changes and removes, by table; codes in file order."""

    standard_set: str
    created_set: bool = False
    dry_run: bool = False
    added: dict[str, list[str]] = field(default_factory=dict)
    changed: dict[str, list[str]] = field(default_factory=dict)
    removed: dict[str, list[str]] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        lists = [*self.added.values(), *self.changed.values(), *self.removed.values()]
        return not self.created_set and not any(lists)

    def lines(self) -> list[tuple[str, str, list[str]]]:
        """(change, table, codes), labels translated, for every table with rows."""
        return [
            (str(LABELS[change]), str(LABELS[table]), codes)
            for change, part in (
                ("added", self.added),
                ("changed", self.changed),
                ("removed", self.removed),
            )
            for table, codes in part.items()
            if codes
        ]

    def counts(self) -> dict[str, dict[str, int]]:
        return {
            name: {table: len(codes) for table, codes in part.items()}
            for name, part in (
                ("added", self.added),
                ("changed", self.changed),
                ("removed", self.removed),
            )
        }


HEADER_FIELDS = [
    "name", "region", "version_label", "effective_from", "effective_to", "max_om_share",
]  # fmt: skip
# Model fields whose workbook column has another name.
COLUMN_KEYS = {"parent": "parent_code", "category": "category_code", "item": "item_code"}
# A workbook holds a standard's items; a derived set's overrides are made in the admin.
ITEM_VALUES = [f for f in ITEM_FIELDS if f not in ("category_id", *DERIVATION_FIELDS)]
GRADE_VALUES = [f for f in GRADE_FIELDS if f != "code"]


def import_catalogue(
    code: str,
    parsed: ParsedWorkbook,
    *,
    actor: User | None,
    dry_run: bool = False,
    source: str = "",
    jurisdiction: Jurisdiction | None = None,
) -> ImportReport:
    """Make the draft set ``code`` hold exactly the workbook's rows, creating the draft
    if it is new; all or nothing. With ``jurisdiction`` (the importing admin's) a new
    draft is that jurisdiction's, and a city's or county's admin may not import into
    another jurisdiction's set (the province's admins may into any).

    Raises ``StandardsError`` for a published or retired set, and
    ``WorkbookError`` (nothing written) for rows that break the catalogue's rules.
    With ``dry_run`` the report says what would change and nothing is written.
    """
    with transaction.atomic():
        existing = StandardSet.objects.filter(code=code).first()
        report = ImportReport(code, created_set=existing is None, dry_run=dry_run)
        if existing is None:
            standard_set = _new_set_from_header(code, parsed, jurisdiction)
        elif (
            jurisdiction is not None
            and jurisdiction.parent_id is not None
            and existing.jurisdiction_id != jurisdiction.pk
        ):
            raise StandardsError(
                _("%(code)s is another jurisdiction's standard: import into a code of your own.")
                % {"code": code}
            )
        else:
            standard_set = lock_draft(existing.pk)
        inherited = FeeCategory.objects.filter(
            standard_set__in=set_lineage_ids(standard_set)[1:]
        ).values_list("code", flat=True)
        issues = check_category_references(parsed, inherited)
        if issues:
            raise WorkbookError(issues)
        header_changes = {
            f: [getattr(standard_set, f), parsed.header[f]]
            for f in HEADER_FIELDS
            if existing is not None and getattr(standard_set, f) != parsed.header[f]
        }
        if header_changes:
            report.changed["set"] = list(header_changes)
        try:
            _apply_rows(standard_set, parsed, report)
            if not dry_run and header_changes:
                for name, (_old, new) in header_changes.items():
                    setattr(standard_set, name, new)
                standard_set.full_clean()
                standard_set.save(update_fields=HEADER_FIELDS)
        except ValidationError as error:
            raise WorkbookError([Issue(_("file"), 0, "", "; ".join(error.messages))]) from error
        if dry_run:
            transaction.set_rollback(True)
        elif not report.is_empty:
            record_event(
                "standards.set.imported",
                actor=actor,
                target=standard_set,
                target_key=standard_set.code,
                comment=source,
                data={**report.counts(), "created": report.created_set, "set": header_changes},
            )
    return report


def _new_set_from_header(
    code: str, parsed: ParsedWorkbook, jurisdiction: Jurisdiction | None
) -> StandardSet:
    header = parsed.header
    base = None
    if header.get("base_code"):
        base = StandardSet.objects.filter(code=header["base_code"]).first()
        if base is None or base.status != SetStatus.PUBLISHED:
            raise WorkbookError(
                [Issue(SET_SHEET.title, header["_row"], "G", _("Unknown or unpublished base."))]
            )
    standard_set = StandardSet(
        code=code, base=base, status=SetStatus.DRAFT, **{f: header[f] for f in HEADER_FIELDS}
    )
    if jurisdiction is not None:
        standard_set.jurisdiction = jurisdiction
    try:
        standard_set.full_clean()
    except ValidationError as error:
        raise WorkbookError(
            [Issue(SET_SHEET.title, header["_row"], "", "; ".join(error.messages))]
        ) from error
    standard_set.save()
    return standard_set


def _apply_rows(standard_set: StandardSet, parsed: ParsedWorkbook, report: ImportReport) -> None:
    """Diff the workbook against the draft and write the difference in bulk.

    Rows the models refuse are collected with their sheet, row and column and
    raised together as ``WorkbookError``, which rolls everything back.
    """
    issues: list[Issue] = []
    categories = _sync_categories(standard_set, parsed, report, issues)
    items = _sync_items(standard_set, parsed, report, categories, issues)
    _sync_grades(standard_set, parsed, report, items, issues)
    if issues:
        raise WorkbookError(issues)
    # Removals, from the leaves up: grades went in _sync_grades, then items, then classes.
    keep_items = {row["code"] for row in parsed.items}
    gone_items = [i for code, i in items.items() if code not in keep_items]
    ServiceItem.objects.filter(pk__in=[i.pk for i in gone_items]).delete()
    keep_categories = {row["code"] for row in parsed.categories}
    gone = [c for code, c in categories.items() if code not in keep_categories]
    FeeCategory.objects.filter(pk__in=[c.pk for c in gone], parent__isnull=False).delete()
    FeeCategory.objects.filter(pk__in=[c.pk for c in gone]).delete()
    report.removed["items"] = [i.code for i in gone_items]
    report.removed["categories"] = [c.code for c in gone]


class _RowCleaner:
    """Model validation of imported rows: each field's own rules, then the model's ``clean``.

    What ``full_clean`` checked, field by field and with the same messages, minus
    the fields in ``exclude``, uniqueness (the sheet checks codes) and constraints
    (none applies without the excluded fields; the database keeps them). A field's
    verdict on a value is remembered: 10,000 grades repeat a handful of codes,
    names and prices, and ``full_clean`` per row took a fifth of an import.
    """

    def __init__(self, model: type[Model], sheet: Sheet, exclude: list[str]) -> None:
        self.fields = [f for f in model._meta.concrete_fields if f.name not in exclude]
        self.sheet = sheet
        self.verdicts: dict[tuple[str, type, str], list[str]] = {}

    def __call__(self, instance: Model, row: Row, issues: list[Issue]) -> None:
        """Add an issue at the row's cell for each field the model refuses."""
        errors: dict[str, list[str]] = {}
        for model_field in self.fields:
            value = getattr(instance, model_field.attname)
            if model_field.blank and value in model_field.empty_values:
                continue
            # A field's rules depend on the value alone, and equal values of one
            # type and text are the same value to them.
            key = (model_field.name, type(value), str(value))
            messages = self.verdicts.get(key)
            if messages is None:
                try:
                    model_field.clean(value, instance)
                    messages = []
                except ValidationError as error:
                    messages = error.messages
                self.verdicts[key] = messages
            if messages:
                errors[model_field.name] = list(messages)
        try:
            instance.clean()
        except ValidationError as error:
            # As in full_clean, an error of no field is the row's (no column).
            by_field = error.message_dict if hasattr(error, "error_dict") else {}
            for name, messages in (by_field or {NON_FIELD_ERRORS: error.messages}).items():
                errors.setdefault(name, []).extend(messages)
        for name, messages in errors.items():
            issues.append(
                issue_at(self.sheet, row, COLUMN_KEYS.get(name, name), " ".join(messages))
            )


def _sync_categories(
    standard_set: StandardSet, parsed: ParsedWorkbook, report: ImportReport, issues: list[Issue]
) -> dict[str, FeeCategory]:
    """Create and update fee classes (parents linked after all exist); return them by code."""
    categories = {c.code: c for c in standard_set.categories.select_related("parent")}
    new, changed = [], []
    clean = _RowCleaner(FeeCategory, CATEGORY_SHEET, exclude=["parent", "standard_set"])
    for row in parsed.categories:
        category = categories.get(row["code"])
        if category is None:
            category = FeeCategory(standard_set=standard_set, code=row["code"])
            categories[row["code"]] = category
            new.append(category)
        elif (category.name, category.position, _code_of(category.parent)) != (
            row["name"],
            row["position"],
            row["parent_code"],
        ):
            changed.append(category)
        category.name, category.position = row["name"], row["position"]
        clean(category, row, issues)
    FeeCategory.objects.bulk_create(new)
    parents = {row["code"]: row["parent_code"] for row in parsed.categories}
    for category in [*new, *changed]:
        parent_code = parents[category.code]
        category.parent = categories[parent_code] if parent_code else None
    FeeCategory.objects.bulk_update([*new, *changed], ["name", "position", "parent"])
    report.added["categories"] = [c.code for c in new]
    report.changed["categories"] = [c.code for c in changed]
    return categories


def _sync_items(
    standard_set: StandardSet,
    parsed: ParsedWorkbook,
    report: ImportReport,
    categories: dict[str, FeeCategory],
    issues: list[Issue],
) -> dict[str, ServiceItem]:
    """Create and update items; return every item of the set (old and new) by code."""
    lineage = set_lineage_ids(standard_set)
    inherited: dict[str, FeeCategory] = {}
    # Farthest ancestor first, so a nearer standard's fee class of the same code wins.
    for category in FeeCategory.objects.filter(standard_set__in=lineage[1:]):
        current = inherited.get(category.code)
        if current is None or lineage.index(category.standard_set_id) < lineage.index(
            current.standard_set_id
        ):
            inherited[category.code] = category
    lookup = {**inherited, **categories}
    items = {i.code: i for i in ServiceItem.objects.filter(standard_set=standard_set)}
    new, changed = [], []
    clean = _RowCleaner(ServiceItem, ITEM_SHEET, exclude=["standard_set", "category"])
    for row in parsed.items:
        category = lookup[row["category_code"]]
        values = {f: row[f] for f in ITEM_VALUES}
        item = items.get(row["code"])
        if item is None:
            item = ServiceItem(standard_set=standard_set, category=category, **values)
            items[row["code"]] = item
            new.append(item)
        elif item.category_id != category.pk or _differs(item, values):
            item.category = category
            _assign(item, values)
            changed.append(item)
        else:
            continue
        clean(item, row, issues)
    _copy_items(standard_set, new)
    ServiceItem.objects.bulk_update(changed, ["category", *ITEM_VALUES])
    report.added["items"] = [i.code for i in new]
    report.changed["items"] = [i.code for i in changed]
    return items


def _copy_items(standard_set: StandardSet, items: list[ServiceItem]) -> None:
    """Insert new items with COPY, then give them their ids.

    bulk_create cannot use its one-statement UNNEST insert for items (the array
    field rules it out): its VALUES lists, a typed placeholder per row and
    psycopg's parsing of the long SQL took a quarter of an import of 5,000 items.
    Values go through each field's own database preparation, as in bulk_create,
    and the insert fires the same triggers and constraints.
    """
    if not items:
        return
    fields = [f for f in ServiceItem._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    table = connection.ops.quote_name(ServiceItem._meta.db_table)
    # The psycopg cursor itself, for COPY; Django's error classes as for any query.
    with (
        connection.wrap_database_errors,
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for item in items:
            copy.write_row([f.get_db_prep_save(f.pre_save(item, True), connection) for f in fields])
    ids = dict(
        ServiceItem.objects.filter(
            standard_set=standard_set, code__in=[i.code for i in items]
        ).values_list("code", "pk")
    )
    for item in items:
        item.pk = ids[item.code]
        item._state.adding = False
        item._state.db = connection.alias


def _sync_grades(
    standard_set: StandardSet,
    parsed: ParsedWorkbook,
    report: ImportReport,
    items: dict[str, ServiceItem],
    issues: list[Issue],
) -> None:
    """Create, update and delete grades to match the workbook."""
    grades = {
        (g.item.code, g.code): g
        for g in Grade.objects.filter(item__standard_set=standard_set).select_related("item")
    }
    new, changed = [], []
    clean = _RowCleaner(Grade, GRADE_SHEET, exclude=["item"])
    for row in parsed.grades:
        values = {f: row[f] for f in GRADE_VALUES}
        grade = grades.get((row["item_code"], row["code"]))
        if grade is None:
            grade = Grade(item=items[row["item_code"]], code=row["code"], **values)
            new.append(grade)
        elif _differs(grade, values):
            _assign(grade, values)
            changed.append(grade)
        else:
            continue
        clean(grade, row, issues)
    keep = {(row["item_code"], row["code"]) for row in parsed.grades}
    gone = [g for key, g in grades.items() if key not in keep]
    Grade.objects.filter(pk__in=[g.pk for g in gone]).delete()
    Grade.objects.bulk_create(new)
    Grade.objects.bulk_update(changed, GRADE_VALUES)
    report.added["grades"] = [f"{g.item.code}/{g.code}" for g in new]
    report.changed["grades"] = [f"{g.item.code}/{g.code}" for g in changed]
    report.removed["grades"] = [f"{g.item.code}/{g.code}" for g in gone]


def _differs(instance: Any, values: dict[str, Any]) -> bool:
    return any(getattr(instance, name) != value for name, value in values.items())


def _assign(instance: Any, values: dict[str, Any]) -> None:
    for name, value in values.items():
        setattr(instance, name, value)


def _code_of(category: FeeCategory | None) -> str:
    return category.code if category is not None else ""
