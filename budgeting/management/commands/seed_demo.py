from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from accounts import demo
from accounts.models import Role
from standards import demo as standards_demo


class Command(BaseCommand):
    help = "Load demo budget units and accounts. Safe to run again: existing rows are kept."

    def handle(self, *args: Any, **options: Any) -> None:
        password = settings.DEMO_PASSWORD
        units, users = demo.seed_units_and_users(password)
        self.stdout.write(f"Demo data: {units} budget units and {users} users created.")
        standards = standards_demo.seed_standards()
        self.stdout.write(
            f"Sample budget standards ({standards_demo.PROVINCE_CODE}, "
            f"{standards_demo.CITY_CODE}): {standards} created."
        )
        self.stdout.write("")
        self.stdout.write(f"Demo accounts (password: {password}):")
        for person in demo.USERS:
            roles = ", ".join(str(Role(role).label) for role in person.roles)
            self.stdout.write(f"  {person.username:<18} {person.unit_code:<8} {roles}")
