"""At most once across a crash: a `liveroom work` killed with kill -9 while the provider
holds its message open (sent, but the answer never recorded) leaves the message `sending`;
the next sender never sends it again, and it is shown as not confirmed; that process then
tells the next reporter as usual."""

from __future__ import annotations

import subprocess
import sys
import time

from liveroom.access import SYSTEM
from liveroom.commands.incidents import report_incident
from liveroom.notify import outcomes
from tests.app_process import ROOT, AppProcess
from tests.conftest import drain
from tests.notify.conftest import outbox, providers_env


def work(env: dict[str, str], log) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "liveroom", "work"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)


def wait_until(check, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    return found


def test_kill_9_between_the_send_and_its_answer_sends_once_and_says_so(
        settings, room, tmp_path, providers, mailbox, tangerang_point):
    incident = report_incident(room, category="sampah-menumpuk", lat=tangerang_point[0],
                               lon=tangerang_point[1], source="telegram", by=SYSTEM,
                               reporter={"telegram": "987654321"})
    drain(room)
    assert len(outbox(room)) == 1
    env = AppProcess.beside(settings, tmp_path, LIVEROOM_LEASE_SECONDS="1", **{
        f"LIVEROOM_{name}": value for name, value in providers_env(providers,
                                                                   mailbox).items()}).env
    providers.hold()
    processes = []
    with (tmp_path / "work.log").open("a") as log:
        try:
            processes.append(first := work(env, log))
            providers.wait_for(1, timeout=60)  # the provider has it, and holds the answer
            entry = room.redis.xrange(room.keys.stream("outbox"))[0][0]
            assert outcomes.state(room, entry)["state"] == "sending"
            first.kill()  # kill -9
            first.wait()
            processes.append(work(env, log))
            wait_until(lambda: outcomes.state(room, entry)["state"] == "unknown")
            # the next report is told by the second process's policy and sender
            later = report_incident(room, category="sampah-menumpuk",
                                    lat=tangerang_point[0] + 0.01, lon=tangerang_point[1],
                                    source="telegram", by=SYSTEM, reporter={"telegram": "55"})
            told = providers.wait_for(2, timeout=30)[1].json()
            time.sleep(2)  # (long enough for a resend of the first to have arrived)
        finally:
            for process in processes:
                process.kill()
                process.wait()
    assert [r.json()["chat_id"] for r in providers.sends()] == ["987654321", "55"]
    assert told["text"].startswith(f"Laporan Anda sudah kami terima. Nomor laporan: {later.id}")
    assert outcomes.of_incident(room, incident.id) == {"failed": 1}
    assert "not confirmed" in outcomes.state(room, entry)["error"]
