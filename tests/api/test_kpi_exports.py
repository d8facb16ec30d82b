"""Every KPI table downloads as CSV and XLSX with the figures of the page, for the period
asked; others are refused (the hand-worked history of tests/services/test_kpi.py)."""

from __future__ import annotations

import csv
import io
import json

from openpyxl import load_workbook

from layouts import ids
from liveroom.access import SYSTEM
from liveroom.commands import accounts
from tests.api.conftest import signed_in
from tests.api.test_access import PASSWORD
from tests.api.test_admin import prop_id, render_page
from tests.services.test_kpi import MONTH, history, on  # noqa: F401 (the fixture)

PERIOD = f"period=custom&from={on(23)}&to={on(25)}"
MONTHS_ID = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
             "September", "Oktober", "November", "Desember"]


def test_the_agencies_table_as_csv_has_the_hand_worked_figures(client, room, history):  # noqa: F811
    accounts.add_user(room, "wali", PASSWORD, roles=["mayor"], by=SYSTEM)
    signed_in(room, client, "wali")
    got = client.get(f"/kpi/agencies.csv?{PERIOD}&lang=en")
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert f"kpi-agencies-{on(23)}_{on(25)}.csv" in got.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Agency", "Incidents", "Citizen reports"]
    rubbish = next(r for r in rows if r[0] == room.city.agencies["kebersihan"].name.en)
    assert rubbish[1:3] == ["5", "5"]  # A, B, C, E, F: one caller each
    # acknowledge, arrive, resolve: (reached, median, p90) each, then the two SLA shares and
    # the incidents flagged (A, resolved late)
    assert rubbish[3:] == ["3", "30.0", "80.0", "3", "90.0", "120.0", "3", "200.0", "1500.0",
                           "50.0", "66.7", "1"]
    assert rows[0][-1] == "Flagged"


def test_the_officers_table_as_xlsx_has_the_scores(client, room, history):  # noqa: F811
    accounts.add_user(room, "wali", PASSWORD, roles=["mayor"], by=SYSTEM)
    signed_in(room, client, "wali")
    got = client.get(f"/kpi/officers.xlsx?{PERIOD}")
    sheet = load_workbook(io.BytesIO(got.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    agus = next(r for r in rows if r[0] == "Agus")
    assert agus[2:6] == ("dlh-1", 3, 2, 1) and agus[-1] == 60.0


def test_downloads_are_refused_clearly(client, room, history):  # noqa: F811
    accounts.add_user(room, "opi", PASSWORD, roles=["operator"], by=SYSTEM)
    signed_in(room, client, "opi")
    assert client.get(f"/kpi/agencies.csv?{PERIOD}").status_code == 403
    accounts.add_user(room, "wali", PASSWORD, roles=["mayor"], by=SYSTEM)
    signed_in(room, client, "wali")
    assert client.get("/kpi/weather.csv").status_code == 404
    bad = client.get(f"/kpi/agencies.csv?period=custom&from={on(25)}&to=yesterday")
    assert bad.status_code == 400 and "two dates" in bad.json()["message"]
    unknown = client.get(f"/kpi/agencies.csv?{PERIOD}&agency={'x' * 5000}")
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_filter"
    assert len(unknown.json()["message"]) < 200  # (what was sent is not echoed whole)


def test_the_monthly_recap_downloads_as_xlsx_and_pdf(client, room, history):  # noqa: F811
    accounts.add_user(room, "wali", PASSWORD, roles=["mayor"], by=SYSTEM)
    signed_in(room, client, "wali")
    book = client.get(f"/kpi/recap.xlsx?month={MONTH:%Y-%m}")
    assert f"rekap-kinerja-{MONTH:%Y-%m}.xlsx" in book.headers["content-disposition"]
    sheets = load_workbook(io.BytesIO(book.content))
    assert sheets.sheetnames == ["Per dinas", "Kinerja petugas", "Keterangan"]
    agus = next(r for r in sheets["Kinerja petugas"].iter_rows(values_only=True)
                if r[0] == "Agus")
    assert agus[-1] == 42.4
    about = [r[0] for r in sheets["Keterangan"].iter_rows(values_only=True)]
    month = f"{MONTHS_ID[MONTH.month - 1]} {MONTH.year}"
    assert about[0] == f"Rekap kinerja bulanan Kota Tangerang · {month}"
    assert "30% kehadiran" in about[1]
    pdf = client.get(f"/kpi/recap.pdf?month={MONTH:%Y-%m}&lang=en")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and len(pdf.content) > 1500
    assert client.get("/kpi/recap.pdf?month=11-2026").status_code == 400


def test_the_backlog_downloads_as_it_was_open_now(client, room, history):  # noqa: F811
    accounts.add_user(room, "wali", PASSWORD, roles=["mayor"], by=SYSTEM)
    signed_in(room, client, "wali")
    got = client.get(f"/kpi/backlog.csv?{PERIOD}")
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert rows[1:] == [[room.city.agencies["kebersihan"].name.id, "1-4h", "1"]]  # F, 3 h


def refresh(client, period: str, first: str, last: str, agency: str | None = None) -> dict:
    """The page's figures callback, as the browser posts it when the filters change."""
    spec = next(dep for dep in client.get("/_dash-dependencies").json()
                if "..kpi-reported.children..." in dep["output"])
    values = {"kpi-period": period, "kpi-from": first, "kpi-to": last, "kpi-lang": "id",
              ids.kpi_filter("agency"): agency}
    response = client.post("/_dash-update-component", json={
        "output": spec["output"],
        "outputs": [{"id": json.loads(name) if name.startswith("{") else name,
                     "property": prop} for name, prop in (
                         output.rsplit(".", 1) for output in spec["output"].strip(".").split(
                             "..."))],
        "inputs": [{**dep, "value": values.get(dep["id"])} for dep in spec["inputs"]],
        "state": [{**dep, "value": values.get(dep["id"])} for dep in spec["state"]],
        "changedPropIds": ["kpi-period.value"]})
    assert response.status_code == 200, response.text
    return response.json()["response"]


def test_the_page_shows_at_once_and_its_figures_follow(client, room, history):  # noqa: F811
    accounts.add_user(room, "wali", PASSWORD, roles=["mayor"], by=SYSTEM)
    signed_in(room, client, "wali")
    page = render_page(client, "/kpi").text  # the page, before any figure is worked out
    assert '"id":"kpi-reported"' in page.replace(" ", "") and "Agus" not in page
    shown = refresh(client, "custom", on(23).isoformat(), on(25).isoformat())
    assert shown["kpi-reported"]["children"] == "6"  # A to F
    assert sorted(row["name"] for row in shown[prop_id(ids.grid("kpi-officers"))]["rowData"]
                  ) == ["Agus", "Damar"] and shown[ids.KPI_PROBLEM]["children"] is None
    districts = {row["key"]: row["flagged"]
                 for row in shown[prop_id(ids.grid("kpi-districts"))]["rowData"]}
    assert districts == {"Tangerang": 1, "Jatiuwung": 0, "Batuceper": 0}  # A, resolved late
    backwards = refresh(client, "custom", on(25).isoformat(), on(23).isoformat())
    assert "berakhir sebelum dimulai" in backwards[ids.KPI_PROBLEM]["children"]
    assert "kpi-reported" not in backwards  # the figures on screen stay as they were
    made_up = refresh(client, "30d", "", "", agency="dinas-hantu")
    assert "tidak ada di kota ini" in made_up[ids.KPI_PROBLEM]["children"]


def test_the_address_chooses_the_filters_as_a_download_does(client, room, history):  # noqa: F811
    accounts.add_user(room, "wali", PASSWORD, roles=["mayor"], by=SYSTEM)
    signed_in(room, client, "wali")

    def filters(search: str) -> dict:
        page = render_page(client, "/kpi", search).json()["response"]["page"]["children"]
        found = {}

        def walk(node):
            if isinstance(node, dict):
                props = node.get("props", {})
                if isinstance(props.get("id"), str) and props["id"].startswith("kpi-") and (
                        "value" in props):
                    found[props["id"]] = props["value"]
                for value in props.values():
                    walk(value)
            elif isinstance(node, list):
                for item in node:
                    walk(item)

        walk(page)
        return found

    chosen = filters(f"?{PERIOD}&agency=damkar&dimension=channel")
    assert (chosen["kpi-period"], chosen["kpi-from"], chosen["kpi-to"]) == (
        "custom", on(23).isoformat(), on(25).isoformat())
    assert chosen[ids.kpi_filter("agency")] == "damkar" and chosen["kpi-dimension"] == "channel"
    nonsense = filters("?period=custom&from=kemarin&dimension=weather&agency=dinas-hantu")
    assert (nonsense["kpi-period"], nonsense["kpi-dimension"]) == ("30d", "category")
    assert nonsense[ids.kpi_filter("agency")] is None
