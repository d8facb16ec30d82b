"""Events survive the trip through a stream; anything else is refused with a reason."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from liveroom.domain.events import EventError, OfficerLocated, ReportReceived, decode, encode

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def test_an_event_round_trips_through_stream_fields():
    event = ReportReceived(incident_id="i1", occurred_at=NOW, actor="citizen",
                           category="genangan", lat=-6.18, lon=106.63, source="open311",
                           description="Air setinggi lutut <b>", reporter={"name": "Sari"})
    fields = encode(event)
    assert fields["type"] == "report.received" and fields["agg"] == "i1"
    assert decode(fields) == event


@pytest.mark.parametrize(("fields", "reason"), [
    ({"type": "report.exploded", "v": "1", "data": "{}"}, "unknown event type"),
    ({"type": "report.received", "v": "9", "data": "{}"}, "unsupported version"),
    ({"type": "officer.located", "v": "1", "data": "not json"}, "officer.located"),
    ({"type": "officer.located", "v": "1",
      "data": '{"officer_id":"o","occurred_at":"2026-11-23T01:00:00Z","actor":"a",'
              '"lat":123,"lon":106}'}, "lat"),
])
def test_malformed_entries_are_refused_with_a_reason(fields, reason):
    with pytest.raises(EventError, match=reason):
        decode(fields)


def test_naive_times_and_out_of_range_points_are_refused():
    with pytest.raises(ValidationError):
        OfficerLocated(officer_id="o", occurred_at=datetime(2026, 1, 1), actor="a", lat=0, lon=0)
    with pytest.raises(ValidationError):
        OfficerLocated(officer_id="o", occurred_at=NOW, actor="a", lat=-91, lon=0)


@given(st.dictionaries(st.text(max_size=8), st.text(max_size=40), max_size=5))
def test_random_fields_never_crash_decoding(fields):
    with contextlib.suppress(EventError):
        decode(fields)
