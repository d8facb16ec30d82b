"""The home page in headless Chromium: renders, speaks Indonesian, and is pushed changes live."""

from __future__ import annotations

import shutil
import uuid

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from liveroom.access import SYSTEM
from liveroom.room import LiveRoom
from liveroom.services import accounts
from liveroom.services.incidents import report_incident
from tests.app_process import AppProcess

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
if not (CHROMIUM and CHROMEDRIVER):
    pytest.fail("browser tests need chromium and chromedriver (.ci/run installs them)",
                pytrace=False)


@pytest.fixture
def app(settings, tmp_path):
    env = {
        "LIVEROOM_DATA_DIR": str(tmp_path), "LIVEROOM_REDIS_URL": settings.redis_url,
        "LIVEROOM_REDIS_NAMESPACE": settings.namespace,
        "LIVEROOM_DATABASE_URL": settings.database_url or f"sqlite:///{tmp_path}/archive.db",
    }
    process = AppProcess(env, tmp_path / "app.log").start()
    yield process
    process.stop()


@pytest.fixture
def writer(app, settings):
    """The test's own connection to the same deployment, to act as citizens do."""
    room = LiveRoom.open(settings.model_copy(update={"database_url": app.env[
        "LIVEROOM_DATABASE_URL"]}))
    yield room
    room.close()


PASSWORD = "kata-sandi-rahasia"


@pytest.fixture
def operator(writer):
    username = f"opi-{uuid.uuid4().hex[:8]}"  # the archive is shared by the session's tests
    accounts.add_user(writer, username, PASSWORD, roles=["operator"], by=SYSTEM)
    return username


def sign_in(browser, app, username: str) -> None:
    """Through the login form, as a person would."""
    browser.get(app.url + "/")
    WebDriverWait(browser, 15).until(lambda d: "/login" in d.current_url)
    browser.find_element(By.ID, "username").send_keys(username)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "login-submit").click()
    WebDriverWait(browser, 15).until(lambda d: "/login" not in d.current_url)


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1920,1080"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def text_of(browser, element_id: str, timeout: float = 15) -> str:
    return WebDriverWait(browser, timeout).until(
        lambda d: d.find_element(By.ID, element_id).text or False
    )


def wait_for_text(browser, element_id: str, expected: str, timeout: float = 20) -> None:
    WebDriverWait(browser, timeout).until(
        lambda d: d.find_element(By.ID, element_id).text == expected,
        message=f"#{element_id} never showed {expected!r}",
    )


def report(room: LiveRoom, description: str = ""):
    district = room.city.districts["36.71.05"].geometry.representative_point()
    return report_incident(room, category="genangan", lat=district.y, lon=district.x,
                           source="test", by=SYSTEM, description=description)


def severe_console_errors(browser) -> list[str]:
    return [entry["message"] for entry in browser.get_log("browser")
            if entry["level"] == "SEVERE" and "favicon" not in entry["message"]]


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


def test_the_page_keeps_receiving_pushes_after_a_server_restart(app, writer, browser,
                                                                operator):
    sign_in(browser, app, operator)
    assert text_of(browser, "count-open") == "0"
    app.stop()
    app.start()
    report(writer)
    wait_for_text(browser, "count-open", "1", timeout=40)  # the websocket came back by itself
    assert [m for m in severe_console_errors(browser) if "WebSocketCallbackError" in m] == []


HOSTILE = '<script>window.pwned = 1</script><img src=x onerror="window.pwned=2"><b>tebal</b>'


def test_hostile_report_text_is_shown_as_text(app, writer, browser, operator):
    sign_in(browser, app, operator)
    assert text_of(browser, "count-open") == "0"
    report(writer, description=HOSTILE)
    WebDriverWait(browser, 20).until(
        lambda d: HOSTILE in d.find_element(By.ID, "feed").text,
        message="the report's words never appeared, verbatim, in the feed")
    feed = browser.find_element(By.ID, "feed")
    assert feed.find_elements(By.TAG_NAME, "script") == []
    assert feed.find_elements(By.TAG_NAME, "img") == []
    assert feed.find_elements(By.TAG_NAME, "b") == []
    assert browser.execute_script("return window.pwned === undefined")


def test_a_kiosk_link_opens_the_wall_screen_without_a_password(app, writer, browser):
    issued = accounts.create_kiosk_link(writer, "Layar 1", role="mayor", by=SYSTEM)
    browser.get(f"{app.url}/?kiosk={issued.secret}")
    assert text_of(browser, "count-open") == "0"
    assert "kiosk" not in browser.current_url  # the secret does not linger in the address bar
    assert "Masuk sebagai Layar 1" in browser.find_element(By.TAG_NAME, "body").text
    accounts.revoke_credential(writer, issued.id, by=SYSTEM)
    browser.refresh()
    WebDriverWait(browser, 15).until(lambda d: "/login" in d.current_url)
