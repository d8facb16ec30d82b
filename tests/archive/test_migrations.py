"""The archive schema: migrations from scratch, workers starting at the same time, and the
rollups a migration empties filled again at the next start."""

from __future__ import annotations

import json
import os
import threading
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from alembic.script import ScriptDirectory
from sqlalchemy import insert, inspect, select, text

from liveroom.archive import alembic_config, migrate, rollups, schema, temporary_schema
from tests.conftest import archive_engine


def fresh_database(tmp_path):
    external = os.environ.get("LIVEROOM_DATABASE_URL")
    return temporary_schema(external) if external else nullcontext(f"sqlite:///{tmp_path}/a.db")


def test_workers_migrating_at_once_build_one_schema(tmp_path):
    with fresh_database(tmp_path) as url:
        engines = [archive_engine(url) for _ in range(3)]
        errors: list[BaseException] = []

        def start_worker(engine) -> None:
            try:
                migrate(engine)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=start_worker, args=(e,)) for e in engines]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert not any(thread.is_alive() for thread in threads), "migrations blocked each other"
        assert errors == []
        with engines[0].connect() as conn:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            head = ScriptDirectory.from_config(alembic_config(conn)).get_current_head()
            tables = set(inspect(conn).get_table_names())
        assert version == head
        assert {table.name for table in schema.metadata.sorted_tables} <= tables
        for engine in engines:
            engine.dispose()


def test_rollups_made_before_reports_were_counted_count_them_after_the_next_start(tmp_path):
    """0011 empties the rollups; a start fills them again, reports included."""
    zone = ZoneInfo("Asia/Jakarta")
    reported = datetime.now(UTC) - timedelta(days=3)
    day = reported.astimezone(zone).date()
    with fresh_database(tmp_path) as url:
        engine = archive_engine(url)
        migrate(engine, "0010")
        with engine.begin() as conn:
            conn.execute(insert(schema.incidents).values(
                id="1", category="banjir", agency="bpbd", district="36.71.01",
                status="received", lat=-6.17, lon=106.63, source="t", reported_at=reported,
                updated_at=reported, reporters=3))
            conn.execute(insert(schema.incident_days).values(  # rolled up before 0011
                day=day, agency="bpbd", district="36.71.01", category="banjir", source="t",
                reported=1, acknowledge_on_time=0, acknowledge_counted=0, resolve_on_time=0,
                resolve_counted=0))
        migrate(engine)
        rollups.fill_if_empty(engine, zone)  # (what every start does after migrating)
        with engine.connect() as conn:
            days = schema.incident_days
            rows = conn.execute(select(days.c.day, days.c.reported, days.c.reports)).all()
        engine.dispose()
    assert [tuple(row) for row in rows] == [(day, 1, 3)]


def test_0012_flags_the_incidents_the_log_says_were_flagged_and_replaces_assignments(
        tmp_path):
    """0012: incidents.flagged_at from each incident's first `flag` in the event log; tasks
    and units in place of assignments (filled by a rebuild)."""
    at = datetime.now(UTC) - timedelta(days=3)

    def escalated(n: int, action: str, minutes: int) -> dict:
        data = {"incident_id": "1", "rule": f"r{n}", "action": action, "deadline": "resolve"}
        return {"stream": "incidents", "id": f"{n}-0", "ms": n, "seq": 0,
                "type": "incident.escalated", "v": 1, "aggregate_id": "1",
                "occurred_at": at + timedelta(minutes=minutes), "data": json.dumps(data)}

    with fresh_database(tmp_path) as url:
        engine = archive_engine(url)
        migrate(engine, "0011")
        with engine.begin() as conn:
            for incident_id in ("1", "2"):
                conn.execute(text(
                    "INSERT INTO incidents (id, category, status, lat, lon, description, "
                    "source, reported_at, updated_at, reporters) VALUES (:id, 'banjir', "
                    "'received', -6.17, 106.63, '', 't', :at, :at, 1)"),
                    {"id": incident_id, "at": at})
            conn.execute(insert(schema.events), [
                escalated(1, "alert_supervisors", 10), escalated(2, "flag", 20),
                escalated(3, "flag", 30)])
        migrate(engine)
        with engine.connect() as conn:
            flagged = dict(conn.execute(select(schema.incidents.c.id,
                                               schema.incidents.c.flagged_at)).all())
            tables = set(inspect(conn).get_table_names())
        engine.dispose()
    assert flagged == {"1": at + timedelta(minutes=20), "2": None}
    assert {"tasks", "units"} <= tables and "assignments" not in tables
