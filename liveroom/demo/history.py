"""Past months of finished incidents, officers and attendance, written straight into the
archive (`python -m liveroom seed --history N`) for KPI demos and benchmarks.

Its rows come from events folded by the archive projection's own mapping
(`projections.rows`), written in bulk. History is imported, not replayed: it is not in
the event streams (a million incidents'
events would not fit in Redis), so `liveroom rebuild` leaves the archive without it; seed
it again afterwards. Every lifecycle has ended (resolved and closed, rejected, or marked a
duplicate) before today, so the live wall screen and the archive agree on what is open.
Incident numbers have an `H` after the date (`261123-H00A7`). An incident has one task, an
officer's; some fires (`MULTI_UNIT`) have two fire engines and a Dishub unit (units of two
officers, registered here where an agency has none), each with its own times, so the fire
KPIs (NFPA per unit, the first engine) have units to show. Each trip to a scene leaves the
officer's fixes where they set off and on arrival (`officer_locations`), at the demo city's
speeds (`SPEED_KMH`, slower in the rush hours), for `learn-eta` to learn from.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from sqlalchemy import insert, select, text

from liveroom.archive import insert_ignoring_duplicates, rollups, schema
from liveroom.cities import City
from liveroom.demo.seed import FAMILY, GIVEN, random_point
from liveroom.demo.simulator import CATEGORY_SHARES, HOURLY
from liveroom.domain.calendar import sla_dues
from liveroom.domain.errors import InvalidCommand
from liveroom.domain.events import (
    Event,
    IncidentAssigned,
    IncidentEscalated,
    IncidentStatusChanged,
    OfficerCheckedIn,
    OfficerCheckedOut,
    OfficerRegistered,
    ReportReceived,
    ReportTriaged,
    UnitRegistered,
)
from liveroom.domain.lifecycle import AS_INCIDENT, PROGRESS, Status, TaskStatus
from liveroom.projections import rows
from liveroom.room import LiveRoom

BATCH = 5_000
SOURCE = "history"  # the incidents' channel: seeded, not reported
#: shares of reports that end rejected or marked a duplicate
REJECTED, DUPLICATE = 0.03, 0.02
DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#: the demo city's typical speeds to a scene (km/h), per agency and else, and per local hour
SPEED_KMH = {"damkar": 32.0}
OTHER_KMH = 22.0
TRAFFIC = {**dict.fromkeys(range(22, 24), 1.3), **dict.fromkeys(range(0, 6), 1.3),
           **dict.fromkeys((7, 8, 16, 17, 18), 0.7)}
#: the share of fires sent two fire engines and a Dishub unit (for traffic), and whose
#: units (registered here, crews of two, where an agency has none)
MULTI_UNIT, FIRE, UNIT_AGENCIES = 0.5, "kebakaran", ("damkar", "dishub")


def seed_history(room: LiveRoom, count: int, *, days: int = 180, seed: int = 11,
                 officers_per_post: int = 2) -> dict[str, int]:
    """About `count` finished incidents reported over the `days` before today (local), with
    their officers and units, tasks, status history and the officers' attendance. The few that
    would not have finished by now are left out: the counts written are returned."""
    with room.engine.connect() as conn:
        if conn.execute(select(schema.incidents.c.id).where(
                schema.incidents.c.source == SOURCE).limit(1)).first():
            raise InvalidCommand("this archive already has seeded history")
    rng = random.Random(seed)
    city = room.city
    now = room.clock()
    today = now.astimezone(city.timezone).date()
    first = today - timedelta(days=days)
    by_agency = _officers(room, officers_per_post, rng)
    units = _units(room, by_agency)
    codes = list(city.categories)
    weights = [CATEGORY_SHARES.get(code, 0.5) for code in codes]
    written = {"incidents": 0, "tasks": 0, "status_history": 0, "attendance": 0,
               "officer_locations": 0}
    per_day = _spread(count, days, rng)
    serial: dict[date, int] = {}
    batch: dict[str, list[dict]] = {name: [] for name in written}
    for offset, reports in enumerate(per_day):
        day = first + timedelta(days=offset)
        for _ in range(reports):
            category = city.categories[rng.choices(codes, weights)[0]]
            lat, lon = random_point(city, rng)
            district = city.district_at(lat, lon)
            hour = rng.choices(range(24), HOURLY)[0]
            reported = datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)),
                                        city.timezone)
            number = serial[day] = serial.get(day, -1) + 1
            incident_id = f"{day:%y%m%d}-H{_base36(number, 4)}"
            officer = rng.choice(by_agency.get(category.agency) or [None])
            if district is None:
                continue  # (a point on the outline's very edge)
            found = _lifecycle(incident_id, category, reported, lat, lon, district.code,
                               officer, rng, city, units)
            if found["incidents"][0]["updated_at"] >= now:
                continue  # it would still be running: history holds only finished ones
            for table, written_rows in found.items():
                batch[table].extend(written_rows)
            if len(batch["incidents"]) >= BATCH:
                _write(room, batch, written)
    batch["attendance"] = list(_attendance(room, by_agency, first, today, rng))
    _write(room, batch, written)
    with room.engine.begin() as conn:  # (written here, not by the archive projection)
        rollups.recompute(conn, city.timezone, [first + timedelta(days=n)
                                                for n in range(days + 1)])
    with room.engine.begin() as conn:  # the planner's statistics, after a bulk load (else
        conn.execute(text("ANALYZE"))  # PostgreSQL may scan every incident for a few)
    return written


def _spread(count: int, days: int, rng: random.Random) -> list[int]:
    """How many reports each day gets: about equal, busier on weekdays."""
    weights = [1.0 + 0.25 * rng.random() for _ in range(days)]
    total = sum(weights)
    counts = [math.floor(count * w / total) for w in weights]
    for n in range(count - sum(counts)):
        counts[n % days] += 1
    return counts


def _event_id(*parts: object) -> str:
    """A row's stand-in for the event id it would have had (unique, 34 characters)."""
    return "h:" + hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=16).hexdigest()


def _base36(number: int, width: int) -> str:
    digits = ""
    for _ in range(width):
        number, digit = divmod(number, 36)
        digits = DIGITS[digit] + digits
    return digits


def _officers(room: LiveRoom, per_post: int, rng: random.Random) -> dict[str, list[str]]:
    """The archive's officers per agency; posts get `per_post` more if an agency has none."""
    with room.engine.begin() as conn:
        known: dict[str, list[str]] = {}
        for officer_id, agency in conn.execute(select(schema.officers.c.id,
                                                      schema.officers.c.agency)):
            known.setdefault(agency, []).append(officer_id)
        added: list[Event] = []
        for post in room.city.posts.values():
            if known.get(post.agency):
                continue
            added += [OfficerRegistered(
                officer_id=f"{post.id}-h{n:02d}", agency=post.agency, actor=SOURCE,
                name=f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}", post_id=post.id,
                occurred_at=room.clock() - timedelta(days=400)) for n in range(1, per_post + 1)]
        found = rows.fold(((e, "") for e in added), room.city.timezone)["officers"]
        insert_ignoring_duplicates(conn, schema.officers, found)
        for row in found:
            known.setdefault(row["agency"], []).append(row["id"])
    return known


def _units(room: LiveRoom, by_agency: dict[str, list[str]]) -> dict[str, list[UnitRegistered]]:
    """The archive's units of UNIT_AGENCIES (their crews); an agency with none gets units
    of two of its officers."""
    with room.engine.begin() as conn:
        known: dict[str, list[UnitRegistered]] = {}
        for row in conn.execute(select(schema.units).where(schema.units.c.active)):
            known.setdefault(row.agency, []).append(UnitRegistered(
                unit_id=row.id, call_sign=row.call_sign, agency=row.agency,
                crew=row.crew or [], occurred_at=row.registered_at, actor=SOURCE))
        added: list[UnitRegistered] = []
        for agency in UNIT_AGENCIES:
            officers = by_agency.get(agency) or []
            if known.get(agency) or agency not in room.city.agencies:
                continue
            label = room.city.agencies[agency].label("id")
            added += [UnitRegistered(
                unit_id=f"{agency}-h{n + 1:02d}", call_sign=f"{label} H{n + 1:02d}",
                agency=agency, crew=officers[2 * n:2 * n + 2], actor=SOURCE,
                occurred_at=room.clock() - timedelta(days=400))
                for n in range(len(officers) // 2)]
        insert_ignoring_duplicates(conn, schema.units, rows.fold(
            ((e, "") for e in added), room.city.timezone)["units"])
        for unit in added:
            known.setdefault(unit.agency, []).append(unit)
    return {agency: [u for u in found if u.crew] for agency, found in known.items()}


def _minutes(rng: random.Random, typical: float, spread: float = 0.6) -> timedelta:
    """A log-normal duration around `typical` minutes: most near it, a long tail."""
    return timedelta(minutes=max(0.5, rng.lognormvariate(math.log(typical), spread)))


def _crews(category, officer: str, units: dict[str, list[UnitRegistered]],
           rng: random.Random) -> list[dict]:
    """Who is sent, a task each: the officer alone, or, for some fires, two fire engines
    and a Dishub unit."""
    engines, traffic = units.get(category.agency) or [], units.get("dishub") or []
    if category.code != FIRE or len(engines) < 2 or not traffic or rng.random() >= MULTI_UNIT:
        return [{"agency": category.agency, "officer_id": officer, "crew": [officer]}]
    return [{"agency": u.agency, "unit_id": u.unit_id, "crew": u.crew,
             "officer_id": u.crew[0]} for u in [*rng.sample(engines, 2), rng.choice(traffic)]]


def _lifecycle(incident_id: str, category, reported: datetime, lat: float, lon: float,
               district: str, officer: str | None, rng: random.Random,
               city: City, units: dict[str, list[UnitRegistered]]) -> dict[str, list[dict]]:
    """One finished incident's archive rows: its events, folded by the archive's mapping."""
    common = {"incident_id": incident_id, "actor": SOURCE}
    acknowledge_due, resolve_due = sla_dues(category, reported, city)
    events: list[Event] = [
        ReportReceived(**common, occurred_at=reported, category=category.code, lat=lat,
                       lon=lon, source=SOURCE),
        ReportTriaged(**common, occurred_at=reported, from_status=Status.RECEIVED,
                      category=category.code, agency=category.agency,
                      priority=category.priority, district=district,
                      acknowledge_due=acknowledge_due, resolve_due=resolve_due),
    ]
    moves = {"incident_id": incident_id, "actor": SOURCE, "agency": category.agency}
    ending = rng.random()
    at = reported
    fixes: list[dict] = []  # each crew's first officer's, setting off and arriving
    if officer is not None and ending >= REJECTED + DUPLICATE:
        ack_sla, resolve_sla = ((due - reported).total_seconds() / 60
                                for due in (acknowledge_due, resolve_due))
        at += _minutes(rng, 3, 0.5)
        tasks = _crews(category, officer, units, rng)
        steps: list[tuple[datetime, int, TaskStatus]] = []
        for n, task in enumerate(tasks):
            acknowledged = at + _minutes(rng, ack_sla * 0.4)
            set_off = acknowledged + _minutes(rng, 3, 0.5)
            start, travel = _trip(task["agency"], set_off.astimezone(city.timezone).hour, lat,
                                  lon, rng)
            task.update(task_id=str(n + 1), from_lat=start[0], from_lon=start[1])
            steps += [(acknowledged, n, TaskStatus.ACKNOWLEDGED),
                      (set_off, n, TaskStatus.EN_ROUTE),
                      (set_off + travel, n, TaskStatus.ON_SCENE)]
            fixes += [{"officer_id": task["officer_id"], "at": fix_at, "lat": fix_lat,
                       "lon": fix_lon, "accuracy": 10.0} for fix_at, fix_lat, fix_lon in (
                (set_off - timedelta(seconds=rng.uniform(5, 90)), *start),
                (set_off + travel, lat, lon))]
        arrived = max(moment for moment, _, _ in steps) + timedelta(minutes=len(tasks) - 1)
        done = max(arrived, reported) + _minutes(rng, min(resolve_sla * 0.3, 600), 0.8)
        # the others done first, a minute apart; the first (the lead's) last: resolved
        steps += [(done - timedelta(minutes=n), n, TaskStatus.DONE) for n in range(len(tasks))]
        events += _task_events(moves, tasks, at, sorted(steps, key=lambda s: (s[0], s[1])))
        met = {"acknowledge": min(m for m, _, s in steps if s is TaskStatus.ACKNOWLEDGED),
               "resolve": done}
        events += _flags(city, category, common, {"acknowledge": acknowledge_due,
                                                  "resolve": resolve_due}, met)
        events.sort(key=lambda e: e.occurred_at)  # (stable: as appended, at one moment)
        holder = tasks[0]["officer_id"]
        events.append(IncidentStatusChanged(**moves, occurred_at=done + _minutes(rng, 600, 0.4),
                                            from_status=Status.RESOLVED,
                                            to_status=Status.CLOSED, officer_id=holder,
                                            holder=holder))
    else:
        at += _minutes(rng, 40)
        rejected = ending >= DUPLICATE
        events.append(IncidentStatusChanged(
            **moves, occurred_at=at, from_status=Status.TRIAGED,
            to_status=Status.REJECTED if rejected else Status.DUPLICATE,
            reason="tidak valid" if rejected else None))
    found = rows.fold(((e, _event_id(incident_id, n)) for n, e in enumerate(events)), city.timezone)
    written = {name: found[name] for name in ("incidents", "status_history", "tasks")}
    if fixes:
        written["officer_locations"] = fixes
    return written


def _flags(city: City, category, common: dict, due: dict[str, datetime],
           met: dict[str, datetime]) -> list[IncidentEscalated]:
    """The city's `flag` escalations a finished incident had: each rule whose deadline was
    met after the rule fell due (as the escalation policy would have flagged it then)."""
    flags = []
    for rule in city.escalation:
        if (rule.action != "flag" or rule.deadline not in due
                or not rule.applies(category.code, category.priority)):
            continue
        at = due[rule.deadline] + timedelta(minutes=rule.after_minutes)
        if met[rule.deadline] > at:
            flags.append(IncidentEscalated(
                **common, occurred_at=at, rule=rule.code, deadline=rule.deadline,
                due=due[rule.deadline], after_minutes=rule.after_minutes, action="flag",
                agency=category.agency))
    return flags


def _task_events(moves: dict, tasks: list[dict], at: datetime,
                 steps: list[tuple[datetime, int, TaskStatus]]) -> list[Event]:
    """Every task dispatched at `at`, then their steps in time order, with the incident's
    status as far as its furthest running task (resolved with the last, the lead's)."""
    events: list[Event] = []
    status, current = Status.TRIAGED, dict.fromkeys(range(len(tasks)), TaskStatus.ASSIGNED)
    for task in tasks:
        events.append(IncidentAssigned(**{**moves, **task}, occurred_at=at, from_status=status,
                                       to_status=Status.ASSIGNED, holder=tasks[0]["officer_id"],
                                       previous_agency=moves["agency"]))
        status = Status.ASSIGNED
    for moment, n, step in steps:
        current[n] = step
        running = [AS_INCIDENT[s] for s in current.values() if s is not TaskStatus.DONE]
        after = max(running, key=PROGRESS.index) if running else Status.RESOLVED
        holder = next((tasks[m]["officer_id"] for m, s in current.items()
                       if s is not TaskStatus.DONE), tasks[0]["officer_id"])
        task = {k: v for k, v in tasks[n].items() if k not in ("from_lat", "from_lon")}
        events.append(IncidentStatusChanged(**{**task, **moves}, occurred_at=moment,
                                            from_status=status, to_status=after,
                                            task_status=step, holder=holder))
        status = after
    return events


def _trip(agency: str, hour: int, lat: float, lon: float,
          rng: random.Random) -> tuple[tuple[float, float], timedelta]:
    """Where an officer sets off from (0.8-7 km from the scene, straight) and how long the
    way takes at the demo city's speed for the agency and hour, give or take."""
    km = rng.uniform(0.8, 7.0)
    kmh = SPEED_KMH.get(agency, OTHER_KMH) * TRAFFIC.get(hour, 1.0) * rng.lognormvariate(
        0, 0.25)
    bearing = rng.uniform(0, 2 * math.pi)
    start = (lat + km / 111.32 * math.cos(bearing),
             lon + km / (111.32 * math.cos(math.radians(lat))) * math.sin(bearing))
    return start, timedelta(hours=km / kmh)


def _attendance(room: LiveRoom, by_agency: dict[str, list[str]], first: date, last: date,
                rng: random.Random) -> Iterator[dict]:
    """Each officer, each day of the period: usually present, sometimes late or absent
    (check-in and check-out events, folded by the archive's mapping)."""
    city = room.city
    shift = city.shifts[city.default_shift]
    with room.engine.connect() as conn:
        posts = dict(conn.execute(select(schema.officers.c.id, schema.officers.c.post_id)).all())
    for agency, officers in by_agency.items():
        for officer_id in officers:
            post = city.posts.get(posts.get(officer_id) or "")
            if post is None:
                continue
            day = first
            while day < last:
                start, end = shift.window(day, city.timezone)
                if rng.random() < 0.93:
                    late = max(-15.0, rng.gauss(0, 12))
                    common = {"officer_id": officer_id, "actor": SOURCE, "agency": agency,
                              "post_id": post.id, "method": "fix"}
                    events = [
                        OfficerCheckedIn(**common, occurred_at=start + timedelta(minutes=late),
                                         lat=post.centre[0], lon=post.centre[1],
                                         shift=shift.code, shift_day=day, shift_start=start,
                                         shift_end=end),
                        OfficerCheckedOut(**common, occurred_at=end + timedelta(
                            minutes=rng.gauss(5, 15)))]
                    yield from rows.fold(((e, _event_id(officer_id, day)) for e in events),
                                         city.timezone)["attendance"]
                day += timedelta(days=1)


def _write(room: LiveRoom, batch: dict[str, list[dict]], written: dict[str, int]) -> None:
    with room.engine.begin() as conn:
        for name, rows in batch.items():
            if rows and name == "officer_locations":  # (one officer, two trips, same instant)
                insert_ignoring_duplicates(conn, schema.officer_locations, rows)
            elif rows:
                conn.execute(insert(getattr(schema, name)), rows)
            written[name] += len(rows)
            rows.clear()
