from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from budgeting.scale import seed_jurisdictions, seed_reviews
from projects.scale import seed_scale


class Command(BaseCommand):
    help = (
        "Add synthetic projects for benchmarks, with their estimate lines and, for those in "
        "review, review rows at every stage, line decisions and approved batches "
        "(bulk insert; not for real data)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--projects", type=int, default=10_000)
        parser.add_argument("--year", type=int, default=2027)
        parser.add_argument("--lines", type=int, default=0, help="estimate lines per project")
        parser.add_argument(
            "--jurisdictions",
            type=int,
            default=0,
            help="make the province's shape first: this many jurisdictions in all (≈140)",
        )

    def handle(
        self, *args: Any, projects: int, year: int, lines: int, jurisdictions: int, **options: Any
    ) -> None:
        if projects < 1 or lines < 0 or jurisdictions < 0:
            raise CommandError("--projects must be at least 1 and --lines not negative.")
        try:
            if jurisdictions:
                places = seed_jurisdictions(jurisdictions, year=year)
                self.stdout.write(f"{places} synthetic cities and counties added.")
            made = seed_scale(projects, year=year, lines=lines)
            reviews = seed_reviews(year)
        except ValueError as error:
            raise CommandError(str(error)) from error
        stages = ", ".join(f"{code} {count}" for code, count in reviews.items())
        self.stdout.write(f"{made} synthetic projects of {year} added; reviews: {stages}.")
