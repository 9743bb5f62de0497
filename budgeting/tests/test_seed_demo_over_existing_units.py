"""seed_demo over a database that already holds some of its units and people (the
suite's personas): it adds its projects once."""

import pytest
from django.core.management import call_command

from accounts.models import User
from projects.models import Continuity, Project

pytestmark = pytest.mark.django_db


def test_demo_projects_are_seeded_once(submitter: User) -> None:
    call_command("seed_demo")
    count = Project.objects.count()
    assert count >= 25
    assert Project.objects.filter(continuity=Continuity.CONTINUING).count() >= 4
    call_command("seed_demo")
    assert Project.objects.count() == count
