import os
import secrets
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]

# The suite's own settings (pytest-env, the browser tests' async switch) must
# not leak into a subprocess that stands for production.
SUITE_ONLY = {
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "STATIC_MANIFEST",
    "STATIC_ROOT",
    "SECURE_COOKIES",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "budget.example.gov.cn",
}


def clean_environment(overrides: dict[str, str]) -> dict[str, str]:
    """This process's environment without the suite's settings, plus ``overrides``."""
    env = {key: value for key, value in os.environ.items() if key not in SUITE_ONLY}
    env.update(overrides)
    return env


def run_python(env_overrides: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run the project's Python in a fresh process with a clean settings environment."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=clean_environment(env_overrides),
        capture_output=True,
        text=True,
        check=False,
    )
