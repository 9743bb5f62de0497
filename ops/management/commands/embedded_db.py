from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ops import embedded_db


class Command(BaseCommand):
    help = "Start, stop or show the embedded PostgreSQL server (used when DATABASE_URL is unset)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["start", "stop", "status"])

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if settings.DATABASE_URL:
            if action == "stop":
                self.stdout.write("DATABASE_URL is set: no embedded server to stop.")
                return
            self.stdout.write("DATABASE_URL is set: using that server, not the embedded one.")
            return
        if action == "start":
            try:
                socket_dir = embedded_db.ensure_running()
            except Exception as error:
                raise CommandError(
                    f"Could not start the embedded PostgreSQL in {embedded_db.DATA_DIR}: {error}. "
                    f"Its log is {embedded_db.DATA_DIR / 'log'}."
                ) from error
            self.stdout.write(f"Embedded PostgreSQL running, socket in {socket_dir}.")
        elif action == "stop":
            stopped = embedded_db.stop()
            self.stdout.write(
                "Embedded PostgreSQL stopped."
                if stopped
                else "Embedded PostgreSQL was not running."
            )
        else:
            running_in = embedded_db.running_socket_dir()
            self.stdout.write(
                f"Embedded PostgreSQL running, socket in {running_in}."
                if running_in
                else "Embedded PostgreSQL is not running."
            )
