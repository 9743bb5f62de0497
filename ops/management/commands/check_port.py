import errno
import socket
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Fail with a clear message when something listens on a TCP port of 127.0.0.1."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("port", type=int)

    def handle(self, *args: Any, port: int, **options: Any) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            # As gunicorn and runserver bind: connections of a server that just stopped
            # linger in TIME-WAIT for a minute and must not count, only a listener does.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError as error:
                if error.errno != errno.EADDRINUSE:
                    raise
                raise CommandError(
                    f"Port {port} on 127.0.0.1 is already in use. "
                    f"Stop whatever is using it, or pick another port: make run PORT={port + 1}"
                ) from None
