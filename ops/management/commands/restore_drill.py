from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ops import backup


class Command(BaseCommand):
    help = (
        "Restore a backup_db dump into a scratch database, compare rows per table and "
        "numeric sums with its manifest, then drop the scratch database."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, file: Path, **options: Any) -> None:
        differences = backup.restore_drill(file)
        if differences:
            raise CommandError("The restore does not match the backup:\n" + "\n".join(differences))
        self.stdout.write(f"{file} restored; every table's rows and sums match.")
