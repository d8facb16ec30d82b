"""Shared by the browser tests: the app in its own process, a connection to the same
deployment, an operator account and headless Chromium."""

from __future__ import annotations

import shutil
import uuid

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from liveroom.access import SYSTEM
from liveroom.commands import accounts
from liveroom.room import LiveRoom
from tests.browser.helpers import PASSWORD

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
if not (CHROMIUM and CHROMEDRIVER):
    pytest.fail("browser tests need chromium and chromedriver (.ci/run installs them)",
                pytrace=False)


@pytest.fixture
def writer(app, settings):
    """The test's own connection to the same deployment, to act as citizens do."""
    room = LiveRoom.open(settings.model_copy(update={"database_url": app.env[
        "LIVEROOM_DATABASE_URL"]}))
    yield room
    room.close()


@pytest.fixture
def operator(writer):
    username = f"opi-{uuid.uuid4().hex[:8]}"  # the archive is shared by the session's tests
    accounts.add_user(writer, username, PASSWORD, roles=["operator"], by=SYSTEM)
    return username


@pytest.fixture
def supervisor(writer):
    username = f"spv-{uuid.uuid4().hex[:8]}"
    accounts.add_user(writer, username, PASSWORD, roles=["supervisor"], by=SYSTEM)
    return username


@pytest.fixture
def browser():
    driver = chromium()
    yield driver
    driver.quit()


@pytest.fixture
def second_browser():
    """Another screen (its own profile, so its own session)."""
    driver = chromium()
    yield driver
    driver.quit()


def chromium() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1920,1080"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
