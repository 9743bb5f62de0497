"""seed_demo's single-source procurement batch (issue #17)."""

import pytest
from django.core.management import call_command

from budgeting import procurement
from budgeting.models import ProcurementBatch, ProcurementBatchState
from budgeting.procurement_demo import BATCH_NAME
from projects.models import ProcurementMethod, Project, ProjectState

# seed_demo's rows as it left them (``demo_province``: seeded once per worker, copied
# back for this module), instead of seed_demo again here (11 s of CPU).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_province")]


def test_seed_demo_approves_a_single_source_batch_once() -> None:
    batch = ProcurementBatch.objects.get()
    assert (batch.name, batch.state) == (BATCH_NAME, ProcurementBatchState.APPROVED)
    items = list(procurement.live_approvals().filter(batch=batch).select_related("project"))
    assert len(items) >= 2
    assert {item.project.state for item in items} == {ProjectState.APPROVED}
    assert all(item.supplier for item in items)
    # A single-source request stays behind for the clerk, its justification filled in.
    draft = Project.objects.filter(
        procurement_method=ProcurementMethod.SINGLE_SOURCE, state=ProjectState.DRAFT
    ).first()
    assert draft is not None and draft.proposed_supplier
    call_command("seed_demo")
    assert ProcurementBatch.objects.count() == 1
