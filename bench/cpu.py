"""A benchmarked process's CPU: pin it to some cores (`taskset`), read the CPU time it used
(`/proc/<pid>/stat`), and sample where it went (`py-spy record`, summarised by function)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
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
    spy = shutil.which("py-spy") or str(Path(os.sys.executable).with_name("py-spy"))
    process = subprocess.Popen([spy, "record", "--pid", str(pid), "--format", "raw",
                                "--rate", "200", "--output", str(out)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(60)


ROOT = str(Path(__file__).resolve().parent.parent)


def ours(frame: str) -> str | None:
    """`function (file)` for a frame of this repository's code (not its .venv), else None."""
    function, _, where = frame.rpartition(" (")
    path = where.rsplit(":", 1)[0]
    if not path.startswith(ROOT) or "/.venv/" in path:
        return None
    return f"{function} ({path[len(ROOT) + 1:]})"


def hottest(collapsed: Path, limit: int = 15) -> list[tuple[str, float]]:
    """This repository's functions with the largest share of the samples, each counted once
    per stack it is on (inclusive time)."""
    totals: Counter[str] = Counter()
    samples = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        samples += int(count)
        for frame in {name for name in map(ours, stack.split(";")) if name}:
            totals[frame] += int(count)
    return [(frame, n / samples) for frame, n in totals.most_common(limit)] if samples else []
