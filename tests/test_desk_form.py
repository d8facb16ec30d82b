"""The desk's form on the wall screen, rendered and read as the operator reads it: who gets
it, how categories are found, how the typed place is understood, which incidents it offers
to add the caller to."""

from __future__ import annotations

import pytest

from callbacks.desk import located, report_fields
from callbacks.home import render
from layouts import ids
from layouts.desk import category_options, questions, where_said
from liveroom.access import SYSTEM
from liveroom.commands.incidents import report_incident
from liveroom.domain.errors import InvalidCommand
from liveroom.live.similar import similar_open_incidents
from tests.conftest import drain, person
from tests.test_wall_callers import text_of
from tests.test_wall_parts import find


@pytest.mark.parametrize(("who", "offered"), [
    (person("ops", "operator"), True), (person("spv", "supervisor"), True),
    (person("walikota", "mayor"), False),
])
def test_the_desk_button_is_there_for_those_who_may_enter_reports(room, who, offered):
    button = find(render(room, who, "id"), ids.DESK_OPEN)
    assert button.children == "+ Laporan baru" and bool(button.hidden) is not offered


def test_a_category_is_found_by_either_languages_name_or_its_family(room):
    options = {o["value"]: o for o in category_options(room.city, "id")}
    assert options["banjir"]["label"] == "Banjir"
    assert "Flooding" in options["banjir"]["search"] and "air" in options["banjir"]["search"]
    english = [o["label"] for o in category_options(room.city, "en")]
    assert english == sorted(english)  # (in the screen's language, alphabetically)


def test_the_chosen_categorys_questions_are_asked_required_ones_marked(room):
    asked = text_of(questions(room.city, "banjir", "id"))
    assert "Seberapa dalam airnya? *" in asked and "Ada warga yang perlu dievakuasi?" in asked
    assert "*" not in asked.split("dievakuasi?")[1]
    assert questions(room.city, "sampah-menumpuk", "id") == []
    assert questions(room.city, None, "id") == []


def test_the_place_is_understood_from_a_point_a_kecamatan_or_an_address(room):
    assert located(room.city, "https://maps.google.com/?q=-6.17,106.64", None, None) == (
        -6.17, 106.64, False)
    lat, lon, approximate = located(room.city, "", "36.71.03", None)
    assert approximate and room.city.district_at(lat, lon).code == "36.71.03"
    by_address = located(room.city, None, None, "Jl. Mawar 3, Kec. Cipondoh")
    assert by_address[2] and room.city.district_at(*by_address[:2]).name == "Cipondoh"
    assert located(room.city, "  ", None, "") is None  # nothing yet: nothing said
    with pytest.raises(InvalidCommand) as refused:
        located(room.city, "di depan pasar", "36.71.03", None)  # typed, but no point
    assert refused.value.code == "not_a_point"
    said = where_said(room.city, (lat, lon), "36.71.03", True, "id")
    assert said == f"Perkiraan: tengah Kecamatan {room.city.districts['36.71.03'].name}"


def test_a_form_without_a_place_or_a_category_is_refused_before_anything_is_entered(room):
    form = ("telepon", "banjir", "", "", None, "", "", "", None, "")
    with pytest.raises(InvalidCommand) as refused:
        report_fields(room.city, form, {})
    assert refused.value.code == "no_location"
    with pytest.raises(InvalidCommand) as refused:
        report_fields(room.city, ("telepon", None, "", "-6.17,106.64", None, "", "", "", None,
                                  ""), {})
    assert refused.value.code == "unknown_category"


def test_only_the_caller_named_kecamatan_is_searched_when_that_is_all_there_is(room):
    cipondoh = room.city.districts["36.71.03"]
    elsewhere = room.city.districts["36.71.05"].geometry.representative_point()
    inside = cipondoh.geometry.representative_point()
    near = report_incident(room, category="genangan", lat=inside.y, lon=inside.x,
                           source="telepon", by=SYSTEM)
    report_incident(room, category="genangan", lat=elsewhere.y, lon=elsewhere.x,
                    source="telepon", by=SYSTEM)
    drain(room)
    lat, lon = cipondoh.middle
    found = similar_open_incidents(room, "banjir", lat, lon, by=SYSTEM, district="36.71.03")
    assert [s.id for s in found] == [near.id]
