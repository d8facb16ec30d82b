"""Attendance from fixes: geofenced check-in and out, lateness, spoofing flags, the daily
recap and its exports, and a restart in the middle of the day."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from liveroom.access import SYSTEM
from liveroom.archive import schema
from liveroom.commands import accounts
from liveroom.commands.officers import (
    check_in,
    check_out,
    get_officer,
    record_locations,
    register_officer,
)
from liveroom.domain.events import OfficerLocated
from liveroom.projections.policies.attendance import AttendancePolicy
from liveroom.projections.runner import Projector
from liveroom.reporting.attendance import daily_recap, recap_csv, recap_xlsx, summarize
from tests.conftest import MORNING, drain, person

WIB = 7  # hours ahead of UTC
DAY = MORNING.date()  # the test day: today in WIB
MAYOR = person("wali", "mayor")


def wib(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - timedelta(
        hours=WIB)


@pytest.fixture
def post(room):
    return next(p for p in room.city.posts.values() if p.agency == "dishub" and p.kind == "post")


@pytest.fixture
def officer(room, post, clock):
    clock.now = wib(6, 0)
    return register_officer(room, "dh-1", name="Rudi", agency="dishub", post_id=post.id,
                            by=SYSTEM)


def send(room, clock, at: datetime, lat: float, lon: float, **extra) -> None:
    """A fix taken at `at` and received at once (the clock moves with it)."""
    clock.now = max(clock.now, at)
    record_locations(room, [OfficerLocated(officer_id="dh-1", occurred_at=at, actor="device",
                                           lat=lat, lon=lon, accuracy=extra.pop("accuracy", 8),
                                           **extra)], by=SYSTEM)
    drain(room)


def outside(post) -> tuple[float, float]:
    return post.centre[0] + 0.02, post.centre[1]


def sessions(room) -> list:
    with room.engine.connect() as conn:
        return conn.execute(select(schema.attendance).order_by(schema.attendance.c.id)).all()


def flags(room) -> list:
    with room.engine.connect() as conn:
        return conn.execute(select(schema.location_flags).order_by(
            schema.location_flags.c.id)).all()


def test_a_fix_on_post_in_the_shift_window_checks_in_and_one_after_it_checks_out(
        room, clock, post, officer):
    send(room, clock, wib(5, 30), *post.centre)  # too early for the 07:00 shift
    send(room, clock, wib(6, 40), *outside(post))  # in the window, not on post
    assert get_officer(room, "dh-1").on_duty_post is None
    send(room, clock, wib(6, 50), *post.centre)
    (session,) = sessions(room)
    assert (session.check_in_method, session.shift, session.day) == ("fix", "pagi", DAY)
    assert session.checked_in_at == wib(6, 50)
    send(room, clock, wib(12, 0), *outside(post))  # out on a task: still on duty
    send(room, clock, wib(15, 5), *post.centre)  # back on post after the shift
    (session,) = sessions(room)
    assert (session.checked_out_at, session.check_out_method) == (wib(15, 5), "fix")
    (row,) = daily_recap(room, DAY, DAY, by=MAYOR)
    assert (row.status, row.left_early, row.minutes_on_post) == ("present", False, 8 * 60)


def test_lateness_leaving_early_and_absence_in_the_recap(room, clock, post, officer):
    register_officer(room, "dh-2", name="Sri", agency="dishub", post_id=post.id, by=SYSTEM)
    send(room, clock, wib(7, 40), *post.centre)  # 40 minutes after 07:00, grace is 15
    clock.now = wib(11, 0)
    check_out(room, "dh-1", by=SYSTEM)
    drain(room)
    rows = {r.officer_id: r for r in daily_recap(room, DAY, DAY, by=MAYOR)}
    assert (rows["dh-1"].status, rows["dh-1"].late_minutes) == ("late", 40)
    assert rows["dh-1"].left_early and rows["dh-1"].minutes_on_post == 200
    assert rows["dh-2"].status == "absent" and rows["dh-2"].minutes_on_post == 0
    (dishub,) = summarize(list(rows.values()))
    assert (dishub.key, dishub.late, dishub.absent, dishub.left_early) == ("dishub", 1, 1, 1)
    assert dishub.attendance_rate == 0.5


def test_checking_out_by_hand_is_not_undone_by_the_next_fix_on_post(room, clock, post,
                                                                    officer):
    send(room, clock, wib(6, 55), *post.centre)
    clock.now = wib(11, 0)
    check_out(room, "dh-1", by=SYSTEM)  # sent home sick, still standing at the post
    send(room, clock, wib(11, 1), *post.centre)
    send(room, clock, wib(11, 5), *post.centre)
    assert get_officer(room, "dh-1").on_duty_post is None
    assert len(sessions(room)) == 1
    check_in(room, "dh-1", post_id=post.id, lat=post.centre[0], lon=post.centre[1],
             accuracy=8, by=SYSTEM)  # back by hand: that counts
    assert get_officer(room, "dh-1").on_duty_post == post.id
    check_out(room, "dh-1", by=SYSTEM)
    send(room, clock, wib(6, 50, DAY + timedelta(days=1)), *post.centre)  # the next shift
    assert get_officer(room, "dh-1").on_duty_post == post.id


def test_still_on_duty_an_hour_after_the_shift_is_checked_out_at_its_end(
        room, clock, post, officer):
    send(room, clock, wib(7, 0), *post.centre)
    policy = AttendancePolicy(room)
    clock.now = wib(15, 30)
    assert policy.sweep() == []  # not yet an hour after 15:00
    clock.now = wib(16, 1)
    assert policy.sweep() == ["dh-1"]
    drain(room)
    (session,) = sessions(room)
    assert (session.checked_out_at, session.check_out_method) == (wib(15, 0), "shift_end")
    (row,) = daily_recap(room, DAY, DAY, by=MAYOR)
    assert not row.left_early and row.minutes_on_post == 8 * 60


def test_an_old_fix_checks_nobody_in(room, clock, post, officer):
    clock.now = wib(7, 30)
    record_locations(room, [OfficerLocated(officer_id="dh-1", occurred_at=wib(7, 0),
                                           actor="device", lat=post.centre[0],
                                           lon=post.centre[1], accuracy=8)], by=SYSTEM)
    clock.now = wib(9, 0)  # delivered (or replayed) two hours late
    drain(room)
    assert sessions(room) == []


@pytest.mark.parametrize(("fixes", "rule", "evidence"), [
    ([dict(mock=True)], "mock_location", {"mock": True}),
    ([dict(accuracy=0)], "bad_accuracy", {"accuracy_m": 0}),
    ([dict(), dict(minutes=0.25, lat_shift=0.1)], "impossible_speed", {"seconds": 15.0}),
    ([dict(), dict(), dict()], "repeated_fix", {"times": 3}),
    ([dict(minutes=m) for m in range(10)], "frozen_position", {"fixes": 10}),
])
def test_each_spoofing_sign_is_flagged_with_evidence_and_not_counted(
        room, clock, post, officer, fixes, rule, evidence):
    for fix in fixes:
        at = wib(6, 50) + timedelta(minutes=fix.pop("minutes", 0))
        lat = post.centre[0] + fix.pop("lat_shift", 0)
        send(room, clock, at, lat, post.centre[1], **fix)
    found = [f for f in flags(room) if f.rule == rule]
    assert found and evidence.items() <= found[0].evidence.items()
    live = room.redis.zrange(room.keys.view("flags", "recent"), 0, -1)
    assert any(f'"rule":"{rule}"' in flag for flag in live)
    if rule in ("mock_location", "bad_accuracy"):
        assert sessions(room) == []  # a flagged fix is no proof of presence


def test_a_clean_walk_is_not_flagged(room, clock, post, officer):
    for minute in range(12):  # a slow walk, a few metres a minute, real jitter
        send(room, clock, wib(6, 50) + timedelta(minutes=minute),
             post.centre[0] + minute * 1e-5, post.centre[1] + minute * 2e-6)
    assert flags(room) == []


def test_a_check_in_with_no_approach_counts_but_is_marked_for_review(room, clock, post,
                                                                    officer):
    send(room, clock, wib(6, 50), *post.centre)  # the day's first fix: already on post
    (row,) = daily_recap(room, DAY, DAY, by=MAYOR)
    assert row.status == "present"  # it counts
    (mark,) = row.review
    assert (mark.rule, mark.checked_in_at) == ("no_approach", wib(6, 50))
    assert mark.evidence["first_fix_at"] == wib(6, 50).isoformat()
    (dishub,) = summarize([row])
    assert dishub.to_review == 1
    table = list(csv.reader(io.StringIO(recap_csv([row], room.city, "id").decode("utf-8-sig"))))
    said = dict(zip(table[0], table[1], strict=True))["Perlu ditinjau"]
    assert said.startswith("Tidak terlihat datang: lokasi pertama hari ini 06:50")


def test_a_walk_to_the_post_from_one_address_is_not_marked(room, clock, post, officer):
    send(room, clock, wib(6, 30), *outside(post), client="10.0.0.7")
    send(room, clock, wib(6, 50), *post.centre, client="10.0.0.7")
    send(room, clock, wib(6, 55), *post.centre, client="10.0.0.7")
    (row,) = daily_recap(room, DAY, DAY, by=MAYOR)
    assert (row.status, row.review) == ("present", ())


def test_fixes_from_two_addresses_mark_the_check_in_at_it_or_while_on_duty(room, clock, post,
                                                                         officer):
    send(room, clock, wib(6, 30), *outside(post), client="10.0.0.7")
    send(room, clock, wib(6, 48), *outside(post), client="10.0.0.7")
    send(room, clock, wib(6, 50), *post.centre, client="203.0.113.9")  # checks in
    (row,) = daily_recap(room, DAY, DAY, by=MAYOR)
    (mark,) = row.review
    assert mark.rule == "two_addresses" and row.status == "present"
    assert [(f["address"], f["at"]) for f in mark.evidence["fixes"]] == [
        ("10.0.0.7", wib(6, 48).isoformat()), ("203.0.113.9", wib(6, 50).isoformat())]
    send(room, clock, wib(6, 52), *post.centre, client="198.51.100.4")  # marked once
    (row,) = daily_recap(room, DAY, DAY, by=MAYOR)
    assert len(row.review) == 1

    register_officer(room, "dh-2", name="Sri", agency="dishub", post_id=post.id, by=SYSTEM)
    for at, where, client in ((wib(6, 40), outside(post), "10.0.0.8"),
                              (wib(6, 55), post.centre, "10.0.0.8"),  # checks in, clean
                              (wib(9, 0), post.centre, "10.0.0.8"),
                              (wib(9, 3), outside(post), "192.0.2.66")):  # someone else
        clock.now = max(clock.now, at)
        record_locations(room, [OfficerLocated(officer_id="dh-2", occurred_at=at,
                                               actor="device", lat=where[0], lon=where[1],
                                               accuracy=8, client=client)], by=SYSTEM)
        drain(room)
    sri = next(r for r in daily_recap(room, DAY, DAY, by=MAYOR) if r.officer_id == "dh-2")
    assert [m.rule for m in sri.review] == ["two_addresses"]
    assert {f["address"] for f in sri.review[0].evidence["fixes"]} == {"10.0.0.8",
                                                                       "192.0.2.66"}


def test_a_restart_mid_day_keeps_attendance_right(room, clock, post, officer, settings):
    send(room, clock, wib(6, 55), *post.centre)
    room.redis.delete(room.keys.lease("attendance-policy"))  # the worker is gone
    policy = AttendancePolicy(room)  # a new process: nothing in memory
    send(room, clock, wib(10, 0), *outside(post))
    send(room, clock, wib(10, 0), *outside(post))
    Projector(room, policy, consumer="after-restart").drain()
    send(room, clock, wib(15, 10), *post.centre)
    (session,) = sessions(room)
    assert (session.checked_in_at, session.checked_out_at) == (wib(6, 55), wib(15, 10))
    (row,) = daily_recap(room, DAY, DAY, by=MAYOR)
    assert (row.status, row.minutes_on_post) == ("present", 8 * 60)


def test_the_recap_exports_as_csv_and_xlsx_in_wib(room, clock, post, officer):
    send(room, clock, wib(6, 58), *post.centre)
    rows = daily_recap(room, DAY, DAY + timedelta(days=1), by=MAYOR)
    assert [(r.day, r.status) for r in rows] == [(DAY, "present"), (DAY + timedelta(1),
                                                                    "scheduled")]
    assert daily_recap(room, DAY - timedelta(days=1), DAY - timedelta(days=1),
                       by=MAYOR) == []  # not registered yet that day
    table = list(csv.reader(io.StringIO(recap_csv(rows, room.city, "id").decode("utf-8-sig"))))
    assert table[0][:3] == ["Tanggal", "ID petugas", "Nama"]
    assert table[1][0] == DAY.isoformat() and "06:58" in table[1] and "Hadir" in table[1]
    book = load_workbook(io.BytesIO(recap_xlsx(rows, room.city, "en")))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]][:3] == ["Date", "Officer ID", "Name"]
    assert sheet.cell(2, 7).value == "Present" and sheet.cell(3, 7).value == "Not started"
    assert book.worksheets[1].cell(2, 1).value == "dishub"


def test_only_those_who_may_see_kpis_get_the_recap(room, officer):
    with pytest.raises(Exception, match="may not view_kpi"):
        daily_recap(room, DAY, DAY, by=person("opi", "operator"))
    with pytest.raises(ValueError, match="1 to 93 days"):
        daily_recap(room, DAY, DAY - timedelta(days=1), by=MAYOR)


def test_a_device_registers_its_officer_on_a_shift_of_the_city(room):
    night = accounts.add_device(room, "Malam", agency="damkar", shift="malam", by=SYSTEM)
    assert get_officer(room, night.officer_id).shift == "malam"
    with pytest.raises(Exception, match="unknown shift 'subuh'; known: pagi, siang, malam"):
        accounts.add_device(room, "Subuh", agency="damkar", shift="subuh", by=SYSTEM)
