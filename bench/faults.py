"""Faults injected into a flood of citizens' reports and trackers' fixes against the real
app; per scenario: what was acknowledged, what is there afterwards (in the live model or
the event stream, and in the archive once caught up), what was lost or doubled, and how
many seconds until the room worked again.

    .venv/bin/python bench/faults.py [--scenario NAME ...] [--list]

Each scenario runs on servers of its own on spare ports (never the machine's shared Redis
or PostgreSQL) and removes them afterwards. The flood and its audit are `bench.flood`;
deployments (redis-server, a sentinel set, the app, `liveroom work`, a proxy that cuts a
screen's network) are `bench.rig`. A new scenario is one function:

    @scenario("kill-something", "what it does, in a line")
    def kill_something(args) -> list[Outcome | str]:
        with deployment(own_redis) as rig:
            def inject(flood: Flood, notes: list[str]) -> float:
                started = time.monotonic()
                ...  # the fault (and what a supervisor does after it)
                return flood.recovered(flood.probe(), started)  # seconds to recover
            return [flooded(rig, "kill-something", args, inject)]

"Recovered" is, unless a scenario says otherwise, the seconds from the fault until a report
sent right after it is acknowledged and shown in both the live model and the archive.
"""

from __future__ import annotations

import argparse
import math
import signal
import statistics
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Coroutine
from contextlib import suppress
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench.rig
from bench.flood import Flood, Latency, Tally, audit, caught_up
from bench.rig import (
    CutProxy,
    Deployment,
    cluster_redis,
    deployment,
    own_redis,
    primary_port,
    sentinel_redis,
)
from bench.ws_screen import WsScreen, keep_connected, sign_in
from liveroom.access import SYSTEM
from liveroom.archive import schema
from liveroom.commands.accounts import add_user
from liveroom.domain.events import INCIDENTS
from liveroom.projections.runner import all_projections
from liveroom.room import LiveRoom
from tests.faults.servers import postgres, wait_for


@dataclass
class Outcome:
    """One scenario run: its tallies, seconds to recover, and what else was seen."""

    label: str
    tallies: list[Tally]
    recovered: float
    notes: list[str] = field(default_factory=list)


Scenario = Callable[[argparse.Namespace], list["Outcome | str"]]
SCENARIOS: dict[str, tuple[str, Scenario]] = {}


def scenario(name: str, what: str) -> Callable[[Scenario], Scenario]:
    """Register a scenario under `name` (`--scenario NAME`)."""
    def register(function: Scenario) -> Scenario:
        SCENARIOS[name] = (what, function)
        return function
    return register


def flooded(rig: Deployment, label: str, args: argparse.Namespace,
            inject: Callable[[Flood, list[str]], float],
            watch: Callable[[Flood], Coroutine] | None = None,
            more: Callable[[Flood, list[str]], list[Tally]] | None = None) -> Outcome:
    """Flood `rig` for `args.before` s, `inject` the fault (it returns the seconds to
    recover and may add notes), flood `args.after` s more, stop, let the projections
    catch up, and audit. `watch(flood)` runs in the flood's loop from its start (a
    screen); `more` adds tallies of its own after the audit."""
    running = Flood(rig, label, args.reports_per_second, args.fixes_per_second,
                    args.clients, args.devices).start()
    if watch is not None:
        running.spawn(watch(running))
    notes: list[str] = []
    time.sleep(args.before)
    print(f"  {label}: fault at {time.monotonic() - running.started:.1f} s", flush=True)
    recovered = inject(running, notes)
    print(f"  {label}: recovered in {recovered:.1f} s", flush=True)
    time.sleep(args.after)
    running.stop()
    if not caught_up(rig):
        notes.append("the projections had not caught up 180 s after the flood")
    for kind, sent in (("reports", running.reports + running.probes),
                       ("fixes", running.fixes)):
        answers = sum((s.answers for s in sent), Counter())
        if answers:
            notes.append(f"{kind}' failed attempts: " + ", ".join(
                f"{n} x {answer}" for answer, n in answers.most_common()))
        refused = Counter(s.refused for s in sent if s.refused)
        if refused:
            notes.append(f"{kind} refused: " + ", ".join(
                f"{n} x {answer}" for answer, n in refused.most_common()))
    tallies = audit(rig, running) + (more(running, notes) if more else [])
    return Outcome(label, tallies, recovered, notes)


# --- the scenarios -----------------------------------------------------------------------

@scenario("kill-app", "kill -9 the app mid-flood and start it again (its own redis-server, "
                      "append-only; projections in the app)")
def kill_app(args: argparse.Namespace) -> list[Outcome | str]:
    with deployment(own_redis) as rig:
        def inject(flood: Flood, notes: list[str]) -> float:
            started = time.monotonic()
            rig.app.stop(signal.SIGKILL)
            probe = flood.probe()
            rig.app.start(60)
            notes.append(f"the app answered /healthz again after "
                         f"{time.monotonic() - started:.1f} s")
            return flood.recovered(probe, started)
        return [flooded(rig, "kill-app", args, inject)]


@scenario("kill-worker", "kill -9 a `liveroom work` process mid-batch (the app with "
                         "LIVEROOM_PROJECTIONS=off, 2 work processes, 3 s leases)")
def kill_worker(args: argparse.Namespace) -> list[Outcome | str]:
    with deployment(own_redis, workers=2, LIVEROOM_LEASE_SECONDS="3") as rig:
        def inject(flood: Flood, notes: list[str]) -> float:
            redis, keys = rig.room.redis, rig.room.keys
            readers = [p for p in all_projections(rig.room) if p.stream == INCIDENTS]
            holders = {p.name: str(redis.get(keys.lease(p.name))) for p in readers}
            pids = {name: int(holder.split("-")[-2]) for name, holder in holders.items()}
            victim = next(w for w in rig.workers if w.pid in pids.values())
            pending, deadline = 0, time.monotonic() + 20
            while not pending and time.monotonic() < deadline:  # mid-batch: read, not acked
                pending = sum(g["pending"] for g in redis.xinfo_groups(keys.stream(INCIDENTS))
                              if pids.get(g["name"]) == victim.pid)
            started = time.monotonic()
            victim.kill()
            victim.wait()
            held = sorted(name for name, pid in pids.items() if pid == victim.pid)
            notes.append(f"killed holding {', '.join(held)} with {pending} entries read and "
                         f"not yet acknowledged")
            return flood.recovered(flood.probe(), started)
        return [flooded(rig, "kill-worker", args, inject)]


@scenario("kill-primary", "kill -9 the Redis primary under Sentinel: with "
                          "LIVEROOM_REDIS_MIN_REPLICAS=1 and two replicas, with it and one "
                          "replica, without it; the killed server is started again (empty) "
                          "once the sentinels promoted a replica, and rejoins as one")
def kill_primary(args: argparse.Namespace) -> list[Outcome | str]:
    outcomes: list[Outcome | str] = []
    for replicas, min_replicas in ((2, "1"), (1, "1"), (1, "0")):
        with deployment(partial(sentinel_redis, replicas=replicas),
                        LIVEROOM_REDIS_MIN_REPLICAS=min_replicas) as rig:
            def inject(flood: Flood, notes: list[str], rig: Deployment = rig) -> float:
                started = time.monotonic()
                rig.redis.kill("primary")
                probe = flood.probe()
                wait_for(lambda: primary_port(rig.redis) != rig.redis.ports["primary"], 60)
                promoted = time.monotonic() - started
                rig.redis.restart("primary")  # (a supervisor's restart)
                try:
                    wait_for(lambda: rig.redis.client("primary").info("replication").get(
                        "master_link_status") == "up", 120)
                    rejoined = f"after {time.monotonic() - started:.1f} s"
                except TimeoutError:
                    rejoined = "not within 120 s"
                notes.append(f"a replica promoted after {promoted:.1f} s; the old primary "
                             f"a replica again {rejoined}")
                return flood.recovered(probe, started)
            label = f"kill-primary, {replicas} replica(s), MIN_REPLICAS={min_replicas}"
            outcomes.append(flooded(rig, label, args, inject))
    return outcomes


@scenario("kill-cluster-primary", "kill -9 the Redis Cluster primary holding the city's slot "
                                  "(3 primaries, a replica each), without and with "
                                  "LIVEROOM_REDIS_MIN_REPLICAS=1; the killed node is started "
                                  "again once its replica took over, and rejoins as one")
def kill_cluster_primary(args: argparse.Namespace) -> list[Outcome | str]:
    outcomes: list[Outcome | str] = []
    for min_replicas in ("0", "1"):
        with deployment(cluster_redis, LIVEROOM_REDIS_MIN_REPLICAS=min_replicas) as rig:
            def inject(flood: Flood, notes: list[str], rig: Deployment = rig) -> float:
                room = rig.room
                port = room.redis.get_node_from_key(room.keys.config_version).port
                victim = next(name for name, p in rig.redis.ports.items() if p == port)
                heir = next(name for name in rig.redis.procs if name != victim and
                            rig.redis.client(name).info("replication").get("master_port")
                            == port)
                started = time.monotonic()
                rig.redis.kill(victim)
                probe = flood.probe()
                wait_for(lambda: rig.redis.client(heir).info("replication")["role"] ==
                         "master", 60)
                promoted = time.monotonic() - started
                rig.redis.restart(victim)  # (a supervisor's restart)
                try:
                    wait_for(lambda: rig.redis.client(victim).info("replication").get(
                        "master_link_status") == "up", 120)
                    rejoined = f"after {time.monotonic() - started:.1f} s"
                except TimeoutError:
                    rejoined = "not within 120 s"
                notes.append(f"slot {room.redis.keyslot(room.keys.config_version)}: its "
                             f"replica promoted after {promoted:.1f} s; the killed primary a "
                             f"replica again {rejoined}")
                return flood.recovered(probe, started)
            label = f"kill-cluster-primary, MIN_REPLICAS={min_replicas}"
            outcomes.append(flooded(rig, label, args, inject))
    return outcomes


@scenario("pg-stop", "the archive on a PostgreSQL of its own: `pg_ctl -m immediate stop` "
                     "mid-flood, down 20 s (--pg-down-seconds), started again; recovered: "
                     "from the restart until the archive has every report acknowledged")
def pg_stop(args: argparse.Namespace) -> list[Outcome | str]:
    with postgres() as pg, deployment(own_redis, database_url=pg.url) as rig:
        def inject(flood: Flood, notes: list[str]) -> float:
            stopped = time.monotonic()
            pg.stop("immediate")
            time.sleep(args.pg_down_seconds)
            restarted = time.monotonic()
            pg.start()
            up = time.monotonic()
            for kind, sent in (("reports", flood.reports + flood.probes),
                               ("fixes", flood.fixes)):
                during = sum(stopped <= (s.acked_at or 0) < up for s in sent)
                notes.append(f"{during} {kind} acknowledged while PostgreSQL was down "
                             f"({up - stopped:.1f} s, `pg_ctl start` {up - restarted:.1f} s)")
            wanted = {s.incident_id for s in flood.reports + flood.probes
                      if s.incident_id and s.acked_at and s.acked_at < up}
            while time.monotonic() - up < 180:
                with suppress(SQLAlchemyError):
                    if archived(rig.room, wanted) == len(wanted):
                        return time.monotonic() - restarted
                time.sleep(0.2)
            return math.nan
        return [flooded(rig, "pg-stop", args, inject)]


def archived(room: LiveRoom, incident_ids: set[str]) -> int:
    """How many of `incident_ids` the archive has."""
    with room.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(schema.incidents).where(
            schema.incidents.c.id.in_(incident_ids))).scalar_one()

@scenario("screen-cut", "a wall screen's network cut for 30 s (a proxy between it and the "
                        "app closes its socket and refuses it meanwhile), then back")
def screen_cut(args: argparse.Namespace) -> list[Outcome | str]:
    with deployment(own_redis) as rig, CutProxy(rig.app.port) as proxy:
        add_user(rig.room, "layar", PASSWORD, roles=["operator"], by=SYSTEM)
        screen = WsScreen(proxy.url, {})
        reconnects: list[int] = []

        async def watch(flood: Flood) -> None:
            screen.cookies = await sign_in(proxy.url, "layar", PASSWORD)
            reconnects.append(await keep_connected(screen, lambda: still_wanted(flood)))

        def still_wanted(flood: Flood) -> bool:
            """Until the flood stops, and then until the screen has every report
            acknowledged (a minute at most)."""
            if not flood.stopped:
                return True
            settled = all(s.acked_at or s.refused for s in flood.reports)
            acked = {s.incident_id for s in flood.reports if s.incident_id}
            return time.monotonic() - flood.stopped < 60 and not (
                settled and acked <= screen.first_seen.keys())

        def inject(flood: Flood, notes: list[str]) -> float:
            proxy.cut(args.cut_seconds)
            time.sleep(args.cut_seconds)
            back = time.monotonic()
            wanted = {s.incident_id for s in flood.reports if s.acked_at and s.acked_at < back}
            while time.monotonic() - back < 120 and not wanted <= screen.first_seen.keys():
                time.sleep(0.1)
            notes.append("recovered: from the end of the cut until the screen showed every "
                         "report acknowledged before it")
            return time.monotonic() - back if wanted <= screen.first_seen.keys() else math.nan

        def shown(flood: Flood, notes: list[str]) -> list[Tally]:
            acked = {s.incident_id for s in flood.reports if s.incident_id}
            notes.append(f"the screen reconnected {reconnects[0] if reconnects else '?'} "
                         f"time(s) and was sent everything again {screen.resets - 1} time(s) "
                         f"after its first load (0: it resumed from its last version)")
            seen = screen.first_seen.keys()
            return [Tally("screen", len(acked), len(acked), 0, len(acked & seen), -1,
                          len(acked - seen), 0, 0)]

        return [flooded(rig, "screen-cut", args, inject, watch=watch, more=shown)]


PASSWORD = "kata-sandi-bangku"


@scenario("replication-cost", "Open311 POSTs as fast as 1 client, then 8, go on a sentinel "
                              "set, with and without LIVEROOM_REDIS_MIN_REPLICAS=1 "
                              "(alternating, same servers)")
def replication_cost(args: argparse.Namespace) -> list[Outcome | str]:
    measured: dict[tuple[int, str], list[Latency]] = {}
    with deployment(sentinel_redis) as rig:
        for replicas in ("0", "1") * args.cost_rounds:
            rig.app.stop()
            rig.app.env["LIVEROOM_REDIS_MIN_REPLICAS"] = replicas
            rig.app.start(60)
            for clients in sorted({1, args.clients}):
                runs = measured.setdefault((clients, replicas), [])
                flood = Flood(rig, f"cost-{replicas}-{clients}-{len(runs)}", 0, 0, clients,
                              0).start()
                time.sleep(args.cost_seconds)
                flood.stop()
                runs.append(flood.latency())
    lines = []
    for (clients, replicas), runs in sorted(measured.items()):
        lines.append(f"{clients} client(s), MIN_REPLICAS={replicas}: " + "; ".join(
            f"p50 {r.p50_ms:.1f} ms, p95 {r.p95_ms:.1f} ms, {r.per_second:.0f} reports/s"
            for r in runs))
    for clients in sorted({1, args.clients}):
        (p50_0, p95_0, rate_0), (p50_1, p95_1, rate_1) = (
            [statistics.mean(getattr(r, f) for r in measured[clients, replicas])
             for f in ("p50_ms", "p95_ms", "per_second")] for replicas in ("0", "1"))
        lines.append(f"MIN_REPLICAS=1 / 0, {clients} client(s) ({args.cost_rounds} x "
                     f"{args.cost_seconds:.0f} s each): latency p50 {p50_1 / p50_0:.2f}x, "
                     f"p95 {p95_1 / p95_0:.2f}x, throughput {rate_1 / rate_0:.2f}x")
    return lines


# --- running and printing ----------------------------------------------------------------

def table(outcomes: list[Outcome]) -> list[str]:
    head = (f"{'scenario':42} {'kind':8} {'sent':>6} {'acked':>6} {'refused':>7} "
            f"{'present':>7} {'archive':>7} {'lost':>5} {'doubled':>7} {'recovered':>9}")
    lines = [head]
    for outcome in outcomes:
        for n, t in enumerate(outcome.tallies):
            recovered = f"{outcome.recovered:.1f} s" if n == 0 else ""
            archive = "-" if t.archive < 0 else str(t.archive)
            lines.append(f"{outcome.label if n == 0 else '':42} {t.kind:8} {t.sent:>6} "
                         f"{t.acked:>6} {t.refused:>7} {t.live:>7} {archive:>7} {t.lost:>5} "
                         f"{t.doubled:>7} {recovered:>9}")
            if t.unanswered:
                lines.append(f"{'':42}   ({t.unanswered} {t.kind} neither acknowledged nor "
                             f"refused when their clients gave up)")
        lines += [f"{'':42}   {note}" for note in outcome.notes]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", nargs="*", default=[], help="default: all")
    parser.add_argument("--list", action="store_true", help="name the scenarios and stop")
    parser.add_argument("--reports-per-second", type=float, default=20)
    parser.add_argument("--fixes-per-second", type=float, default=100)
    parser.add_argument("--clients", type=int, default=8, help="concurrent report clients")
    parser.add_argument("--devices", type=int, default=20, help="trackers sending fixes")
    parser.add_argument("--before", type=float, default=20, help="seconds before the fault")
    parser.add_argument("--after", type=float, default=30,
                        help="seconds of flood after recovering")
    parser.add_argument("--cut-seconds", type=float, default=30)
    parser.add_argument("--pg-down-seconds", type=float, default=20)
    parser.add_argument("--cost-seconds", type=float, default=20)
    parser.add_argument("--cost-rounds", type=int, default=2)
    parser.add_argument("--keep", action="store_true",
                        help="keep each deployment's directory (logs, data)")
    args = parser.parse_args()
    bench.rig.KEEP = args.keep
    if args.list:
        for name, (what, _) in SCENARIOS.items():
            print(f"{name:20} {what}")
        return
    unknown = set(args.scenario) - SCENARIOS.keys()
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    outcomes: list[Outcome] = []
    lines: list[str] = []
    for name in args.scenario or SCENARIOS:
        print(f"# {name}: {SCENARIOS[name][0]}", flush=True)
        try:
            found = SCENARIOS[name][1](args)
        except Exception as exc:  # (one scenario's failure is news; the others still run)
            traceback.print_exc()
            found = [f"{name} failed: {exc!r}"]
        for each in found:
            (lines if isinstance(each, str) else outcomes).append(each)
    print(f"\n# {args.reports_per_second:g} reports/s from {args.clients} clients, "
          f"{args.fixes_per_second:g} fixes/s from {args.devices} trackers; fault after "
          f"{args.before:g} s, {args.after:g} s more after recovering; archive on sqlite "
          f"(pg-stop's on PostgreSQL)")
    print("\n".join(table(outcomes) + lines))


if __name__ == "__main__":
    main()
