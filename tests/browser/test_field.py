"""The officer's phone page in Chromium: tasks arrive and leave by push as a supervisor
reassigns on the wall screen; each step the officer takes shows on the wall live; steps
taken without a signal are kept, survive a reload, and are sent once, in order."""

from __future__ import annotations

import time

import pytest
from PIL import Image
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from liveroom.access import SYSTEM
from liveroom.archive import schema
from liveroom.commands import accounts
from liveroom.commands.incidents import assign_incident, get_incident, report_incident
from liveroom.domain.events import decode
from tests.browser.conftest import chromium
from tests.browser.helpers import PASSWORD, severe_console_errors, sign_in
from tests.browser.test_dispatch import (
    a_fire_held_by_the_first_of_two,
    click_incident_then_officer,
    officer_on_shift,
    on_duty_officer,
    wait_for_live,
    wait_until,
)

pytestmark = pytest.mark.browser
PATIENT = (NoSuchElementException, StaleElementReferenceException)


def officer_account(writer, officer_id: str, agency: str) -> str:
    username = f"p-{officer_id}".lower()
    accounts.add_user(writer, username, PASSWORD, roles=["officer"], agencies=[agency],
                      officer_id=officer_id, by=SYSTEM)
    return username


def phone(app, username: str, where: tuple[float, float]):
    """A phone-sized Chromium standing at `where`, signed in as the officer."""
    driver = chromium()
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 412, "height": 915, "deviceScaleFactor": 1, "mobile": True})
    driver.execute_cdp_cmd("Browser.grantPermissions", {
        "origin": app.url, "permissions": ["geolocation"]})
    driver.execute_cdp_cmd("Emulation.setGeolocationOverride", {
        "latitude": where[0], "longitude": where[1], "accuracy": 8})
    sign_in(driver, app, username)
    WebDriverWait(driver, 15).until(lambda d: d.current_url.endswith("/field"))
    return driver


def waiting(driver, timeout: float = 20) -> WebDriverWait:
    return WebDriverWait(driver, timeout, ignored_exceptions=PATIENT)


def task_card(driver, incident_id: str):
    return waiting(driver).until(lambda d: d.find_element(By.ID, f"task-{incident_id}"))


def take_step(driver, incident_id: str, expected: str) -> None:
    button = task_card(driver, incident_id).find_element(By.CSS_SELECTOR, "button.step")
    assert button.get_attribute("data-step") == expected
    button.click()


def marker_status(browser, incident_id: str) -> str:
    found = browser.find_elements(By.CSS_SELECTOR, f".incident-{incident_id}")
    return found[0].get_attribute("class") if found else "gone"


def statuses(writer, incident_id: str) -> list[str]:
    return [e.to_status.value for _, fields in writer.redis.xrange(
        writer.keys.stream("incidents")) if (e := decode(fields)).aggregate_id == incident_id
        and e.type == "incident.status_changed"]


@pytest.fixture
def photo_file(tmp_path):
    path = tmp_path / "hasil.jpg"
    Image.new("RGB", (1200, 900), (40, 140, 70)).save(path, "JPEG")
    return path


def test_a_reassignment_moves_the_task_between_phones_and_each_step_shows_on_the_wall(
        app, writer, browser, supervisor, photo_file):
    first, second, fire = a_fire_held_by_the_first_of_two(app, writer)
    near = (fire.lat, fire.lon)
    phones = [phone(app, officer_account(writer, who.officer_id, "damkar"), near)
              for who in (first, second)]
    try:
        first_phone, second_phone = phones
        task_card(first_phone, fire.id)
        waiting(second_phone).until(lambda d: d.find_element(By.ID, "no-tasks").is_displayed())
        sign_in(browser, app, supervisor)
        wait = click_incident_then_officer(browser, fire.id, second.officer_id)
        wait.until(lambda d: d.find_element(By.ID, "give-reason")).send_keys("Bu Siti dekat")
        browser.find_element(By.ID, "give-confirm").click()

        waiting(first_phone).until(lambda d: not d.find_elements(By.ID, f"task-{fire.id}"))
        assert f"Tugas {fire.id} dialihkan" in first_phone.find_element(By.ID, "notice").text
        task_card(second_phone, fire.id)
        assert "Tugas baru" in second_phone.find_element(By.ID, "notice").text

        for step in ("acknowledged", "en_route", "on_scene"):
            take_step(second_phone, fire.id, step)
            waiting(browser).until(lambda d, s=step: f"status-{s}" in marker_status(d, fire.id))
        take_step(second_phone, fire.id, "resolved")
        waiting(second_phone).until(lambda d: d.find_element(By.ID, "resolve-note")
                                    ).send_keys("Api padam, warung aman")
        second_phone.find_element(By.ID, "resolve-photo").send_keys(str(photo_file))
        second_phone.find_element(By.ID, "resolve-submit").click()
        waiting(browser).until(lambda d: marker_status(d, fire.id) == "gone")  # off the map
        waiting(second_phone).until(lambda d: not d.find_elements(By.ID, f"task-{fire.id}"))
        assert get_incident(writer, fire.id).status == "resolved"
        with writer.engine.connect() as conn:
            wait_until(lambda: conn.execute(select(schema.status_history.c.media_url).where(
                schema.status_history.c.incident_id == fire.id,
                schema.status_history.c.to_status == "resolved")).scalar())
        for driver in (*phones, browser):
            assert severe_console_errors(driver) == []
    finally:
        for driver in phones:
            driver.quit()


def rubbish_on_the_phone(app, writer, officer, post, district: int, description: str = ""):
    """A rubbish report in the `district`-th district, assigned to the officer, whose phone
    (standing at their post) is signed in: (task, phone)."""
    spot = list(writer.city.districts.values())[district].geometry.representative_point()
    task = report_incident(writer, category="sampah-menumpuk", lat=spot.y, lon=spot.x,
                           source="test", by=SYSTEM, description=description)
    wait_for_live(writer, task.id, "triaged")
    assign_incident(writer, task.id, officer.officer_id, by=SYSTEM)
    return task, phone(app, officer_account(writer, officer.officer_id, "kebersihan"), post.centre)


LOSE_ONE_ANSWER = """
var real = window.fetch;
window.lostAnswers = 0;
window.fetch = function (url, options) {  // the server acts, but its answer never arrives
  return real(url, options).then(function (response) {
    if (!window.lostAnswers && String(url).indexOf("/status") >= 0) {
      window.lostAnswers += 1;
      throw new TypeError("the answer was lost on the way");
    }
    return response;
  });
};
"""


def test_steps_taken_without_signal_are_kept_and_sent_once_in_order(app, writer):
    officer, post = on_duty_officer(app, writer, "kebersihan", "Pak Agus")
    task, driver = rubbish_on_the_phone(app, writer, officer, post, 2)
    try:
        task_card(driver, task.id)
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/api/v1/*"]})  # no signal
        for step in ("acknowledged", "en_route", "on_scene"):
            take_step(driver, task.id, step)
            waiting(driver).until(lambda d, s=step: task_card(d, task.id).get_attribute(
                "data-status") == s)
        assert "3 tindakan menunggu" in driver.find_element(By.ID, "queue-status").text
        time.sleep(1)
        assert get_incident(writer, task.id).status == "assigned"  # nothing reached it

        driver.refresh()  # the phone's browser closed and opened again, still no signal
        waiting(driver).until(lambda d: task_card(d, task.id).get_attribute(
            "data-status") == "on_scene")  # (the card is drawn again as the state arrives)
        assert "3 tindakan" in waiting(driver).until(
            lambda d: d.find_element(By.ID, "queue-status").text)
        driver.execute_script(LOSE_ONE_ANSWER)
        driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})  # the signal is back

        waiting(driver, 40).until(lambda d: not d.find_element(By.ID, "queue-status")
                                  .is_displayed())
        assert driver.execute_script("return window.lostAnswers") == 1  # sent again, same key
        assert statuses(writer, task.id) == ["acknowledged", "en_route", "on_scene"]
        assert task_card(driver, task.id).find_element(
            By.CSS_SELECTOR, "button.step").get_attribute("data-step") == "resolved"  # next
    finally:
        driver.quit()


def test_a_step_refused_after_the_signal_returns_is_said_and_dropped(app, writer):
    officer, post = on_duty_officer(app, writer, "kebersihan", "Pak Agus")
    other, _ = on_duty_officer(app, writer, "kebersihan", "Bu Rina")
    task, driver = rubbish_on_the_phone(app, writer, officer, post, 3)
    try:
        task_card(driver, task.id)
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/api/v1/*"]})
        take_step(driver, task.id, "acknowledged")
        assign_incident(writer, task.id, other.officer_id, by=SYSTEM,
                        reason="dialihkan")  # meanwhile
        driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})
        waiting(driver, 40).until(lambda d: "ditolak" in d.find_element(By.ID, "notice").text
                                  and not d.find_element(By.ID, "queue-status").is_displayed())
        assert "bukan lagi milik Anda" in driver.find_element(By.ID, "notice").text
        assert get_incident(writer, task.id).officer_id == other.officer_id
        assert statuses(writer, task.id) == []
    finally:
        driver.quit()


SHELL_KEPT = """
var done = arguments[arguments.length - 1];
if (!navigator.serviceWorker.controller) { done(false); return; }
caches.match("/field").then(function (page) { done(!!page); }, function () { done(false); });
"""


def test_the_page_opens_with_no_server_and_sends_what_was_done_meanwhile(app, writer):
    officer, post = on_duty_officer(app, writer, "kebersihan", "Pak Agus")
    task, driver = rubbish_on_the_phone(app, writer, officer, post, 4,
                                        description="Sampah di gang buntu")
    try:
        task_card(driver, task.id)
        waiting(driver).until(lambda d: d.execute_async_script(SHELL_KEPT))
        app.stop()  # no signal at all
        waiting(driver).until(lambda d: d.find_element(By.ID, "link").text == "Tanpa sinyal")
        take_step(driver, task.id, "acknowledged")
        driver.refresh()  # reopened in the dead zone: the kept page, tasks and queue
        card = task_card(driver, task.id)
        assert "Sampah di gang buntu" in card.text
        assert card.get_attribute("data-status") == "acknowledged"
        assert "1 tindakan menunggu" in driver.find_element(By.ID, "queue-status").text
        app.start()
        waiting(driver, 60).until(lambda d: not d.find_element(By.ID, "queue-status")
                                  .is_displayed())
        assert statuses(writer, task.id) == ["acknowledged"]
        waiting(driver).until(lambda d: d.find_element(By.ID, "link").text == "Tersambung")
    finally:
        driver.quit()


def test_check_in_follows_the_geofence_and_checking_out_stops_sharing(app, writer):
    officer, post = officer_on_shift(writer, "satpolpp", "Bu Sari")
    away = (post.centre[0] + 0.03, post.centre[1])
    driver = phone(app, officer_account(writer, officer.officer_id, "satpolpp"), away)
    on_duty = lambda: writer.redis.sismember(  # noqa: E731
        writer.keys.view("on_duty", "satpolpp"), officer.officer_id)
    try:
        waiting(driver).until(lambda d: d.find_element(By.ID, "check-in").is_displayed())
        assert driver.find_element(By.ID, "duty-status").text == "Belum absen masuk"
        driver.find_element(By.ID, "check-in").click()
        waiting(driver).until(lambda d: f"Anda di luar area {post.name}" in d.find_element(
            By.ID, "notice").text)
        assert not on_duty()
        driver.execute_cdp_cmd("Emulation.setGeolocationOverride", {  # walks onto the post
            "latitude": post.centre[0], "longitude": post.centre[1], "accuracy": 8})
        waiting(driver).until(lambda d: d.find_element(By.ID, "duty-status").text
                              == f"Bertugas di {post.name}")  # the page's fixes checked in
        assert on_duty()
        waiting(driver).until(lambda d: d.find_element(By.ID, "check-out").is_displayed())
        driver.find_element(By.ID, "check-out").click()
        waiting(driver).until(lambda d: d.find_element(By.ID, "duty-status").text
                              == "Belum absen masuk")
        assert "lokasi tidak dibagikan lagi" in driver.find_element(By.ID, "location-status").text
        time.sleep(3)  # still standing on the post: not checked in again
        assert not on_duty()
    finally:
        driver.quit()
