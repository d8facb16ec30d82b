"""Reporters' personal data erased `contact_retention_days` after their incident closed
(UU 27/2022): a tombstone event, no contact left in the aggregate, on the wall, in the API
or the archive (its rows, event log and audit trail), none brought back by a rebuild;
incidents closed recently, or still open, keep theirs; running it again does nothing."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import orjson
import pytest
from sqlalchemy import select

from callbacks.home import detail
from liveroom.access import SYSTEM
from liveroom.archive import schema
from liveroom.commands.desk import add_reporter
from liveroom.commands.erasure import erase_contacts
from liveroom.commands.incidents import (
    assign_incident,
    change_status,
    get_incident,
    report_incident,
    view_incident,
)
from liveroom.commands.officers import register_officer
from liveroom.domain.errors import InvalidCommand
from liveroom.domain.events import ReportersErased, decode
from liveroom.projections.rebuild import rebuild
from liveroom.projections.runner import (
    ProjectionService,
    all_policies,
    all_projections,
    trim_streams,
)
from tests.app_process import AppProcess
from tests.conftest import drain, person
from tests.test_wall_callers import text_of

OWN = person("opi", "operator", agencies=("kebersihan",))
REPORTER = {"first_name": "Sari", "last_name": "Wulandari", "email": "sari@contoh.id",
            "phone": "0812-3456-789", "telegram": "987654321", "lang": "en"}
PERSONAL = ("Sari", "Wulandari", "sari@contoh.id", "+628123456789", "987654321", "Eko",
            "+6281311112222", "812-", "813-")


def reported(room, point, **reporter) -> str:
    incident = report_incident(room, category="sampah-menumpuk", lat=point[0], lon=point[1],
                               source="open311", by=SYSTEM, reporter=reporter or REPORTER)
    add_reporter(room, incident.id, by=OWN, channel="telepon", caller_name="Pak Eko",
                 caller_phone="0813-1111-2222")
    return incident.id


def closed(room, incident_id: str) -> None:
    """Through the officer's steps to closed."""
    with contextlib.suppress(InvalidCommand):  # (registered for an incident before)
        register_officer(room, "kb-1", name="Budi", agency="kebersihan", by=SYSTEM)
    assign_incident(room, incident_id, "kb-1", by=OWN)
    for step in ("acknowledged", "en_route", "on_scene", "resolved", "closed"):
        change_status(room, incident_id, step, by=SYSTEM)


@pytest.fixture
def old(room, tangerang_point, clock) -> str:
    """An incident closed 91 days before the clock's now."""
    incident_id = reported(room, tangerang_point)
    closed(room, incident_id)
    drain(room)
    clock.advance(days=91)
    return incident_id


def personal_in(text: str) -> list[str]:
    return [part for part in PERSONAL if part in text]


def archived(room, incident_id: str) -> str:
    """Everything the archive holds of an incident, as text."""
    with room.engine.connect() as conn:
        rows = [conn.execute(select(table).where(column == incident_id)).all()
                for table, column in ((schema.incidents, schema.incidents.c.id),
                                      (schema.events, schema.events.c.aggregate_id),
                                      (schema.audit_log, schema.audit_log.c.target))]
    return repr(rows)


def stream_text(room) -> str:
    return repr(room.redis.xrange(room.keys.stream("incidents")))


def tombstones(room, incident_id: str) -> list[ReportersErased]:
    events = [decode(fields) for _, fields in room.redis.xrange(room.keys.stream("incidents"))]
    return [e for e in events if isinstance(e, ReportersErased) and e.incident_id == incident_id]


def test_an_incident_closed_long_enough_ago_loses_its_reporters_contacts(room, old):
    assert personal_in(archived(room, old))  # (kept until now)
    assert erase_contacts(room) == [old]
    drain(room)
    (tombstone,) = tombstones(room, old)
    assert tombstone.callers == 2 and tombstone.retention_days == 90
    assert set(tombstone.fields) == {"name", "phone", "email", "telegram"}
    assert not personal_in(tombstone.model_dump_json())
    incident = get_incident(room, old)
    assert incident.reporters == 2 and incident.contacts_erased_at == tombstone.occurred_at
    assert [(c.source, c.lang) for c in incident.callers] == [("open311", "en"),
                                                              ("telepon", None)]
    assert not personal_in(repr(incident.callers))
    assert not personal_in(orjson.dumps(view_incident(room, old, by=OWN)).decode())
    panel = text_of(detail(room, old, OWN, "id"))
    assert not personal_in(panel) and panel.count("Data pribadi dihapus") == 2
    assert not personal_in(archived(room, old))
    with room.engine.connect() as conn:
        row = conn.execute(select(schema.incidents).where(schema.incidents.c.id == old)).one()
    assert row.reporter is None and row.contacts_erased_at is not None and row.reporters == 2


def test_an_incident_only_the_archive_holds_is_erased_there_and_holds_up_no_other(
        room, old, clock):
    """An imported history (the demo's seeded months) has rows and no events: its contact
    is nulled in place; it is not due again, nor in the way of the incident behind it."""
    with room.engine.begin() as conn:
        row = conn.execute(select(schema.incidents).where(schema.incidents.c.id == old)).one()
        imported = {**row._asdict(), "id": "250101-HIMPR",
                    "closed_at": row.closed_at - timedelta(days=1)}
        conn.execute(schema.incidents.insert().values(**imported))
    assert personal_in(archived(room, "250101-HIMPR"))
    assert erase_contacts(room) == ["250101-HIMPR", old]  # (oldest first)
    assert not personal_in(archived(room, "250101-HIMPR"))
    assert tombstones(room, "250101-HIMPR") == [] and erase_contacts(room) == []


def test_running_it_again_erases_nothing_more(room, old):
    assert erase_contacts(room) == [old]
    assert erase_contacts(room) == []  # (before the archive has caught up: the aggregate says)
    drain(room)
    assert erase_contacts(room) == [] and erase_contacts(room, older_than_days=0) == []
    assert len(tombstones(room, old)) == 1


def test_recently_closed_and_open_incidents_keep_their_contacts(room, tangerang_point,
                                                                  clock):
    still_open = reported(room, tangerang_point)
    clock.advance(days=200)
    recent = reported(room, tangerang_point)
    change_status(room, recent, "rejected", by=SYSTEM, reason="Bukan wewenang kota")
    drain(room)
    clock.advance(days=10)
    assert erase_contacts(room) == []
    assert erase_contacts(room, older_than_days=30) == []
    assert tombstones(room, recent) == tombstones(room, still_open) == []
    for incident_id in (still_open, recent):
        assert "Sari" in archived(room, incident_id)
        assert get_incident(room, incident_id).callers[0].phone == "+628123456789"
    assert erase_contacts(room, older_than_days=7) == [recent]  # (the command's option)


def test_a_rebuild_after_erasure_does_not_bring_contacts_back(room, old):
    erase_contacts(room)
    drain(room)
    trim_streams(room, [*all_projections(room), *all_policies(room)])
    assert not personal_in(stream_text(room))  # (what remains of the stream: the tombstone)
    rebuild(room)
    drain(room)
    assert not personal_in(repr(get_incident(room, old).callers))
    assert not personal_in(archived(room, old))
    assert get_incident(room, old).reporters == 2


def test_callers_merged_into_an_erased_incident_arrive_erased(room, tangerang_point, old):
    erase_contacts(room)
    drain(room)
    other = report_incident(room, category="sampah-menumpuk", lat=tangerang_point[0],
                            lon=tangerang_point[1], source="web", by=SYSTEM,
                            reporter={"name": "Sari", "phone": "0812-3456-789"})
    change_status(room, other.id, "duplicate", duplicate_of=old, by=OWN)
    drain(room)
    survivor = get_incident(room, old)
    assert survivor.reporters == 3 and not personal_in(repr(survivor.callers))


def test_work_erases_on_its_schedule(room, old, tangerang_point, clock):
    service = ProjectionService(room)
    service._erase()  # (its first round)
    drain(room)
    assert get_incident(room, old).contacts_erased_at is not None
    later = reported(room, tangerang_point)
    closed(room, later)
    drain(room)
    clock.advance(days=91)
    service._erase()  # within `erase_interval_minutes` of the last: not yet
    assert get_incident(room, later).contacts_erased_at is None
    service._erased_at -= room.settings.erase_interval_minutes * 60
    service._erase()
    assert get_incident(room, later).contacts_erased_at is not None


def test_the_command_line_erases_once(room, settings, tmp_path, tangerang_point):
    incident_id = reported(room, tangerang_point)
    closed(room, incident_id)
    drain(room)
    cli = AppProcess.beside(settings, tmp_path).cli
    first = cli("erase-contacts", "--older-than-days", "0")
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == (f"erased the reporters' contacts of 1 incident(s): "
                                    f"{incident_id}")
    assert cli("erase-contacts").stdout.strip().endswith("of 0 incident(s)")  # (90 days)
    drain(room)
    again = cli("erase-contacts", "--older-than-days", "0")
    assert again.stdout.strip() == "erased the reporters' contacts of 0 incident(s)"
    assert len(tombstones(room, incident_id)) == 1
