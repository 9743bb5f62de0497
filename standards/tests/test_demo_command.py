"""seed_demo loads the sample standards (the other demo tests seed them alone)."""

import pytest
from django.core.management import call_command

from standards import demo
from standards.models import StandardSet

# seed_demo's rows as it left them (``demo_province``: seeded once per worker, copied
# back for this module), instead of seed_demo from an empty database here (11 s of CPU).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_province")]


def test_seed_demo_command_loads_the_standards(capsys):
    assert StandardSet.objects.filter(code=demo.PROVINCE_CODE).exists()
    call_command("seed_demo")  # again: it names them
    assert demo.CITY_CODE in capsys.readouterr().out
    assert StandardSet.objects.filter(code=demo.PROVINCE_CODE).exists()
