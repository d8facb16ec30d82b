"""The unit board's page over HTTP: a kiosk link on `/units/<agency>` signs a wall in and
keeps the address; each person sees the boards of their agencies; an unknown agency is said
so."""

from __future__ import annotations

from fastapi.testclient import TestClient

from liveroom.access import SYSTEM
from liveroom.commands import accounts
from liveroom.commands.units import register_unit
from tests.api.test_access import PASSWORD, sign_in
from tests.api.test_admin import ROOT, client, render_page
from tests.conftest import drain

__all__ = ["client"]  # (a fixture)


def test_a_kiosk_link_opens_one_agencys_board_and_keeps_its_address(room, client):
    register_unit(room, "damkar-01", call_sign="Damkar 01", agency="damkar", by=SYSTEM)
    drain(room)
    link = accounts.create_kiosk_link(room, "Layar damkar", role="operator", by=ROOT)
    screen = TestClient(client.app, follow_redirects=False)
    signed_in = screen.get(f"/units/damkar?lang=en&kiosk={link.secret}")
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/units/damkar?lang=en"
    page = render_page(screen, "/units/damkar", "?lang=en").text
    assert "Unit Board" in page and "Damkar 01" in page and "units-dishub" not in page


def test_each_person_sees_the_boards_of_their_agencies(room, client):
    accounts.add_user(room, "dina", PASSWORD, roles=["operator"], agencies=["dishub"], by=ROOT)
    register_unit(room, "dishub-01", call_sign="Dishub 01", agency="dishub", by=SYSTEM)
    drain(room)
    sign_in(client, "dina")
    everything = render_page(client, "/units").text
    assert "units-dishub" in everything and "units-damkar" not in everything
    assert "Dishub 01" in everything
    assert "tidak berhak membuka halaman ini" in render_page(client, "/units/damkar").text
    assert "Tidak ada dinas “atlantis” di kota ini." in render_page(
        client, "/units/atlantis").text
