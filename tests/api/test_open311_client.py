"""An off-the-shelf Open311 client from PyPI (georeport), used as its documentation shows,
against the real server: services, a definition and requests, in JSON and in XML."""

from __future__ import annotations

import httpx
import pytest
from georeport import GeoReport

from liveroom.access import SYSTEM
from liveroom.commands import accounts
from liveroom.room import LiveRoom


@pytest.mark.parametrize("output_format", ["json", "xml"])
def test_georeport_lists_services_and_reads_back_a_posted_request(app, settings,
                                                                  output_format):
    room = LiveRoom.open(settings.model_copy(
        update={"database_url": app.env["LIVEROOM_DATABASE_URL"]}))
    try:
        key = accounts.create_api_key(room, "Klien uji", by=SYSTEM)
        centre = room.city.districts["36.71.07"].geometry.representative_point()
        jurisdiction = room.city.jurisdiction_id
    finally:
        room.close()
    client = GeoReport(f"{app.url}/open311/v2", jurisdiction=jurisdiction,
                       api_key=key.secret, output_format=output_format)
    codes = {service["service_code"] for service in client.get_service_list()}
    assert {"kebakaran", "genangan", "sampah-menumpuk"} <= codes
    assert client.get_service_definition("genangan")["service_code"] == "genangan"
    # georeport cannot create requests (its README says so): post as the spec shows
    posted = httpx.post(f"{app.url}/open311/v2/requests.json", data={
        "api_key": key.secret, "jurisdiction_id": jurisdiction, "service_code": "genangan",
        "lat": centre.y, "long": centre.x, "description": "Genangan di depan sekolah"})
    request_id = posted.json()[0]["service_request_id"]

    found = client.get_service_requests(service_request_id=request_id)  # at once
    found = found if isinstance(found, list) else [found]
    assert found[0]["service_request_id"] == request_id
    assert found[0]["description"] == "Genangan di depan sekolah"
    assert found[0]["status"] == "open"
