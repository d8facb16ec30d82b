"""Helpers for the browser tests: sign in as a person would, read and wait for text."""

from __future__ import annotations

import os

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from liveroom.access import SYSTEM
from liveroom.commands.incidents import report_incident
from liveroom.room import LiveRoom

PASSWORD = "kata-sandi-rahasia"


def sign_in(browser, app, username: str, path: str = "/") -> None:
    """Through the login form, as a person would (who opened `path`, and lands there)."""
    browser.get(app.url + path)
    WebDriverWait(browser, 15).until(lambda d: "/login" in d.current_url)
    browser.find_element(By.ID, "username").send_keys(username)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "login-submit").click()
    WebDriverWait(browser, 15).until(lambda d: "/login" not in d.current_url)


#: a pushed update may replace an element between finding it and reading it: look again
REDRAWN = (StaleElementReferenceException,)


def text_of(browser, element_id: str, timeout: float = 15) -> str:
    return WebDriverWait(browser, timeout, ignored_exceptions=REDRAWN).until(
        lambda d: d.find_element(By.ID, element_id).text or False
    )


def wait_for_text(browser, element_id: str, expected: str, timeout: float = 20) -> None:
    WebDriverWait(browser, timeout, ignored_exceptions=REDRAWN).until(
        lambda d: d.find_element(By.ID, element_id).text == expected,
        message=f"#{element_id} never showed {expected!r}",
    )


def report(room: LiveRoom, description: str = ""):
    district = room.city.districts["36.71.05"].geometry.representative_point()
    return report_incident(room, category="genangan", lat=district.y, lon=district.x,
                           source="test", by=SYSTEM, description=description)


def severe_console_errors(browser, *, warnings: bool = False) -> list[str]:
    """The console's errors (and, if asked, its warnings) since last read."""
    levels = {"SEVERE", "WARNING"} if warnings else {"SEVERE"}
    return [entry["message"] for entry in browser.get_log("browser")
            if entry["level"] in levels and "favicon" not in entry["message"]]


#: where to keep screenshots to look at (unset: none taken)
SHOTS = os.environ.get("LIVEROOM_SCREENSHOTS")


def shot(browser, name: str) -> None:
    """A screenshot kept as `name`.png under LIVEROOM_SCREENSHOTS, if set."""
    if SHOTS:
        browser.save_screenshot(os.path.join(SHOTS, f"{name}.png"))
