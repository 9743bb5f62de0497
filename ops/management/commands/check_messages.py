"""Whether every string the code marks for translation has its Chinese translation.

``tests/test_i18n.py`` checks the catalogue against itself (nothing untranslated or fuzzy
in ``django.po``, all of it compiled); a string added to the code but never extracted
passes that, and shows in English in the Chinese interface. This extracts the strings
afresh, as ``make messages`` does, into a copy of the tracked files (the working tree's
catalogue stays as it is), and fails on any the catalogue lacks. ``make lint`` runs it.
"""

import shutil
import subprocess  # nosec B404: git and our own manage.py, no shell
import sys
import tempfile
from pathlib import Path
from typing import Any

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

CATALOGUE = Path("locale/zh_Hans/LC_MESSAGES/django.po")


class Command(BaseCommand):
    help = "Fail if a string marked for translation has no Chinese translation."

    def handle(self, *args: Any, **options: Any) -> None:
        root = Path(settings.BASE_DIR)
        tracked = subprocess.run(  # nosec B603: fixed arguments
            ["git", "ls-files", "-z"],  # noqa: S607  # git from PATH, as make does
            cwd=root,
            check=True,
            capture_output=True,
        ).stdout.split(b"\0")
        with tempfile.TemporaryDirectory() as copy:
            for name in filter(None, tracked):
                source = root / name.decode()
                if source.is_file():
                    target = Path(copy) / name.decode()
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(source, target)
            subprocess.run(  # nosec B603: our own manage.py
                [sys.executable, "manage.py", "makemessages", "--locale", "zh_Hans",
                 "--ignore", ".venv/*", "--ignore", "var/*", "--no-obsolete", "--verbosity", "0"],
                cwd=copy,
                check=True,
            )  # fmt: skip
            catalogue = polib.pofile(str(Path(copy) / CATALOGUE))
        missing = [
            entry.msgid
            for entry in [*catalogue.untranslated_entries(), *catalogue.fuzzy_entries()]
            if not entry.obsolete
        ]
        if missing:
            listed = "\n".join(f"  {msgid!r}" for msgid in missing)
            raise CommandError(
                f"{len(missing)} strings have no Chinese translation in {CATALOGUE} "
                f"(add them, then `make messages`):\n{listed}"
            )
        self.stdout.write("Every string has its Chinese translation.")
