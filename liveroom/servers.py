"""Serve the app and the OsmAnd listener from one process (what `liveroom run` does), and
start the simulator beside them when it is on."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import subprocess
import sys
from collections.abc import Iterator

import uvicorn

from liveroom.config import Settings

log = logging.getLogger("liveroom.run")
#: the largest websocket message taken (a phone's 300 queued fixes are about 100 KB);
#: uvicorn's own default is 16 MB
WS_MAX_BYTES = 1_000_000


class _Companion(uvicorn.Server):
    """A second server in the same loop: the main one handles Ctrl-C for both."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(settings: Settings, app, osmand_app) -> None:
    main = uvicorn.Server(uvicorn.Config(app, host=settings.host, port=settings.port,
                                         log_level="info", ws_max_size=WS_MAX_BYTES,
                                         ws_per_message_deflate=settings.ws_compression))
    companion = None
    if settings.osmand_port:
        companion = _Companion(uvicorn.Config(osmand_app, host=settings.host,
                                              port=settings.osmand_port, log_level="warning",
                                              access_log=False, lifespan="off"))
    tasks = [asyncio.create_task(main.serve())]
    if companion:
        tasks.append(asyncio.create_task(_serve_companion(companion, settings.osmand_port)))
    simulator = None
    try:
        while not main.started and not tasks[0].done():
            await asyncio.sleep(0.05)
        if settings.simulator and main.started:
            simulator = start_simulator(settings)
        await tasks[0]
    finally:
        if companion:
            companion.should_exit = True
            await asyncio.gather(*tasks[1:], return_exceptions=True)
        if simulator:
            simulator.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                simulator.wait(10)


async def _serve_companion(server: uvicorn.Server, port: int) -> None:
    """The OsmAnd listener; if it cannot start (its port is taken), the control room stays
    up and says so: trackers can still send to `/osmand` on the main port."""
    try:
        await server.serve()
    except (SystemExit, OSError) as exc:
        log.error("the OsmAnd listener did not start on port %s (%s); trackers can use "
                  "/osmand on the main port", port, exc)


def start_simulator(settings: Settings) -> subprocess.Popen:
    url = f"http://{settings.host}:{settings.port}"
    osmand = f"http://{settings.host}:{settings.osmand_port}" if settings.osmand_port else (
        url + "/osmand")
    log.info("simulator on (LIVEROOM_SIMULATOR=off turns it off)")
    return subprocess.Popen([sys.executable, "-m", "liveroom", "simulate", "--url", url,
                             "--osmand-url", osmand, "--parent-pid", str(os.getpid())])
