from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from accounts import demo
from accounts.models import Role
from budgeting import demo as demo_review
from budgeting import jurisdiction_demo, last_year_demo, library_demo, procurement_demo
from budgeting.signals import demo_seeded
from inventory import demo as inventory_demo
from projects import demo as demo_projects
from standards import demo as standards_demo


class Command(BaseCommand):
    help = "Load demo budget units and accounts. Safe to run again: existing rows are kept."

    def handle(self, *args: Any, **options: Any) -> None:
        password = settings.DEMO_PASSWORD
        units, users = demo.seed_units_and_users(password)
        standards = standards_demo.seed_standards()
        projects = demo_projects.seed_projects()
        # The year before, approved: the execution demo's year, the 续建 projects' predecessors.
        last_year = last_year_demo.seed_last_year()
        # Before the review: the O&M drafts that reach the reviewers carry their base.
        surveyed = inventory_demo.seed_inventory()
        generated = demo_projects.generate_from_inventory()
        cycles, moved = demo_review.seed_review()
        procurement_demo.seed_procurement()
        library_demo.seed_library()  # the project library's reserve (issue #17)
        # After the projects: their lines stay priced by the 2019 standard, to re-price.
        standards += standards_demo.seed_revision()
        self.stdout.write(
            f"Demo data: {units} budget units, {users} users, {standards} sample standards "
            f"({standards_demo.PROVINCE_CODE}, {standards_demo.CITY_CODE}, "
            f"{standards_demo.REVISION_CODE}), {projects} projects "
            f"and {cycles} budget cycle created; {moved} projects moved through the review; "
            f"{surveyed} units in the {inventory_demo.YEAR} inventory survey, "
            f"{generated} operation projects priced from it; "
            f"{last_year} projects of {last_year_demo.LAST_YEAR} approved in "
            f"“{last_year_demo.BATCH_NAME}” ({last_year_demo.DOCUMENT_NUMBER})."
        )
        # The layers above (execution) seed theirs on the approved year.
        for _receiver, summary in demo_seeded.send(sender=self.__class__):
            self.stdout.write(str(summary))
        # The cities and the county, each with its own year and reviewers (issue #18);
        # after the execution demo, which plays the province's approved projects.
        places, city_people, city_projects = jurisdiction_demo.seed_jurisdictions(password)
        self.stdout.write(
            f"Cities and counties: {places} created "
            f"({', '.join(p.name for p in jurisdiction_demo.JURISDICTIONS)}), "
            f"{city_people} users and {city_projects} projects."
        )
        self.stdout.write("")
        self.stdout.write(f"Demo accounts (password: {password}):")
        for person in demo.USERS:
            roles = ", ".join(str(Role(role).label) for role in person.roles)
            self.stdout.write(f"  {person.username:<20} {person.unit_code:<8} {roles}")
        for username, unit_code, person_roles in jurisdiction_demo.usernames():
            roles = ", ".join(str(Role(role).label) for role in person_roles)
            self.stdout.write(f"  {username:<20} {unit_code:<8} {roles}")
