"""The unit board in Chromium: a unit dispatched to a fire turns to dispatched on an open
board by push (no reload), then en route; its time in status counts in the browser, and a
unit dispatched almost five minutes ago turns from amber to red there, with no push; the
demo city's ten fire engines fit a 1080p wall."""

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
from liveroom.demo.seed import seed_demo
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


def seen(wait: WebDriverWait, read):
    """What `read(browser)` returns, read again if a push replaced the board meanwhile."""
    return wait.until(lambda d: (read(d),))[0]


def timer_of(browser, unit_id: str) -> str:
    return tile(browser, unit_id).find_element(By.CLASS_NAME, "unit-timer").text


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
    late = fire(writer, "Jl. Imam Bonjol 7", shift=3)
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
    assert "Agus Santoso · Budi Wijaya · Dewi Lestari" in seen(
        wait, lambda d: tile(d, "damkar-01").text)
    browser.execute_script("window.stillThisPage = true")  # (gone after any reload)
    at(writer, datetime.now(UTC) - timedelta(minutes=5, seconds=-8))  # red in 8 seconds
    dispatch_incident(writer, late.id, units=["damkar-02"], by=SYSTEM)
    writer.clock = lambda: datetime.now(UTC)
    wait.until(lambda d: "colour-amber" in tile(d, "damkar-02").get_attribute("class"))
    wait.until(lambda d: "colour-red" in tile(d, "damkar-02").get_attribute("class"))
    assert seen(wait, lambda d: timer_of(d, "damkar-03")).startswith("40:")

    incident = fire(writer, "Jl. Perintis Kemerdekaan 3")
    dispatch_incident(writer, incident.id, units=["damkar-01"], by=SYSTEM)
    wait.until(lambda d: tile(d, "damkar-01").get_attribute("data-status") == "dispatched")
    sent = seen(wait, lambda d: tile(d, "damkar-01").text)
    assert incident.id in sent and "Kebakaran" in sent and "Jl. Perintis Kemerdekaan 3" in sent
    assert "DIKIRIM" in sent  # (as shown: in capitals)
    change_status(writer, incident.id, "acknowledged", task_id="1", by=SYSTEM)
    change_status(writer, incident.id, "en_route", task_id="1", by=SYSTEM)
    wait.until(lambda d: tile(d, "damkar-01").get_attribute("data-status") == "en_route")
    first = seen(wait, lambda d: timer_of(d, "damkar-01"))
    wait.until(lambda d: timer_of(d, "damkar-01") != first)  # counted in the browser
    assert browser.execute_script("return window.stillThisPage === true")
    order = seen(wait, lambda d: [t.get_attribute("data-unit") for t in d.find_elements(
        By.CSS_SELECTOR, "#unit-board .unit-tile")])
    assert order == ["damkar-02", "damkar-01", "damkar-03", "damkar-06", "damkar-04",
                     "damkar-05"]  # at work first, by status, then call sign
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
    sections = seen(wait, lambda d: [s.get_attribute("id") for s in d.find_elements(
        By.CSS_SELECTOR, "#unit-board section")])
    assert sections == [f"units-{agency}" for agency in writer.city.agencies]
    assert "Belum ada unit aktif." in seen(wait, lambda d: d.find_element(
        By.ID, "units-dishub").text)
    register_unit(writer, "dishub-01", call_sign="Dishub 01", agency="dishub", by=SYSTEM)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#units-dishub [data-unit]"))
    full_hd(browser)
    shot(browser, "units-all")
    assert severe_console_errors(browser) == []


def test_the_demo_citys_fire_engines_fit_a_wall_and_every_agency_a_second(
        app, writer, browser, operator):
    now = datetime.now(UTC)
    at(writer, now - timedelta(hours=12))
    seed_demo(writer, officers_per_post=2, reports=0)
    for minutes, unit_ids, steps in ((35, ["damkar-03", "damkar-04"], ("acknowledged",
                                                                       "en_route", "on_scene")),
                                     (25, ["damkar-07"], ("acknowledged", "en_route")),
                                     (3, ["damkar-01", "pupr-02"], ()),
                                     (1, ["dishub-03"], ())):
        at(writer, now - timedelta(minutes=minutes))
        incident = fire(writer, f"Jl. Contoh No. {minutes}", shift=minutes / 10)
        dispatch_incident(writer, incident.id, units=unit_ids, by=SYSTEM)
        for step in steps:
            for task in range(1, len(unit_ids) + 1):
                change_status(writer, incident.id, step, task_id=str(task), by=SYSTEM)
    at(writer, now - timedelta(minutes=40))
    set_unit_status(writer, "damkar-09", "returning", by=SYSTEM)
    at(writer, now - timedelta(hours=9))
    set_unit_status(writer, "damkar-10", "out_of_service", reason="servis pompa", by=SYSTEM)
    writer.clock = lambda: datetime.now(UTC)

    sign_in(browser, app, operator)
    full_hd(browser)
    browser.get(app.url + "/units/damkar")
    wait = WebDriverWait(browser, 20, ignored_exceptions=(NoSuchElementException,
                                                          StaleElementReferenceException))
    wait.until(lambda d: tile(d, "damkar-10").get_attribute("data-status") == "out_of_service")
    bottoms = seen(wait, lambda d: [t.rect["y"] + t.rect["height"] for t in d.find_elements(
        By.CSS_SELECTOR, "#unit-board .unit-tile")])
    assert len(bottoms) == 10
    assert max(bottoms) <= 1080, f"the last engine ends at {max(bottoms)}px: below the wall"
    colours = seen(wait, lambda d: {u: tile(d, u).get_attribute("class").split()[-1]
                                    for u in ("damkar-07", "damkar-01", "damkar-03")})
    assert colours == {"damkar-07": "colour-red", "damkar-01": "colour-amber",  # (en route
                       "damkar-03": "colour-normal"}  # 25', sent 3', on scene 35')
    shot(browser, "units-damkar-demo")
    browser.get(app.url + "/units?lang=en")
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#units-satpolpp .unit-tile"))
    assert "ON SCENE" in seen(wait, lambda d: d.find_element(By.ID, "units-damkar").text)
    shot(browser, "units-all-demo")
    assert severe_console_errors(browser) == []
