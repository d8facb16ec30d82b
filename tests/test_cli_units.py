"""`liveroom units`: add a unit, give it a crew, set its status, list it, as the operator on
the server does beside the running app (whose projections keep the list current)."""

from __future__ import annotations

import time

from tests.app_process import AppProcess


def listed(app: AppProcess, *args: str, until, timeout: float = 20) -> str:
    """`units list` once the running app's live model shows what `until` looks for."""
    deadline = time.monotonic() + timeout
    while True:
        result = app.cli("units", "list", *args)
        assert result.returncode == 0, result.stderr
        if until(result.stdout) or time.monotonic() > deadline:
            return result.stdout
        time.sleep(0.3)


def test_a_unit_added_crewed_and_put_out_of_service_from_the_cli(app):
    added = app.cli("devices", "add", "--agency", "damkar", "--name", "Rudi")
    officer = dict(line.split(": ", 1) for line in added.stdout.splitlines()
                   if ": " in line)["officer"]
    unit = app.cli("units", "add", "damkar-07", "--call-sign", "Damkar 07", "--agency",
                   "damkar", "--kind", "mobil pemadam", "--crew", officer, "--tracker",
                   officer)
    assert unit.returncode == 0, unit.stderr
    assert unit.stdout.strip() == (f"added damkar-07  Damkar 07  damkar  available  crew: "
                                   f"{officer}  tracker: {officer}")
    shown = listed(app, "--agency", "damkar", until=lambda out: "damkar-07" in out)
    assert shown.startswith("damkar-07  Damkar 07  damkar  available  crew: ")

    crew = app.cli("units", "crew", "damkar-07", "")
    assert crew.stdout.strip() == "damkar-07 crew: -"
    refused = app.cli("units", "status", "damkar-07", "out_of_service")
    assert (refused.returncode, refused.stderr.strip()) == (
        2, "refused: out of service needs a reason")
    broken = app.cli("units", "status", "damkar-07", "out_of_service", "--reason", "ban bocor")
    assert broken.stdout.strip() == "damkar-07 is out_of_service: ban bocor"
    shown = listed(app, until=lambda out: "out_of_service" in out)
    assert "damkar-07  Damkar 07  damkar  out_of_service  crew: -" in shown

    for args, said in (
            (("units", "list", "--agency", "atlantis"), "refused: no agency 'atlantis'"),
            (("units", "status", "damkar-07", "en_route"),
             "refused: a unit's status 'en_route' comes from its task")):
        result = app.cli(*args)
        assert (result.returncode, result.stdout) == (2, ""), args
        assert result.stderr.strip() == said
