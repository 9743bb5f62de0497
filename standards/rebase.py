"""Rebasing a city or county standard onto the newer standard it derives from.

When the province (or a city, for a county) publishes a new version, each set derived
from the old one keeps pricing by the old base until it is rebased. ``upstream`` says
what changed above it; ``plan`` what the rebase would keep and drop; ``rebase_set``
makes the new draft version, all or nothing: its overrides and retirements are kept
where the new base still has the item, its local items too (one the new base now has
becomes an override with the same reason).
"""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import record_event
from standards import catalogue
from standards.models import (
    Derivation,
    FeeCategory,
    Grade,
    RetiredItem,
    ServiceItem,
    SetStatus,
    StandardSet,
)
from standards.services import StandardsError, copy_contents


def newer_base(derived: StandardSet) -> StandardSet | None:
    """The newest published version of the standard ``derived`` is based on, issued by
    the same jurisdiction after it; None if its base is the newest (or it has none)."""
    base = derived.base
    if base is None:
        return None
    return (
        catalogue.sets_with_lineage()
        .filter(
            status=SetStatus.PUBLISHED,
            jurisdiction=base.jurisdiction,
            base_id=base.base_id,
            effective_from__gt=base.effective_from,
        )
        .order_by("-effective_from", "-published_at")
        .first()
    )


@dataclass(frozen=True)
class RebasePlan:
    derived: StandardSet
    new_base: StandardSet
    upstream: catalogue.Comparison  # the old base against the new one
    kept: list[ServiceItem]  # overrides and local items carried over
    dropped: list[ServiceItem]  # overrides of items the new base no longer has
    now_overrides: list[ServiceItem]  # local items the new base now has
    retired_kept: list[RetiredItem]
    retired_dropped: list[RetiredItem]


def plan(derived: StandardSet, new_base: StandardSet) -> RebasePlan:
    """What rebasing ``derived`` onto ``new_base`` changes; writes nothing."""
    assert derived.base is not None
    new_codes = {item.code for item in catalogue.effective_items(new_base)}
    own = list(
        ServiceItem.objects.filter(standard_set=derived)
        .select_related("category__parent", "standard_set__jurisdiction")
        .prefetch_related("grades")
        .order_by("position", "code")
    )
    retired = list(RetiredItem.objects.filter(standard_set=derived))
    dropped = [i for i in own if i.derivation == Derivation.OVERRIDE and i.code not in new_codes]
    return RebasePlan(
        derived=derived,
        new_base=new_base,
        upstream=catalogue.compare(derived.base, new_base),
        kept=[item for item in own if item not in dropped],
        dropped=dropped,
        now_overrides=[
            item for item in own if item.derivation == Derivation.LOCAL and item.code in new_codes
        ],
        retired_kept=[row for row in retired if row.code in new_codes],
        retired_dropped=[row for row in retired if row.code not in new_codes],
    )


def rebase_set(
    derived: StandardSet,
    new_base: StandardSet,
    *,
    code: str,
    version_label: str,
    effective_from: datetime.date,
    actor: User | None,
) -> StandardSet:
    """A new draft version of ``derived`` based on ``new_base``, as ``plan`` describes.

    All or nothing: refused (``StandardsError``, nothing written) unless ``new_base`` is a
    newer published version of the set's base, or if an item kept would lose its fee
    class (the new base has no class of that code). ``ValidationError`` on a bad code.
    """
    with transaction.atomic():
        source = (
            StandardSet.objects.select_for_update(of=("self",))
            .select_related("base__base", "jurisdiction")
            .get(pk=derived.pk)
        )
        if source.base is None:
            raise StandardsError(_("Only a derived standard is rebased."))
        newer = newer_base(source)
        if newer is None or newer.pk != new_base.pk:
            raise StandardsError(
                _("%(code)s is not the newest published version of the standard it is based on.")
                % {"code": new_base.code}
            )
        changes = plan(source, newer)
        copy = StandardSet(
            code=code,
            name=source.name,
            region=source.region,
            version_label=version_label,
            effective_from=effective_from,
            base=newer,
            jurisdiction_id=source.jurisdiction_id,
            previous_version=source,
            max_om_share=source.max_om_share,
            status=SetStatus.DRAFT,
        )
        copy.full_clean()
        copy.save()
        copy_contents(source, copy)
        _drop(copy, changes)
        _move_fee_classes(copy, newer)
        ServiceItem.objects.filter(
            standard_set=copy, code__in=[item.code for item in changes.now_overrides]
        ).update(derivation=Derivation.OVERRIDE)
        record_event(
            "standards.set.rebased",
            actor=actor,
            target=copy,
            target_key=copy.code,
            to_state=SetStatus.DRAFT,
            data={
                "from": source.code,
                "old_base": source.base.code,
                "new_base": newer.code,
                "kept": [item.code for item in changes.kept],
                "dropped": [item.code for item in changes.dropped],
                "now_overrides": [item.code for item in changes.now_overrides],
                "retired_kept": [row.code for row in changes.retired_kept],
                "retired_dropped": [row.code for row in changes.retired_dropped],
            },
        )
    return copy


def _drop(copy: StandardSet, changes: RebasePlan) -> None:
    codes = [item.code for item in changes.dropped]
    Grade.objects.filter(item__standard_set=copy, item__code__in=codes).delete()
    ServiceItem.objects.filter(standard_set=copy, code__in=codes).delete()
    RetiredItem.objects.filter(
        standard_set=copy, code__in=[row.code for row in changes.retired_dropped]
    ).delete()


def _move_fee_classes(copy: StandardSet, new_base: StandardSet) -> None:
    """Items of the copy filed under a fee class of the old base move to the new base's
    class of the same code (nearest level first)."""
    lineage = [member.pk for member in catalogue.lineage(copy)]
    classes: dict[str, FeeCategory] = {}
    for category in FeeCategory.objects.filter(standard_set__in=lineage[1:]).order_by("-pk"):
        nearest = classes.get(category.code)
        if nearest is None or lineage.index(category.standard_set_id) < lineage.index(
            nearest.standard_set_id
        ):
            classes[category.code] = category
    stray = ServiceItem.objects.filter(standard_set=copy).exclude(
        category__standard_set__in=lineage
    )
    for item in stray.select_related("category"):
        target = classes.get(item.category.code)
        if target is None:
            raise StandardsError(
                _("%(base)s has no fee class %(class)s for item %(item)s.")
                % {"base": new_base.code, "class": item.category.code, "item": item.code}
            )
        item.category = target
        item.save(update_fields=["category"])
