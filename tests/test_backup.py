"""`python -m liveroom backup` of a running app on embedded defaults, `restore` into a new
data dir, and the app started there showing the same room."""

from __future__ import annotations

import time

import httpx

from tests.app_process import AppProcess


def checkpoints(app: AppProcess) -> dict[str, str | None]:
    health = httpx.get(f"{app.url}/healthz", timeout=5).json()
    return {name: p["checkpoint"] for name, p in health["projections"].items()}


def caught_up(app: AppProcess, timeout: float = 30) -> dict[str, str | None]:
    """The projections' checkpoints once none is behind (the seed fully applied)."""
    deadline = time.monotonic() + timeout
    while True:
        health = httpx.get(f"{app.url}/healthz", timeout=5).json()
        lags = health["projections"].values()
        if all(p["checkpoint"] and not p["behind"] for p in lags):
            return checkpoints(app)
        assert time.monotonic() < deadline, health
        time.sleep(0.3)


def test_a_running_room_backed_up_and_restored_into_a_new_data_dir(tmp_path):
    backup = tmp_path / "backup"
    source = AppProcess({"LIVEROOM_DATA_DIR": str(tmp_path / "a")}, tmp_path / "a.log").start()
    try:
        seeded = source.cli("seed", "--officers-per-post", "1", "--reports", "6")
        assert seeded.returncode == 0, seeded.stderr
        before = caught_up(source)
        units = source.cli("units", "list").stdout
        taken = source.cli("backup", str(backup))  # while the app runs
        assert taken.returncode == 0, taken.stderr
        assert taken.stdout.startswith(f"backed up {{lr:tangerang}} into {backup}: ")
        again = source.cli("backup", str(backup))
        assert (again.returncode, again.stderr.strip()) == (
            2, f"{backup} is not an empty directory: a backup goes into a new one")
    finally:
        source.stop()

    target = AppProcess({"LIVEROOM_DATA_DIR": str(tmp_path / "b")}, tmp_path / "b.log")
    restored = target.cli("restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.startswith("restored the backup of ")
    full = target.cli("restore", str(backup))
    assert full.returncode == 2
    assert full.stderr.strip() == (
        "this deployment already holds data (Redis namespace {lr:tangerang}, the archive): "
        "--force replaces it")

    target.start()
    try:
        assert checkpoints(target) == before
        assert target.cli("units", "list").stdout == units
        running = target.cli("restore", str(backup), "--force")
        assert (running.returncode, running.stderr.strip()) == (
            2, "a LIVE Room process is running on {lr:tangerang} (it holds projection "
               "leases): stop it first")
    finally:
        target.stop()
    forced = target.cli("restore", str(backup), "--force")
    assert forced.returncode == 0, forced.stderr
