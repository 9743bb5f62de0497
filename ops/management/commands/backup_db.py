from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ops import backup


class Command(BaseCommand):
    help = (
        "pg_dump -Fc the database to FILE, with FILE.json listing rows per table and "
        "numeric sums from the same snapshot (for restore_drill)."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, file: Path, **options: Any) -> None:
        counted = backup.dump(file)
        rows = sum(table["rows"] for table in counted.values())
        self.stdout.write(f"Wrote {file} ({len(counted)} tables, {rows} rows).")
