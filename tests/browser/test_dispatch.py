"""The operator's dispatch on the wall screen, in Chromium: a citizen's report waits in the
queue with its SLA countdown; one click opens it with the nearest available officer; one
more assigns it."""

from __future__ import annotations

import time
from datetime import datetime

import httpx
import pytest
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from liveroom.access import SYSTEM
from liveroom.services import accounts
from tests.browser.helpers import severe_console_errors, sign_in, text_of

pytestmark = pytest.mark.browser


def on_duty_officer(app, writer, agency: str):
    """A tracker of `agency`, on the shift running now, checked in by a fix on its post."""
    now = datetime.now(writer.city.timezone)
    shift = next(code for code, s in writer.city.shifts.items()
                 if s.instance_at(now, writer.city.timezone))
    post = next(p for p in writer.city.posts.values() if p.agency == agency)
    device = accounts.add_device(writer, "Pak Damkar", agency=agency, post_id=post.id,
                                 shift=shift, by=SYSTEM)
    lat, lon = post.centre
    assert httpx.get(app.osmand_url + "/", params={
        "id": device.id, "lat": lat, "lon": lon, "accuracy": 6}).status_code == 200
    deadline = time.monotonic() + 15
    while not writer.redis.sismember(writer.keys.view("on_duty", agency), device.id):
        assert time.monotonic() < deadline, "the fix on post never checked the officer in"
        time.sleep(0.2)
    return device, post


def test_an_operator_assigns_a_queued_report_to_the_recommended_officer(
        app, writer, browser, operator):
    device, post = on_duty_officer(app, writer, "damkar")
    sign_in(browser, app, operator)
    assert text_of(browser, "count-open") == "0"
    key = accounts.create_api_key(writer, "Aplikasi warga", by=SYSTEM)
    posted = httpx.post(f"{app.url}/open311/v2/requests.json", data={
        "api_key": key.secret, "service_code": "kebakaran", "lat": post.centre[0] + 0.003,
        "long": post.centre[1], "attribute[orang-terjebak]": "ya",
        "description": "Api di dapur warung"})
    incident_id = posted.json()[0]["service_request_id"]
    wait = WebDriverWait(browser, 20, ignored_exceptions=(NoSuchElementException,
                                                          StaleElementReferenceException))
    row = f'[id*=\'"id":"{incident_id}"\']'
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, row)).click()
    wait.until(lambda d: "Pak Damkar" in d.find_element(By.ID, "recommended").text)
    countdown = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f"{row} .sla").text)
    assert countdown.count(":") == 1 and not countdown.startswith("+")  # 5 minutes for fire
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#recommended button")).click()
    wait.until(lambda d: d.find_element(By.ID, "detail-status").text == "Ditugaskan")
    wait.until(lambda d: "status-assigned" in d.find_element(
        By.CSS_SELECTOR, f"path.incident-{incident_id}").get_attribute("class"))
    wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, row),
               message="the assigned report stayed in the queue")
    tasks = writer.redis.zrange(writer.keys.view("tasks", device.id), 0, -1)
    assert tasks == [incident_id]
    assert severe_console_errors(browser) == []
