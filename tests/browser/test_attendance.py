"""The attendance page in Chromium: a supervisor reads the recap, filters it, downloads it."""

from __future__ import annotations

import uuid

import httpx
import pytest
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from liveroom.access import SYSTEM
from liveroom.services import accounts
from tests.browser.helpers import PASSWORD, severe_console_errors, sign_in

pytestmark = pytest.mark.browser


def test_a_supervisor_reads_filters_and_downloads_the_recap(app, writer, browser):
    name = f"spv-{uuid.uuid4().hex[:6]}"
    accounts.add_user(writer, name, PASSWORD, roles=["supervisor"], by=SYSTEM)
    for agency in ("damkar", "dishub"):
        post = next(p for p in writer.city.posts.values() if p.agency == agency)
        accounts.add_device(writer, f"Petugas {agency}", agency=agency, post_id=post.id,
                            shift="malam", by=SYSTEM)  # tonight's shift: due whatever the hour
    sign_in(browser, app, name)
    WebDriverWait(browser, 15).until(lambda d: d.find_elements(By.ID, "attendance-link"))[
        0].click()
    def agencies_table(d) -> str:
        return d.find_element(By.ID, "attendance-agencies").text

    wait = WebDriverWait(browser, 15, ignored_exceptions=(StaleElementReferenceException,
                                                          NoSuchElementException))
    wait.until(lambda d: "Dinas Pemadam Kebakaran" in agencies_table(d)
               and "Dinas Perhubungan" in agencies_table(d))
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#attendance-agency")).click()
    wait.until(lambda d: [o for o in d.find_elements(By.CSS_SELECTOR, "[role=option]")
                          if o.text == "Dinas Perhubungan"])[0].click()
    wait.until(lambda d: "Dinas Pemadam Kebakaran" not in agencies_table(d),
               message="the agency filter did not apply")
    link = browser.find_element(By.ID, "download-csv").get_attribute("href")
    assert "agency=dishub" in link
    cookies = {c["name"]: c["value"] for c in browser.get_cookies()}
    csv = httpx.get(link, cookies=cookies)
    assert csv.status_code == 200 and "Petugas dishub" in csv.text
    assert "Petugas damkar" not in csv.text
    assert severe_console_errors(browser) == []
