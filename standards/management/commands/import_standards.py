from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from standards import excel, import_service, services


class Command(BaseCommand):
    help = (
        "Read an .xlsx workbook into the draft standard set CODE, creating the draft if it is "
        "new. All or nothing: any bad row and nothing is written. Published sets refuse imports."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--set", dest="code", required=True, help="Code of the draft set.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change; write nothing."
        )

    def handle(self, *args: Any, file: Path, code: str, dry_run: bool, **options: Any) -> None:
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        try:
            parsed = excel.read_workbook(file)
            report = import_service.import_catalogue(
                code, parsed, actor=None, dry_run=dry_run, source=file.name
            )
        except excel.WorkbookError as error:
            for issue in error.issues:
                self.stderr.write(str(issue))
            raise CommandError(
                f"{len(error.issues)} problem(s) in {file.name}; nothing was written."
            ) from error
        except services.StandardsError as error:
            raise CommandError(error.message) from error
        self.stdout.write(describe(report))


def describe(report: import_service.ImportReport) -> str:
    verb = "Would change" if report.dry_run else "Changed"
    if report.is_empty:
        return f"{report.standard_set}: nothing to change."
    lines = [f"{verb} {report.standard_set}" + (" (new draft)" if report.created_set else "") + ":"]
    for change, table, codes in report.lines():
        shown = ", ".join(codes[:20]) + (" ..." if len(codes) > 20 else "")
        lines.append(f"  {change} {table}: {len(codes)} ({shown})")
    return "\n".join(lines)
