"""The app's memory under hostile photo uploads: peak RSS of the real app while N citizens
post at once, through `/lapor`, the largest photo of a format it accepts (a few KB, a plain
colour), against a baseline measured in the same run: a process that decodes the same N
photos at once the naive way (`Image.open(...).convert("RGB")` in threads).

    .venv/bin/python bench/photos.py [--uploads 20] [--format WEBP|PNG|JPEG]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psutil
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.app import bench_app
from liveroom.commands.media import MAX_PIXELS

NAIVE = """
import io, sys, threading
from PIL import Image
data = sys.stdin.buffer.read()
def decode():
    Image.open(io.BytesIO(data)).convert("RGB").thumbnail((1600, 1600))
threads = [threading.Thread(target=decode) for _ in range(int(sys.argv[1]))]
[t.start() for t in threads]; [t.join() for t in threads]
"""


def hostile_photo(fmt: str) -> bytes:
    side = int((MAX_PIXELS[fmt] * 1.5) ** 0.5)  # 3:2, just within the limit
    data = io.BytesIO()
    Image.new("RGB", (side, int(MAX_PIXELS[fmt] / side) - 1), "#556b2f").save(data, fmt)
    return data.getvalue()


class PeakRss:
    """The largest resident size of a process (and its children), sampled every 20 ms."""

    def __init__(self, pid: int) -> None:
        self.process, self.peak, self._stop = psutil.Process(pid), 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                rss = sum(p.memory_info().rss for p in [self.process,
                                                        *self.process.children(True)])
            except psutil.Error:
                rss = 0
            self.peak = max(self.peak, rss)
            time.sleep(0.02)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        self._thread.join()


def naive_peak(photo: bytes, uploads: int) -> int:
    child = subprocess.Popen([sys.executable, "-c", NAIVE, str(uploads)], stdin=subprocess.PIPE)
    with PeakRss(child.pid) as rss:
        child.communicate(photo)
    return rss.peak


async def upload_all(url: str, photo: bytes, uploads: int, category: str) -> list[int]:
    async def one(client: httpx.AsyncClient) -> int:
        page = await client.get(f"{url}/lapor")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        response = await client.post(f"{url}/lapor", data={
            "csrf": csrf, "category": category, "lat": "-6.1781", "lon": "106.6300",
            "description": "Foto uji"}, files={"photo": ("foto", photo, "image/*")})
        return response.status_code

    clients = [httpx.AsyncClient(timeout=120) for _ in range(uploads)]
    try:
        return await asyncio.gather(*(one(c) for c in clients))
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=20)
    parser.add_argument("--format", default="WEBP", choices=sorted(MAX_PIXELS))
    args = parser.parse_args()
    photo = hostile_photo(args.format)
    with bench_app(None, LIVEROOM_WEB_REPORTS_PER_HOUR="100000") as (room, app):
        category = next(c.code for c in room.city.categories.values() if not c.attributes)
        process = psutil.Process(app.process.pid)
        idle = process.memory_info().rss
        with PeakRss(app.process.pid) as rss:
            statuses = asyncio.run(upload_all(app.url, photo, args.uploads, category))
        settled = process.memory_info().rss
    naive = naive_peak(photo, args.uploads)
    mb = 1 / 1e6
    print(f"{args.uploads} uploads at once of a {len(photo) // 1000} KB {args.format} of "
          f"{MAX_PIXELS[args.format] / 1e6:.0f} MP: answers {sorted(set(statuses))}")
    print(f"app RSS: idle {idle * mb:.0f} MB, peak {rss.peak * mb:.0f} MB, after "
          f"{settled * mb:.0f} MB")
    print(f"naive decode of the same uploads: peak {naive * mb:.0f} MB -> ours uses "
          f"{rss.peak / naive:.2f}x of it")


if __name__ == "__main__":
    main()
