"""The live read model's layout: every Redis key and hash field, and typed readers.

The live projection (`live.projection`) is the one writer of these keys; every query
reads them through here, so a renamed key or field is renamed once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson

from liveroom.domain.presence import moving, presence
from liveroom.domain.task import Task
from liveroom.streams import Keys


@dataclass(frozen=True)
class LiveKeys:
    """The keys of one deployment's live model (`room.live`)."""

    keys: Keys

    def _view(self, *parts: str) -> str:
        return self.keys.view(*parts)

    # incidents
    def incident(self, incident_id: str) -> str:
        """Hash: an incident's fields (`INCIDENT_FIELDS`)."""
        return self._view("incident", incident_id)

    def status(self, status: str) -> str:
        """Sorted set: incidents in a status, by when they entered it."""
        return self._view("status", status)

    def queue(self, agency: str) -> str:
        """Sorted set: an agency's incidents waiting for an officer, by priority then time."""
        return self._view("queue", agency)

    def agency(self, agency: str) -> str:
        """Sorted set: an agency's open incidents."""
        return self._view("agency", agency)

    def due(self, deadline: str) -> str:
        """Sorted set: open incidents by their `acknowledge` or `resolve` deadline."""
        return self._view("due", deadline)

    @property
    def escalated(self) -> str:
        """Sorted set: open incidents whose supervisors were alerted (an escalation rule),
        not yet acknowledged, by when they were alerted."""
        return self._view("escalated")

    @property
    def escalation_due(self) -> str:
        """Sorted set: the escalation policy's index, incidents by the moment their next
        escalation rule falls due (epoch milliseconds, from the incident's own deadlines)."""
        return self._view("escalation", "due")

    @property
    def incidents_geo(self) -> str:
        return self._view("geo", "incidents")

    @property
    def recent(self) -> str:
        """Sorted set: incidents closed lately (kept for a while, then expired)."""
        return self._view("recent")

    @property
    def feed(self) -> str:
        """Sorted set: the latest reports, newest last."""
        return self._view("feed")

    # officers
    def officer(self, officer_id: str) -> str:
        """Hash: an officer's fields (`LiveOfficer.FIELDS` and more)."""
        return self._view("officer", officer_id)

    def officers(self, agency: str) -> str:
        """Set: an agency's officers."""
        return self._view("officers", agency)

    def on_duty(self, agency: str) -> str:
        """Set: an agency's officers checked in now."""
        return self._view("on_duty", agency)

    def tasks(self, officer_id: str) -> str:
        """Sorted set: an officer's open incidents."""
        return self._view("tasks", officer_id)

    @property
    def officers_geo(self) -> str:
        return self._view("geo", "officers")

    # units
    def unit(self, unit_id: str) -> str:
        """Hash: a unit's configuration, status (`status`, `status_since`, the task it is on:
        `incident_id`, `task_id`) and position (the newest fix of its tracker or crew)."""
        return self._view("unit", unit_id)

    def units(self, agency: str) -> str:
        """Set: an agency's active units."""
        return self._view("units", agency)

    def registered_units(self, agency: str) -> str:
        """Set: an agency's units, active or not (what an admin manages)."""
        return self._view("units", agency, "registered")

    @property
    def units_geo(self) -> str:
        return self._view("geo", "units")

    @property
    def recent_flags(self) -> str:
        """Sorted set: the latest spoofing flags (JSON), by time."""
        return self._view("flags", "recent")

    # the push channel and operations
    @property
    def changes(self) -> str:
        """Stream: which ids each applied batch touched (what screens are pushed)."""
        return self._view("changes")

    @property
    def metrics(self) -> str:
        """Hash: counters shown on /healthz."""
        return self._view("metrics")

    @property
    def trackers_waiting(self) -> str:
        """Sorted set: client addresses that must wait, by until when (epoch seconds)."""
        return self._view("trackers-waiting")

    @property
    def policy_memory(self) -> str:
        """Hash: the attendance policy's memory of each officer."""
        return self._view("policy", "last-fix")

    @property
    def eta_speeds(self) -> str:
        """String: the learned travel speeds (JSON, `live.eta.SpeedTable`), written by
        `reporting.eta.learn`."""
        return self._view("eta", "speeds")

    @property
    def eta_lock(self) -> str:
        """String: held (with a TTL) by the one worker learning the speeds."""
        return self._view("eta", "learning")

    def idempotency(self, actor: str, key: str, action: str = "") -> str:
        """String: the outcome of `actor`'s command sent with `key`, for `action` (its
        method and path, by digest: the same key for another action is that one's own)."""
        if not action:
            return self._view("idempotency", actor, key)
        return self._view("idempotency", actor,
                          hashlib.sha256(action.encode()).hexdigest()[:16], key)


@dataclass(frozen=True)
class LiveOfficer:
    """An officer as the live model holds them (one parser for every reader)."""

    FIELDS = ("name", "agency", "post_id", "on_duty_post", "lat", "lon", "fix_at", "speed")

    id: str
    name: str
    agency: str
    post_id: str
    on_duty_post: str
    lat: float | None
    lon: float | None
    fix_at: datetime | None
    speed: float | None

    @classmethod
    def parse(cls, officer_id: str, values: Sequence[str | None]) -> LiveOfficer | None:
        """From `HMGET officer FIELDS`; None for an officer the model does not hold."""
        data = dict(zip(cls.FIELDS, values, strict=True))
        if not any(values):
            return None
        return cls(id=officer_id, name=data["name"] or officer_id, agency=data["agency"] or "",
                   post_id=data["post_id"] or "", on_duty_post=data["on_duty_post"] or "",
                   lat=_number(data["lat"]), lon=_number(data["lon"]),
                   fix_at=datetime.fromisoformat(data["fix_at"]) if data["fix_at"] else None,
                   speed=_number(data["speed"]))

    @property
    def on_duty(self) -> bool:
        return bool(self.on_duty_post)

    @property
    def moving(self) -> bool:
        return moving(self.speed)

    def presence(self, now: datetime, stale_minutes: float, offline_minutes: float) -> str:
        """online, stale or offline, from the last fix (the settings' thresholds)."""
        return presence(self.fix_at, now, timedelta(minutes=stale_minutes),
                        timedelta(minutes=offline_minutes))


@dataclass(frozen=True)
class LiveUnit:
    """A unit as the live model holds it (one parser for every reader): its configuration,
    its status since when (`status` set by its task, or by itself), the task it is on."""

    FIELDS = ("call_sign", "agency", "post_id", "kind", "crew", "tracker", "active", "status",
              "status_since", "status_reason", "incident_id", "task_id", "lat", "lon",
              "fix_at")

    id: str
    call_sign: str
    agency: str
    post_id: str
    kind: str
    crew: tuple[str, ...]
    tracker: str
    active: bool
    status: str
    status_since: datetime | None
    status_reason: str
    incident_id: str
    task_id: str
    lat: float | None
    lon: float | None
    fix_at: datetime | None

    @classmethod
    def parse(cls, unit_id: str, values: Sequence[str | None]) -> LiveUnit | None:
        """From `HMGET unit FIELDS`; None for a unit the model does not hold."""
        data = dict(zip(cls.FIELDS, values, strict=True))
        if not data["agency"]:
            return None
        return cls(id=unit_id, call_sign=data["call_sign"] or unit_id, agency=data["agency"],
                   post_id=data["post_id"] or "", kind=data["kind"] or "",
                   crew=tuple(filter(None, (data["crew"] or "").split(","))),
                   tracker=data["tracker"] or "", active=data["active"] != "0",
                   status=data["status"] or "available",
                   status_since=_moment(data["status_since"]),
                   status_reason=data["status_reason"] or "",
                   incident_id=data["incident_id"] or "", task_id=data["task_id"] or "",
                   lat=_number(data["lat"]), lon=_number(data["lon"]),
                   fix_at=_moment(data["fix_at"]))

    def minutes(self, now: datetime) -> float:
        """Minutes in its status at `now` (0 when not known)."""
        if self.status_since is None:
            return 0.0
        return max(0.0, (now - self.status_since).total_seconds() / 60)

    @property
    def dispatchable(self) -> bool:
        """Active, available or on its way back, and on no task: it can be sent."""
        return self.active and self.status in ("available", "returning") and not (
            self.incident_id)


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def live_tasks(incident: Mapping[str, object]) -> list[Task]:
    """An incident's tasks, oldest first, from its live hash (`task:<id>` JSON, and its
    `:status`, `:since`, `:reason`) or from an aggregate's dump (`tasks`: a command's
    result, before the view has caught up)."""
    dumped = incident.get("tasks")
    if isinstance(dumped, list):
        return [Task.model_validate(task) for task in dumped]
    tasks = []
    for field, value in incident.items():
        if not (field.startswith("task:") and field.count(":") == 1):
            continue
        task_id = field.removeprefix("task:")
        tasks.append(Task.model_validate({
            **orjson.loads(str(value)), "id": task_id,
            "status": incident.get(f"{field}:status"), "since": incident.get(f"{field}:since"),
            "reason": incident.get(f"{field}:reason") or None}))
    return sorted(tasks, key=lambda task: int(task.id) if task.id.isdigit() else 0)


def officer_task(tasks: list[Task], officer_id: str) -> Task | None:
    """The officer's task among `tasks`: a running one first, else their latest."""
    mine = [task for task in tasks if task.has(officer_id)]
    return next((t for t in reversed(mine) if t.running), mine[-1] if mine else None)


def _number(value: str | None) -> float | None:
    return float(value) if value else None
