"""The citizen's report and status pages: what a person on a phone sees and is refused."""

from __future__ import annotations

import html
import io
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from sqlalchemy import select

from liveroom.access import SYSTEM
from liveroom.archive import schema
from liveroom.commands.incidents import assign_incident, change_status
from liveroom.commands.officers import register_officer
from tests.conftest import MORNING, drain, person

SUPERVISOR = person("sari", "supervisor")


def photo(width: int = 3000, height: int = 2000, fmt: str = "JPEG", exif: bool = False) -> bytes:
    image = Image.new("RGB", (width, height), "#556b2f")
    data = io.BytesIO()
    extra = {}
    if exif:
        tags = Image.Exif()
        tags[0x010F] = "KameraMerek"  # Make
        extra["exif"] = tags.tobytes()
    image.save(data, fmt, **extra)
    return data.getvalue()


def form(client, **overrides) -> dict:
    page = client.get("/lapor")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return {"csrf": csrf, **overrides}


def fire(room, **overrides) -> dict:
    centre = room.city.districts["36.71.05"].geometry.representative_point()
    return {"category": "kebakaran", "attribute[orang-terjebak]": "ya",
            "attribute[objek-terbakar]": "rumah", "lat": str(centre.y), "lon": str(centre.x),
            "description": "Asap hitam dari gudang", "name": "Budi", "phone": "0812-3456-789",
            **overrides}


def submit(client, fields: dict, image: bytes | None = None, lang: str = "id"):
    files = {"photo": ("foto.jpg", image, "image/jpeg")} if image is not None else None
    return client.post(f"/lapor?lang={lang}", data=form(client, **fields), files=files,
                       follow_redirects=False)


def error_of(response) -> str:
    found = re.search(r'id="report-error">([^<]*)<', response.text)
    return html.unescape(found.group(1)) if found else ""


def stored(room) -> int:
    return room.redis.xlen(room.keys.stream("incidents"))


def test_the_form_offers_every_category_in_indonesian_first(room, client):
    page = client.get("/lapor")
    assert page.status_code == 200 and '<html lang="id">' in page.text
    for category in room.city.categories.values():
        assert f'value="{category.code}"' in page.text and category.name.id in page.text
    assert "Ada orang yang terjebak?" in page.text  # the fire's question
    english = client.get("/lapor?lang=en").text
    assert "Report a problem" in english and "Is anyone trapped?" in english


def test_a_report_with_a_photo_gets_a_tracking_page(room, client):
    response = submit(client, fire(room), photo(exif=True))
    assert response.status_code == 303
    incident_id = re.fullmatch(r"/lapor/([0-9A-Z-]+)\?lang=id&baru=1",
                               response.headers["location"]).group(1)
    drain(room)
    page = client.get(response.headers["location"]).text
    assert "Terima kasih" in page and f'id="tracking-number">{incident_id}<' in page
    assert "Kebakaran" in page and room.city.districts["36.71.05"].name in page
    assert "Ada orang yang terjebak?" in page and "Ya" in page
    # reported at 01:00 UTC, shown in the city's time
    assert re.search(rf"\b{MORNING.day} \w+ {MORNING.year} 08:00 WIB", page)
    assert "Budi" not in page and "812" not in page  # contact details stay private
    with room.engine.connect() as conn:
        row = conn.execute(select(schema.incidents).where(
            schema.incidents.c.id == incident_id)).one()
    assert (row.source, row.reporter) == ("web", {"name": "Budi", "phone": "+628123456789"})
    assert row.attributes == {"orang-terjebak": "ya", "objek-terbakar": "rumah"}
    served = client.get(row.media_url)
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    image = Image.open(io.BytesIO(served.content))
    assert max(image.size) == 1600 and not image.getexif()  # shrunk, camera data gone


def test_the_tracking_page_follows_the_report_through_its_life(room, client):
    response = submit(client, fire(room))
    incident_id = response.headers["location"].split("/")[2].split("?")[0]
    register_officer(room, "dk-1", name="Eko", agency="damkar", by=SYSTEM)
    assign_incident(room, incident_id, "dk-1", by=SUPERVISOR)
    for step in ("acknowledged", "en_route"):
        change_status(room, incident_id, step, by=SYSTEM)
    drain(room)
    page = client.get(f"/lapor/{incident_id}?lang=en").text
    done = re.findall(r'<li class="done">([^<]+)</li>', page)
    assert done == ["Received", "Awaiting crew", "Assigned", "Acknowledged", "En route"]
    assert 'id="report-status">En route<' in page
    assert "Eko" not in page  # officers are not named to the public
    change_status(room, incident_id, "rejected", by=SYSTEM, reason="Bukan wewenang kota")
    drain(room)
    page = client.get(f"/lapor/{incident_id}").text
    assert 'id="report-status">Ditolak<' in page and "Bukan wewenang kota" in page


def test_a_duplicate_still_gets_a_number_and_points_to_the_original(room, client):
    first = submit(client, fire(room)).headers["location"].split("/")[2].split("?")[0]
    drain(room)  # the live map now shows the first report
    second = submit(client, fire(room)).headers["location"].split("/")[2].split("?")[0]
    assert first != second
    page = client.get(f"/lapor/{second}").text
    assert "Duplikat" in page and f'href="/lapor/{first}?lang=id"' in page


@pytest.mark.parametrize(("fields", "words"), [
    (dict(category=""), "Pilih jenis masalah."),
    (dict(category="ufo"), "Pilih jenis masalah."),
    ({"attribute[orang-terjebak]": ""}, "Mohon jawab: Ada orang yang terjebak?"),
    (dict(lat="", lon=""), "Tandai lokasi di peta"),
    (dict(lat="-6.2", lon="106.85"), "di luar wilayah Kota Tangerang"),
    ({"attribute[orang-terjebak]": "mungkin"}, "'mungkin' is not one of"),
])
def test_a_refused_report_keeps_what_was_typed_and_stores_nothing(room, client, fields, words):
    response = submit(client, fire(room, **fields), photo(800, 600))
    assert response.status_code == 400
    assert words in error_of(response)
    assert "Asap hitam dari gudang" in response.text  # nothing to type again
    assert stored(room) == 0
    assert not list(room.settings.photos_dir.glob("*.jpg"))  # no orphan photo either


@pytest.mark.parametrize(("image", "status", "words"), [
    (b"%PDF-1.4 not a photo", 400, "bukan foto yang dapat dibaca"),
    (photo(200, 200, "GIF"), 400, "JPEG, PNG atau WebP"),
    (photo(4000, 3000, "BMP"), 413, "terlalu besar"),
])
def test_only_photos_of_a_sensible_size_are_taken(room, client, image, status, words):
    room.settings = room.settings.model_copy(update={"photo_max_bytes": 2_000_000})
    response = submit(client, fire(room), image)
    assert response.status_code == status and words in error_of(response)
    assert stored(room) == 0


def test_forged_forms_and_floods_are_refused(room, client):
    forged = client.post("/lapor", data={**fire(room), "csrf": "x"}, follow_redirects=False)
    assert forged.status_code == 403 and "kedaluwarsa" in error_of(forged)
    room.settings = room.settings.model_copy(update={"web_reports_per_hour": 2})
    codes = [submit(client, fire(room, description=f"ke-{i}")).status_code for i in range(3)]
    assert codes == [303, 303, 429]
    assert stored(room) > 0


def test_tracking_numbers_are_found_however_they_are_typed(room, client):
    incident_id = submit(client, fire(room)).headers["location"].split("/")[2].split("?")[0]
    found = client.get("/lapor/cari", params={"nomor": f" {incident_id.lower()} "},
                       follow_redirects=True)
    assert found.status_code == 200 and f">{incident_id}<" in found.text
    missing = client.get("/lapor/261123-ZZZZZ")
    assert missing.status_code == 404 and "tidak ditemukan" in missing.text
    assert client.get("/lapor/bukan-nomor").status_code == 404


def test_only_stored_photos_are_served(room, client):
    (room.settings.data_dir / "secret.txt").write_text("rahasia")
    for name in ("secret.txt", "..secret.txt", "AAAAAAAAAAAAAAAAAAAAAA.jpg"):
        assert client.get(f"/media/{name}").status_code == 404
    assert "rahasia" not in client.get("/media/..%2Fsecret.txt").text


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=st.dictionaries(
    st.sampled_from(["category", "lat", "lon", "description", "attribute[orang-terjebak]",
                     "attribute[x]", "name", "phone", "lang"]),
    st.text(max_size=30), max_size=8),
    image=st.one_of(st.none(), st.binary(max_size=200)))
def test_random_forms_never_break_the_page(room, client, fields, image):
    room.settings = room.settings.model_copy(update={"web_reports_per_hour": 100_000})
    response = submit(client, fields, image)
    assert response.status_code in (303, 400)


def test_a_control_character_in_a_report_is_refused_and_nothing_is_kept(room, client):
    response = submit(client, fire(room, description="Asap hitam\x00 dari gudang"))
    assert response.status_code == 400
    assert "description contains the control character U+0000" in error_of(response)
    assert stored(room) == 0
