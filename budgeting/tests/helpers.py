import os
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
    "SECURE_COOKIES",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def run_python(env_overrides: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run the project's Python in a fresh process with a clean settings environment."""
    env = {key: value for key, value in os.environ.items() if key not in SUITE_ONLY}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, check=False
    )
