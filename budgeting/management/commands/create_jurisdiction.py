from datetime import date, datetime, time
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts.models import PROVINCE_CODE, AdministrativeLevel, Jurisdiction, province_pk
from budgeting.jurisdiction_setup import FirstYear, set_up_jurisdiction


def _date(value: str) -> datetime:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value!r}") from None
    return timezone.make_aware(datetime.combine(day, time()))


class Command(BaseCommand):
    help = (
        "Create a city or county with its finance department and data administration "
        "and, with --year, its first budget year with the default review stages."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="e.g. GD-ZH")
        parser.add_argument("name", help="e.g. 珠海市")
        parser.add_argument("--level", choices=["city", "county"], default="city")
        parser.add_argument("--parent", default="GD", help="the code of the jurisdiction above")
        parser.add_argument("--finance", nargs=2, metavar=("CODE", "NAME"), required=True)
        parser.add_argument("--data", nargs=2, metavar=("CODE", "NAME"), required=True)
        parser.add_argument("--year", type=int, help="its first budget year")
        parser.add_argument("--opens", help="the year's submissions open (YYYY-MM-DD)")
        parser.add_argument("--closes", help="the year's submissions close (YYYY-MM-DD)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["parent"] == PROVINCE_CODE:
            province_pk()  # made on first use, as a unit's default
        parent = Jurisdiction.objects.filter(code=options["parent"]).first()
        if parent is None:
            raise CommandError(f"No jurisdiction with the code {options['parent']!r}.")
        first_year = None
        if options["year"]:
            if not (options["opens"] and options["closes"]):
                raise CommandError("--year needs --opens and --closes.")
            first_year = FirstYear(
                year=options["year"],
                name=f"{options['year']}年度{options['name']}部门预算",
                opens_at=_date(options["opens"]),
                closes_at=_date(options["closes"]),
            )
        try:
            bodies, cycle = set_up_jurisdiction(
                actor=None,
                code=options["code"],
                name=options["name"],
                level=AdministrativeLevel(options["level"]),
                parent=parent,
                finance=tuple(options["finance"]),
                data_administration=tuple(options["data"]),
                first_year=first_year,
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(
            f"Created {bodies.jurisdiction.code} {bodies.jurisdiction.name} with "
            f"{bodies.finance.name} and {bodies.data_administration.name}"
            + (f", and its budget year {cycle.year} (preparing)." if cycle else ".")
        )
