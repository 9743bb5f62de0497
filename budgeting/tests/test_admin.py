import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from audit.models import Event
from budgeting.models import BudgetCycle

pytestmark = pytest.mark.django_db


def test_only_admins_maintain_cycles_and_stage_changes_are_recorded(
    client: Client, admin_user: User, finance_reviewer: User, cycle: BudgetCycle
) -> None:
    url = reverse("admin:budgeting_budgetcycle_change", args=[cycle.pk])
    client.force_login(finance_reviewer)
    assert client.get(url).status_code == 302
    client.force_login(admin_user)
    page = client.get(url)
    assert page.status_code == 200
    stages = list(cycle.stages.order_by("order"))
    data = {
        "year": "2027",
        "name": cycle.name,
        "opens_at_0": cycle.opens_at.strftime("%Y-%m-%d"),
        "opens_at_1": "00:00:00",
        "closes_at_0": cycle.closes_at.strftime("%Y-%m-%d"),
        "closes_at_1": "23:59:59",
        "state": "open",
        "stages-TOTAL_FORMS": str(len(stages)),
        "stages-INITIAL_FORMS": str(len(stages)),
        "control_figures-TOTAL_FORMS": "0",
        "control_figures-INITIAL_FORMS": "0",
    }
    for index, stage in enumerate(stages):
        data.update(
            {
                f"stages-{index}-id": str(stage.pk),
                f"stages-{index}-cycle": str(cycle.pk),
                f"stages-{index}-order": str(stage.order),
                f"stages-{index}-code": stage.code,
                f"stages-{index}-name": stage.name,
                f"stages-{index}-role": stage.role,
                f"stages-{index}-condition": "always"
                if stage.code == "technical"
                else stage.condition,
            }
        )
        if stage.may_change_amounts:
            data[f"stages-{index}-may_change_amounts"] = "on"
        if stage.is_final:
            data[f"stages-{index}-is_final"] = "on"
    response = client.post(url, data)
    assert response.status_code == 302, (
        response.context["adminform"].errors if response.context else ""
    )
    assert cycle.stages.get(code="technical").condition == "always"
    assert Event.objects.filter(event_type="budgeting.cycle.reviewstages_changed").exists()
