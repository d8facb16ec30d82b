"""The officer's phone: what it shows (duty, tasks), checking in where the officer stands,
and resolving a task with a note and a photo. Small JSON, for a slow connection."""

from __future__ import annotations

from dataclasses import dataclass

from liveroom.access import Action, Forbidden, Principal
from liveroom.cities import City, Post
from liveroom.commands import officers
from liveroom.commands.incidents import change_status
from liveroom.commands.media import discard_photo, store_photo
from liveroom.domain.errors import DomainError, InvalidCommand
from liveroom.domain.integrity import distance_m
from liveroom.domain.lifecycle import AS_INCIDENT, Status
from liveroom.domain.officer import Officer, shift_of
from liveroom.i18n import translate
from liveroom.live.dispatch import officer_tasks
from liveroom.live.keys import live_tasks, officer_task
from liveroom.room import LiveRoom

#: The officer's next step from each status (resolving needs a note, a photo is welcome).
NEXT_STEP = {Status.ASSIGNED: Status.ACKNOWLEDGED, Status.ACKNOWLEDGED: Status.EN_ROUTE,
             Status.EN_ROUTE: Status.ON_SCENE, Status.ON_SCENE: Status.RESOLVED}
TASK_FIELDS = ("id", "category", "status", "priority", "lat", "lon", "address", "district",
               "description", "assigned_at", "resolve_due", "last_note", "media_url",
               "reopened_at", "reopened_comment", "reopened_rating")


@dataclass(frozen=True)
class Departed:
    """A task that left the officer's list, and why: `reassigned` (to another officer),
    `closed` (rejected, closed or marked duplicate by the control room), `resolved`."""

    id: str
    why: str


def own_officer(by: Principal) -> str:
    """The officer the phone's user is; Forbidden for anyone else."""
    if by.officer_id is None or not by.can(Action.WORK_OWN_TASKS, officer_id=by.officer_id):
        raise Forbidden(f"{by.actor} is not a field officer")
    return by.officer_id


def field_state(room: LiveRoom, by: Principal, lang: str) -> dict:
    """Who the officer is, whether on duty (and where), and their open tasks, oldest
    assignment first, each with its next step."""
    officer_id = own_officer(by)
    city = room.city
    officer = officers.get_officer(room, officer_id)
    agency = city.agencies.get(officer.agency)
    post = city.posts.get(officer.on_duty_post or "")
    tasks = []
    for data in officer_tasks(room, officer_id, by=by):
        everyone = live_tasks(data)
        mine = officer_task(everyone, officer_id)
        status = Status(AS_INCIDENT.get(mine.status, data["status"]) if mine
                        else data["status"])
        category = city.categories.get(data.get("category", ""))
        district = city.districts.get(data.get("district", ""))
        task = {name: data.get(name) or None for name in TASK_FIELDS}
        others = [t for t in everyone if t.running and (mine is None or t.id != mine.id)]
        tasks.append({
            **task, "status": status.value, "lat": float(data["lat"]),
            "lon": float(data["lon"]), "priority": int(data.get("priority") or 4),
            "category_name": category.name.get(lang) if category else data.get("category"),
            "icon": category.icon if category else "",
            "district_name": district.name if district else None,
            "status_name": translate(f"status.{status.value}", lang),
            "next": NEXT_STEP[status].value if status in NEXT_STEP else None,
            "task_id": mine.id if mine else None,
            "unit": _call_sign(room, mine.unit_id) if mine and mine.unit_id else None,
            "others": len(others),
        })
    shift = shift_of(city, officer)
    return {
        "officer": {"id": officer.id, "name": officer.name,
                    "agency": agency.name.get(lang) if agency else officer.agency},
        "shift": {"name": shift.name.get(lang), "start": f"{shift.start:%H:%M}",
                  "end": f"{shift.end:%H:%M}",
                  "now": shift.instance_at(room.clock(), city.timezone) is not None},
        "on_duty": post is not None,
        "left_early": bool(officer.left_early_until and room.clock() < officer.left_early_until),
        "post": post.name if post else None,
        "checked_in_at": officer.checked_in_at.isoformat() if officer.checked_in_at else None,
        "tasks": tasks,
    }


def departed(room: LiveRoom, officer_id: str, before: list[str], now: list[str]) -> list[Departed]:
    """The tasks in `before` that are not in `now`, with why they left: the officer's own
    task done (resolved), given to someone else (reassigned), or stood down (closed)."""
    gone = [incident_id for incident_id in before if incident_id not in now]
    pipe = room.redis.pipeline(transaction=False)
    for incident_id in gone:
        pipe.hgetall(room.live.incident(incident_id))
    found = []
    for incident_id, data in zip(gone, pipe.execute(), strict=True):
        everyone = live_tasks(data)
        mine = officer_task(everyone, officer_id) if data else None
        if mine is not None and mine.status == "done":
            why = "resolved"
        elif mine is None and data.get("status") in _HELD:
            why = "reassigned"  # (their task went to another crew)
        else:
            why = "closed"
        found.append(Departed(incident_id, why))
    return found


_HELD = {s.value for s in (Status.ASSIGNED, Status.ACKNOWLEDGED, Status.EN_ROUTE,
                           Status.ON_SCENE)}


def posts_for(city: City, officer: Officer) -> list[Post]:
    """Where the officer may check in: their own post, or any of their agency's."""
    if officer.post_id and officer.post_id in city.posts:
        return [city.posts[officer.post_id]]
    return [post for post in city.posts.values() if post.agency == officer.agency]


def check_in_here(room: LiveRoom, *, by: Principal, lat: float, lon: float,
                  accuracy: float | None) -> Officer:
    """Check in from the phone at the post whose geofence holds the officer (their own post
    if they have one). Refused with the nearest post named when they stand outside."""
    officer_id = own_officer(by)
    officer = officers.get_officer(room, officer_id)
    posts = posts_for(room.city, officer)
    if not posts:
        raise InvalidCommand(f"agency {officer.agency} has no post to check in at")
    inside = [post for post in posts if post.contains(lat, lon)]
    post = inside[0] if inside else min(posts, key=lambda p: distance_m(*p.centre, lat, lon))
    return officers.check_in(room, officer_id, post_id=post.id, lat=lat, lon=lon,
                             accuracy=accuracy, by=by)


def check_out_here(room: LiveRoom, *, by: Principal, lat: float | None = None,
                   lon: float | None = None) -> Officer:
    return officers.check_out(room, own_officer(by), by=by, lat=lat, lon=lon)


def resolve_task(room: LiveRoom, incident_id: str, *, by: Principal, note: str,
                 photo: bytes | None = None) -> dict:
    """Resolve with a note (required) and a photo of the work done (optional); the photo
    is stored only if the step is taken."""
    if not note.strip():
        raise InvalidCommand("resolving a task needs a note of what was done")
    media_url = store_photo(room, photo) if photo else None
    try:
        incident = change_status(room, incident_id, Status.RESOLVED, by=by,
                                 reason=note.strip(), media_url=media_url)
    except DomainError:
        discard_photo(room, media_url)
        raise
    return {"id": incident.id, "status": incident.status.value, "media_url": media_url}


def _call_sign(room: LiveRoom, unit_id: str) -> str:
    return room.redis.hget(room.live.unit(unit_id), "call_sign") or unit_id
