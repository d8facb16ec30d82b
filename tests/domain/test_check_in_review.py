"""Which check-ins a supervisor should look at: the pure rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from liveroom.domain.check_in_review import ADDRESS_WINDOW, follow, marked, review_marks
from liveroom.domain.events import OfficerLocated

DAY = date(2026, 12, 1)
T0 = datetime(2026, 11, 30, 23, 40, tzinfo=UTC)  # 06:40 WIB on DAY


def fix(minutes: float, client: str | None = "10.1.1.1", lat: float = -6.17) -> OfficerLocated:
    return OfficerLocated(officer_id="dh-1", occurred_at=T0 + timedelta(minutes=minutes),
                          actor="device:abc", lat=lat, lon=106.63, client=client)


def walk(*steps: tuple[OfficerLocated, bool]):
    trail = None
    for sent, inside in steps:
        trail = follow(trail, sent, inside, DAY)
    return trail


def test_a_first_fix_of_the_day_already_inside_the_post_shows_no_approach():
    trail = walk((fix(0), True), (fix(5), True))
    (mark,) = review_marks(trail, fix(0).occurred_at, fix(0).occurred_at)
    assert mark.rule == "no_approach"
    assert mark.evidence == {"first_fix_at": fix(0).occurred_at.isoformat(), "lat": -6.17,
                             "lon": 106.63}
    approached = walk((fix(0, lat=-6.2), False), (fix(5), True))
    assert review_marks(approached, fix(5).occurred_at, fix(5).occurred_at) == []


def test_two_sending_addresses_within_the_window_are_marked_with_both():
    trail = walk((fix(0, lat=-6.2), False), (fix(1, "10.9.9.9"), True), (fix(2), True))
    (mark,) = review_marks(trail, fix(2).occurred_at, fix(2).occurred_at)
    assert mark.rule == "two_addresses"
    assert [f["address"] for f in mark.evidence["fixes"]] == ["10.1.1.1", "10.9.9.9",
                                                              "10.1.1.1"]
    minutes = ADDRESS_WINDOW.total_seconds() / 60
    apart = walk((fix(0, "10.9.9.9", -6.2), False), (fix(minutes + 1), True))
    assert review_marks(apart, fix(minutes + 1).occurred_at, fix(minutes + 1).occurred_at) == []
    unknown = walk((fix(0, None, -6.2), False), (fix(1), True))  # (no address: no evidence)
    assert review_marks(unknown, fix(1).occurred_at, fix(1).occurred_at) == []


def test_each_rule_marks_a_check_in_once_and_a_later_one_again():
    trail = walk((fix(0), True), (fix(1, "10.9.9.9"), True))
    checked_in = fix(0).occurred_at
    marks = review_marks(trail, checked_in, fix(1).occurred_at)
    assert [m.rule for m in marks] == ["two_addresses"]  # no approach: only at the check-in
    trail = marked(trail, checked_in, marks)
    trail = follow(trail, fix(2, "10.7.7.7"), True, DAY)
    assert review_marks(trail, checked_in, fix(2).occurred_at) == []
    tomorrow = checked_in + timedelta(days=1)
    assert [m.rule for m in review_marks(trail, tomorrow, fix(2).occurred_at)] == [
        "two_addresses"]
