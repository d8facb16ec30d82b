"""The operator's dispatch on the wall screen, in Chromium: a citizen's report waits in the
queue with its SLA countdown; one click opens it with the nearest available officer; one
more assigns it."""

from __future__ import annotations

import time
from datetime import datetime

import httpx
import pytest
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from liveroom.access import SYSTEM
from liveroom.archive import schema
from liveroom.commands import accounts
from liveroom.commands.incidents import assign_incident, get_incident, report_incident
from tests.browser.helpers import severe_console_errors, sign_in, text_of

pytestmark = pytest.mark.browser


def officer_on_shift(writer, agency: str, name: str):
    """A tracker of `agency` whose shift is running now, at the agency's first post."""
    now = datetime.now(writer.city.timezone)
    shift = next(code for code, s in writer.city.shifts.items()
                 if s.instance_at(now, writer.city.timezone))
    post = next(p for p in writer.city.posts.values() if p.agency == agency)
    return accounts.add_device(writer, name, agency=agency, post_id=post.id, shift=shift,
                               by=SYSTEM), post


def on_duty_officer(app, writer, agency: str, name: str = "Pak Damkar"):
    """A tracker of `agency`, on the shift running now, checked in by a fix on its post."""
    device, post = officer_on_shift(writer, agency, name)
    lat, lon = post.centre
    assert httpx.get(app.osmand_url + "/", params={
        "id": device.secret, "lat": lat, "lon": lon, "accuracy": 6}).status_code == 200
    deadline = time.monotonic() + 15
    while not writer.redis.sismember(writer.keys.view("on_duty", agency), device.officer_id):
        assert time.monotonic() < deadline, "the fix on post never checked the officer in"
        time.sleep(0.2)
    return device, post


def test_an_operator_assigns_a_queued_report_to_the_recommended_officer(
        app, writer, browser, second_browser, operator):
    device, post = on_duty_officer(app, writer, "damkar")
    sign_in(browser, app, operator)
    sign_in(second_browser, app, operator)  # another wall screen in the room
    assert text_of(browser, "count-open") == "0"
    key = accounts.create_api_key(writer, "Aplikasi warga", by=SYSTEM)
    posted = httpx.post(f"{app.url}/open311/v2/requests.json", data={
        "api_key": key.secret, "service_code": "kebakaran", "lat": post.centre[0] + 0.003,
        "long": post.centre[1], "attribute[orang-terjebak]": "ya",
        "description": "Api di dapur warung"})
    incident_id = posted.json()[0]["service_request_id"]
    neighbour = httpx.post(f"{app.url}/open311/v2/requests.json", data={  # (they cluster)
        "api_key": key.secret, "service_code": "kemacetan", "lat": post.centre[0] + 0.0031,
        "long": post.centre[1]}).json()[0]["service_request_id"]
    wait = WebDriverWait(browser, 20, ignored_exceptions=(NoSuchElementException,
                                                          StaleElementReferenceException))
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f".incident-{neighbour}"))
    row = f"[data-incident='{incident_id}']"
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, row)).click()
    wait.until(lambda d: "Pak Damkar" in d.find_element(By.ID, "recommended").text)
    panel = browser.find_element(By.ID, "detail-card").text
    assert "Aplikasi warga (Open311)" in panel and "Ada orang yang terjebak?" in panel
    assert "Api di dapur warung" in panel
    countdown = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f"{row} .sla").text)
    assert countdown.count(":") == 1 and not countdown.startswith("+")  # 5 minutes for fire
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#recommended button")).click()
    wait.until(lambda d: d.find_element(By.ID, "detail-status").text == "Ditugaskan")
    wait.until(lambda d: "status-assigned" in d.find_element(
        By.CSS_SELECTOR, f".incident-{incident_id}").get_attribute("class"))
    wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, row),
               message="the assigned report stayed in the queue")
    WebDriverWait(second_browser, 20).until(  # the other screen saw it too, by push
        lambda d: "status-assigned" in d.find_element(
            By.CSS_SELECTOR, f".incident-{incident_id}").get_attribute("class"))
    tasks = writer.redis.zrange(writer.keys.view("tasks", device.officer_id), 0, -1)
    assert tasks == [incident_id]
    time.sleep(2)  # the marker was changed in place; zoomed out into a cluster with its
    for button in ("out", "out", "out", "in", "in", "in"):  # neighbour and back, it is drawn
        # again from the layer
        browser.find_element(By.CSS_SELECTOR, f".leaflet-control-zoom-{button}").click()
    wait.until(lambda d: "status-assigned" in d.find_element(
        By.CSS_SELECTOR, f".incident-{incident_id}").get_attribute("class"),
        message="redrawn from the layer, the marker went back to an older state")
    assert severe_console_errors(browser) == []


def test_the_incident_panel_notes_escalates_reroutes_and_rejects(app, writer, browser,
                                                                 operator):
    sign_in(browser, app, operator)
    assert text_of(browser, "count-open") == "0"
    point = writer.city.districts["36.71.03"].geometry.representative_point()
    incident = report_incident(writer, category="parkir-liar", lat=point.y, lon=point.x,
                               source="test", by=SYSTEM, description="Truk parkir di trotoar")
    wait = WebDriverWait(browser, 20, ignored_exceptions=(NoSuchElementException,
                                                          StaleElementReferenceException))
    row = f"[data-incident='{incident.id}']"
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, row)).click()
    text = wait.until(lambda d: d.find_element(By.ID, "action-text"))
    text.send_keys("Sudah dicek lewat CCTV")
    browser.find_element(By.ID, "action-note").click()
    wait.until(lambda d: d.find_element(By.ID, "assign-message").text == "Tersimpan.")
    browser.find_element(By.ID, "action-escalate").click()
    wait.until(lambda d: get_incident(writer, incident.id).priority == 3)  # was 4
    text.send_keys(Keys.CONTROL, "a")
    text.send_keys(Keys.DELETE)
    browser.find_element(By.ID, "action-reject").click()  # no reason: refused, nothing kept
    wait.until(lambda d: "Menolak laporan perlu alasan." in d.find_element(
        By.ID, "assign-message").text)
    assert get_incident(writer, incident.id).status.value == "triaged"
    text.send_keys("Kendaraan dinas, bukan parkir liar")
    browser.find_element(By.ID, "action-reject").click()
    wait.until(lambda d: d.find_element(By.ID, "detail-status").text == "Ditolak")
    assert "Menunggu petugas" in browser.find_element(By.ID, "detail-history").text
    assert get_incident(writer, incident.id).status.value == "rejected"
    assert get_incident(writer, incident.id).notes == 1


def test_a_screen_configured_by_its_link_shows_only_its_agency(app, writer, browser,
                                                               operator):
    point = writer.city.districts["36.71.03"].geometry.representative_point()
    fire = report_incident(writer, category="kebakaran", lat=point.y, lon=point.x,
                           source="test", by=SYSTEM, attributes={"orang-terjebak": "ya"})
    parking = report_incident(writer, category="parkir-liar", lat=point.y + 0.003,
                              lon=point.x, source="test", by=SYSTEM)
    sign_in(browser, app, operator)
    browser.get(app.url + "/?agency=damkar")
    wait = WebDriverWait(browser, 20, ignored_exceptions=(NoSuchElementException,
                                                          StaleElementReferenceException))
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f".incident-{fire.id}"))
    assert text_of(browser, "count-open") == "1"
    assert not browser.find_elements(By.CSS_SELECTOR, f".incident-{parking.id}")
    english = browser.find_element(By.LINK_TEXT, "English").get_attribute("href")
    assert "agency=damkar" in english and "lang=en" in english


CLICK_OFFICER = """
var marker = window.liveroom.map.officerMarkers[arguments[0]];
if (!marker || !marker._map) { return false; }
marker.fire("click", {latlng: marker.getLatLng()}, true);
return true;
"""


def a_fire_held_by_the_first_of_two(app, writer):
    """Two fire officers on duty and a fire assigned to the first: (first, second, fire)."""
    first, post = on_duty_officer(app, writer, "damkar", "Pak Damkar")
    second, _ = on_duty_officer(app, writer, "damkar", "Bu Siti")
    fire = report_incident(writer, category="kebakaran", lat=post.centre[0] + 0.003,
                           lon=post.centre[1], source="test", by=SYSTEM,
                           attributes={"orang-terjebak": "ya"})
    wait_for_live(writer, fire.id, "triaged")
    assign_incident(writer, fire.id, first.officer_id, by=SYSTEM)
    return first, second, fire


def open_held_incident(browser, incident_id: str) -> WebDriverWait:
    """Click the (assigned) incident's marker on the map; its panel opens."""
    wait = WebDriverWait(browser, 20, ignored_exceptions=(NoSuchElementException,
                                                          StaleElementReferenceException))
    wait.until(lambda d: "status-assigned" in d.find_element(
        By.CSS_SELECTOR, f".incident-{incident_id}").get_attribute("class"))
    browser.find_element(By.CSS_SELECTOR, f".incident-{incident_id}").click()
    wait.until(lambda d: d.find_element(By.ID, "detail-card"))
    return wait


def click_incident_then_officer(browser, incident_id: str, officer_id: str) -> WebDriverWait:
    """On the map, as a supervisor would: the incident's marker, then the officer's."""
    wait = open_held_incident(browser, incident_id)
    assert wait.until(lambda d: d.execute_script(CLICK_OFFICER, officer_id))
    return wait


def test_a_supervisor_reassigns_by_clicking_the_incident_then_the_officer(
        app, writer, browser, supervisor):
    first, second, fire = a_fire_held_by_the_first_of_two(app, writer)
    sign_in(browser, app, supervisor)
    wait = click_incident_then_officer(browser, fire.id, second.officer_id)
    form = wait.until(lambda d: d.find_element(By.ID, "give-confirm"))
    assert f"Alihkan {fire.id} ke Bu Siti" in browser.find_element(By.ID, "officer-card").text
    form.click()  # without a reason: refused, nothing changes
    wait.until(lambda d: f"Pengalihan {fire.id} perlu alasan." in d.find_element(
        By.ID, "give-message").text)
    assert get_incident(writer, fire.id).officer_id == first.officer_id
    browser.find_element(By.ID, "give-reason").send_keys("Bu Siti lebih dekat")
    browser.find_element(By.ID, "give-confirm").click()
    wait.until(lambda d: "kini di tangan" in d.find_element(By.ID, "give-message").text)
    assert get_incident(writer, fire.id).officer_id == second.officer_id
    with writer.engine.connect() as conn:
        history = schema.status_history  # (the task's row holds who is on it now)
        wait_until(lambda: conn.execute(select(history.c.reason).where(
            history.c.incident_id == fire.id, history.c.reason.isnot(None))).scalar()
                   == "Bu Siti lebih dekat")
    assert writer.redis.zrange(writer.keys.view("tasks", first.officer_id), 0, -1) == []  # released


def test_a_supervisor_reassigns_by_choosing_from_the_recommended_list(
        app, writer, browser, supervisor):
    first, second, fire = a_fire_held_by_the_first_of_two(app, writer)
    sign_in(browser, app, supervisor)
    wait = open_held_incident(browser, fire.id)
    chosen = f'#recommended [id*=\'"officer":"{second.officer_id}"\']'
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, chosen)).click()
    assert not browser.find_elements(  # the holder is busy: not recommended
        By.CSS_SELECTOR, f'#recommended [id*=\'"officer":"{first.officer_id}"\']')
    wait.until(lambda d: d.find_element(By.ID, "give-reason")).send_keys("Pak Damkar istirahat")
    assert f"Alihkan {fire.id} ke Bu Siti" in browser.find_element(By.ID, "officer-card").text
    browser.find_element(By.ID, "give-confirm").click()
    wait.until(lambda d: "kini di tangan" in d.find_element(By.ID, "give-message").text)
    assert get_incident(writer, fire.id).officer_id == second.officer_id


def test_an_operator_may_not_reassign_from_the_map(app, writer, browser, operator):
    first, second, fire = a_fire_held_by_the_first_of_two(app, writer)
    sign_in(browser, app, operator)
    wait = click_incident_then_officer(browser, fire.id, second.officer_id)
    wait.until(lambda d: d.find_element(By.ID, "give-reason")).send_keys("coba")
    browser.find_element(By.ID, "give-confirm").click()
    wait.until(lambda d: "Anda tidak berwenang mengalihkan tugas." in d.find_element(
        By.ID, "give-message").text)
    assert get_incident(writer, fire.id).officer_id == first.officer_id


def wait_for_live(writer, incident_id: str, status: str) -> None:
    wait_until(lambda: writer.redis.hget(writer.keys.view("incident", incident_id),
                                         "status") == status)


def wait_until(condition, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
