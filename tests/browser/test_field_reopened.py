"""A report its reporter said was not fixed comes back to an officer's phone in Chromium
with why: when, the rating, the reporter's words."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from liveroom.access import SYSTEM
from liveroom.commands.feedback import rate_incident
from liveroom.commands.incidents import assign_incident, change_status, report_incident
from tests.browser.test_dispatch import on_duty_officer, wait_for_live
from tests.browser.test_field import officer_account, phone, task_card

pytestmark = pytest.mark.browser


def test_the_phone_shows_why_a_task_came_back(app, writer):
    officer, post = on_duty_officer(app, writer, "kebersihan", "Pak Agus")
    spot = list(writer.city.districts.values())[4].geometry.representative_point()
    incident = report_incident(writer, category="sampah-menumpuk", lat=spot.y, lon=spot.x,
                               source="whatsapp", by=SYSTEM, reporter={"phone": "+6281311112222"})
    wait_for_live(writer, incident.id, "triaged")
    assign_incident(writer, incident.id, officer.officer_id, by=SYSTEM)
    for step in ("acknowledged", "en_route", "on_scene", "resolved"):
        change_status(writer, incident.id, step, by=SYSTEM, reason="diangkut")
    rate_incident(writer, incident.id, 1, by=SYSTEM, source="whatsapp",
                  reporter={"phone": "+6281311112222"}, comment="Sampahnya masih di sana")
    wait_for_live(writer, incident.id, "triaged")
    assign_incident(writer, incident.id, officer.officer_id, by=SYSTEM)
    driver = phone(app, officer_account(writer, officer.officer_id, "kebersihan"), post.centre)
    try:
        card = task_card(driver, incident.id)
        why = card.find_element(By.CSS_SELECTOR, ".task-reopened").text
        assert why.startswith("Dibuka kembali oleh pelapor (")
        assert why.endswith("· nilai 1/5: Sampahnya masih di sana")
    finally:
        driver.quit()
