"""Events survive the trip through a stream; anything else is refused with a reason."""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liveroom.domain.errors import InvalidCommand
from liveroom.domain.events import EventError, OfficerLocated, ReportReceived, decode, encode

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def test_an_event_round_trips_through_stream_fields():
    event = ReportReceived(incident_id="i1", occurred_at=NOW, actor="citizen",
                           category="genangan", lat=-6.18, lon=106.63, source="open311",
                           description="Air setinggi lutut <b>", reporter={"name": "Sari"})
    fields = encode(event)
    assert fields["type"] == "report.received" and fields["agg"] == "i1"
    assert decode(fields) == event


def test_a_fix_stored_before_fixes_said_their_sender_reads_as_sent_by_no_known_address():
    stored = {"type": "officer.located", "v": "1", "agg": "o",
              "data": '{"officer_id":"o","occurred_at":"2026-11-23T01:00:00Z","actor":"a",'
                      '"lat":-6.1,"lon":106.6}'}
    fix = decode(stored)
    assert (fix.lat, fix.client) == (-6.1, None)
    assert encode(fix)["v"] == "2"


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
    with pytest.raises(InvalidCommand, match="occurred_at"):
        OfficerLocated(officer_id="o", occurred_at=datetime(2026, 1, 1), actor="a", lat=0, lon=0)
    for lat in (-91, 86):  # (past Web Mercator: no map draws it, no geo set takes it)
        with pytest.raises(InvalidCommand, match="lat: Input should be"):
            OfficerLocated(officer_id="o", occurred_at=NOW, actor="a", lat=lat, lon=0)


def report(**fields) -> ReportReceived:
    return ReportReceived(**{"incident_id": "i", "occurred_at": NOW, "actor": "a",
                             "category": "banjir", "lat": -6.2, "lon": 106.6, "source": "t",
                             **fields})


@pytest.mark.parametrize(("fields", "said"), [
    ({"description": "banjir\x00"}, "description contains the control character U+0000"),
    ({"address": "Jl. Sudirman \x1b[31m"}, "address contains the control character U+001B"),
    ({"reporter": {"name": "Budi\x07"}}, "reporter.name contains the control character U+0007"),
    ({"attributes": {"kedalaman-air": ["selutut", "\x85"]}},
     "attributes.kedalaman-air.1 contains the control character U+0085"),
    ({"description": "\ud800"}, "U+D800"),  # a lone surrogate is not UTF-8
    ({"reporter": {"name": "x" * 4001}}, "reporter.name is longer than 4000 characters"),
    ({"attributes": {f"q{i}": "a" for i in range(51)}}, "more than 50 entries"),
])
def test_text_no_projection_could_store_is_refused_at_the_event_model(fields, said):
    with pytest.raises(InvalidCommand, match=re.escape(said)):
        report(**fields)


def test_newlines_tabs_and_any_language_are_kept():
    text = "Banjir setinggi lutut.\r\nJl. Perintis\tKemerdekaan · 洪水 · 🌊"
    assert decode(encode(report(description=text))).description == text


@given(st.dictionaries(st.text(max_size=8), st.text(max_size=40), max_size=5))
def test_random_fields_never_crash_decoding(fields):
    with contextlib.suppress(EventError):
        decode(fields)
