"""The home page in headless Chromium: renders, speaks Indonesian, and is pushed changes live."""

from __future__ import annotations

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from liveroom.access import SYSTEM
from liveroom.commands import accounts
from liveroom.commands.incidents import assign_incident, report_incident
from liveroom.commands.officers import check_out
from tests.browser.helpers import (
    REDRAWN,
    report,
    severe_console_errors,
    sign_in,
    text_of,
    wait_for_text,
)
from tests.browser.test_dispatch import on_duty_officer, wait_for_live
from tests.conftest import drain

pytestmark = pytest.mark.browser

def test_home_shows_the_city_in_indonesian_and_counts_arrive_live(app, writer, browser,
                                                                   operator):
    sign_in(browser, app, operator)
    assert text_of(browser, "count-open") == "0"
    assert "Pusat komando Kota Tangerang" in browser.find_element(By.TAG_NAME, "body").text
    assert "Laporan aktif" in browser.find_element(By.TAG_NAME, "body").text
    report(writer)
    wait_for_text(browser, "count-open", "1")  # pushed: no reload, no polling
    wait_for_text(browser, "count-triaged", "1")
    assert severe_console_errors(browser) == []

    browser.get(app.url + "/?lang=en")
    WebDriverWait(browser, 15).until(
        lambda d: "Kota Tangerang command centre" in d.find_element(By.TAG_NAME, "body").text)
    assert text_of(browser, "count-open") == "1"


def test_a_screen_that_loses_its_server_says_so_and_catches_up_on_what_it_missed(
        app, writer, browser, operator):
    sign_in(browser, app, operator)
    assert text_of(browser, "count-open") == "0"
    assert text_of(browser, "live-state") == "LANGSUNG"
    app.stop()
    wait_for_text(browser, "live-state", "MENYAMBUNG…", timeout=30)
    missed = report(writer, description="terjadi saat layar terputus")
    drain(writer)  # applied while the screen was away: only catching up can show it
    app.start()
    wait_for_text(browser, "count-open", "1", timeout=40)  # the websocket came back by itself
    markers = WebDriverWait(browser, 20).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, f".incident-{missed.id}"))
    assert len(markers) == 1  # nothing doubled
    assert "terjadi saat layar terputus" in browser.find_element(By.ID, "feed").text
    wait_for_text(browser, "live-state", "LANGSUNG")
    assert [m for m in severe_console_errors(browser) if "WebSocketCallbackError" in m] == []


HOSTILE = '<script>window.pwned = 1</script><img src=x onerror="window.pwned=2"><b>tebal</b>'


def test_hostile_report_text_is_shown_as_text(app, writer, browser, operator):
    sign_in(browser, app, operator)
    assert text_of(browser, "count-open") == "0"
    report(writer, description=HOSTILE)
    WebDriverWait(browser, 20, ignored_exceptions=REDRAWN).until(  # (a push redraws it)
        lambda d: HOSTILE in d.find_element(By.ID, "feed").text,
        message="the report's words never appeared, verbatim, in the feed")
    assert browser.find_elements(By.CSS_SELECTOR, "#feed script, #feed img, #feed b") == []
    assert browser.execute_script("return window.pwned === undefined")


def test_an_officer_s_hostile_name_is_shown_on_the_map_as_text(app, writer, browser, operator):
    device, _ = on_duty_officer(app, writer, "dishub", name=HOSTILE)  # set by an admin
    sign_in(browser, app, operator)
    opened = ("var m = window.liveroom.map.officerMarkers[arguments[0]]; if (!m || !m._map) "
              "return null; m.openTooltip(); return m.getTooltip().getElement().innerText;")
    shown = WebDriverWait(browser, 20).until(lambda d: d.execute_script(opened, device.officer_id))
    assert shown == HOSTILE
    assert browser.find_elements(By.CSS_SELECTOR, ".leaflet-tooltip img, .leaflet-tooltip b") == []
    assert browser.execute_script("return window.pwned === undefined")
    assert severe_console_errors(browser) == []


def test_a_kiosk_link_opens_the_wall_screen_without_a_password(app, writer, browser):
    issued = accounts.create_kiosk_link(writer, "Layar 1", role="mayor", by=SYSTEM)
    browser.get(f"{app.url}/?kiosk={issued.secret}")
    assert text_of(browser, "count-open") == "0"
    assert "kiosk" not in browser.current_url  # the secret does not linger in the address bar
    assert "Masuk sebagai Layar 1" in browser.find_element(By.TAG_NAME, "body").text
    accounts.revoke_credential(writer, issued.id, by=SYSTEM)
    browser.refresh()
    WebDriverWait(browser, 15).until(lambda d: "/login" in d.current_url)


def test_a_report_posted_through_open311_appears_on_the_map_without_reload(
        app, writer, browser, operator):
    sign_in(browser, app, operator)
    assert text_of(browser, "count-open") == "0"
    key = accounts.create_api_key(writer, "Aplikasi warga", by=SYSTEM)
    point = writer.city.districts["36.71.04"].geometry.representative_point()
    posted = httpx.post(f"{app.url}/open311/v2/requests.json", data={
        "api_key": key.secret, "service_code": "kebakaran", "lat": point.y, "long": point.x,
        "attribute[orang-terjebak]": "tidak", "description": "Asap dari gudang plastik"})
    incident_id = posted.json()[0]["service_request_id"]
    marker = WebDriverWait(browser, 20).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, f".incident-{incident_id}"),
        message="the new incident never appeared on the map")[0]
    assert "status-triaged" in marker.get_attribute("class")
    assert "Asap dari gudang plastik" in browser.find_element(By.ID, "feed").text
    assert severe_console_errors(browser) == []


def test_an_officer_moves_on_an_open_screen_without_reload(app, writer, browser, operator):
    device, post = on_duty_officer(app, writer, "dishub")
    sign_in(browser, app, operator)
    assert text_of(browser, "count-open") == "0"
    where = "var m = window.liveroom.map.officerMarkers[arguments[0]]; " \
            "return m && m._map ? [m.getLatLng().lat, m.getLatLng().lng] : null;"
    lat, lon = post.centre
    assert WebDriverWait(browser, 20).until(lambda d: d.execute_script(where, device.officer_id))
    moved = (round(lat + 0.004, 6), round(lon + 0.003, 6))
    assert httpx.get(app.osmand_url + "/", params={
        "id": device.secret, "lat": moved[0], "lon": moved[1], "accuracy": 6}).status_code == 200
    WebDriverWait(browser, 20).until(
        lambda d: tuple(round(v, 6) for v in d.execute_script(where, device.officer_id)) == moved,
        message="the officer's marker never moved to the new fix")
    assert severe_console_errors(browser) == []


def test_a_task_whose_officer_goes_off_duty_is_flagged_for_reassignment_live(
        app, writer, browser, operator):
    device, post = on_duty_officer(app, writer, "dishub")
    incident = report_incident(writer, category="kemacetan", lat=post.centre[0],
                               lon=post.centre[1], source="test", by=SYSTEM)
    wait_for_live(writer, incident.id, "triaged")
    assign_incident(writer, incident.id, device.officer_id, by=SYSTEM)
    sign_in(browser, app, operator)
    assert text_of(browser, "count-open") == "1"
    assert browser.find_element(By.ID, "stranded").text == ""  # nothing to reassign yet
    check_out(writer, device.officer_id, by=SYSTEM)
    WebDriverWait(browser, 20, ignored_exceptions=REDRAWN).until(
        lambda d: "Pak Damkar sudah selesai dinas" in d.find_element(By.ID, "stranded").text,
        message="the task of an officer gone off duty was never flagged")
    assert "Perlu dialihkan" in browser.find_element(By.ID, "stranded").text
