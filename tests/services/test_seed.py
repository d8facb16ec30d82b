"""Demo data beside a busy room: what cannot be done is skipped, counted and said."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import select

from liveroom.access import SYSTEM
from liveroom.archive import schema
from liveroom.commands.incidents import report_incident
from liveroom.commands.officers import get_officer
from liveroom.commands.units import get_unit
from liveroom.demo.seed import UNITS, sample_answers, seed_demo, summary
from liveroom.live.units import unit_board, units_in
from liveroom.room import LiveRoom
from tests.conftest import drain


@pytest.fixture
def wide_room(settings, room):
    """The test's deployment where any open report of a category, anywhere in the city, makes
    the next one of that category a likely duplicate (a busy simulator, condensed)."""
    wide = LiveRoom.open(settings.model_copy(update={"duplicate_radius_m": 50_000}))
    wide.clock = room.clock
    yield wide
    wide.close()


def test_seed_skips_reports_linked_as_duplicates_and_says_so(wide_room, tangerang_point):
    categories = sorted(wide_room.city.categories.values(), key=lambda c: c.code)
    for category in categories[::2]:  # half the categories already have an open report
        report_incident(wide_room, category=category.code, lat=tangerang_point[0],
                        lon=tangerang_point[1], source="t", by=SYSTEM,
                        attributes=sample_answers(category, random.Random(1)))
    drain(wide_room)
    result = seed_demo(wide_room, officers_per_post=1, reports=30)
    drain(wide_room)
    with wide_room.engine.connect() as conn:
        seeded = conn.execute(select(schema.incidents.c.status).where(
            schema.incidents.c.source == "seed")).scalars().all()
    duplicates = seeded.count("duplicate")
    assert len(seeded) == 30 and 0 < duplicates < 30
    assert result["skipped"] == {"linked as duplicates": duplicates}
    assert sum(result["reports"].values()) == 30 - duplicates
    assert summary(result).startswith(
        f"30 reports, {duplicates} skipped: {duplicates} linked as duplicates; officers: ")



def test_seed_crews_each_posts_units_with_its_own_officers_and_again_changes_nothing(room):
    first = seed_demo(room, officers_per_post=2, reports=0)
    drain(room)
    posts = room.city.posts.values()
    expected = sum(UNITS[p.agency][2] for p in posts if p.agency in UNITS)
    assert first["units"]["created"] == expected and first["units"]["existing"] == 0
    damkar = [p for p in posts if p.agency == "damkar"]
    engines = units_in(room, ["damkar"])
    assert engines == [f"damkar-{n:02d}" for n in range(1, 2 * len(damkar) + 1)]
    crews: list[str] = []
    for unit_id in units_in(room, room.city.agencies):
        unit = get_unit(room, unit_id)
        low, high = UNITS[unit.agency][3]
        assert low <= len(unit.crew) <= high, unit
        for officer_id in unit.crew:
            officer = get_officer(room, officer_id)
            assert (officer.agency, officer.post_id) == (unit.agency, unit.post_id)
        crews += unit.crew
    assert len(crews) == len(set(crews))  # nobody on two units
    assert {get_unit(room, "dishub-01").kind, get_unit(room, "damkar-01").kind} == {
        "mobil patroli", "mobil pemadam"}
    assert {"pupr-01", "dlh-01", "satpol-01"} <= set(units_in(room, room.city.agencies))
    board = unit_board(room, "damkar", by=SYSTEM)
    assert board[0].call_sign == "Damkar 01" and all(row.crew for row in board)

    again = seed_demo(room, officers_per_post=2, reports=0)
    assert again["units"] == {"created": 0, "existing": expected, "crew_added": 0}
    assert again["officers_existing"] == first["officers_created"]
    assert summary(again).endswith(f"units: 0 added (0 more officers to crew them), "
                                   f"{expected} already there")
