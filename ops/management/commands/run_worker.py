import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from ops import workers


class Command(BaseCommand):
    help = (
        "Run the background worker (django-tasks' db_worker) and keep it running: wait for "
        "the database, fail what a dead worker left running, start it again when it exits."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds between looks at an empty queue (db_worker's --interval).",
        )
        parser.add_argument(
            "--child",
            action="store_true",
            help="Be the worker itself, in this process (what the supervisor starts).",
        )

    def handle(self, *args: Any, interval: float, child: bool, **options: Any) -> None:
        if child:
            workers.stop_when_orphaned()
            call_command(
                "db_worker",
                "--no-reload",
                "--no-startup-delay",
                f"--interval={interval}",
                f"--worker-id={workers.this_process()}",
                verbosity=options["verbosity"],
            )
            return
        supervisor = workers.Supervisor(workers.child_command(interval))
        supervisor.install_signal_handlers()
        sys.exit(supervisor.run())
