"""Writable copies of the shipped packs, to break or change one file in a test."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

PROJECT = Path(__file__).resolve().parents[2]
PACKS = PROJECT / "liveroom" / "cities"


def copy_pack(tmp_path: Path, slug: str = "tangerang") -> Path:
    """A writable copy of a shipped pack under tmp_path; returns the pack folder."""
    return Path(shutil.copytree(PACKS / slug, tmp_path / slug))


def edit_yaml(path: Path, change: Callable[[Any], None]) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
