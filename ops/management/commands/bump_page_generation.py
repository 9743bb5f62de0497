from typing import Any

from django.core.management.base import BaseCommand

from ops.page_cache import current_generation, jump_generation


class Command(BaseCommand):
    help = (
        "Forget every cached page. Needed only after data was changed outside Django "
        "(psql, pg_restore, which also brings back an older generation): writes "
        "through the app do this by themselves."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        jump_generation()
        self.stdout.write(f"Page generation is now {current_generation()}.")
