"""The mayor's KPI page in Chromium: its figures agree with the wall screen's and with the
archive, and follow the filters."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import delete, func, select

from liveroom.access import SYSTEM
from liveroom.archive import schema
from liveroom.commands import accounts
from liveroom.commands.incidents import report_incident
from tests.browser.helpers import PASSWORD, severe_console_errors, sign_in, text_of, wait_for_text
from tests.browser.test_dispatch import wait_for_live

pytestmark = pytest.mark.browser


#: how many of the map's canvas pixels are the heat map's orange (its cells, on one canvas)
HEAT_PIXELS = """
let found = 0;
for (const canvas of document.querySelectorAll("#kpi-map canvas")) {
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 0; i < pixels.length; i += 4) {
    if (pixels[i] > 180 && pixels[i + 1] < 160 && pixels[i + 2] < 120) found += 1;
  }
}
return found;
"""


def reported_since(writer, since: datetime) -> int:
    with writer.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(schema.incidents).where(
            schema.incidents.c.reported_at >= since)).scalar()


def test_the_kpi_page_agrees_with_the_wall_screen_and_follows_the_period(app, writer,
                                                                         browser):
    with writer.engine.begin() as conn:  # the session's archive: other tests' incidents
        conn.execute(delete(schema.incidents))  # are not in this app's live model
    now = writer.clock
    for n, days_ago in enumerate((3, 0)):  # one three days ago: in 30 days, not today
        writer.clock = lambda d=days_ago: now() - timedelta(days=d)
        spot = list(writer.city.districts.values())[5 + n].geometry.representative_point()
        incident = report_incident(writer, category="genangan", lat=spot.y, lon=spot.x,
                                   source="test", by=SYSTEM)
        wait_for_live(writer, incident.id, "triaged")
    writer.clock = now
    accounts.add_user(writer, "wali-kota", PASSWORD, roles=["mayor"], by=SYSTEM)
    sign_in(browser, app, "wali-kota")
    open_on_wall = text_of(browser, "count-open")
    browser.get(app.url + "/kpi")
    assert text_of(browser, "kpi-open") == open_on_wall  # the same incidents, two sources
    # where they came from: cells drawn on the map (one layer on a canvas, no DOM per cell)
    WebDriverWait(browser, 15).until(lambda b: b.execute_script(HEAT_PIXELS) > 0)
    zone = writer.city.timezone
    today = datetime.now(zone).date()
    month = datetime.combine(today - timedelta(days=29), time(), zone)
    assert text_of(browser, "kpi-reported") == f"{reported_since(writer, month):,}".replace(
        ",", ".")
    browser.find_element(By.CSS_SELECTOR, "#kpi-period input[value='today']").click()
    midnight = datetime.combine(today, time(), zone)
    assert reported_since(writer, midnight) < reported_since(writer, month)
    wait_for_text(browser, "kpi-reported", str(reported_since(writer, midnight)))
    assert "30% kehadiran" in text_of(browser, "kpi-formula")  # (redrawn: read again)
    assert browser.find_elements(By.CSS_SELECTOR, "#kpi-volume .bars")  # the chart is drawn
    # (the wall screen's push, still connected, looks whether the wall is back: quietly)
    assert severe_console_errors(browser, warnings=True) == []


def test_a_mayor_kiosk_link_opens_the_kpi_page_on_a_wall(app, writer, browser):
    issued = accounts.create_kiosk_link(writer, "Layar wali kota", role="mayor", by=SYSTEM)
    browser.get(f"{app.url}/kpi?kiosk={issued.secret}")
    assert text_of(browser, "kpi-open").isdigit()
    assert browser.current_url.endswith("/kpi")  # the secret does not stay in the address
    browser.get(f"{app.url}/kpi?lang=en")
    assert "Officers' performance" in text_of(browser, "kpi-body")
