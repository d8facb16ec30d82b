"""A category's extra questions: answers are checked and cleaned before anything is stored."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from liveroom.cities import load_city
from liveroom.domain import incident as domain
from liveroom.domain.errors import InvalidCommand
from liveroom.domain.events import ReportReceived

CITY = load_city("tangerang")
POINT = CITY.districts["36.71.01"].geometry.representative_point()


def report(category: str, attributes: dict) -> list:
    return domain.decide_report(CITY, ReportReceived(
        incident_id="261123-AAAAA", occurred_at=datetime(2026, 11, 23, tzinfo=UTC),
        actor="citizen", category=category, lat=POINT.y, lon=POINT.x, source="test",
        attributes=attributes,
    ))


def test_answers_are_kept_cleaned_and_unanswered_optional_ones_dropped():
    received = report("kebakaran", {"orang-terjebak": " ya ", "objek-terbakar": ""})[0]
    assert received.attributes == {"orang-terjebak": "ya"}
    rescue = report("penyelamatan", {"yang-diselamatkan": "orang", "jumlah-orang": "3"})[0]
    assert rescue.attributes == {"yang-diselamatkan": "orang", "jumlah-orang": "3"}


@pytest.mark.parametrize(("category", "answers", "reason"), [
    ("kebakaran", {}, "attribute orang-terjebak is required"),
    ("kebakaran", {"orang-terjebak": "mungkin"}, "'mungkin' is not one of ya, tidak, tidak-tahu"),
    ("kebakaran", {"orang-terjebak": ["ya", "tidak"]}, "orang-terjebak takes one value"),
    ("kebakaran", {"orang-terjebak": "ya", "warna-api": "merah"},
     "category kebakaran has no attribute 'warna-api'"),
    ("penyelamatan", {"yang-diselamatkan": "orang", "jumlah-orang": "tiga"},
     "jumlah-orang must be a number"),
    ("sampah-menumpuk", {"kedalaman-air": "selutut"}, "has no attribute 'kedalaman-air'"),
])
def test_bad_answers_are_refused_with_the_reason(category, answers, reason):
    with pytest.raises(InvalidCommand, match=reason):
        report(category, answers)
