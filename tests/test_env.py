import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, parse_database_url

BASE_DIR = Path(__file__).resolve().parents[1]


def test_parse_database_url_with_network_host() -> None:
    config = parse_database_url(
        "postgresql://budget:s%40cret@db.internal:6543/budgeting?sslmode=require"
    )
    assert config["NAME"] == "budgeting"
    assert config["USER"] == "budget"
    assert config["PASSWORD"] == "s@cret"
    assert config["HOST"] == "db.internal"
    assert config["PORT"] == "6543"
    assert config["OPTIONS"] == {"sslmode": "require"}


def test_parse_database_url_with_socket_directory() -> None:
    config = parse_database_url("postgres:///budgeting?host=/var/run/postgresql")
    assert config["HOST"] == "/var/run/postgresql"
    assert config["OPTIONS"] == {}


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite:///db.sqlite3", "PostgreSQL only"),
        ("postgresql://localhost", "must name a database"),
    ],
)
def test_parse_database_url_refuses_what_we_cannot_use(url: str, message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        parse_database_url(url)


def test_typed_helpers_name_the_variable_in_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOME_FLAG", "perhaps")
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG"):
        env_bool("SOME_FLAG")
    monkeypatch.setenv("SOME_NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured, match="SOME_NUMBER"):
        env_int("SOME_NUMBER", 1)
    monkeypatch.setenv("SOME_LIST", "a.example, b.example,")
    assert env_list("SOME_LIST", []) == ["a.example", "b.example"]
    monkeypatch.setenv("SOME_FLAG", "Yes")
    assert env_bool("SOME_FLAG") is True


def _load_settings(**overrides: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key not in {"SECRET_KEY", "DEBUG"}}
    env.update(overrides)
    return subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_missing_secret_key_outside_debug_is_a_clear_error() -> None:
    result = _load_settings()
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set" in result.stderr


def test_debug_runs_without_a_secret_key() -> None:
    assert _load_settings(DEBUG="true").returncode == 0


def test_env_example_lists_every_variable_the_settings_read() -> None:
    settings_source = (BASE_DIR / "config" / "settings.py").read_text()
    example = (BASE_DIR / ".env.example").read_text()
    import re

    read = set(re.findall(r'env_(?:str|bool|int|list)\(\s*"([A-Z_]+)"', settings_source))
    assert read, "the settings read no variables?"
    missing = {name for name in read if f"{name}=" not in example}
    assert not missing, f".env.example does not list: {sorted(missing)}"
