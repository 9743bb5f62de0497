"""Every change to the standards catalogue, each with its history event.

Only system admins may call these (Django admin, the import command, or the
demo loader as the system with actor None); the callers check that. Each
service locks the standard set's row, so two admins editing one draft take
turns, and refuses changes to a set that is no longer a draft.
"""

import datetime
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Jurisdiction, User
from audit.services import record_event
from standards.catalogue import effective_items
from standards.models import (
    Derivation,
    FeeCategory,
    Grade,
    RetiredItem,
    ServiceItem,
    SetStatus,
    StandardSet,
)

# The one table of allowed status changes.
TRANSITIONS: dict[str, set[str]] = {
    SetStatus.DRAFT: {SetStatus.PUBLISHED},
    SetStatus.PUBLISHED: {SetStatus.RETIRED},
    SetStatus.RETIRED: set(),
}

SET_FIELDS = [
    "code",
    "name",
    "region",
    "version_label",
    "effective_from",
    "effective_to",
    "base_id",
    "max_om_share",
    "jurisdiction_id",
]
CATEGORY_FIELDS = ["code", "name", "parent_id", "position"]
ITEM_FIELDS = [
    "code",
    "name",
    "category_id",
    "unit",
    "project_kinds",
    "description",
    "basis",
    "pricing_method",
    "parameters",
    "position",
    "derivation",
    "derivation_reason",
]
DERIVATION_FIELDS = ("derivation", "derivation_reason")
GRADE_FIELDS = ["code", "name", "unit_price", "coefficient", "range_min", "range_max", "position"]


class StandardsError(Exception):
    """A change the catalogue's rules forbid; ``message`` is translated for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- Sets ---------------------------------------------------------------------------


def save_set(standard_set: StandardSet, *, actor: User | None) -> StandardSet:
    """Create a draft set, or update a draft set's header fields.

    Raises ``StandardsError`` if the stored set is no longer a draft, and
    ``ValidationError`` (nothing written) on invalid fields.
    """
    with transaction.atomic():
        before = None
        if standard_set.pk is not None:
            locked = lock_draft(standard_set.pk)
            before = _values(locked, SET_FIELDS)
        else:
            standard_set.status = SetStatus.DRAFT
        standard_set.full_clean()
        standard_set.save()
        _record_change(
            "standards.set",
            standard_set,
            standard_set.code,
            before=before,
            fields=SET_FIELDS,
            actor=actor,
        )
    return standard_set


def publish_set(standard_set: StandardSet, *, actor: User | None) -> StandardSet:
    """Publish a draft: from then on it is immutable. Refuses an empty set,
    a derived set whose base is not published, and items whose parameters are invalid."""
    with transaction.atomic():
        locked = _lock(standard_set.pk)
        _check_transition(locked, SetStatus.PUBLISHED)
        if locked.base is not None and locked.base.status != SetStatus.PUBLISHED:
            raise StandardsError(_("Publish the standard this one is based on first."))
        items = list(ServiceItem.objects.filter(standard_set=locked).select_related("category"))
        if not items and locked.base is None:
            raise StandardsError(_("A standard without service items cannot be published."))
        for item in items:
            item.standard_set = locked
            item.full_clean(validate_unique=False, validate_constraints=False)
        if locked.base is not None:
            _check_derivation_reasons(locked, items)
        locked.status = SetStatus.PUBLISHED
        locked.published_at = timezone.now()
        locked.save(update_fields=["status", "published_at"])
        record_event(
            "standards.set.published",
            actor=actor,
            target=locked,
            target_key=locked.code,
            from_state=SetStatus.DRAFT,
            to_state=SetStatus.PUBLISHED,
            data={"items": len(items)},
        )
    return locked


def _check_derivation_reasons(standard_set: StandardSet, items: list[ServiceItem]) -> None:
    """A derived set says why it overrides, adds or retires each item."""
    unexplained = [item.code for item in items if not item.derivation_reason.strip()]
    unexplained += [
        retired.code
        for retired in RetiredItem.objects.filter(standard_set=standard_set)
        if not retired.reason.strip()
    ]
    if unexplained:
        raise StandardsError(
            _("Give the reason for each item this standard overrides, adds or retires: %s")
            % ", ".join(sorted(unexplained))
        )


def retire_set(
    standard_set: StandardSet, *, actor: User | None, effective_to: datetime.date | None = None
) -> StandardSet:
    """Retire a published set (it stays readable for history), closing its effective
    period at ``effective_to`` (default: today) unless it already ends earlier."""
    with transaction.atomic():
        locked = _lock(standard_set.pk)
        _check_transition(locked, SetStatus.RETIRED)
        end = effective_to or timezone.localdate()
        end = max(end, locked.effective_from)
        if locked.effective_to is None or locked.effective_to > end:
            locked.effective_to = end
        locked.status = SetStatus.RETIRED
        locked.save(update_fields=["status", "effective_to"])
        record_event(
            "standards.set.retired",
            actor=actor,
            target=locked,
            target_key=locked.code,
            from_state=SetStatus.PUBLISHED,
            to_state=SetStatus.RETIRED,
            data={"effective_to": locked.effective_to},
        )
    return locked


def copy_to_new_version(
    standard_set: StandardSet,
    *,
    code: str,
    version_label: str,
    effective_from: datetime.date,
    actor: User | None,
    name: str = "",
) -> StandardSet:
    """Start a new draft version holding a copy of every fee class, item and grade.

    Any set may be copied (usually a published one). The copy keeps the same
    base, so a city standard's new version still inherits from its province.
    """
    with transaction.atomic():
        source = _lock(standard_set.pk)
        # Two copies of one set at once: the second waited on the source's lock, with the
        # code it chose before; told, not a validation error's 500.
        if StandardSet.objects.filter(code=code).exists():
            raise StandardsError(
                _("A standard with the code %(code)s exists already: nothing was copied.")
                % {"code": code}
            )
        copy = StandardSet(
            code=code,
            name=name or source.name,
            region=source.region,
            version_label=version_label,
            effective_from=effective_from,
            base=source.base,
            jurisdiction_id=source.jurisdiction_id,
            previous_version=source,
            max_om_share=source.max_om_share,
            status=SetStatus.DRAFT,
        )
        copy.full_clean()
        copy.save()
        counts = copy_contents(source, copy)
        record_event(
            "standards.set.copied",
            actor=actor,
            target=copy,
            target_key=copy.code,
            to_state=SetStatus.DRAFT,
            data={"from": source.code, **counts},
        )
    return copy


def copy_contents(source: StandardSet, target: StandardSet) -> dict[str, int]:
    """Copy the fee classes, items and grades of ``source`` into the draft ``target``
    in a handful of bulk inserts. Items keep fee classes inherited from a base set."""
    categories: dict[int, FeeCategory] = {}
    source_categories = FeeCategory.objects.filter(standard_set=source).order_by("pk")
    # Fee classes have two levels: parents first, so children can point at the copies.
    for parents in (True, False):
        level = [
            FeeCategory(
                standard_set=target,
                parent=categories[category.parent_id] if category.parent_id else None,
                code=category.code,
                name=category.name,
                position=category.position,
            )
            for category in source_categories.filter(parent__isnull=parents)
        ]
        FeeCategory.objects.bulk_create(level)
        old_ids = source_categories.filter(parent__isnull=parents).values_list("pk", flat=True)
        categories.update(zip(old_ids, level, strict=True))
    source_items = list(ServiceItem.objects.filter(standard_set=source).prefetch_related("grades"))
    new_items = [
        ServiceItem(
            standard_set=target,
            category=categories.get(item.category_id) or item.category,
            **{f: getattr(item, f) for f in ITEM_FIELDS if f != "category_id"},
        )
        for item in source_items
    ]
    ServiceItem.objects.bulk_create(new_items)
    grades = [
        Grade(item=new, **{f: getattr(grade, f) for f in GRADE_FIELDS})
        for old, new in zip(source_items, new_items, strict=True)
        for grade in old.grades.all()
    ]
    Grade.objects.bulk_create(grades)
    retired = RetiredItem.objects.bulk_create(
        RetiredItem(standard_set=target, code=row.code, reason=row.reason)
        for row in RetiredItem.objects.filter(standard_set=source)
    )
    counts = {"categories": len(categories), "items": len(new_items), "grades": len(grades)}
    return {**counts, "retired": len(retired)} if retired else counts


def derive_set(
    base: StandardSet,
    *,
    code: str,
    name: str,
    region: str,
    version_label: str,
    effective_from: datetime.date,
    actor: User | None,
    jurisdiction: Jurisdiction,
) -> StandardSet:
    """Start a draft for a city or county (``jurisdiction``) that inherits every item of
    ``base`` (published: the province's, or for a county its city's) until it overrides
    (``override_item``), adds (``save_item``) or retires (``retire_item``) one."""
    if base.status != SetStatus.PUBLISHED:
        raise StandardsError(_("A standard can only be derived from a published standard."))
    above = [j.pk for j in _jurisdictions_above(jurisdiction)]
    if base.jurisdiction_id not in above:
        raise StandardsError(
            _("%(jurisdiction)s derives from its city's or the province's standard.")
            % {"jurisdiction": jurisdiction.name}
        )
    derived = StandardSet(
        code=code,
        name=name,
        region=region,
        version_label=version_label,
        effective_from=effective_from,
        base=base,
        jurisdiction=jurisdiction,
    )
    return save_set(derived, actor=actor)


def _jurisdictions_above(jurisdiction: Jurisdiction) -> list[Jurisdiction]:
    above: list[Jurisdiction] = []
    current = jurisdiction.parent
    while current is not None and len(above) < 3:
        above.append(current)
        current = current.parent
    return above


def override_item(
    derived: StandardSet, item_code: str, *, actor: User | None, reason: str = ""
) -> ServiceItem:
    """Copy an inherited item and its grades into the draft ``derived`` set to change it
    there (its price or range, with ``save_grade``); ``reason`` says why (required before
    the set is published).

    Raises ``StandardsError`` if the set is not a derived draft, the item is not
    inherited, or the set already overrides or retires it.
    """
    with transaction.atomic():
        locked = lock_draft(derived.pk)
        if locked.base is None:
            raise StandardsError(_("Only a derived standard overrides items."))
        if ServiceItem.objects.filter(standard_set=locked, code=item_code).exists():
            raise StandardsError(_("This standard already overrides item %s.") % item_code)
        if RetiredItem.objects.filter(standard_set=locked, code=item_code).exists():
            raise StandardsError(_("This standard retires item %s.") % item_code)
        inherited = {item.code: item for item in effective_items(locked.base)}
        if item_code not in inherited:
            raise StandardsError(_("The base standard has no item %s.") % item_code)
        source = inherited[item_code]
        item = ServiceItem(
            standard_set=locked,
            category=source.category,
            **{f: getattr(source, f) for f in ITEM_FIELDS if f != "category_id"},
        )
        item.derivation = Derivation.OVERRIDE
        item.derivation_reason = reason.strip()
        item.save()
        Grade.objects.bulk_create(
            Grade(item=item, **{f: getattr(grade, f) for f in GRADE_FIELDS})
            for grade in source.grades.all()
        )
        record_event(
            "standards.item.overridden",
            actor=actor,
            target=item,
            target_key=_item_key(item, locked),
            data={"from": source.standard_set.code, "reason": item.derivation_reason},
        )
    return item


def retire_item(
    derived: StandardSet, item_code: str, *, reason: str, actor: User | None
) -> RetiredItem:
    """Stop the draft ``derived`` set from pricing an item its base has (with the reason).

    Raises ``StandardsError`` if the set is not a derived draft, gives no reason, its base
    has no such item, or the set overrides or already retires it.
    """
    with transaction.atomic():
        locked = lock_draft(derived.pk)
        if locked.base is None:
            raise StandardsError(_("Only a derived standard retires items."))
        if not reason.strip():
            raise StandardsError(_("Give the reason for retiring the item."))
        if item_code not in {item.code for item in effective_items(locked.base)}:
            raise StandardsError(_("The base standard has no item %s.") % item_code)
        if ServiceItem.objects.filter(standard_set=locked, code=item_code).exists():
            raise StandardsError(_("This standard already overrides item %s.") % item_code)
        retired = RetiredItem(standard_set=locked, code=item_code, reason=reason.strip())
        retired.full_clean()
        retired.save()
        record_event(
            "standards.item.retired",
            actor=actor,
            target=retired,
            target_key=f"{locked.code}/{item_code}"[:100],
            data={"reason": retired.reason},
        )
    return retired


def restore_item(retired: RetiredItem, *, actor: User | None) -> None:
    """Inherit again an item the draft set retired."""
    with transaction.atomic():
        locked = lock_draft(retired.standard_set_id)
        record_event(
            "standards.item.restored",
            actor=actor,
            target=locked,
            target_key=f"{locked.code}/{retired.code}"[:100],
        )
        RetiredItem.objects.filter(pk=retired.pk).delete()


def delete_set(standard_set: StandardSet, *, actor: User | None) -> None:
    """Delete a draft set with its contents. Published sets are history: never deleted."""
    with transaction.atomic():
        locked = lock_draft(standard_set.pk)
        if locked.derived_sets.exists() or locked.next_versions.exists():
            raise StandardsError(_("Other standards refer to this one."))
        record_event("standards.set.deleted", actor=actor, target=locked, target_key=locked.code)
        # Items protect their fee classes, so empty the set from the leaves up.
        Grade.objects.filter(item__standard_set=locked).delete()
        RetiredItem.objects.filter(standard_set=locked).delete()
        ServiceItem.objects.filter(standard_set=locked).delete()
        FeeCategory.objects.filter(standard_set=locked, parent__isnull=False).delete()
        FeeCategory.objects.filter(standard_set=locked).delete()
        locked.delete()


# --- Contents of a draft -------------------------------------------------------------


def save_category(category: FeeCategory, *, actor: User | None) -> FeeCategory:
    """Create or update a fee class of a draft set."""
    return _save_member(
        category, category.standard_set_id, "standards.category", CATEGORY_FIELDS, actor
    )


def save_item(item: ServiceItem, *, actor: User | None) -> ServiceItem:
    """Create or update a service item of a draft set (its parameters checked by method).
    In a derived set the item is an override if its base has the code, else a local item."""
    item.derivation = _derivation(item)
    if (
        item.derivation
        and RetiredItem.objects.filter(
            standard_set_id=item.standard_set_id, code=item.code
        ).exists()
    ):
        raise StandardsError(_("This standard retires item %s.") % item.code)
    return _save_member(item, item.standard_set_id, "standards.item", ITEM_FIELDS, actor)


def _derivation(item: ServiceItem) -> str:
    standard_set = StandardSet.objects.select_related("base__base").get(pk=item.standard_set_id)
    if standard_set.base is None:
        return Derivation.OWN
    inherited = {other.code for other in effective_items(standard_set.base)}
    return Derivation.OVERRIDE if item.code in inherited else Derivation.LOCAL


def save_grade(grade: Grade, *, actor: User | None) -> Grade:
    """Create or update a grade of an item of a draft set."""
    set_id = ServiceItem.objects.values_list("standard_set_id", flat=True).get(pk=grade.item_id)
    return _save_member(grade, set_id, "standards.grade", GRADE_FIELDS, actor)


def delete_member(member: FeeCategory | ServiceItem | Grade, *, actor: User | None) -> None:
    """Delete a fee class, item or grade of a draft set."""
    set_id = member.item.standard_set_id if isinstance(member, Grade) else member.standard_set_id
    with transaction.atomic():
        standard_set = lock_draft(set_id)
        prefix = {FeeCategory: "category", ServiceItem: "item", Grade: "grade"}[type(member)]
        record_event(
            f"standards.{prefix}.deleted",
            actor=actor,
            target=member,
            target_key=_member_key(member, standard_set),
        )
        member.delete()


# --- Helpers -------------------------------------------------------------------------


def _save_member(
    member: Any, set_id: int, prefix: str, fields: list[str], actor: User | None
) -> Any:
    with transaction.atomic():
        standard_set = lock_draft(set_id)
        before = None
        if member.pk is not None:
            row = type(member).objects.select_for_update().filter(pk=member.pk).first()
            before = _values(row, fields) if row is not None else None
        member.full_clean()
        member.save()
        _record_change(
            prefix,
            member,
            _member_key(member, standard_set),
            before=before,
            fields=fields,
            actor=actor,
        )
    return member


def _lock(pk: int) -> StandardSet:
    return StandardSet.objects.select_for_update(of=("self",)).select_related("base").get(pk=pk)


def lock_draft(pk: int) -> StandardSet:
    """Lock the set's row until the transaction ends; StandardsError unless it is a draft."""
    standard_set = _lock(pk)
    if standard_set.status != SetStatus.DRAFT:
        raise StandardsError(
            _("%(code)s is %(status)s and cannot change; copy it to a new version.")
            % {"code": standard_set.code, "status": standard_set.get_status_display()}
        )
    return standard_set


def _check_transition(standard_set: StandardSet, target: str) -> None:
    if target not in TRANSITIONS[standard_set.status]:
        raise StandardsError(
            _("%(code)s is %(status)s and cannot become %(target)s.")
            % {
                "code": standard_set.code,
                "status": standard_set.get_status_display(),
                "target": SetStatus(target).label,
            }
        )


def _item_key(item: ServiceItem, standard_set: StandardSet) -> str:
    return f"{standard_set.code}/{item.code}"[:100]


def _member_key(member: Any, standard_set: StandardSet) -> str:
    if isinstance(member, Grade):
        return f"{standard_set.code}/{member.item.code}/{member.code}"[:100]
    return f"{standard_set.code}/{member.code}"[:100]


def _values(instance: Model, fields: list[str]) -> dict[str, Any]:
    return {field: getattr(instance, field) for field in fields}


def _record_change(
    prefix: str,
    target: Model,
    key: str,
    *,
    before: dict[str, Any] | None,
    fields: list[str],
    actor: User | None,
) -> None:
    after = _values(target, fields)
    if before is None:
        record_event(f"{prefix}.created", actor=actor, target=target, target_key=key, data=after)
        return
    changes = {f: [before[f], after[f]] for f in fields if before[f] != after[f]}
    if changes:
        record_event(f"{prefix}.changed", actor=actor, target=target, target_key=key, data=changes)
