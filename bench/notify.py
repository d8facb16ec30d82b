"""From a status change to the provider: how long a citizen waits to be told.

    .venv/bin/python bench/notify.py [--incidents 200] [--per-second 20]

The deployed shape (`bench.app`: the app, and `liveroom work` running the policies and the
sender) with Telegram pointed at the test stand-in (`tests/notify/providers.py`). Reports
`--incidents` incidents from a Telegram chat and waits for their "received" messages, then
rejects them, `--per-second` a second (under Telegram's own limit), and measures each from
the command being issued to the stand-in receiving that incident's message: the notification
policy reading the incidents stream, the outbox, the sender and the HTTP call. The baseline,
in the same run on the same Redis: a raw XADD read back by a blocked XREAD in another thread.
Uses `LIVEROOM_REDIS_URL` / `LIVEROOM_DATABASE_URL` when set, else the embedded defaults.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.app import bench_app, projections_worker, run_on_a_fresh_archive
from liveroom.access import SYSTEM
from liveroom.commands.incidents import change_status, report_incident
from liveroom.demo.seed import random_point
from tests.notify.providers import Providers

TOKEN = "123456:bench"


def percentiles(delays: list[float]) -> str:
    ms = sorted(d * 1000 for d in delays)
    q = statistics.quantiles(ms, n=100)
    return f"p50 {q[49]:.1f} ms · p95 {q[94]:.1f} ms · max {ms[-1]:.1f} ms (n={len(ms)})"


def baseline(room, rounds: int) -> list[float]:
    """XADD on one connection, read back by a blocked XREAD on another."""
    key, got, delays = room.keys.stream("bench-baseline"), threading.Event(), []
    pool = room.redis.connection_pool
    other = redis.Redis(connection_pool=redis.ConnectionPool(
        connection_class=pool.connection_class, **pool.connection_kwargs))
    arrived: list[float] = []

    def read() -> None:
        last = "$"
        while len(arrived) < rounds:
            reply = other.xread({key: last}, block=2000)
            for _, entries in reply or []:
                for entry_id, _ in entries:
                    arrived.append(time.monotonic())
                    last = entry_id
                    got.set()

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    time.sleep(0.2)
    for n in range(rounds):
        got.clear()
        sent = time.monotonic()
        room.redis.xadd(key, {"n": n})
        got.wait(5)
        delays.append(arrived[-1] - sent)
        time.sleep(0.005)
    thread.join(5)
    room.redis.delete(key)
    other.close()
    return delays


def wait_for(stand_in: Providers, count: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while len(stand_in.sends()) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(stand_in.sends())} of {count} messages arrived")
        time.sleep(0.01)


def run(args, database_url: str | None) -> None:
    with Providers() as stand_in, bench_app(
            database_url, LIVEROOM_PROJECTIONS="off", LIVEROOM_TELEGRAM_BOT_TOKEN=TOKEN,
            LIVEROOM_TELEGRAM_API_URL=stand_in.url, LIVEROOM_DUPLICATE_RADIUS_M="0",
            LIVEROOM_NOTIFY_PER_SECOND=f'{{"telegram": {args.telegram_rate}}}',
    ) as (room, app), projections_worker(app):
        rng = random.Random(7)
        ids = [report_incident(room, category="sampah-menumpuk", lat=lat, lon=lon,
                               source="telegram", by=SYSTEM,
                               reporter={"telegram": str(100000 + n)}).id
               for n, (lat, lon) in enumerate(random_point(room.city, rng)
                                              for _ in range(args.incidents))]
        wait_for(stand_in, len(ids))
        time.sleep(2)  # (the sender's bucket full again after the "received" backlog)
        issued: dict[str, float] = {}
        for incident_id in ids:
            issued[incident_id] = time.monotonic()
            change_status(room, incident_id, "rejected", by=SYSTEM, reason="uji kecepatan")
            time.sleep(1 / args.per_second)
        wait_for(stand_in, 2 * len(ids))
        arrived = {next(i for i in ids if i in r.json()["text"]): r.at
                   for r in stand_in.sends()[len(ids):]}
        delays = [arrived[i] - issued[i] for i in ids]
        print(f"status change -> provider received ({args.incidents} incidents, "
              f"{args.per_second}/s, sender limit {args.telegram_rate}/s): "
              f"{percentiles(delays)}")
        print(f"baseline XADD -> XREAD on the same Redis: {percentiles(baseline(room, 200))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=200)
    parser.add_argument("--per-second", type=float, default=20.0)
    parser.add_argument("--telegram-rate", type=float, default=25.0,
                        help="the sender's limit for Telegram (LIVEROOM_NOTIFY_PER_SECOND)")
    run_on_a_fresh_archive(run, parser.parse_args())


if __name__ == "__main__":
    main()
