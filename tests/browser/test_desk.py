"""The call-taker's desk on the wall screen, in Chromium: a phone report entered with the
keyboard alone reaches another operator's screen; a second caller about the same flood is
added to it instead of making a second incident."""

from __future__ import annotations

import os

import pytest
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from liveroom.access import SYSTEM
from liveroom.commands.incidents import get_incident, report_incident
from tests.browser.helpers import severe_console_errors, sign_in, text_of
from tests.browser.test_dispatch import on_duty_officer

pytestmark = pytest.mark.browser
#: where to keep screenshots of the form, to look at (unset: none taken)
SHOTS = os.environ.get("LIVEROOM_SCREENSHOTS")


def keys(browser, *typed) -> None:
    """Typed into whatever has the focus, a key at a time as a quick typist does."""
    chain = ActionChains(browser)
    for key in typed:
        for char in ([key] if key in KEYS else key):
            chain.send_keys(char).pause(0.06)
    chain.perform()


KEYS = set(vars(Keys).values())


def focused_in(browser) -> str:
    """The id of the desk field holding the focus (the nearest element with an id)."""
    return browser.execute_script(
        "var e = document.activeElement; while (e && !e.id) { e = e.parentElement; }"
        "return e ? e.id : '';")


def tab_to(browser, field: str, limit: int = 25) -> None:
    """Tab until `field` has the focus."""
    for _ in range(limit):
        if focused_in(browser) == field:
            return
        keys(browser, Keys.TAB)
    raise AssertionError(f"Tab never reached #{field} (at #{focused_in(browser)})")


def shot(browser, name: str) -> None:
    if SHOTS:
        browser.save_screenshot(os.path.join(SHOTS, f"{name}.png"))


def test_a_phone_report_entered_by_keyboard_alone_reaches_another_screen(
        app, writer, browser, second_browser, operator):
    sign_in(browser, app, operator)
    sign_in(second_browser, app, operator)
    assert text_of(browser, "count-open") == "0"
    keys(browser, Keys.F2)
    wait = WebDriverWait(browser, 15, ignored_exceptions=(NoSuchElementException,
                                                          StaleElementReferenceException))
    wait.until(lambda d: d.find_element(By.ID, "desk").is_displayed())
    wait.until(lambda d: focused_in(d) == "desk-category")
    keys(browser, "banjir")
    keys(browser, Keys.ENTER)
    shot(browser, "desk-category")
    tab_to(browser, "{\"question\":\"kedalaman-air\",\"type\":\"desk-answer\"}")
    keys(browser, "selutut", Keys.ENTER)
    tab_to(browser, "desk-description")
    keys(browser, "Air masuk rumah warga di gang Kenari")
    tab_to(browser, "desk-point")
    keys(browser, "-6.1702,106.6403")
    tab_to(browser, "desk-caller-phone")
    keys(browser, "0812 3456 789")
    shot(browser, "desk-filled")
    ActionChains(browser).key_down(Keys.CONTROL).send_keys(Keys.ENTER).key_up(
        Keys.CONTROL).perform()  # Ctrl+Enter: save
    saved = wait.until(lambda d: d.find_element(By.ID, "desk-saved").text)
    shot(browser, "desk-saved")
    incident_id = saved.split()[1]
    assert saved == f"Laporan {incident_id} tersimpan."
    assert not browser.find_element(By.ID, "desk").is_displayed()
    other = WebDriverWait(second_browser, 20, ignored_exceptions=(
        NoSuchElementException, StaleElementReferenceException))
    row = other.until(lambda d: d.find_element(By.CSS_SELECTOR,
                                               f"#queue [data-incident='{incident_id}']"))
    assert "Banjir" in row.text
    other.until(lambda d: d.find_elements(By.CSS_SELECTOR, f".incident-{incident_id}"))
    assert severe_console_errors(browser) == [] and severe_console_errors(second_browser) == []


def test_a_second_caller_about_the_same_flood_is_added_to_it(app, writer, browser, operator):
    district = writer.city.districts["36.71.05"].geometry.representative_point()
    first = report_incident(writer, category="banjir", lat=district.y, lon=district.x,
                            source="telepon", by=SYSTEM, description="Banjir di perumahan",
                            attributes={"kedalaman-air": "selutut"})
    sign_in(browser, app, operator)
    wait = WebDriverWait(browser, 20, ignored_exceptions=(NoSuchElementException,
                                                          StaleElementReferenceException))
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f"#queue [data-incident='{first.id}']"))
    wait.until(lambda d: d.find_element(By.ID, "desk-open")).click()
    wait.until(lambda d: focused_in(d) == "desk-category")
    keys(browser, "genangan", Keys.ENTER)  # the same family as banjir (air)
    point = browser.find_element(By.ID, "desk-point")
    point.send_keys(f"https://maps.google.com/?q={district.y + 0.0002:.6f},{district.x:.6f}")
    browser.find_element(By.ID, "desk-caller-name").send_keys("Bu Sari")
    similar = wait.until(lambda d: d.find_element(By.ID, "desk-similar").text)
    assert first.id in similar and "Banjir" in similar and "1 pelapor" in similar
    shot(browser, "desk-similar")
    browser.find_element(By.CSS_SELECTOR, "#desk-similar button").click()
    added = wait.until(lambda d: d.find_element(By.ID, "desk-saved").text)
    assert added == f"Pelapor ditambahkan ke {first.id} (2 pelapor)."
    wait.until(lambda d: "Jumlah pelapor\n2" in d.find_element(By.ID, "detail-card").text)
    assert text_of(browser, "count-open") == "1"  # no second incident
    assert writer.redis.zcard(writer.live.incidents_geo) == 1
    assert severe_console_errors(browser) == []


def test_a_refused_report_keeps_what_was_typed_and_says_why_in_the_screens_language(
        app, writer, browser, operator):
    sign_in(browser, app, operator)
    browser.get(app.url + "/?lang=en")
    wait = WebDriverWait(browser, 20, ignored_exceptions=(NoSuchElementException,
                                                          StaleElementReferenceException))
    wait.until(lambda d: d.find_element(By.ID, "desk-open").is_displayed())
    keys(browser, Keys.F2)
    wait.until(lambda d: focused_in(d) == "desk-category")
    keys(browser, "rubbish", Keys.ENTER)  # English words find the category too
    wait.until(lambda d: "Uncollected rubbish" in d.find_element(By.ID, "desk-category").text)
    browser.find_element(By.ID, "desk-point").send_keys("geo:-6.1702,106.6403")
    wait.until(lambda d: d.find_element(By.ID, "desk-where").text.startswith("Point "))
    browser.find_element(By.ID, "desk-caller-phone").send_keys("12345")
    browser.find_element(By.ID, "desk-save").click()
    said = wait.until(lambda d: d.find_element(By.ID, "desk-message").text)
    shot(browser, "desk-refused-en")
    assert said == "That phone number is not recognised."
    assert browser.find_element(By.ID, "desk-caller-phone").get_attribute("value") == "12345"
    assert browser.find_element(By.ID, "desk-point").get_attribute(
        "value") == "geo:-6.1702,106.6403"
    assert "Uncollected rubbish" in browser.find_element(By.ID, "desk-category").text
    assert writer.redis.zcard(writer.live.incidents_geo) == 0  # nothing stored
    assert severe_console_errors(browser) == []


def test_save_and_assign_gives_it_to_the_nearest_officer_at_once(
        app, writer, browser, operator):
    device, post = on_duty_officer(app, writer, "kebersihan", "Pak Sapu")
    sign_in(browser, app, operator)
    wait = WebDriverWait(browser, 20, ignored_exceptions=(NoSuchElementException,
                                                          StaleElementReferenceException))
    wait.until(lambda d: d.find_element(By.ID, "desk-open")).click()
    wait.until(lambda d: focused_in(d) == "desk-category")
    keys(browser, "sampah menumpuk", Keys.ENTER)
    browser.find_element(By.ID, "desk-point").send_keys(
        f"{post.centre[0] + 0.002:.5f}, {post.centre[1]:.5f}")
    browser.find_element(By.ID, "desk-save-assign").click()
    said = wait.until(lambda d: d.find_element(By.ID, "desk-saved").text)
    shot(browser, "desk-assigned")
    incident_id = said.split()[1]
    assert said == f"Laporan {incident_id} tersimpan dan ditugaskan ke Pak Sapu."
    assert get_incident(writer, incident_id).officer_id == device.officer_id
    assert severe_console_errors(browser) == []
