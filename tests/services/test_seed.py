"""Demo data beside a busy room: what cannot be done is skipped, counted and said."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import select

from liveroom.access import SYSTEM
from liveroom.archive import schema
from liveroom.commands.incidents import report_incident
from liveroom.demo.seed import sample_answers, seed_demo, summary
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

