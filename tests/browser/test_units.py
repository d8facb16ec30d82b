"""The unit board in Chromium: a unit dispatched to a fire turns to dispatched on an open
board by push (no reload), then en route; its time in status counts in the browser, and a
unit long dispatched turns from amber to red there, with no push at all."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from liveroom.access import SYSTEM
from liveroom.commands.incidents import change_status, dispatch_incident, report_incident
from liveroom.commands.officers import register_officer
from liveroom.commands.units import register_unit, set_unit_status
from tests.browser.helpers import severe_console_errors, sign_in

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("LIVEROOM_SCREENSHOTS")
FIRE = {"orang-terjebak": "tidak"}
CREWS = {"damkar-01": ["Agus Santoso", "Budi Wijaya", "Dewi Lestari"],
         "damkar-02": ["Eko Nugroho", "Fitri Hidayat"], "damkar-03": ["Hendra Saputra",
                                                                     "Indah Kurniawan"],
         "damkar-04": ["Joko Siregar", "Kartika Pratama"], "damkar-05": ["Made Setiawan"],
         "damkar-06": ["Nur Hasibuan", "Putri Rahmawati"]}


def engines(writer) -> None:
    """Six engines of the first damkar post, each with its crew."""
    post = next(p for p in writer.city.posts.values() if p.agency == "damkar")
    for unit_id, names in CREWS.items():
        crew = [f"{unit_id}-{n}" for n in range(len(names))]
        for officer_id, name in zip(crew, names, strict=True):
            register_officer(writer, officer_id, name=name, agency="damkar", post_id=post.id,
                             by=SYSTEM)
        register_unit(writer, unit_id, call_sign=unit_id.replace("damkar-", "Damkar "),
                      agency="damkar", post_id=post.id, kind="mobil pemadam", crew=crew,
                      by=SYSTEM)


def fire(writer, address: str, shift: float = 0):
    """A fire near the first damkar post, reported `shift` km north of it."""
    post = next(p for p in writer.city.posts.values() if p.agency == "damkar")
    return report_incident(writer, category="kebakaran", lat=post.centre[0] + shift / 111,
                           lon=post.centre[1], source="test", by=SYSTEM, address=address,
                           attributes=FIRE)


def at(writer, moment: datetime):
    """The writer's commands happen at `moment` (a unit dispatched a while ago)."""
    writer.clock = lambda: moment


def tile(browser, unit_id: str):
    return browser.find_element(By.CSS_SELECTOR, f"#unit-board [data-unit='{unit_id}']")


def full_hd(browser) -> None:
    """A wall's 1920×1080, the page's own size (not the window's, less its frame)."""
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 1920, "height": 1080, "deviceScaleFactor": 1, "mobile": False})


def shot(browser, name: str) -> None:
    if SHOTS:
        browser.save_screenshot(os.path.join(SHOTS, f"{name}.png"))


def test_a_dispatched_unit_turns_on_the_board_by_push_and_counts_there(
        app, writer, browser, operator):
    now = datetime.now(UTC)
    at(writer, now - timedelta(hours=3))  # (a unit's newer status wins: all of them after)
    engines(writer)
    at(writer, now - timedelta(minutes=40))  # a fire long on, its engine on scene
    long_on = fire(writer, "Jl. Daan Mogot No. 12", shift=1.5)
    dispatch_incident(writer, long_on.id, units=["damkar-03"], by=SYSTEM)
    for step in ("acknowledged", "en_route", "on_scene"):
        change_status(writer, long_on.id, step, task_id="1", by=SYSTEM)
    at(writer, now - timedelta(minutes=5, seconds=-4))  # dispatched, red in 4 seconds
    late = fire(writer, "Jl. Imam Bonjol 7", shift=3)
    dispatch_incident(writer, late.id, units=["damkar-02"], by=SYSTEM)
    at(writer, now - timedelta(hours=2))
    set_unit_status(writer, "damkar-04", "out_of_service", reason="pompa rusak", by=SYSTEM)
    at(writer, now - timedelta(minutes=12))
    set_unit_status(writer, "damkar-06", "returning", by=SYSTEM)
    writer.clock = lambda: datetime.now(UTC)

    sign_in(browser, app, operator)
    browser.get(app.url + "/units/damkar")
    wait = WebDriverWait(browser, 20, ignored_exceptions=(NoSuchElementException,
                                                          StaleElementReferenceException))
    wait.until(lambda d: tile(d, "damkar-01").get_attribute("data-status") == "available")
    assert "Agus Santoso · Budi Wijaya · Dewi Lestari" in tile(browser, "damkar-01").text
    browser.execute_script("window.stillThisPage = true")  # (gone after any reload)
    assert "colour-amber" in tile(browser, "damkar-02").get_attribute("class")
    wait.until(lambda d: "colour-red" in tile(d, "damkar-02").get_attribute("class"))
    ticking = tile(browser, "damkar-03").find_element(By.CLASS_NAME, "unit-timer").text
    assert ticking.startswith("40:")

    incident = fire(writer, "Jl. Perintis Kemerdekaan 3")
    dispatch_incident(writer, incident.id, units=["damkar-01"], by=SYSTEM)
    wait.until(lambda d: tile(d, "damkar-01").get_attribute("data-status") == "dispatched")
    sent = tile(browser, "damkar-01").text
    assert incident.id in sent and "Kebakaran" in sent and "Jl. Perintis Kemerdekaan 3" in sent
    assert "Dikirim" in sent or "DIKIRIM" in sent
    change_status(writer, incident.id, "acknowledged", task_id="1", by=SYSTEM)
    change_status(writer, incident.id, "en_route", task_id="1", by=SYSTEM)
    wait.until(lambda d: tile(d, "damkar-01").get_attribute("data-status") == "en_route")
    timer = tile(browser, "damkar-01").find_element(By.CLASS_NAME, "unit-timer")
    first = timer.text
    wait.until(lambda d: tile(d, "damkar-01").find_element(
        By.CLASS_NAME, "unit-timer").text != first)  # counted in the browser
    assert browser.execute_script("return window.stillThisPage === true")
    order = [t.get_attribute("data-unit") for t in browser.find_elements(
        By.CSS_SELECTOR, "#unit-board .unit-tile")]
    assert order == ["damkar-05", "damkar-02", "damkar-01", "damkar-03", "damkar-06",
                     "damkar-04"]  # by status, then call sign
    full_hd(browser)
    shot(browser, "units-damkar")
    assert severe_console_errors(browser) == []


def test_every_agency_on_one_board_and_the_wall_links_to_it(app, writer, browser, operator):
    engines(writer)
    sign_in(browser, app, operator)
    wait = WebDriverWait(browser, 20, ignored_exceptions=(NoSuchElementException,
                                                          StaleElementReferenceException))
    wait.until(lambda d: d.find_element(By.ID, "units-link")).click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#units-damkar .unit-tile"))
    sections = [s.get_attribute("id") for s in browser.find_elements(
        By.CSS_SELECTOR, "#unit-board section")]
    assert sections == [f"units-{agency}" for agency in writer.city.agencies]
    assert "Belum ada unit aktif." in browser.find_element(By.ID, "units-dishub").text
    register_unit(writer, "dishub-01", call_sign="Dishub 01", agency="dishub", by=SYSTEM)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#units-dishub [data-unit]"))
    full_hd(browser)
    shot(browser, "units-all")
    assert severe_console_errors(browser) == []
