"""Units on the admin page over HTTP: an admin adds one (its id from its call sign), fills
the form from a row to change its crew, deactivates it; every change audited by its events;
refusals said in the page's language; the form offers the agency's own officers and
devices; nobody but an admin changes anything."""

from __future__ import annotations

import json

import pytest

from liveroom.access import SYSTEM
from liveroom.commands import accounts, audit
from liveroom.commands.officers import register_officer
from liveroom.commands.units import get_unit, register_unit
from tests.api.test_access import sign_in
from tests.api.test_admin import ROOT, click, client, people, render_page, row_button
from tests.conftest import drain

__all__ = ["client", "people"]  # (fixtures)


@pytest.fixture
def officers(room):
    """Two damkar officers, a dishub one, and a damkar device (its officer id)."""
    for officer_id, name, agency in (("dk-1", "Agus Santoso", "damkar"),
                                     ("dk-2", "Budi Wijaya", "damkar"),
                                     ("dh-1", "Eko Pratama", "dishub")):
        register_officer(room, officer_id, name=name, agency=agency, by=SYSTEM)
    device = accounts.add_device(room, "Pelacak Damkar 07", agency="damkar", by=ROOT)
    drain(room)
    return device.officer_id


def form(**values) -> dict:
    """The unit form's fields (`unit-agency=…`), empty unless given."""
    fields = {"unit-agency": None, "unit-id": "", "unit-call-sign": "", "unit-post": None,
              "unit-kind": "", "unit-crew": [], "unit-tracker": None}
    return {**fields, **{f"unit-{k.replace('_', '-')}": v for k, v in values.items()}}


def choose_agency(client, agency: str) -> dict:
    """What the page is sent when the form's agency is chosen."""
    spec = next(dep for dep in client.get("/_dash-dependencies").json()
                if dep["output"].startswith("..unit-post.options."))
    outputs = [dict(zip(("id", "property"), output.rsplit(".", 1), strict=True))
               for output in spec["output"].strip(".").split("...")]
    response = client.post("/_dash-update-component", json={
        "output": spec["output"], "outputs": outputs,
        "inputs": [{**spec["inputs"][0], "value": agency}],
        "state": [{**dep, "value": None} for dep in spec["state"]],
        "changedPropIds": ["unit-agency.value"]})
    assert response.status_code == 200, response.text
    return response.json()["response"]


def said(response) -> str:
    return response["unit-message"]["children"]["props"]["children"]


def test_an_admin_adds_changes_and_deactivates_a_unit(room, people, client, officers):
    post = next(p for p in room.city.posts.values() if p.agency == "damkar")
    sign_in(client, "boss", next_path="/admin")
    assert "units-table" in render_page(client).text
    added = click(client, "units-table", "unit-add", **form(
        agency="damkar", call_sign="Damkar 07", post=post.id, kind="mobil pemadam",
        crew=["dk-1", "dk-2"], tracker=officers))
    assert said(added) == "Unit damkar-07 ditambahkan."
    table = json.dumps(added["units-table"])
    assert "Damkar 07" in table and "Agus Santoso, Budi Wijaya" in table  # (before the view)
    unit = get_unit(room, "damkar-07")
    assert (unit.crew, unit.tracker, unit.post_id) == (["dk-1", "dk-2"], officers, post.id)
    drain(room)

    filled = click(client, "unit-agency", row_button("units-grid", "damkar-07", "edit"))
    assert filled["unit-id"]["value"] == "damkar-07"
    assert filled["unit-crew"]["value"] == ["dk-1", "dk-2"]
    assert {o["value"] for o in filled["unit-crew"]["options"]} == {"dk-1", "dk-2", officers}
    assert said(filled) == "Mengubah Damkar 07: ubah isian lalu simpan."
    saved = click(client, "units-table", "unit-save", **form(
        agency="damkar", id="damkar-07", call_sign="Damkar 07", crew=["dk-2"]))
    assert said(saved) == "Unit damkar-07 disimpan."
    assert get_unit(room, "damkar-07").crew == ["dk-2"]

    off = click(client, "units-table", row_button("units-grid", "damkar-07", "off"))
    assert said(off) == "Unit damkar-07 dinonaktifkan; tidak tampil di papan unit."
    assert not get_unit(room, "damkar-07").active
    assert "Aktifkan" in json.dumps(off["units-table"])  # (it can come back)
    drain(room)
    trail = [(e["actor"], e["action"], e["target"]) for e in audit.recent(room, by=ROOT)]
    for action in ("unit.registered", "unit.changed"):
        assert ("user:boss", action, "damkar-07") in trail


@pytest.mark.parametrize(("lang", "values", "refusal"), [
    ("id", {"agency": "damkar", "call_sign": "Damkar 08", "crew": ["dh-1"]},
     "Tidak ada yang diubah: Awak unit harus petugas terdaftar dari dinas unit itu, paling "
     "banyak 12 orang, masing-masing sekali."),
    ("en", {"agency": "damkar", "call_sign": "Damkar 08", "crew": ["dh-1"]},
     "Nothing was changed: A unit's crew must be registered officers of its own agency, at "
     "most 12, each once."),
    ("id", {"agency": "damkar", "call_sign": "Damkar 01"},
     "Tidak ada yang diubah: Unit damkar-01 sudah ada; pilih kode lain."),
    ("id", {"agency": "damkar"},
     "Tidak ada yang diubah: Unit perlu tanda panggil (misalnya Damkar 01)."),
    ("en", {"agency": "damkar", "call_sign": "Damkar 09", "tracker": "nobody"},
     "Nothing was changed: That tracker is not a registered device or officer."),
    ("id", {"agency": "damkar", "id": "Damkar 9", "call_sign": "Damkar 09"},
     "Tidak ada yang diubah: Kode unit hanya huruf kecil, angka dan tanda hubung "
     "(misalnya damkar-01)."),
])
def test_a_refused_unit_is_said_in_the_pages_language_and_changes_nothing(
        room, people, client, officers, lang, values, refusal):
    register_unit(room, "damkar-01", call_sign="Damkar 01", agency="damkar", by=SYSTEM)
    sign_in(client, "boss", next_path="/admin")
    response = click(client, "units-table", "unit-add", **form(**values),
                     **{"admin-lang": lang})
    assert said(response) == refusal
    assert "units-table" not in response
    for unit_id in ("damkar-08", "damkar-09"):
        assert not room.redis.exists(room.keys.aggregate("unit", unit_id))


def test_the_form_offers_the_chosen_agencys_officers_and_devices(room, people, client,
                                                                officers):
    sign_in(client, "boss", next_path="/admin")
    chosen = choose_agency(client, "damkar")
    assert [o["label"] for o in chosen["unit-crew"]["options"]] == [
        "Agus Santoso (dk-1)", "Budi Wijaya (dk-2)", f"Pelacak Damkar 07 ({officers})"]
    assert chosen["unit-tracker"]["options"] == [
        {"label": f"Pelacak Damkar 07 ({officers})", "value": officers}]
    assert all(room.city.posts[o["value"]].agency == "damkar"
               for o in chosen["unit-post"]["options"])


def test_only_an_admin_manages_units_on_the_page(room, people, client, officers):
    sign_in(client, "operator", next_path="/admin")
    response = click(client, "units-table", "unit-add", **form(
        agency="damkar", call_sign="Damkar 07"))
    assert said(response) == "Tidak ada yang diubah: Anda tidak berwenang mengelola unit."
    assert not room.redis.exists(room.keys.aggregate("unit", "damkar-07"))
