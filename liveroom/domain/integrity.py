"""Does a location fix look spoofed? Pure checks of one fix against the officer's previous.

Rules (each flag carries its evidence, for supervisors):
- `mock_location`: the phone itself says the position is from a mock provider;
- `bad_accuracy`: an accuracy of zero (no real receiver reports that) or beyond reason;
- `impossible_speed`: the distance from the previous fix, over the time between them, or
  the reported speed, is faster than any vehicle on city streets;
- `repeated_fix`: the very same fix (time and place) sent again and again;
- `frozen_position`: exactly the same coordinates fix after fix while time moves on
  (a real receiver jitters by a few centimetres even standing still).
A flagged fix never counts for attendance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime

from liveroom.domain.events import OfficerLocated

MAX_ACCURACY_M = 2_000.0
REPEATS_FLAGGED = 3  # the same fix this many times in a row
FROZEN_FLAGGED = 10  # the same coordinates in this many fixes in a row
MIN_SECONDS_FOR_SPEED = 1.0  # closer fixes carry too little time to judge speed


@dataclass(frozen=True)
class LastFix:
    """What the checks remember of an officer's previous fix."""

    at: datetime
    lat: float
    lon: float
    repeats: int = 1  # how many fixes in a row had this exact time and place
    same_place: int = 1  # how many fixes in a row had these exact coordinates


@dataclass(frozen=True)
class Flag:
    rule: str
    evidence: dict


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


def check_fix(previous: LastFix | None, fix: OfficerLocated,
              max_speed_kmh: float) -> tuple[list[Flag], LastFix]:
    """The flags this fix earns, and what to remember of it for the next one."""
    flags: list[Flag] = []
    if fix.mock:
        flags.append(Flag("mock_location", {"mock": True}))
    if fix.accuracy is not None and (fix.accuracy <= 0 or fix.accuracy > MAX_ACCURACY_M):
        flags.append(Flag("bad_accuracy", {"accuracy_m": fix.accuracy}))
    if fix.speed is not None and fix.speed * 3.6 > max_speed_kmh:
        flags.append(Flag("impossible_speed", {"reported_kmh": round(fix.speed * 3.6, 1)}))
    if previous is None:
        return flags, LastFix(fix.occurred_at, fix.lat, fix.lon)
    same_place = (fix.lat, fix.lon) == (previous.lat, previous.lon)
    if same_place and fix.occurred_at == previous.at:
        remembered = replace(previous, repeats=previous.repeats + 1,
                             same_place=previous.same_place + 1)
        if remembered.repeats >= REPEATS_FLAGGED:
            flags.append(Flag("repeated_fix", {"times": remembered.repeats}))
        return flags, remembered
    if fix.occurred_at < previous.at:
        return flags, previous  # a late fix: judged on its own, remembered not
    seconds = (fix.occurred_at - previous.at).total_seconds()
    metres = distance_m(previous.lat, previous.lon, fix.lat, fix.lon)
    if seconds >= MIN_SECONDS_FOR_SPEED and metres / seconds * 3.6 > max_speed_kmh and not any(
            f.rule == "impossible_speed" for f in flags):
        flags.append(Flag("impossible_speed", {
            "distance_m": round(metres), "seconds": round(seconds, 1),
            "implied_kmh": round(metres / seconds * 3.6, 1)}))
    remembered = LastFix(fix.occurred_at, fix.lat, fix.lon,
                         same_place=previous.same_place + 1 if same_place else 1)
    if remembered.same_place >= FROZEN_FLAGGED:
        flags.append(Flag("frozen_position", {
            "fixes": remembered.same_place, "lat": fix.lat, "lon": fix.lon}))
    return flags, remembered
