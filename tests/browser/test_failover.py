"""The wall screen in headless Chromium across a Redis Sentinel failover (a sentinel set
of the test's own): while no primary answers, its badge turns RECONNECTING; once the
sentinels promote the replica it is LIVE again, with what was reported after."""

from __future__ import annotations

import signal

import pytest

from liveroom.access import SYSTEM
from liveroom.commands.accounts import add_user
from tests.browser.helpers import PASSWORD, report, shot, sign_in, text_of, wait_for_text
from tests.faults.servers import app_on_sentinels, wait_for

pytestmark = pytest.mark.browser


def test_the_wall_says_reconnecting_while_no_primary_answers_and_live_after(tmp_path,
                                                                            browser):
    with app_on_sentinels(tmp_path) as (app, room, redis_set):
        add_user(room, "opi-failover", PASSWORD, roles=["operator"], by=SYSTEM)
        sign_in(browser, app, "opi-failover")
        assert text_of(browser, "count-open") == "0"
        assert text_of(browser, "live-state") == "LANGSUNG"
        replica = redis_set["procs"]["replica"]
        replica.send_signal(signal.SIGSTOP)  # (hung: the sentinels cannot promote it yet)
        try:
            redis_set["procs"]["primary"].kill()  # kill -9: no primary at all
            wait_for_text(browser, "live-state", "MENYAMBUNG…", timeout=40)
            shot(browser, "wall-reconnecting")
        finally:
            replica.send_signal(signal.SIGCONT)
        after = wait_for(lambda: report(room, "dilaporkan setelah failover"), 60)
        wait_for_text(browser, "count-open", "1", timeout=30)
        wait_for_text(browser, "live-state", "LANGSUNG")
        assert "dilaporkan setelah failover" in browser.find_element("id", "feed").text
        assert after.id
