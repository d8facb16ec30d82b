"""Swagger UI at /api/v1/docs in headless Chromium: an admin signs in, sees every route of
the document drawn under the page's CSP from the server's own copy, and "Try it out" acts
as them; nothing is fetched from anywhere else."""

from __future__ import annotations

import uuid

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from liveroom.access import SYSTEM
from liveroom.commands import accounts
from tests.browser import helpers

pytestmark = pytest.mark.browser


def test_an_admin_reads_the_api_and_tries_a_route_as_themselves(app, writer, browser):
    admin = f"adm-{uuid.uuid4().hex[:8]}"
    accounts.add_user(writer, admin, helpers.PASSWORD, roles=["admin"], by=SYSTEM)
    helpers.sign_in(browser, app, admin, "/api/v1/docs")  # to /login and back
    assert browser.current_url == app.url + "/api/v1/docs"
    WebDriverWait(browser, 20).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) >= 28,
        message="Swagger UI never drew the document's routes")
    helpers.shot(browser, "api-docs")
    me = browser.find_element(By.XPATH, "//div[contains(@class, 'opblock ')]"
                                        "[.//*[@data-path='/api/v1/me']]")
    me.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    WebDriverWait(browser, 10).until(
        lambda d: me.find_elements(By.CSS_SELECTOR, ".try-out__btn"))[0].click()
    me.find_element(By.CSS_SELECTOR, ".execute").click()
    answer = WebDriverWait(browser, 10).until(
        lambda d: me.find_elements(By.CSS_SELECTOR,
                                   ".live-responses-table tbody .response-col_status"),
        message="no answer to 'Try it out'")[0]
    assert answer.text.strip().startswith("200")  # the admin's session and CSRF token
    body = me.find_element(By.CSS_SELECTOR, ".live-responses-table .microlight").text
    assert f'"actor": "user:{admin}"' in body
    resources = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")
    assert resources and all(url.startswith(app.url) for url in resources)
    assert helpers.severe_console_errors(browser) == []
