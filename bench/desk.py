"""The call-taker's desk, in real browsers, under the simulator's load: how many keystrokes
and clicks a typical phone report takes besides the words, and how long from "save" until
the incident is on another operator's wall screen, against an Open311 report's way to the
same screen in the same run (the baseline: the push path the wall is measured on).

    .venv/bin/python bench/desk.py [--reports 20] [--officers 1000]

A typical phone report: F2, the category typed and chosen (Enter), where the caller is
clicked on the map (the typing goes on in the description), the description, Ctrl+Enter.
Each of those that is not typing words counts as one interaction; the run fails (exit 1)
above 8, when a report is not saved, or when the other screen misses one. The desk's page stamps the
moment of Ctrl+Enter, the other screen the moment the incident's marker appears (a
MutationObserver, `bench/screen.py`'s), both on the machine's clock.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.app import bench_app, projections_worker, run_on_a_fresh_archive
from bench.screen import WATCH, percentile, start_simulator, summary
from liveroom.access import SYSTEM
from liveroom.archive import schema
from liveroom.commands import accounts
from liveroom.demo.seed import random_point
from tests.browser.conftest import chromium
from tests.browser.helpers import PASSWORD, sign_in, text_of

#: the issue's ceiling for a typical phone report, besides typing the words
MOST_INTERACTIONS = 8
STAMP_SAVE = """
document.addEventListener("keydown", function (event) {
  if (event.key === "Enter" && event.ctrlKey) {
    window.savedAt = performance.timeOrigin + performance.now();
  }
}, true);
"""
WORDS = ("Sampah menumpuk di depan pasar sejak kemarin", "Tumpukan sampah menutup trotoar",
         "Sampah rumah tangga belum diangkut tiga hari")


class Desk:
    """One operator's screen, driven from the keyboard and the mouse as a person would,
    counting every action that is not typing words."""

    def __init__(self, browser) -> None:
        self.browser, self.interactions = browser, 0
        self.refused: list[str] = []  # what a save was refused for (then placed again)
        self.last_refusal = ""

    def press(self, *keys: str) -> None:
        """One interaction: a key, or a chord (modifiers held)."""
        chain = ActionChains(self.browser)
        *held, key = keys
        for modifier in held:
            chain.key_down(modifier)
        chain.send_keys(key)
        for modifier in reversed(held):
            chain.key_up(modifier)
        chain.perform()
        self.interactions += 1

    def type(self, words: str) -> None:
        """Words typed at a quick typist's pace (not counted)."""
        chain = ActionChains(self.browser)
        for char in words:
            chain.send_keys(char).pause(0.03)
        chain.perform()

    def click_map(self, dx: int, dy: int) -> None:
        chain = ActionChains(self.browser).move_to_element(
            self.browser.find_element(By.ID, "map")).move_by_offset(dx, dy).click()
        chain.perform()
        self.interactions += 1

    def saved_text(self) -> str:
        """What the last save said ("Laporan … tersimpan."), or ""."""
        return self.browser.execute_script(
            "var e = document.getElementById('desk-saved'); return e ? e.textContent : '';")

    def report(self, rng: random.Random) -> tuple[str, int]:
        """A phone report about rubbish; (its incident id, the interactions it took)."""
        before = self.interactions
        wait = WebDriverWait(self.browser, 15)
        self.press(Keys.F2)
        wait.until(lambda d: d.execute_script(  # (the form arrives from the server)
            "var c = document.getElementById('desk-category');"
            "return c && c.contains(document.activeElement);"))
        self.type("sampah menumpuk")
        self.press(Keys.ENTER)
        self.place(rng)
        wait.until(lambda d: d.switch_to.active_element.get_attribute("id") ==
                   "desk-description")  # (the map click hands the typing to it)
        self.type(rng.choice(WORDS))
        for _ in range(5):
            shown = self.saved_text()
            self.press(Keys.CONTROL, Keys.ENTER)
            wait.until(lambda d, shown=shown: self.saved_text() not in ("", shown)
                       or self.refusal())
            if self.saved_text() not in ("", shown):
                return self.saved_text().split()[1], self.interactions - before
            self.refused.append(self.last_refusal)  # (a click outside the city: click again)
            self.place(rng)
        raise RuntimeError(f"never saved: {self.refused[-1]}")

    def place(self, rng: random.Random) -> None:
        """A click on the map where the caller is; again when it opened a marker instead."""
        for _ in range(3):
            self.click_map(rng.randint(-150, 150), rng.randint(-110, 110))
            try:
                WebDriverWait(self.browser, 3).until(
                    lambda d: d.find_element(By.ID, "desk-point").get_attribute("value"))
                return
            except TimeoutException:
                continue

    def refusal(self) -> str:
        """A refusal the last save brought (each is read once: a new one is a new element)."""
        found = self.browser.execute_script(
            "var e = document.querySelector('#desk-message .admin-error:not([data-read])');"
            "if (!e) { return ''; } e.setAttribute('data-read', ''); return e.textContent;")
        self.last_refusal = found or self.last_refusal
        return found


def received_at(room) -> dict[str, float]:
    """When each report was appended (its event's time, as archived; ms), by
    `bench/screen.py`'s key (the stream itself is trimmed once every reader has it)."""
    incidents = schema.incidents
    with room.engine.connect() as conn:
        return {f"{incident_id}|3": at.timestamp() * 1000 for incident_id, at in conn.execute(
            select(incidents.c.id, incidents.c.reported_at))}


def run(args: argparse.Namespace, database_url: str | None) -> None:
    with ExitStack() as stack:
        room, app = stack.enter_context(bench_app(
            database_url, LIVEROOM_OPEN311_POSTS_PER_MINUTE=str(10**9),
            LIVEROOM_PROJECTIONS="off"))
        stack.enter_context(projections_worker(app))
        for name in ("bench-desk", "bench-wall"):
            accounts.add_user(room, name, PASSWORD, roles=["operator"], by=SYSTEM)
        key = accounts.create_api_key(room, "bench", by=SYSTEM).secret
        if args.officers:
            stack.callback(start_simulator(app, room, args).terminate)
        desk_browser, wall = chromium(), chromium()
        stack.callback(desk_browser.quit)
        stack.callback(wall.quit)
        sign_in(desk_browser, app, "bench-desk")
        sign_in(wall, app, "bench-wall")
        text_of(wall, "count-open")
        time.sleep(args.warmup)
        wall.execute_script(WATCH)
        desk_browser.execute_script(STAMP_SAVE)
        desk, rng = Desk(desk_browser), random.Random(11)
        desk_sent, open311_sent, counts = {}, {}, []
        with httpx.Client(timeout=10) as client:
            for _ in range(args.reports):
                incident_id, taken = desk.report(rng)
                counts.append(taken)
                desk_sent[f"{incident_id}|3"] = desk_browser.execute_script(
                    "return window.savedAt")
                time.sleep(args.gap)
                lat, lon = random_point(room.city, rng)
                started = time.time() * 1000
                posted = client.post(f"{app.url}/open311/v2/requests.json", data={
                    "api_key": key, "service_code": "sampah-menumpuk", "lat": lat,
                    "long": lon, "description": "uji meja"})
                open311_sent[f"{posted.json()[0]['service_request_id']}|3"] = started
                time.sleep(args.gap)
            time.sleep(5)
        seen = wall.execute_script("return window.seen")
        received = received_at(room)
    print(f"# {args.reports} phone reports at the desk, each followed by an Open311 report; "
          + (f"simulator: {args.officers} officers moving, {args.reports_per_minute} "
             "reports/min" if args.officers else "no simulator (no load)"))
    print(f"interactions besides typing the words, per report: median "
          f"{statistics.median(counts):.0f}, max {max(counts)}, min {min(counts)} (target: at "
          f"most {MOST_INTERACTIONS}); saves refused and placed again: {len(desk.refused)} "
          f"{sorted(set(desk.refused))}")
    print(summary("desk: Ctrl+Enter -> on the other operator's map", desk_sent, seen))
    print(summary("baseline: Open311 POST -> on the same map", open311_sent, seen))
    print(summary("  of which desk: Ctrl+Enter -> report appended", desk_sent, received))
    print(summary("  of which Open311: POST -> report appended", open311_sent, received))
    desk_p95 = percentile([seen[k] - t for k, t in desk_sent.items() if k in seen] or [0], 0.95)
    base_p95 = percentile([seen[k] - t for k, t in open311_sent.items() if k in seen] or [0],
                          0.95)
    print(f"p95 desk / Open311: {desk_p95 / base_p95:.2f}x" if base_p95 else "no baseline")
    problems = ([f"{max(counts)} interactions"] if max(counts) > MOST_INTERACTIONS else []) + (
        [f"{sum(k not in seen for k in desk_sent)} desk report(s) never seen"]
        if any(k not in seen for k in desk_sent) else [])
    if problems:
        print("FAILED: " + "; ".join(problems))
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=20)
    parser.add_argument("--gap", type=float, default=0.5)
    parser.add_argument("--officers", type=int, default=1000)
    parser.add_argument("--reports-per-minute", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=15)
    args = parser.parse_args()
    run_on_a_fresh_archive(run, args)


if __name__ == "__main__":
    main()
