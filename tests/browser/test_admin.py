"""The admin page in headless Chromium: what an admin does at the desk, and what they see."""

from __future__ import annotations

import uuid

import httpx
import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from liveroom.access import SYSTEM
from liveroom.commands import accounts
from tests.browser import helpers

pytestmark = pytest.mark.browser

# the home page's fixtures: the real server, a LiveRoom on the same deployment, Chromium


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"  # the archive is shared by the session's tests


@pytest.fixture
def admin(writer):
    username = unique("adm")
    accounts.add_user(writer, username, helpers.PASSWORD, roles=["admin"], by=SYSTEM)
    return username


def open_admin(browser, app, username: str) -> None:
    helpers.sign_in(browser, app, username)
    browser.get(app.url + "/admin")
    WebDriverWait(browser, 15).until(lambda d: d.find_elements(By.ID, "users-table"),
                                     message="the admin page never appeared")


def text(browser, element_id: str) -> str:
    """The element's text now ("" if absent), read again if it is re-rendered meanwhile."""
    for _ in range(5):
        found = browser.find_elements(By.ID, element_id)
        try:
            return found[0].text if found else ""
        except StaleElementReferenceException:
            continue
    raise AssertionError(f"#{element_id} kept being replaced")


def wait_for(browser, element_id: str, expected: str, timeout: float = 15) -> None:
    WebDriverWait(browser, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: expected in text(d, element_id),
        message=f"#{element_id} never showed {expected!r}")


def row_text(browser, grid: str, row_id: str) -> str:
    """A grid row's text ("" if not shown); its pinned and scrolled parts are two elements."""
    for _ in range(5):
        try:
            return " ".join(e.text for e in browser.find_elements(
                By.CSS_SELECTOR, f"#{grid} .ag-row[row-id='{row_id}']"))
        except StaleElementReferenceException:
            continue
    raise AssertionError(f"row {row_id} of #{grid} kept being replaced")


def wait_for_row(browser, grid: str, row_id: str, expected: str, timeout: float = 15) -> None:
    WebDriverWait(browser, timeout).until(
        lambda d: expected in row_text(d, grid, row_id),
        message=f"row {row_id} of #{grid} never showed {expected!r}")


def row_buttons(browser, grid: str, row_id: str) -> list:
    return browser.find_elements(By.CSS_SELECTOR,
                                 f"#{grid} .ag-row[row-id='{row_id}'] button")


def filter_first_column(browser, grid: str, value: str) -> None:
    """Type into the grid's first column's filter, as an admin looking for one row does."""
    field = browser.find_element(By.CSS_SELECTOR, f"#{grid} .ag-pinned-left-header "
                                                  ".ag-floating-filter input")
    field.clear()
    field.send_keys(value)


def type_into(browser, element_id: str, value: str) -> None:
    field = browser.find_element(By.ID, element_id)
    field.clear()
    field.send_keys(value)


def tick(browser, checklist_id: str, label: str) -> None:
    browser.find_element(
        By.XPATH, f"//*[@id='{checklist_id}']//label[normalize-space()='{label}']").click()


def usernames(room) -> set[str]:
    return {user["username"] for user in accounts.list_users(room, by=SYSTEM)}


def test_an_admin_adds_an_operator_and_a_short_password_is_refused(app, writer, browser,
                                                                   admin):
    open_admin(browser, app, admin)
    assert "Administrasi" in browser.find_element(By.TAG_NAME, "h1").text
    operator = unique("opr")
    type_into(browser, "user-username", operator)
    type_into(browser, "user-display-name", "Siti Operator")
    type_into(browser, "user-password", helpers.PASSWORD)
    tick(browser, "user-roles", "Operator")
    browser.find_element(By.ID, "user-add").click()
    wait_for(browser, "users-message", f"Pengguna {operator} ditambahkan.")
    filter_first_column(browser, "users-grid", operator)
    wait_for_row(browser, "users-grid", operator, "Siti Operator")
    row = row_text(browser, "users-grid", operator)
    assert "Operator" in row and "Ya" in row
    added = next(u for u in accounts.list_users(writer, by=SYSTEM) if u["username"] == operator)
    assert added["roles"] == ["operator"] and added["active"]
    assert browser.find_element(By.ID, "user-password").get_attribute("value") == ""
    wait_for(browser, "audit-table", "user.added")  # the trail on the page shows it
    filter_first_column(browser, "users-grid", admin)
    wait_for_row(browser, "users-grid", admin, admin)
    assert row_buttons(browser, "users-grid", admin) == []  # no locking oneself out

    filter_first_column(browser, "users-grid", operator)
    wait_for_row(browser, "users-grid", operator, "Nonaktifkan")
    (disable,) = row_buttons(browser, "users-grid", operator)
    assert disable.text == "Nonaktifkan"
    disable.click()
    wait_for(browser, "users-message", f"Pengguna {operator} dinonaktifkan")
    filter_first_column(browser, "users-grid", operator)  # (the grid was drawn again)
    wait_for_row(browser, "users-grid", operator, "Tidak")
    assert not next(u for u in accounts.list_users(writer, by=SYSTEM)
                    if u["username"] == operator)["active"]

    refused = unique("opr")
    type_into(browser, "user-username", refused)
    type_into(browser, "user-password", "pendek")
    tick(browser, "user-roles", "Operator")
    browser.find_element(By.ID, "user-add").click()
    wait_for(browser, "users-message", "a password needs at least 10 characters")
    assert "Tidak ada yang diubah" in text(browser, "users-message")
    assert refused not in usernames(writer)
    assert refused not in text(browser, "users-table")
    assert browser.find_element(By.ID, "user-username").get_attribute("value") == refused
    errors = helpers.severe_console_errors(browser)
    print("\n".join(errors[:12]))
    assert errors == []


def test_an_admin_creates_a_kiosk_link_sees_it_once_and_revokes_it(app, writer, browser,
                                                                    admin):
    open_admin(browser, app, admin)
    name = unique("Layar lobi")
    type_into(browser, "kiosk-name", name)
    browser.find_element(By.ID, "kiosk-create").click()
    wait_for(browser, "kiosk-message", f"“{name}” dibuat")
    url = text(browser, "kiosk-secret")
    assert url.startswith(app.url + "/?kiosk=lr_kiosk_")
    assert "hanya ditampilkan sekali ini" in text(browser, "kiosk-issued").lower()
    link = next(c for c in accounts.list_credentials(writer, by=SYSTEM, kind="kiosk")
                if c["name"] == name)
    row_id = link["id"]
    wait_for_row(browser, "kiosk-grid", row_id, "aktif")
    assert "Wali kota" in row_text(browser, "kiosk-grid", row_id)
    assert link["created_by"] == f"user:{admin}"
    with httpx.Client(follow_redirects=False) as screen:  # the link signs a screen in
        assert "lr_session" in screen.get(url).cookies

    (revoke,) = row_buttons(browser, "kiosk-grid", row_id)
    assert revoke.text == "Cabut"
    revoke.click()
    wait_for_row(browser, "kiosk-grid", row_id, "dicabut")
    assert row_buttons(browser, "kiosk-grid", row_id) == []
    assert text(browser, "kiosk-issued") == ""  # the secret is gone from the page
    wait_for(browser, "kiosk-message", f"{link['id']} dicabut")
    wait_for(browser, "audit-table", "credential.revoked")
    with httpx.Client(follow_redirects=False) as screen:  # and no longer opens anything
        assert screen.get(url).headers["location"] == "/login?kiosk=invalid"

    browser.refresh()  # the secret is never shown again
    wait_for_row(browser, "kiosk-grid", row_id, "dicabut")
    assert url.split("kiosk=")[1] not in browser.page_source
    errors = helpers.severe_console_errors(browser)
    print("\n".join(errors[:12]))
    assert errors == []


def test_an_admin_gives_a_device_a_new_secret_from_its_row(app, writer, browser, admin):
    device = accounts.add_device(writer, unique("HP Pak Joko"), agency="dishub", by=SYSTEM)
    open_admin(browser, app, admin)
    filter_first_column(browser, "device-grid", device.id)
    wait_for_row(browser, "device-grid", device.id, "aktif")
    rotate, revoke = row_buttons(browser, "device-grid", device.id)
    assert (rotate.text, revoke.text) == ("Rahasia baru", "Cabut")
    rotate.click()
    wait_for(browser, "device-message", device.id)
    new = next(c for c in accounts.list_credentials(writer, by=SYSTEM, kind="device")
               if c["name"] == device.name and c["revoked_at"] is None)
    assert new["id"] != device.id and new["id"] in text(browser, "device-message")
    assert accounts.credential_principal(writer, device.secret, ("device",)) is None
    filter_first_column(browser, "device-grid", device.id)
    wait_for_row(browser, "device-grid", device.id, "dicabut")
    assert helpers.severe_console_errors(browser) == []
