"""Fill ``Project.reached_roles`` (projects 0007) for the projects reviewed so far.

The history says every stage a project was moved from or to (``from_stage`` and
``to_stage`` of each ``budgeting.project.*`` event, stage codes of the project's
cycle); the review row says where it stands now. One pass over the events, one
bulk update.
"""

from collections import defaultdict
from typing import Any

from django.db import migrations


def fill_from_history(apps: Any, schema_editor: Any) -> None:
    project_model = apps.get_model("projects", "Project")
    review_model = apps.get_model("budgeting", "Review")
    stage_model = apps.get_model("budgeting", "ReviewStage")
    event_model = apps.get_model("audit", "Event")
    role_of = {
        (cycle, code): role
        for cycle, code, role in stage_model.objects.values_list("cycle_id", "code", "role")
    }
    cycle_of: dict[str, int] = {}
    reached: defaultdict[str, set[str]] = defaultdict(set)
    for code, cycle, role in review_model.objects.values_list(
        "project__code", "cycle_id", "stage__role"
    ):
        cycle_of[code] = cycle
        if role:
            reached[code].add(role)
    events = event_model.objects.filter(
        target_type="projects.project", event_type__startswith="budgeting.project."
    ).values_list("target_key", "data")
    for code, data in events.iterator(chunk_size=2000):
        if code not in cycle_of or not isinstance(data, dict):
            continue
        for field in ("from_stage", "to_stage"):
            role = role_of.get((cycle_of[code], data.get(field)))
            if role:
                reached[code].add(role)
    projects = list(project_model.objects.filter(code__in=list(reached)).only("pk", "code"))
    for project in projects:
        project.reached_roles = sorted(reached[project.code])
    project_model.objects.bulk_update(projects, ["reached_roles"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_append_only_trigger"),
        ("budgeting", "0006_exportjob_moves_to_reports"),
        ("projects", "0008_reached_roles"),
    ]

    operations = [migrations.RunPython(fill_from_history, migrations.RunPython.noop)]
