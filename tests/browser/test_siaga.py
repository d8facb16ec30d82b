"""The supervisor's alert phone in Chromium: a report that misses its acknowledge deadline
reaches the open page by push within seconds (no reload), buzzes, shows a system
notification once the supervisor allowed them, and leaves when an officer acknowledges."""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from liveroom.access import SYSTEM
from liveroom.commands import accounts
from liveroom.commands.incidents import assign_incident, change_status, report_incident
from liveroom.commands.officers import register_officer
from liveroom.domain.events import IncidentEscalated, decode
from liveroom.projections.policies.escalation import EscalationPolicy
from tests.browser.conftest import chromium
from tests.browser.helpers import PASSWORD, severe_console_errors, sign_in
from tests.conftest import Clock

pytestmark = pytest.mark.browser
PATIENT = (NoSuchElementException, StaleElementReferenceException)
SHOTS = os.environ.get("LIVEROOM_SCREENSHOTS")  # where to keep a screenshot (unset: none)
JAM_ACK_MINUTES = 15  # kemacetan's acknowledge SLA in the Tangerang pack (dishub)
PUSHED_WITHIN = 5.0  # seconds from the escalation to the card on the phone

NOTIFICATIONS = """
var done = arguments[arguments.length - 1];
navigator.serviceWorker.ready.then(function (registration) {
  return registration.getNotifications();
}).then(function (shown) {
  done(shown.map(function (n) { return n.title + " | " + n.body; }));
}, function (error) { done(["failed: " + error]); });
"""
SHELL_KEPT = """
var done = arguments[arguments.length - 1];
if (!navigator.serviceWorker.controller) { done(false); return; }
caches.match("/siaga").then(function (page) { done(!!page); }, function () { done(false); });
"""
BUZZ_RECORDER = """
window.buzzed = [];
navigator.vibrate = function (pattern) { window.buzzed.push(pattern); return true; };
window.notReloaded = true;
"""


def supervisor_phone(app, username: str):
    """A phone-sized Chromium signed in on /siaga."""
    driver = chromium()
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 412, "height": 915, "deviceScaleFactor": 1, "mobile": True})
    sign_in(driver, app, username, "/siaga")
    WebDriverWait(driver, 15).until(lambda d: d.current_url.endswith("/siaga"))
    return driver


def waiting(driver, timeout: float = 20) -> WebDriverWait:
    return WebDriverWait(driver, timeout, ignored_exceptions=PATIENT)


def alerted(writer, incident_id: str) -> list[IncidentEscalated]:
    return [e for _, fields in writer.redis.xrange(writer.keys.stream("incidents"))
            if isinstance(e := decode(fields), IncidentEscalated)
            and e.incident_id == incident_id and e.action == "alert_supervisors"]


def test_a_missed_deadline_is_pushed_to_the_supervisors_phone_and_leaves_once_acknowledged(
        app, writer):
    username = f"spv-dishub-{uuid.uuid4().hex[:6]}"
    accounts.add_user(writer, username, PASSWORD, roles=["supervisor"], agencies=["dishub"],
                      by=SYSTEM)
    officer_id = f"dishub-{uuid.uuid4().hex[:6]}"
    register_officer(writer, officer_id, name="Pak Rudi", agency="dishub", by=SYSTEM)
    driver = supervisor_phone(app, username)
    try:
        waiting(driver).until(lambda d: d.find_element(By.ID, "link").get_attribute(
            "data-state") == "live")
        assert driver.find_element(By.ID, "link").text == "LANGSUNG"
        assert driver.find_element(By.ID, "no-alerts").is_displayed()
        notify = driver.find_element(By.ID, "notify")  # asked for by a tap, never on load
        assert notify.is_displayed() and notify.text == "Aktifkan notifikasi"
        driver.execute_cdp_cmd("Browser.grantPermissions", {
            "origin": app.url, "permissions": ["notifications"]})
        notify.click()  # (the tap is also what lets the page buzz the phone)
        waiting(driver).until(lambda d: not d.find_element(By.ID, "notify").is_displayed())
        assert driver.find_element(By.ID, "notify-status").text == "Notifikasi aktif."
        driver.execute_script(BUZZ_RECORDER)

        real = writer.clock  # a report made just over its deadline ago, then "now"
        clock = Clock(datetime.now(UTC) - timedelta(minutes=JAM_ACK_MINUTES + 1))
        writer.clock = clock
        spot = writer.city.districts["36.71.05"].geometry.representative_point()
        jam = report_incident(writer, category="kemacetan", lat=spot.y, lon=spot.x,
                              source="test", address="Jl. Jenderal Sudirman", by=SYSTEM)
        waiting(driver, 15).until(lambda _: writer.redis.zscore(
            writer.live.escalation_due, jam.id) is not None)  # the app's policy indexed it
        clock.advance(minutes=JAM_ACK_MINUTES + 1)
        EscalationPolicy(writer).tick()  # (the app's own may be first: once either way)
        escalated = time.monotonic()

        card = waiting(driver, PUSHED_WITHIN).until(
            lambda d: d.find_element(By.ID, f"alert-{jam.id}"))
        assert time.monotonic() - escalated < PUSHED_WITHIN
        assert driver.execute_script("return window.notReloaded") is True  # pushed, not polled
        text = card.text
        for expected in ("Kemacetan", "Dishub", "Jl. Jenderal Sudirman",
                         writer.city.districts["36.71.05"].name, "Lewat 1 menit dari tenggat",
                         "Belum diterima petugas hingga tenggat · ack-missed"):
            assert expected in text, (expected, text)
        assert "Peringatan baru: Kemacetan" in driver.find_element(By.ID, "notice").text
        assert driver.execute_script("return window.buzzed.length") == 1
        shown = waiting(driver, 5).until(lambda d: d.execute_async_script(NOTIFICATIONS))
        assert shown == ["Siaga: Kemacetan | "
                         f"{writer.city.districts['36.71.05'].name} · "
                         "Belum diterima petugas hingga tenggat"]
        assert len(alerted(writer, jam.id)) == 1
        if SHOTS:
            driver.save_screenshot(os.path.join(SHOTS, "siaga-phone.png"))
        assert severe_console_errors(driver) == []

        waiting(driver).until(lambda d: d.execute_async_script(SHELL_KEPT))
        app.stop()  # no signal at all: the page reopens with the last list it had
        driver.refresh()
        assert "Kemacetan" in waiting(driver).until(
            lambda d: d.find_element(By.ID, f"alert-{jam.id}")).text
        assert driver.find_element(By.ID, "link").get_attribute("data-state") != "live"
        app.start()
        waiting(driver, 60).until(lambda d: d.find_element(By.ID, "link").get_attribute(
            "data-state") == "live")
        severe_console_errors(driver)  # (what the dead link said meanwhile)
        assert driver.find_element(By.ID, f"alert-{jam.id}")
        assert not driver.find_element(By.ID, "notice").is_displayed()  # seen: not rung again

        writer.clock = real
        assign_incident(writer, jam.id, officer_id, by=SYSTEM)
        change_status(writer, jam.id, "acknowledged", by=SYSTEM)
        waiting(driver, PUSHED_WITHIN).until(
            lambda d: not d.find_elements(By.ID, f"alert-{jam.id}"))
        assert driver.find_element(By.ID, "no-alerts").is_displayed()
        assert not driver.find_element(By.ID, "notice").is_displayed()  # nothing new
        assert severe_console_errors(driver) == []
    finally:
        driver.quit()
