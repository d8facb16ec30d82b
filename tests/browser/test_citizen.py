"""A citizen reports from a phone-sized Chromium, offline, and follows the report; it
survives a restart and reaches the operators' screen."""

from __future__ import annotations

import io
import re

import httpx
import pytest
from PIL import Image
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.browser.helpers import REDRAWN, severe_console_errors, sign_in, text_of

pytestmark = pytest.mark.browser


def test_a_citizen_reports_with_map_and_photo_and_operators_see_it(app, writer, browser,
                                                                   operator, tmp_path):
    picture = tmp_path / "banjir.jpg"
    Image.new("RGB", (2400, 1800), "#3a6ea5").save(picture, "JPEG")
    browser.set_window_size(412, 900)
    browser.get(app.url + "/lapor")
    questions = browser.find_element(By.CSS_SELECTOR, 'fieldset[data-category="banjir"]')
    assert not questions.is_displayed()  # shown only for its category
    Select(browser.find_element(By.ID, "category")).select_by_value("banjir")
    assert questions.is_displayed()
    Select(browser.find_element(By.ID, "q-banjir-kedalaman-air")).select_by_value("selutut")
    leaflet = browser.find_element(By.CSS_SELECTOR, "#map.leaflet-container")
    WebDriverWait(browser, 10).until(  # the bundled basemap, no tile server
        lambda d: d.find_elements(By.CSS_SELECTOR, "#map canvas"))
    ActionChains(browser).move_to_element(leaflet).click().perform()
    lat = browser.find_element(By.ID, "lat").get_attribute("value")
    lon = browser.find_element(By.ID, "lon").get_attribute("value")
    assert writer.city.contains(float(lat), float(lon))
    browser.find_element(By.ID, "description").send_keys("Air masuk rumah di gang mawar")
    browser.find_element(By.ID, "photo").send_keys(str(picture))
    browser.find_element(By.ID, "submit").click()

    number = text_of(browser, "tracking-number")
    assert re.fullmatch(r"\d{6}-[0-9A-Z]{5}", number)
    assert "Terima kasih" in browser.find_element(By.TAG_NAME, "body").text
    WebDriverWait(browser, 15).until(lambda d: d.execute_script(
        "var i = document.getElementById('report-photo'); return i && i.naturalWidth > 0"))
    photo_url = browser.find_element(By.ID, "report-photo").get_attribute("src")
    served = Image.open(io.BytesIO(httpx.get(photo_url).content))
    assert max(served.size) <= 1600  # shrunk on the phone or on the server, not 2400 px
    assert severe_console_errors(browser) == []

    app.stop()
    app.start()
    browser.get(f"{app.url}/lapor/{number}")
    assert text_of(browser, "report-description") == "Air masuk rumah di gang mawar"
    (found,) = httpx.get(f"{app.url}/open311/v2/requests/{number}.json").json()
    assert found["service_code"] == "banjir" and found["status"] == "open"

    browser.set_window_size(1920, 1080)
    sign_in(browser, app, operator)
    WebDriverWait(browser, 20, ignored_exceptions=REDRAWN).until(  # (a push redraws it)
        lambda d: "Air masuk rumah di gang mawar" in d.find_element(By.ID, "feed").text,
        message="the citizen's report never reached the operators' feed")
