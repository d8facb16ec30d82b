"""A benchmarked process's CPU: pin it to some cores (`taskset`), read the CPU time it used
(`/proc/<pid>/stat`), and sample where it went (`py-spy record`, summarised by function)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def pin(pid: int, cpus: int) -> None:
    """Every thread of `pid` on the first `cpus` cores (as `taskset -a -c`)."""
    subprocess.run(["taskset", "-a", "-cp", f"0-{cpus - 1}", str(pid)], check=True,
                   capture_output=True)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time `pid` used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


@contextmanager
def sampled(pid: int, out: Path):
    """`py-spy record` on `pid` while the block runs (collapsed stacks into `out`)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    process = subprocess.Popen([spy, "record", "--pid", str(pid), "--format", "raw",
                                "--rate", "100", "--nonblocking", "--output", str(out)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(60)


#: where this repository's code is, as py-spy names files (relative to sys.path)
OURS = ("liveroom/", "callbacks/", "layouts/", "app.py")


def ours(frame: str) -> str | None:
    """`function (file)` for a frame of this repository's code, else None."""
    function, _, where = frame.rpartition(" (")
    path = where.rsplit(":", 1)[0]
    return f"{function} ({path})" if path.startswith(OURS) else None


def _stacks(collapsed: Path):
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if count.isdigit():
            yield stack.split(";"), int(count)


def hottest(collapsed: Path, limit: int = 15) -> list[tuple[str, float]]:
    """This repository's functions with the largest share of the samples, each counted once
    per stack it is on (inclusive time)."""
    totals: Counter[str] = Counter()
    samples = 0
    for frames, count in _stacks(collapsed):
        samples += count
        for frame in {name for name in map(ours, frames) if name}:
            totals[frame] += count
    return [(frame, n / samples) for frame, n in totals.most_common(limit)] if samples else []


def leaves(collapsed: Path, limit: int = 10) -> list[tuple[str, float]]:
    """Any code's functions where the samples were taken (self time), largest share first."""
    totals: Counter[str] = Counter()
    samples = 0
    for frames, count in _stacks(collapsed):
        samples += count
        totals[frames[-1].rsplit(":", 1)[0] + ")"] += count
    return [(frame, n / samples) for frame, n in totals.most_common(limit)] if samples else []


def print_profile(collapsed: Path) -> None:
    """Our hottest functions (inclusive) and anyone's (self), as shares of the samples."""
    for title, frames in (("ours, inclusive", hottest(collapsed)),
                          ("anyone's, self", leaves(collapsed))):
        if frames:
            print(f"app samples ({title}):")
        for frame, share in frames:
            print(f"  {share:6.1%}  {frame}")


@contextmanager
def browser_sampled(driver, found: list):
    """The page's JavaScript sampled while the block runs (Chromium's profiler, through
    the DevTools protocol); `found` gets the profile."""
    driver.execute_cdp_cmd("Profiler.enable", {})
    driver.execute_cdp_cmd("Profiler.setSamplingInterval", {"interval": 500})  # µs
    driver.execute_cdp_cmd("Profiler.start", {})
    try:
        yield
    finally:
        found.append(driver.execute_cdp_cmd("Profiler.stop", {})["profile"])


def print_browser_profile(profile: dict, limit: int = 15) -> None:
    """Where the page's main thread went: busy and idle shares, and the functions with the
    most self time (as shares of the whole run)."""
    nodes = {node["id"]: node for node in profile["nodes"]}
    totals: Counter[str] = Counter()
    for node_id, delta in zip(profile["samples"], profile["timeDeltas"], strict=True):
        frame = nodes[node_id]["callFrame"]
        where = frame["url"].rsplit("/", 1)[-1].split("?")[0]
        totals[f"{frame['functionName'] or '(anonymous)'} ({where}:{frame['lineNumber']})"
               if where else frame["functionName"]] += delta
    whole = sum(totals.values()) or 1
    idle = totals.pop("(idle)", 0)
    print(f"browser main thread: busy {1 - idle / whole:.0%} of {whole / 1e6:.1f} s "
          f"(JavaScript, garbage collection and what the profiler calls program)")
    for frame, micros in totals.most_common(limit):
        print(f"  {micros / whole:6.1%}  {frame}")
