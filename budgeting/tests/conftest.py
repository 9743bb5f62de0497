from budgeting.tests.workflow_fixtures import cycle, ready_project

__all__ = ["cycle", "ready_project"]
