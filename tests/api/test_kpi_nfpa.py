"""The NFPA panel of /kpi in Bahasa Indonesia, and its download, on the fire responses of
tests/services/test_kpi_nfpa.py (Damar: processing p90 1:10, missed; turnout 1:20 and
travel 3:59, met; Bima and all of Damkar missing every target)."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from layouts import ids
from liveroom.access import SYSTEM
from liveroom.commands import accounts
from tests.api.conftest import signed_in
from tests.api.test_access import PASSWORD
from tests.api.test_admin import prop_id, render_page
from tests.api.test_kpi_exports import refresh
from tests.services.test_kpi import on
from tests.services.test_kpi_nfpa import fires  # noqa: F401 (the fixture)

PERIOD = f"period=custom&from={on(10)}&to={on(11)}"


def mayor(room, client) -> None:
    accounts.add_user(room, "wali", PASSWORD, roles=["mayor"], by=SYSTEM)
    signed_in(room, client, "wali")


def test_the_page_shows_damkar_by_nfpa_per_unit_green_and_red(client, room, fires):  # noqa: F811
    mayor(room, client)
    shown = refresh(client, "custom", on(10).isoformat(), on(11).isoformat())
    assert shown["kpi-nfpa-panel"]["hidden"] is False
    assert shown["kpi-nfpa-title"]["children"] == "Damkar menurut NFPA 1710"
    rows = {row["unit"]: row for row in shown[prop_id(ids.grid("kpi-nfpa"))]["rowData"]}
    assert list(rows) == ["Semua unit", "Bima", "Damar"]
    damar = rows["Damar"]
    assert [(damar[f"{s}_p90__text"], damar[f"{s}_p90__class"], damar[f"{s}_within__text"])
            for s in ("processing", "turnout", "travel")] == [
        ("1:10", "nfpa-missed", "80%"), ("1:20", "nfpa-met", "90%"),
        ("3:59", "nfpa-met", "90%")]
    everyone = rows["Semua unit"]
    assert (everyone["responses"], everyone["travel_p90__text"], everyone["travel_within"],
            everyone["travel_p90__class"]) == (13, "4:10", 84.6, "nfpa-missed")
    rubbish = refresh(client, "custom", on(10).isoformat(), on(11).isoformat(),
                      agency="kebersihan")
    assert rubbish["kpi-nfpa-panel"]["hidden"] is True  # no NFPA targets: no panel


def test_the_page_heads_each_step_with_its_target(client, room, fires):  # noqa: F811
    mayor(room, client)
    page = render_page(client, "/kpi", f"?{PERIOD}").text  # before its figures
    for header in ("Pemrosesan panggilan p90 (target 1:00)", "Keberangkatan p90 (target 1:20)",
                   "Perjalanan p90 (target 4:00)", "Perjalanan dalam target"):
        assert header in page
    assert "sedikitnya 90% respons dalam target" in page


def test_the_nfpa_table_downloads_as_csv_and_xlsx(client, room, fires):  # noqa: F811
    mayor(room, client)
    got = client.get(f"/kpi/nfpa.csv?{PERIOD}")
    assert f"kpi-nfpa-{on(10)}_{on(11)}.csv" in got.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert rows[0][:9] == ["Dinas", "Unit", "ID unit", "Respons",
                           "Pemrosesan panggilan (jumlah)",
                           "Pemrosesan panggilan persentil 90 (detik)",
                           "Pemrosesan panggilan target (detik)",
                           "Pemrosesan panggilan dalam target %",
                           "Pemrosesan panggilan memenuhi"]
    fire = room.city.agencies["damkar"].name.id
    assert [r[:4] for r in rows[1:]] == [[fire, "Semua unit", "", "13"],
                                         [fire, "Bima", "dk-2", "3"],
                                         [fire, "Damar", "dk-1", "10"]]
    # processing, turnout, travel, first engine: (reached, p90 s, target s, % within, met)
    assert rows[3][4:] == ["10", "70.0", "60", "80.0", "tidak", "10", "80.0", "80", "90.0",
                           "ya", *["10", "239.0", "240", "90.0", "ya"] * 2]
    book = client.get(f"/kpi/nfpa.xlsx?{PERIOD}&lang=en")
    sheet = list(load_workbook(io.BytesIO(book.content)).active.iter_rows(values_only=True))
    assert sheet[0][:4] == ("Agency", "Unit", "Unit ID", "Responses")
    assert sheet[1][1:4] == ("All units", None, 13) and sheet[1][-5:] == (
        13, 250, 240, 84.6, "no")
