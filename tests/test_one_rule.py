"""Access rules live in the apps' ``permissions.py`` files, as named functions that views,
the dashboard and the navigation call (issue #14: one rule in one place)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = (
    "accounts",
    "audit",
    "budgeting",
    "config",
    "inventory",
    "ops",
    "projects",
    "reports",
    "standards",
    "ui",
)
# A role tested by hand: has_role(...), or "Role.X in someone.roles".
ROLE_CHECK = re.compile(r"\bhas_role\(|\bRole\.\w+ (not )?in \w+(\.\w+)*\.roles\b")
# Models check that a role fits its unit; nothing there decides access.
ALLOWED = {"permissions.py", "models.py"}


def test_role_checks_live_only_in_the_permissions_modules() -> None:
    found = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            relative = path.relative_to(ROOT)
            if path.name in ALLOWED or "tests" in relative.parts or "migrations" in relative.parts:
                continue
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if ROLE_CHECK.search(line):
                    found.append(f"{relative}:{number}: {line.strip()}")
    assert not found, "Role checks outside permissions.py: name them there.\n" + "\n".join(found)
