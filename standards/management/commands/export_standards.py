from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from standards import catalogue, excel


class Command(BaseCommand):
    help = (
        "Write a standard set to an .xlsx workbook (one sheet per table). "
        "Without --set: the provincial standard in force today."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--set", dest="code", help="Code of the standard set, e.g. GD-2019.")

    def handle(self, *args: Any, file: Path, code: str | None, **options: Any) -> None:
        if file.suffix.lower() != ".xlsx":
            raise CommandError("The file name must end in .xlsx.")
        if code:
            standard_set = catalogue.sets_with_lineage().filter(code=code).first()
            if standard_set is None:
                raise CommandError(f"No standard set {code}.")
        else:
            standard_set = catalogue.provincial_set_in_force()
            if standard_set is None:
                raise CommandError("No provincial standard is in force today; name one with --set.")
        rows = excel.write_workbook(standard_set, file)
        self.stdout.write(f"Wrote {standard_set.code} to {file} ({rows} rows).")
