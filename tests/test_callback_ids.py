"""The UI contract: every id a callback listens to, reads or writes is one the pages (or
the panels callbacks render) really have. With `suppress_callback_exceptions` on, a
mistyped id would otherwise be a callback that never fires, silently.

The validation layout is the shell, every page, and the panels callbacks open (an
incident's, an officer's), rendered from a room with one of each kind of row.
"""

from __future__ import annotations

import json

from dash.development.base_component import Component

from app import create_app
from callbacks import home
from callbacks.pages import PAGES
from layouts.desk import desk_form, questions, similar_list
from layouts.home import shell
from liveroom.access import SYSTEM
from liveroom.commands import accounts
from liveroom.commands.incidents import assign_incident, report_incident
from liveroom.commands.officers import check_in, record_locations
from liveroom.domain.events import OfficerLocated
from liveroom.live.similar import similar_open_incidents
from tests.conftest import drain

WILDCARDS = ("ALL", "MATCH", "ALLSMALLER")
FIRE = {"orang-terjebak": "tidak"}


def component_ids(tree) -> list:
    found = []

    def walk(node) -> None:
        if isinstance(node, Component):
            if getattr(node, "id", None) is not None:
                found.append(node.id)
            for name in node._prop_names:
                walk(getattr(node, name, None))
        elif isinstance(node, list | tuple):
            for child in node:
                walk(child)

    walk(tree)
    return found


def validation_layout(room) -> list:
    """Every page and panel, from a room holding a row of every kind."""
    post = next(p for p in room.city.posts.values() if p.agency == "damkar")
    shift = next(code for code, s in room.city.shifts.items()
                 if s.instance_at(room.clock(), room.city.timezone))  # (the test clock's)
    device, free = (accounts.add_device(room, name, agency="damkar", post_id=post.id,
                                        shift=shift, by=SYSTEM)
                    for name in ("Pak Uji", "Bu Uji"))
    for officer in (device, free):
        check_in(room, officer.officer_id, post_id=post.id, lat=post.centre[0],
                 lon=post.centre[1], accuracy=5, by=SYSTEM)
        record_locations(room, [OfficerLocated(
            officer_id=officer.officer_id, occurred_at=room.clock(), actor="device",
            lat=post.centre[0], lon=post.centre[1], accuracy=5)], by=SYSTEM)
    accounts.add_user(room, "uji", "kata-sandi-uji", roles=["operator"], by=SYSTEM)
    accounts.create_kiosk_link(room, "Layar", by=SYSTEM)
    accounts.create_api_key(room, "Aplikasi", by=SYSTEM)
    accounts.create_api_token(room, "uji", by=SYSTEM)
    waiting = report_incident(room, category="kebakaran", lat=post.centre[0],
                              lon=post.centre[1], source="test", by=SYSTEM, attributes=FIRE)
    held = report_incident(room, category="kebakaran", lat=post.centre[0],
                           lon=post.centre[1], source="test", by=SYSTEM, attributes=FIRE)
    leaking = report_incident(room, category="pipa-bocor", lat=post.centre[0],
                              lon=post.centre[1], source="test", by=SYSTEM)  # forwarded
    drain(room)
    assign_incident(room, held.id, device.officer_id, by=SYSTEM)
    drain(room)
    pages = [render(room, SYSTEM, "id", "") for render in PAGES.values()]
    panels = [home.detail(room, incident.id, SYSTEM, "id")
              for incident in (waiting, held, leaking)]
    officer, _track = home.officer_detail(room, device.officer_id, waiting.id, SYSTEM, "id")
    nearby = similar_open_incidents(room, "kebakaran", *post.centre, by=SYSTEM)
    form = [*desk_form(room.city, "id"), *questions(room.city, "banjir", "id"),
            *similar_list(room.city, nearby, "id")]
    return [shell(), *pages, *panels, officer, *form]


def missing_ids(app, layout) -> list[str]:
    ids = component_ids(layout)
    plain = {i for i in ids if isinstance(i, str)}
    patterns = [i for i in ids if isinstance(i, dict)]

    def present(wanted) -> bool:
        if isinstance(wanted, str) and wanted.startswith("{"):
            wanted = json.loads(wanted)
        if isinstance(wanted, str):
            return wanted in plain
        fixed = {k: v for k, v in wanted.items()
                 if not isinstance(v, list | tuple) and str(v) not in WILDCARDS}
        return any(p.keys() == wanted.keys() and all(p[k] == v for k, v in fixed.items())
                   for p in patterns)

    wanted = []
    for spec in app.callback_map.values():
        outputs = spec["output"] if isinstance(spec["output"], list) else [spec["output"]]
        wanted += [dep["id"] for dep in (*spec["inputs"], *spec.get("state", []))]
        wanted += [output.component_id for output in outputs]
    return sorted({json.dumps(w, sort_keys=True, default=str) if isinstance(w, dict) else w
                   for w in wanted if not present(w)})


def test_every_callback_id_is_in_the_validation_layout(room):
    app = create_app(room)
    assert missing_ids(app, validation_layout(room)) == []
