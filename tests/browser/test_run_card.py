"""A fire's run card on the wall screen, in Chromium: the operator opens the fire and sees its
card's lines filled with the nearest units (and an officer where a unit is short), sends them
all in one click; each crew's phone shows its task; their steps show on the wall as they
happen, and on the unit board as en route; one engine is stood down with a reason; the lead
crew resolves the fire."""

from __future__ import annotations

import uuid

import pytest
from PIL import Image
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from liveroom.access import SYSTEM
from liveroom.commands.incidents import (
    change_status,
    dispatch_incident,
    get_incident,
    report_incident,
)
from liveroom.commands.officers import record_locations, register_officer
from liveroom.commands.units import register_unit
from liveroom.domain.events import OfficerLocated
from tests.browser.helpers import severe_console_errors, shot, sign_in
from tests.browser.test_dispatch import on_duty_officer, wait_for_live, wait_until
from tests.browser.test_field import officer_account, phone, task_card, waiting

pytestmark = pytest.mark.browser
PATIENT = (NoSuchElementException, StaleElementReferenceException)


def crewed_unit(writer, call_sign: str, agency: str, where: tuple[float, float],
                crew: int = 1) -> tuple[str, list[str]]:
    """A unit whose registered crew stands at `where` (their fixes place it): (id, crew)."""
    unit_id = f"{call_sign.lower()}-{uuid.uuid4().hex[:6]}"  # (the archive is shared)
    members = [f"{unit_id}-{n}" for n in range(crew)]
    for n, member in enumerate(members):
        register_officer(writer, member, name=f"{call_sign} awak {n + 1}", agency=agency,
                         by=SYSTEM)
    record_locations(writer, [OfficerLocated(
        officer_id=member, occurred_at=writer.clock(), actor="device", lat=where[0],
        lon=where[1], accuracy=5) for member in members], by=SYSTEM)
    register_unit(writer, unit_id, call_sign=call_sign, agency=agency, crew=members,
                  by=SYSTEM)
    return unit_id, members


def take_step(driver, incident_id: str, expected: str) -> None:
    """Click the task's step button once it offers `expected` (the card is drawn again as
    the task's state arrives)."""
    def click(d) -> bool:
        button = d.find_element(By.CSS_SELECTOR, f"#task-{incident_id} button.step")
        if button.get_attribute("data-step") != expected:
            return False
        button.click()
        return True

    waiting(driver).until(click, message=f"the phone never offered {expected}")


def wall_sized(browser) -> None:
    """The page laid out at 1920x1080, as on the wall (the window's own bars left out)."""
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 1920, "height": 1080, "deviceScaleFactor": 1, "mobile": False})


def panel_shot(browser, name: str, part: str = "detail-card") -> None:
    """The incident panel scrolled to `part` (its top; its tasks), kept as a screenshot."""
    browser.execute_script("document.getElementById(arguments[0]).scrollIntoView("
                           "{block: 'start'})", part)
    shot(browser, name)


@pytest.fixture
def photo_file(tmp_path):
    path = tmp_path / "padam.jpg"
    Image.new("RGB", (1200, 900), (140, 40, 30)).save(path, "JPEG")
    return path


def test_a_fires_run_card_goes_out_in_one_click_and_the_lead_crew_resolves_it(
        app, writer, browser, operator, photo_file):
    post = next(p for p in writer.city.posts.values() if p.agency == "damkar")
    scene = (post.centre[0] + 0.003, post.centre[1])
    near = lambda degrees: (scene[0] + degrees, scene[1])  # noqa: E731
    lead, lead_crew = crewed_unit(writer, "DK-1", "damkar", near(0.004), crew=2)
    second, second_crew = crewed_unit(writer, "DK-2", "damkar", near(0.008))
    spare, _ = crewed_unit(writer, "DK-3", "damkar", near(0.03))
    traffic, traffic_crew = crewed_unit(writer, "DH-1", "dishub", near(0.006))
    order, _ = on_duty_officer(app, writer, "satpolpp", "Bu Satpol")  # no Satpol PP unit
    fire = report_incident(writer, category="kebakaran", lat=scene[0], lon=scene[1],
                           source="test", by=SYSTEM, description="Gudang kayu terbakar",
                           attributes={"orang-terjebak": "tidak", "objek-terbakar": "rumah"})
    wait_for_live(writer, fire.id, "triaged")
    wait_until(lambda: writer.redis.zscore(writer.live.units_geo, spare) is not None)

    wall_sized(browser)
    sign_in(browser, app, operator)
    wait = WebDriverWait(browser, 20, ignored_exceptions=PATIENT)
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f"[data-incident='{fire.id}']")
               ).click()
    card = wait.until(lambda d: d.find_element(By.ID, "runcard"))
    wait.until(lambda d: "DK-1" in d.find_element(By.ID, "runcard").text)
    lines = {line.get_attribute("data-agency"): line.text
             for line in card.find_elements(By.CSS_SELECTOR, ".runcard-line")}
    assert list(lines) == ["damkar", "dishub", "satpolpp"]
    assert "DK-1" in lines["damkar"] and "DK-2" in lines["damkar"]
    assert "DK-3" not in lines["damkar"]  # the third engine is further: offered to add
    assert "DH-1" in lines["dishub"] and "≈" in lines["dishub"] and "km" in lines["dishub"]
    assert "Bu Satpol" in lines["satpolpp"] and "petugas" in lines["satpolpp"]
    send = browser.find_element(By.ID, "runcard-send")
    assert send.text == "Kirim semua (4)"
    panel_shot(browser, "runcard-panel")

    send.click()
    wait.until(lambda d: d.find_element(By.ID, "runcard-message").text == "Terkirim: 4 tugas.")
    sent = get_incident(writer, fire.id).running_tasks
    assert sorted((t.agency, t.unit_id or t.officer_id) for t in sent) == sorted([
        ("damkar", lead), ("damkar", second), ("dishub", traffic),
        ("satpolpp", order.officer_id)])
    assert get_incident(writer, fire.id).agency == "damkar"
    tasks = wait.until(lambda d: d.find_element(By.ID, "tasks"))
    assert all(name in tasks.text for name in ("DK-1", "DK-2", "DH-1", "Bu Satpol"))
    assert "Semua yang diminta sampai alarm 1 sudah jalan." in browser.find_element(
        By.ID, "runcard").text
    browser.find_element(By.ID, "runcard-next").click()  # a second alarm: two more engines
    wait.until(lambda d: "Kartu tugas · alarm 2" in d.find_element(By.ID, "runcard").text)
    assert "DK-3" in browser.find_element(By.ID, "runcard").text
    assert browser.find_element(By.ID, "runcard-send").text == "Kirim semua (1)"
    panel_shot(browser, "runcard-alarm-2", "tasks")

    phones = [phone(app, officer_account(writer, member, agency), scene)
              for member, agency in ((lead_crew[0], "damkar"), (traffic_crew[0], "dishub"),
                                     (second_crew[0], "damkar"))]
    try:
        lead_phone, traffic_phone, second_phone = phones
        for crew_phone in phones:  # three units of two agencies: each crew has its task
            task_card(crew_phone, fire.id)
        for step in ("acknowledged", "en_route"):  # the lead on its phone
            take_step(lead_phone, fire.id, step)
            waiting(browser).until(lambda d, s=step: "DK-1" in d.find_element(
                By.ID, "tasks").text and d.find_element(
                By.CSS_SELECTOR, "#tasks [data-task='1'] .task-status").text == {
                "acknowledged": "Diterima", "en_route": "Dalam perjalanan"}[s])
        task_id = {t.unit_id: t.id for t in sent if t.unit_id}
        for unit_id in (second, traffic):  # the others, as the control room records them
            for step in ("acknowledged", "en_route"):
                change_status(writer, fire.id, step, by=SYSTEM, task_id=task_id[unit_id])
        waiting(browser).until(lambda d: d.find_element(
            By.CSS_SELECTOR, f"#tasks [data-task='{task_id[traffic]}'] .task-status"
        ).text == "Dalam perjalanan")
        panel_shot(browser, "runcard-en-route", "tasks")
        wall = browser.current_window_handle  # the unit board, in a tab of its own
        browser.switch_to.new_window("tab")
        browser.get(app.url + "/units")
        for unit_id in (lead, second, traffic):
            waiting(browser).until(lambda d, u=unit_id: "menuju lokasi" in d.find_element(
                By.CSS_SELECTOR, f"#unit-board [data-unit='{u}']").text.lower())
        assert fire.id in browser.find_element(
            By.CSS_SELECTOR, f"#unit-board [data-unit='{traffic}']").text
        assert severe_console_errors(browser) == []
        browser.close()
        browser.switch_to.window(wall)
        release = f"#tasks [data-task='{task_id[second]}'] .task-release"  # the fire is
        browser.find_element(By.CSS_SELECTOR, release).click()  # under control: DK-2 back
        wait.until(lambda d: d.find_element(By.ID, "release-form").is_displayed())
        assert browser.find_element(By.ID, "release-who").text == "Tarik DK-2: alasannya?"
        browser.find_element(By.ID, "release-reason").send_keys("Api sudah terkendali")
        browser.find_element(By.ID, "release-confirm").click()
        wait.until(lambda d: d.find_element(By.ID, "task-message").text
                   == "Tugas DK-2 ditarik.")
        assert "alasan: Api sudah terkendali" in browser.find_element(
            By.CSS_SELECTOR, f"#tasks [data-task='{task_id[second]}']").text
        waiting(second_phone).until(lambda d: not d.find_elements(By.ID, f"task-{fire.id}"))
        take_step(lead_phone, fire.id, "on_scene")
        take_step(lead_phone, fire.id, "resolved")
        waiting(lead_phone).until(lambda d: d.find_element(By.ID, "resolve-note")
                                  ).send_keys("Api padam, tidak ada korban")
        lead_phone.find_element(By.ID, "resolve-photo").send_keys(str(photo_file))
        lead_phone.find_element(By.ID, "resolve-submit").click()
        wait_until(lambda: get_incident(writer, fire.id).status == "resolved")
        waiting(browser).until(lambda d: d.find_element(By.ID, "detail-status").text
                               == "Selesai ditangani")  # the open panel follows by push
        assert get_incident(writer, fire.id).status == "resolved"
        assert get_incident(writer, fire.id).running_tasks == []  # the rest stood down
        waiting(traffic_phone).until(lambda d: not d.find_elements(By.ID, f"task-{fire.id}"))
        for driver in (*phones, browser):
            assert severe_console_errors(driver) == []
    finally:
        for driver in phones:
            driver.quit()


def test_a_unit_taken_meanwhile_refuses_the_card_and_it_is_drawn_again(
        app, writer, browser, operator):
    post = next(p for p in writer.city.posts.values() if p.agency == "damkar")
    scene = (post.centre[0] + 0.003, post.centre[1])
    first, _ = crewed_unit(writer, "DK-1", "damkar", (scene[0] + 0.004, scene[1]))
    second, _ = crewed_unit(writer, "DK-2", "damkar", (scene[0] + 0.008, scene[1]))
    crewed_unit(writer, "DK-3", "damkar", (scene[0] + 0.012, scene[1]))
    fire, elsewhere = (report_incident(
        writer, category="kebakaran", lat=scene[0] + shift, lon=scene[1], source="test",
        by=SYSTEM, attributes={"orang-terjebak": "tidak", "objek-terbakar": "lahan"})
        for shift in (0, 0.02))  # land: one engine
    wait_for_live(writer, fire.id, "triaged")
    wait_until(lambda: writer.redis.zscore(writer.live.units_geo, first) is not None)
    sign_in(browser, app, operator)
    wait = WebDriverWait(browser, 20, ignored_exceptions=PATIENT)
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f"[data-incident='{fire.id}']")
               ).click()
    wait.until(lambda d: "DK-1" in d.find_element(By.ID, "runcard").text)
    dispatch_incident(writer, elsewhere.id, units=[first], by=SYSTEM)  # another screen's
    wait_until(lambda: writer.redis.hget(writer.live.unit(first), "incident_id"))
    browser.find_element(By.ID, "runcard-send").click()
    wait.until(lambda d: "daftar sudah diperbarui" in d.find_element(
        By.ID, "runcard-message").text)
    card = browser.find_element(By.ID, "runcard").text
    assert "DK-1" not in card and "DK-2" in card  # the next nearest, ticked, to send again
    assert get_incident(writer, fire.id).tasks == []
    browser.find_element(By.ID, "runcard-send").click()
    wait.until(lambda d: d.find_element(By.ID, "runcard-message").text == "Terkirim: 1 tugas.")
    assert [t.unit_id for t in get_incident(writer, fire.id).running_tasks] == [second]
    assert severe_console_errors(browser) == []
