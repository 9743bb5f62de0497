"""Every year made before rounds existed was a single round: 一上 (open while the year
was, closed after) and 一下, and its reviews and batches belong to that 一上 / 一下."""

from django.db import migrations


def add_rounds(apps, schema_editor):
    BudgetCycle = apps.get_model("budgeting", "BudgetCycle")
    BudgetRound = apps.get_model("budgeting", "BudgetRound")
    Review = apps.get_model("budgeting", "Review")
    ApprovalBatch = apps.get_model("budgeting", "ApprovalBatch")
    for cycle in BudgetCycle.objects.all():
        up_state = {"preparing": "pending", "open": "open"}.get(cycle.state, "closed")
        up = BudgetRound.objects.create(
            cycle=cycle, order=1, code="1up", name="一上", kind="submission", state=up_state
        )
        down = BudgetRound.objects.create(
            cycle=cycle, order=2, code="1down", name="一下", kind="issue", state="pending"
        )
        Review.objects.filter(cycle=cycle).update(round=up)
        ApprovalBatch.objects.filter(cycle=cycle).update(round=down)


class Migration(migrations.Migration):
    dependencies = [("budgeting", "0008_rounds")]

    operations = [migrations.RunPython(add_rounds, migrations.RunPython.noop)]
