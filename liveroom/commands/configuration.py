"""Admins' changes to the city pack: agencies, report categories and their SLAs.

The pack's files are the defaults; an admin's change is stored in the archive
(`city_overrides`, audited) and laid over them. Every worker picks changes up
within seconds (a version counter in Redis).
"""

from __future__ import annotations

from pydantic import ValidationError

from liveroom.access import Action, Principal
from liveroom.archive import schema, upsert
from liveroom.cities import Agency, Category
from liveroom.cities.model import colour_problem
from liveroom.commands.audit import record
from liveroom.domain.errors import InvalidCommand, NotFound
from liveroom.room import LiveRoom


def _save(room: LiveRoom, kind: str, code: str, model, by: Principal, action: str) -> None:
    now = room.clock()
    with room.engine.begin() as conn:
        upsert(conn, schema.city_overrides, [{
            "city": room.city.slug, "kind": kind, "code": code,
            "data": model.model_dump(mode="json"), "updated_at": now, "updated_by": by.actor,
        }], key=None)
        record(conn, now, by.actor, action, f"{kind}:{code}", model.model_dump(mode="json"))
    room.config_changed()


def _sla_switched(changes: dict) -> dict:
    """A step's SLA given in minutes drops its working days, and the other way round."""
    cleared = {}
    for step in ("acknowledge", "resolve"):
        minutes = changes.get(f"sla_{step}_minutes")
        days = changes.get(f"sla_{step}_working_days")
        if minutes is not None and days is None:
            cleared[f"sla_{step}_working_days"] = None
        elif days is not None and minutes is None:
            cleared[f"sla_{step}_minutes"] = None
    return cleared


def save_category(room: LiveRoom, code: str, *, by: Principal, **changes) -> Category:
    """Change a category (or add one: then every field is needed). Checked like the pack."""
    by.check(Action.MANAGE_ACCOUNTS)
    current = room.city.categories.get(code)
    data = {**(current.model_dump() if current else {"code": code}),
            **_sla_switched(changes),
            **{k: v for k, v in changes.items() if v is not None}}
    try:
        category = Category.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        raise InvalidCommand(f"category {code}: {field + ': ' if field else ''}{message}"
                             ) from None
    if category.agency not in room.city.agencies:
        raise InvalidCommand(f"category {code}: unknown agency {category.agency!r}")
    if category.forward_to and category.forward_to not in room.city.external_bodies:
        raise InvalidCommand(f"category {code}: unknown external body {category.forward_to!r}")
    _save(room, "category", code, category, by,
          "category.changed" if current else "category.added")
    return category


def save_agency(room: LiveRoom, key: str, *, by: Principal, **changes) -> Agency:
    """Rename an agency or change its colour (agencies themselves come from the pack)."""
    by.check(Action.MANAGE_ACCOUNTS)
    current = room.city.agencies.get(key)
    if current is None:
        raise NotFound(f"no agency {key!r}")
    try:
        agency = Agency.model_validate({**current.model_dump(),
                                        **{k: v for k, v in changes.items() if v is not None}})
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InvalidCommand(f"agency {key}: {'.'.join(map(str, first['loc']))}: "
                             f"{first['msg']}") from None
    if problem := colour_problem(key, agency.colour, room.city.agencies):
        raise InvalidCommand(f"agency {key}: colour: {problem}")
    _save(room, "agency", key, agency, by, "agency.changed")
    return agency
