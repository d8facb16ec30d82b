"""Officer presence from their last fix: online, stale or offline; moving or stopped."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

MOVING_MPS = 0.5  # slower than this is standing (GPS speed jitters around zero)

Presence = Literal["online", "stale", "offline"]


def presence(last_fix: datetime | None, now: datetime, stale_after: timedelta,
             offline_after: timedelta) -> Presence:
    """Online while fixes keep coming; stale after `stale_after` without one (Traccar's
    default is 10 minutes); offline after `offline_after`, or with no fix at all."""
    if last_fix is None:
        return "offline"
    silent = now - last_fix
    if silent >= offline_after:
        return "offline"
    return "stale" if silent >= stale_after else "online"


def moving(speed_mps: float | None, reported: bool | None = None) -> bool:
    """The tracker's own moving flag when it sends one, else its speed."""
    if reported is not None:
        return reported
    return speed_mps is not None and speed_mps >= MOVING_MPS
