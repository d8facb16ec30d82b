"""Who is on it, in Chromium with two operators at two screens: an incident one of them opens
says so on the other's queue, the other is warned on opening it too, and it stops saying so
when the first closes it."""

from __future__ import annotations

import time
import uuid

import pytest
from selenium.common.exceptions import NoSuchElementException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from liveroom.access import SYSTEM
from liveroom.commands import accounts
from liveroom.live import handling
from tests.app_process import AppProcess
from tests.browser.helpers import PASSWORD, REDRAWN, report, severe_console_errors, sign_in

pytestmark = pytest.mark.browser

#: a lease this short (renewed every second) runs out many times over within a test
LEASE_SECONDS = 3


@pytest.fixture
def app(settings, tmp_path):
    """The app with short leases: renewal is what keeps one alive."""
    process = AppProcess.beside(settings, tmp_path, LIVEROOM_HANDLING_LEASE_SECONDS=str(
        LEASE_SECONDS)).start()
    yield process
    process.stop()


def row_text(browser, incident_id: str) -> str:
    return browser.find_element(By.CSS_SELECTOR, f"[data-incident='{incident_id}']").text


def two_operators(app, writer, browser, second_browser, operator):
    """`operator` at the first screen, another at the second, and a report waiting: (the
    other's username, the report, a wait for each screen)."""
    other = f"opa-{uuid.uuid4().hex[:8]}"
    accounts.add_user(writer, other, PASSWORD, roles=["operator"], by=SYSTEM)
    sign_in(browser, app, operator)
    sign_in(second_browser, app, other)
    incident = report(writer, "Genangan setinggi lutut")
    ignored = (*REDRAWN, NoSuchElementException)
    return (other, incident, WebDriverWait(browser, 20, ignored_exceptions=ignored),
            WebDriverWait(second_browser, 20, ignored_exceptions=ignored))


def test_a_second_screen_sees_who_has_an_incident_open_until_they_close_it(
        app, writer, browser, second_browser, operator):
    other, incident, wait_a, wait_b = two_operators(app, writer, browser, second_browser,
                                                    operator)
    wait_b.until(lambda d: row_text(d, incident.id))
    assert "ditangani" not in row_text(second_browser, incident.id)

    wait_a.until(lambda d: d.find_element(
        By.CSS_SELECTOR, f"[data-incident='{incident.id}']")).click()  # A opens it
    wait_a.until(lambda d: d.find_element(By.ID, "detail-card"))
    assert not browser.find_elements(By.ID, "handling-warning")  # nobody else was on it
    wait_b.until(lambda d: f"sedang ditangani oleh {operator}" in row_text(d, incident.id),
                 message="the other screen never said who has it open")

    second_browser.find_element(By.CSS_SELECTOR, f"[data-incident='{incident.id}']").click()
    warning = wait_b.until(lambda d: d.find_element(By.ID, "handling-warning").text)
    assert warning.startswith(f"Sedang ditangani oleh {operator}.")
    assert second_browser.find_element(By.ID, "action-reject").is_enabled()  # warned only

    browser.find_element(By.ID, "detail-close").click()  # A closes it
    wait_b.until(lambda d: operator not in row_text(d, incident.id),
                 message="A closed it, yet the other screen still names A")
    assert f"sedang ditangani oleh {other}" in row_text(second_browser, incident.id)
    assert severe_console_errors(browser) == []
    assert severe_console_errors(second_browser) == []


def test_an_open_panel_keeps_its_lease_and_leaving_the_page_lets_it_go(
        app, writer, browser, second_browser, operator):
    _other, incident, wait_a, wait_b = two_operators(app, writer, browser, second_browser,
                                                     operator)
    wait_a.until(lambda d: d.find_element(
        By.CSS_SELECTOR, f"[data-incident='{incident.id}']")).click()
    wait_b.until(lambda d: f"sedang ditangani oleh {operator}" in row_text(d, incident.id))
    opened = time.monotonic()
    WebDriverWait(browser, 20).until(  # well past the lease's first life
        lambda d: time.monotonic() - opened > 2 * LEASE_SECONDS)
    assert [h.name for h in handling.holders(writer, [incident.id])[incident.id]] == [operator]
    assert f"sedang ditangani oleh {operator}" in row_text(second_browser, incident.id)

    browser.get(app.url + "/?lang=en")  # A leaves the page (its panel with it)
    wait_b.until(lambda d: "ditangani" not in row_text(d, incident.id),
                 message="A left the page, yet the other screen still names A")
    assert handling.holders(writer, [incident.id]) == {}
    assert severe_console_errors(second_browser) == []
