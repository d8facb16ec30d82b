"""Reporters rate their resolved incidents, or reopen them (`commands.feedback`), against a
real Redis: what is appended, what is refused, and what the live queue shows after."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from liveroom.access import SYSTEM
from liveroom.commands.feedback import (
    feedback_from_reporter,
    parse_feedback,
    rate_incident,
    reopen_incident,
)
from liveroom.commands.incidents import (
    assign_incident,
    change_status,
    get_incident,
    report_incident,
)
from liveroom.commands.officers import register_officer
from liveroom.domain.errors import InvalidCommand
from liveroom.domain.events import IncidentRated, IncidentReopened, decode
from liveroom.domain.lifecycle import Status
from tests.conftest import drain

PHONE = "+6281234567890"
SITI = {"name": "Siti", "phone": PHONE}


def stream_events(room):
    return [decode(fields) for _, fields in room.redis.xrange(room.keys.stream("incidents"))]


def resolved(room, point, clock, reporter=None) -> str:
    """A report by Siti (WhatsApp), worked by officer dlh-1 and resolved."""
    register_officer(room, "dlh-1", name="Agus", agency="kebersihan", by=SYSTEM)
    incident = report_incident(room, category="sampah-menumpuk", lat=point[0], lon=point[1],
                               source="whatsapp", by=SYSTEM, reporter=reporter or SITI)
    assign_incident(room, incident.id, "dlh-1", by=SYSTEM)
    for step in ("acknowledged", "en_route", "on_scene"):
        change_status(room, incident.id, step, by=SYSTEM)
    clock.advance(minutes=30)
    change_status(room, incident.id, "resolved", by=SYSTEM, reason="diangkut")
    return incident.id


def rate(room, incident_id, rating, **extra):
    return rate_incident(room, incident_id, rating, by=SYSTEM, source="whatsapp",
                         reporter=extra.pop("reporter", {"phone": PHONE}), **extra)


def test_a_good_rating_is_kept_and_credits_the_officer(room, tangerang_point, clock):
    incident_id = resolved(room, tangerang_point, clock)
    incident = rate(room, incident_id, 5, comment="Cepat, terima kasih")
    assert incident.status is Status.RESOLVED
    rated = stream_events(room)[-1]
    assert isinstance(rated, IncidentRated)
    assert (rated.rating, rated.comment, rated.officers) == (5, "Cepat, terima kasih", ["dlh-1"])
    assert rated.agency == "kebersihan" and rated.district and rated.resolution == 1
    assert rated.reporter["phone"] == PHONE and rated.source == "whatsapp"


def test_a_low_rating_within_the_window_reopens_with_a_fresh_sla(room, tangerang_point,
                                                                  clock):
    incident_id = resolved(room, tangerang_point, clock)
    clock.advance(days=2)
    incident = rate(room, incident_id, 2, comment="Masih ada sampah")
    rated, reopened = stream_events(room)[-2:]
    assert isinstance(rated, IncidentRated) and isinstance(reopened, IncidentReopened)
    category = room.city.categories["sampah-menumpuk"]
    assert reopened.resolve_due == clock.now + timedelta(minutes=category.sla_resolve_minutes)
    assert reopened.acknowledge_due == clock.now + timedelta(
        minutes=category.sla_acknowledge_minutes)
    assert (reopened.why, reopened.comment, reopened.from_status) == (
        "rating", "Masih ada sampah", Status.RESOLVED)
    assert incident.status is Status.TRIAGED and incident.agency == "kebersihan"
    assert incident.resolve_due == reopened.resolve_due and incident.resolved_at is None
    assert incident.reopened == 1 and incident.reopen_comment == "Masih ada sampah"


def test_not_fixed_reopens_and_the_next_resolution_may_be_rated_again(room, tangerang_point,
                                                                       clock):
    incident_id = resolved(room, tangerang_point, clock)
    reopen_incident(room, incident_id, by=SYSTEM, source="whatsapp",
                    reporter={"phone": PHONE}, comment="")
    assert get_incident(room, incident_id).status is Status.TRIAGED
    assign_incident(room, incident_id, "dlh-1", by=SYSTEM)
    for step in ("acknowledged", "en_route", "on_scene", "resolved"):
        change_status(room, incident_id, step, by=SYSTEM, reason="diangkut lagi")
    assert rate(room, incident_id, 4).status is Status.RESOLVED
    assert stream_events(room)[-1].resolution == 2


def test_after_the_window_a_low_rating_is_kept_only(room, tangerang_point, clock):
    incident_id = resolved(room, tangerang_point, clock)
    clock.advance(days=room.city.reopen_window_days, minutes=1)
    assert rate(room, incident_id, 1).status is Status.RESOLVED
    assert isinstance(stream_events(room)[-1], IncidentRated)


def test_not_fixed_after_the_window_is_refused(room, tangerang_point, clock):
    incident_id = resolved(room, tangerang_point, clock)
    clock.advance(days=8)
    with pytest.raises(InvalidCommand) as refused:
        reopen_incident(room, incident_id, by=SYSTEM, source="whatsapp", reporter=SITI)
    assert refused.value.code == "reopen_window_passed"


def test_a_closed_incident_may_be_rated_and_reopened(room, tangerang_point, clock):
    incident_id = resolved(room, tangerang_point, clock)
    change_status(room, incident_id, "closed", by=SYSTEM)
    incident = rate(room, incident_id, 1)
    assert incident.status is Status.TRIAGED
    assert stream_events(room)[-1].from_status is Status.CLOSED


@pytest.mark.parametrize(("rating", "rule"), [(0, "bad_rating"), (6, "bad_rating"),
                                              (None, "feedback_empty")])
def test_bad_ratings_are_refused_and_nothing_is_kept(room, tangerang_point, clock, rating,
                                                     rule):
    incident_id = resolved(room, tangerang_point, clock)
    before = len(stream_events(room))
    with pytest.raises(InvalidCommand) as refused:
        rate(room, incident_id, rating)
    assert refused.value.code == rule and len(stream_events(room)) == before


def test_refused_when_not_resolved_by_a_stranger_or_twice(room, tangerang_point, clock):
    incident = report_incident(room, category="sampah-menumpuk", lat=tangerang_point[0],
                               lon=tangerang_point[1], source="web", by=SYSTEM, reporter=SITI)
    with pytest.raises(InvalidCommand) as refused:
        rate(room, incident.id, 5)
    assert refused.value.code == "not_resolved"
    incident_id = resolved(room, tangerang_point, clock)
    with pytest.raises(InvalidCommand) as refused:
        rate(room, incident_id, 5, reporter={"phone": "+6281299998888"})
    assert refused.value.code == "not_reporter"
    with pytest.raises(InvalidCommand) as refused:
        rate(room, incident_id, 5, comment="x" * 1001)
    assert refused.value.code == "comment_too_long"
    rate(room, incident_id, 5)
    with pytest.raises(InvalidCommand) as refused:
        rate(room, incident_id, 1)  # (one answer per reporter and resolution)
    assert refused.value.code == "already_rated"


def test_the_reopened_incident_is_back_in_its_agency_queue_with_the_fresh_sla(
        room, tangerang_point, clock):
    incident_id = resolved(room, tangerang_point, clock)
    change_status(room, incident_id, "closed", by=SYSTEM)
    drain(room)
    assert room.redis.zscore(room.live.queue("kebersihan"), incident_id) is None
    clock.advance(hours=1)
    reopen_incident(room, incident_id, by=SYSTEM, source="whatsapp", reporter=SITI,
                    comment="Sampahnya balik lagi")
    drain(room)
    assert room.redis.zscore(room.live.queue("kebersihan"), incident_id) is not None
    data = room.redis.hgetall(room.live.incident(incident_id))
    assert data["status"] == "triaged" and "officer_id" not in data
    assert data["reopened_comment"] == "Sampahnya balik lagi"
    due = get_incident(room, incident_id).resolve_due
    assert datetime.fromisoformat(data["resolve_due"]) == due
    assert room.redis.ttl(room.live.incident(incident_id)) == -1  # (closed: it had a TTL)
    assert room.redis.zscore(room.live.due("resolve"), incident_id) is not None


@pytest.mark.parametrize(("text", "parsed"), [
    ("5", (5, False, "")), (" 4 bagus sekali", (4, False, "bagus sekali")),
    ("2: masih bau", (2, False, "masih bau")), ("belum", (None, True, "")),
    ("Belum beres, sampah masih ada", (None, True, "sampah masih ada")),
    ("not fixed", (None, True, "")), ("NOT FIXED yet", (None, True, "yet")),
    ("4/5 mantap", (4, False, "mantap")), ("3 dari 5", (3, False, "")),
    ("6", None), ("10", None), ("terima kasih", None), ("", None), ("belumnya", None),
])
def test_chat_replies_are_read(text, parsed):
    assert parse_feedback(text) == parsed


def test_feedback_from_a_chat_reply(room, tangerang_point, clock):
    incident_id = resolved(room, tangerang_point, clock)
    assert not feedback_from_reporter(room, incident_id, text="halo", reporter=SITI,
                                      source="whatsapp").understood
    answer = feedback_from_reporter(room, incident_id, text="1 tidak dikerjakan",
                                    reporter={"phone": "6281234567890"},  # (as WhatsApp says)
                                    source="whatsapp")
    assert answer.understood and answer.rating == 1 and answer.reopened
    assert answer.comment == "tidak dikerjakan"
    assert answer.incident.status is Status.TRIAGED


def test_the_officer_and_the_history_see_why_it_was_reopened(room, tangerang_point, clock):
    from liveroom.live.field import field_state
    from liveroom.reporting.reports import public_report
    from tests.conftest import person

    incident_id = resolved(room, tangerang_point, clock)
    clock.advance(hours=3)
    rate(room, incident_id, 1, comment="Tidak ada yang datang")
    assign_incident(room, incident_id, "dlh-1", by=SYSTEM)
    drain(room)
    agus = person("agus", "officer", agencies=("kebersihan",), officer_id="dlh-1")
    (task,) = field_state(room, agus, "id")["tasks"]
    assert (task["reopened_comment"], task["reopened_rating"]) == ("Tidak ada yang datang", "1")
    assert task["reopened_at"] == clock.now.isoformat()
    step = public_report(room, incident_id).history[-2]  # (then assigned)
    assert step.reopened and step.reason == "Tidak ada yang datang"
    assert (step.status, step.at) == ("triaged", clock.now)


def test_the_fresh_deadlines_escalate_like_the_first(room, tangerang_point, clock):
    from liveroom.projections.policies.escalation import EscalationPolicy

    incident_id = resolved(room, tangerang_point, clock)
    clock.advance(hours=2)
    reopen_incident(room, incident_id, by=SYSTEM, source="whatsapp", reporter=SITI)
    drain(room)
    due = get_incident(room, incident_id).acknowledge_due
    policy = EscalationPolicy(room)
    assert policy.tick() == 0  # (not yet due)
    clock.now = due + timedelta(minutes=1)
    assert policy.tick() == 1
    escalated = stream_events(room)[-1]
    assert (escalated.type, escalated.deadline, escalated.due) == (
        "incident.escalated", "acknowledge", due)
