"""Inbound chat messages handled per second on one app process: signed WhatsApp text
messages through the real route (`POST /hooks/whatsapp`: signature, decode, once-only
marker, per-sender limit, the conversation's state, a reply into the outbox), against a
bare route in the same process that only reads the body, in the same run.

    .venv/bin/python bench/inbound.py [--messages 3000] [--clients 8] [--senders 200]

Starts the app (`app.create_app`, projections off) under uvicorn in a child process on a
fresh data dir and namespace (LIVEROOM_REDIS_URL / LIVEROOM_DATABASE_URL when set).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from liveroom.archive import migrate
from liveroom.config import Settings
from liveroom.notify.outbox import outbox_stream
from liveroom.room import LiveRoom
from liveroom.streams import delete_matching
from tests.app_process import free_port

SECRET = "bench-app-secret"
BARE = "/hooks/bench-bare"  # (under /hooks: the same middleware as the real route)


def serve(port: int) -> None:
    """The child: the real app, plus the bare route, under uvicorn."""
    import uvicorn
    from fastapi import Request
    from fastapi.responses import PlainTextResponse
    from starlette.routing import Route

    from app import create_app

    server = create_app(LiveRoom.open(Settings())).server

    async def bare(request: Request) -> PlainTextResponse:
        await request.body()
        return PlainTextResponse("ok")

    server.router.routes.insert(0, Route(BARE, bare, methods=["POST"]))
    uvicorn.run(server, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def message(n: int, senders: int) -> bytes:
    sender = f"62812{n % senders:08d}"
    return orjson.dumps({"object": "whatsapp_business_account", "entry": [{
        "id": "102290129340398", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881",
                         "phone_number_id": "106540352242922"},
            "contacts": [{"profile": {"name": "Warga"}, "wa_id": sender}],
            "messages": [{"from": sender, "id": f"wamid.bench.{n}", "timestamp": "1749416383",
                          "type": "text", "text": {"body": "halo"}}]}}]}]})


async def post_all(url: str, bodies: list[bytes], clients: int) -> tuple[float, list[int]]:
    """(seconds, statuses) for POSTing every body, `clients` at a time."""
    queue: asyncio.Queue = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    statuses: list[int] = []

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            body = queue.get_nowait()
            signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            answer = await client.post(url, content=body, headers={
                "Content-Type": "application/json", "X-Hub-Signature-256": signature})
            statuses.append(answer.status_code)

    async with httpx.AsyncClient(timeout=30) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(clients)))
        return time.perf_counter() - started, statuses


def wait_until_up(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise TimeoutError("the app did not start")


def run(args: argparse.Namespace) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="liveroom-bench-"))
    database_url = os.environ.get("LIVEROOM_DATABASE_URL")
    settings = Settings(data_dir=data_dir, database_url=database_url, projections=False,
                        redis_namespace="{bench-" + uuid.uuid4().hex[:8] + "}")
    room = LiveRoom.open(settings)
    migrate(room.engine)
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("LIVEROOM_")},
           "LIVEROOM_DATA_DIR": str(data_dir), "LIVEROOM_REDIS_NAMESPACE": settings.namespace,
           "LIVEROOM_REDIS_URL": os.environ.get("LIVEROOM_REDIS_URL") or
           f"unix://{room.redis.connection_pool.connection_kwargs['path']}",
           "LIVEROOM_DATABASE_URL": database_url or settings.sqlalchemy_url,
           "LIVEROOM_PROJECTIONS": "off", "LIVEROOM_SIMULATOR": "off", "LIVEROOM_ENV": "test",
           "LIVEROOM_WHATSAPP_APP_SECRET": SECRET,
           "LIVEROOM_INBOUND_PER_SENDER_PER_MINUTE": str(10**9)}
    process = subprocess.Popen([sys.executable, __file__, "--serve", str(port)], env=env,
                               cwd=Path(__file__).resolve().parent.parent)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process)
        bodies = [message(n, args.senders) for n in range(args.messages)]
        asyncio.run(post_all(url + BARE, bodies[:200], args.clients))  # (warm up)
        bare_s, bare = asyncio.run(post_all(url + BARE, bodies, args.clients))
        hook_s, hooked = asyncio.run(post_all(url + "/hooks/whatsapp", bodies, args.clients))
        replies = room.redis.xlen(outbox_stream(room))
    finally:
        process.terminate()
        process.wait(30)
        delete_matching(room.redis, room.keys.pattern("*"))
        room.close()
    print(f"# {args.messages} signed WhatsApp text messages from {args.senders} senders, "
          f"{args.clients} concurrent clients, one app process; "
          f"redis {'external' if os.environ.get('LIVEROOM_REDIS_URL') else 'embedded'}")
    print(f"handled {hooked.count(200)}/{len(hooked)}, replies queued {replies}; "
          f"bare {bare.count(200)}/{len(bare)}")
    print(f"{'bare route, body read (requests/s)':44} {len(bare) / bare_s:>10,.0f} "
          f"{1:>8.2f}x")
    print(f"{'POST /hooks/whatsapp (messages/s)':44} {len(hooked) / hook_s:>10,.0f} "
          f"{(len(hooked) / hook_s) / (len(bare) / bare_s):>8.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--senders", type=int, default=200)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
    else:
        run(args)


if __name__ == "__main__":
    main()
