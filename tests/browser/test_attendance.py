"""The attendance page in Chromium: a supervisor reads the recap, filters it, downloads it."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from liveroom.access import SYSTEM
from liveroom.commands import accounts
from liveroom.commands.officers import get_officer
from liveroom.reporting.attendance import daily_recap
from tests.browser.helpers import PASSWORD, severe_console_errors, sign_in
from tests.browser.test_dispatch import on_duty_officer

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


def test_a_check_in_with_no_approach_is_listed_for_review_with_its_evidence(app, writer,
                                                                           browser):
    name = f"spv-{uuid.uuid4().hex[:6]}"
    accounts.add_user(writer, name, PASSWORD, roles=["supervisor"], by=SYSTEM)
    device, _ = on_duty_officer(app, writer, "dishub", name="Pak Tinjau")  # first fix: on post
    officer = get_officer(writer, device.officer_id)
    day = officer.checked_in_at.astimezone(writer.city.timezone)
    shift_day = writer.city.shifts[officer.shift].instance_at(day, writer.city.timezone)[0]
    deadline = time.monotonic() + 15
    while not [r for r in daily_recap(writer, shift_day, shift_day, by=SYSTEM) if r.review]:
        assert time.monotonic() < deadline, "the mark never reached the archive"
        time.sleep(0.2)
    sign_in(browser, app, name)
    browser.get(f"{app.url}/attendance?from={shift_day}&to={shift_day}")
    reviews = WebDriverWait(browser, 15).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#reviews .feed-item"))
    (item,) = [i for i in reviews if "Pak Tinjau" in i.text]  # (the archive is shared)
    assert f"Tidak terlihat datang: lokasi pertama hari ini {day:%H:%M} sudah di dalam pos" in (
        item.text)
    row = next(tr for tr in browser.find_elements(By.CSS_SELECTOR, "#attendance-detail .ag-row")
               if "Pak Tinjau" in tr.text)
    assert "Tidak terlihat datang" in row.text
    assert row.find_elements(By.CSS_SELECTOR, ".att-present, .att-late")  # it counts
    assert severe_console_errors(browser) == []
