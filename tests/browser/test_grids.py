"""The report grids in Chromium: a supervisor sorts a table by a column, filters it by
typing, and the CSV button downloads the rows as shown (filtered, in the shown order)."""

from __future__ import annotations

import csv
import time
import uuid
from pathlib import Path

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from liveroom.access import SYSTEM
from liveroom.commands import accounts
from tests.browser.helpers import PASSWORD, severe_console_errors, sign_in

pytestmark = pytest.mark.browser

GRID = "#attendance-agencies"


def first_column(browser) -> list[str]:
    """The pinned first column's cells, top to bottom as drawn."""
    cells = browser.find_elements(By.CSS_SELECTOR, f"{GRID} .ag-pinned-left-cols-container "
                                                   ".ag-row")
    ordered = sorted(cells, key=lambda row: int(row.get_attribute("row-index")))
    return [row.text for row in ordered]


def downloaded(folder: Path, timeout: float = 15) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [p for p in folder.glob("*.csv")]
        if done:
            return done[0]
        time.sleep(0.2)
    raise AssertionError("no CSV was downloaded")


def test_a_supervisor_sorts_filters_and_downloads_a_grid_as_shown(app, writer, browser,
                                                                  tmp_path):
    name = f"spv-{uuid.uuid4().hex[:6]}"
    accounts.add_user(writer, name, PASSWORD, roles=["supervisor"], by=SYSTEM)
    for agency in ("damkar", "dishub", "satpolpp"):
        post = next(p for p in writer.city.posts.values() if p.agency == agency)
        accounts.add_device(writer, f"Petugas {agency}", agency=agency, post_id=post.id,
                            shift="malam", by=SYSTEM)
    names = {writer.city.agencies[a].name.get("id") for a in ("damkar", "dishub", "satpolpp")}
    sign_in(browser, app, name)
    browser.get(f"{app.url}/attendance")
    wait = WebDriverWait(browser, 15, ignored_exceptions=(StaleElementReferenceException,))
    wait.until(lambda d: names <= set(first_column(d)))
    shown = first_column(browser)

    header = browser.find_element(By.CSS_SELECTOR, f"{GRID} .ag-header-cell[col-id='key'] "
                                                   ".ag-header-cell-label")
    header.click()  # ascending
    wait.until(lambda d: first_column(d) == sorted(shown))
    header.click()  # descending
    wait.until(lambda d: first_column(d) == sorted(shown, reverse=True))

    floating = browser.find_element(By.CSS_SELECTOR,
                                    f"{GRID} .ag-floating-filter[aria-colindex='1'] input")
    floating.send_keys("Perhubungan")
    wait.until(lambda d: first_column(d) == ["Dinas Perhubungan"],
               message="typing in the column's filter did not filter the grid")

    browser.execute_cdp_cmd("Page.setDownloadBehavior",
                            {"behavior": "allow", "downloadPath": str(tmp_path)})
    browser.find_element(By.CSS_SELECTOR, f"{GRID} .grid-csv").click()
    with downloaded(tmp_path).open(encoding="utf-8-sig") as file:  # (a BOM, for Excel)
        rows = list(csv.reader(file))
    assert rows[0][0] == "Dinas" and "Tingkat kehadiran" in rows[0]  # the grid's headers
    assert [row[0] for row in rows[1:]] == ["Dinas Perhubungan"]  # only what is shown
    assert rows[1][1].isdigit()  # values, not formatted words
    assert severe_console_errors(browser) == []
