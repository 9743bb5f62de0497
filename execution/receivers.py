"""execution's answers to the signals of lower layers (connected in apps.py)."""

from typing import Any

from django.dispatch import receiver

from execution.figures import execution_of, predecessor_figures
from execution.models import CarryOver, CarryOverState
from projects.models import Project, ProjectState
from projects.permissions import projects_visible_to
from projects.signals import Panel, panels_wanted

EXECUTED = (ProjectState.APPROVED, ProjectState.CLOSED)


@receiver(panels_wanted, dispatch_uid="execution.panels")
def execution_panels(
    sender: Any, *, project: Project, page: str, user: Any, **kwargs: Any
) -> list[Panel]:
    """The project page: its execution figures once approved, and what its predecessor
    carried over to it. The review page of a continuing project: its predecessor's
    approved, paid, carried-over and closure figures."""
    found = []
    if page == "project" and project.state in EXECUTED:
        found.append(
            Panel(
                "execution/panel_figures.html",
                {"project": project, "execution": execution_of(project)},
            )
        )
    if project.predecessor_id:
        if page == "project":
            carried = (
                CarryOver.objects.filter(
                    project_id=project.predecessor_id, state=CarryOverState.APPROVED
                )
                .select_related("project")
                .first()
            )
            if carried is not None:
                found.append(Panel("execution/panel_carried_in.html", {"carry_over": carried}))
        elif page == "review":
            figures = predecessor_figures(project, projects_visible_to(user))
            if figures is not None:
                found.append(Panel("execution/panel_predecessor.html", {"figures": figures}))
    return found
