"""Starting with a broken set-up ends in one clear line: no secret, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ioc.config import ROOT
from ioc.store.engine import make_engine, migrate
from tests.conftest import small_disk

SECRET = "S3cretPw"


def run(args: list[str], env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    return subprocess.run(
        args,
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("IOC_MQTT_URL", f"mqtt://ioc:{SECRET}@broker.example:notaport"),
        ("IOC_MQTT_URL", f"http://ioc:{SECRET}@broker.example:1883"),
        # accepted by the settings; its store cannot be opened: the second message path
        ("IOC_DATABASE_URL", f"postgresql+psycopg://ioc:{SECRET}@127.0.0.1:1/x"),
    ],
)
def test_a_configuration_error_never_prints_a_password(variable, value):
    env = {"IOC_MQTT_URL": "mqtt://127.0.0.1:1", variable: value}
    done = run([sys.executable, "-m", "feeds.ingest"], env)
    assert done.returncode == 2, done.stderr
    assert SECRET not in done.stderr + done.stdout
    assert "***" in done.stderr and "Traceback" not in done.stderr


@pytest.fixture
def read_only_store(tmp_path) -> Iterator[str]:
    """A migrated SQLite store on a filesystem that then turns read-only."""
    with small_disk(tmp_path / "ro", "16m") as mount:
        url = f"sqlite:///{mount / 'ioc.db'}"
        engine = make_engine(url)
        migrate(engine)
        engine.dispose()
        Path(f"{mount / 'ioc.db'}.migrate-lock").unlink()
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        yield url


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "feeds.ingest"],
        [sys.executable, "-m", "ioc.briefing", "take"],
        [sys.executable, "-m", "ioc.metrics", "--once"],
        [sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:0", "app:server"],
    ],
    ids=["ingest", "briefing", "metrics", "gunicorn"],
)
def test_a_read_only_store_folder_is_one_clear_line(read_only_store, command):
    env = {"IOC_DATABASE_URL": read_only_store, "IOC_MQTT_URL": "mqtt://127.0.0.1:1"}
    done = run(command, env)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr, done.stderr
    assert "Read-only file system" in done.stderr and "must be writable" in done.stderr
