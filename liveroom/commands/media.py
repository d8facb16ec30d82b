"""Citizens' photos: checked, re-encoded and kept under the media dir.

An upload is accepted only if Pillow decodes it as a JPEG, PNG or WebP image
within the size limits. It is stored re-encoded as JPEG (turned upright,
longest side at most 1600 px, no EXIF: no camera serial or home coordinates
leak), under a random name, so what is served back is always a plain image.

Decoding is what an attacker can make expensive (a small file of a huge image), so the
pixels are counted from the header before anything is decoded, a JPEG is decoded already
reduced, at most DECODES_AT_ONCE photos are decoded at a time, whatever channel they came
by, and the memory is handed back to the system after each.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import io
import secrets
import threading
import warnings
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from liveroom.domain.errors import InvalidCommand
from liveroom.room import LiveRoom

#: the formats taken, and the most pixels of each: 6000 x 4000 (what a phone's camera
#: saves) but for WebP, whose decoder needs 4 times the memory (16 bytes a pixel): about
#: 130 MB at most to decode any of them (measured; `bench/photos.py`)
MAX_PIXELS = {"JPEG": 24_000_000, "PNG": 24_000_000, "WEBP": 8_000_000}
ACCEPTED_FORMATS = set(MAX_PIXELS)
DECODES_AT_ONCE = 2
LONGEST_SIDE = 1600
URL_PREFIX = "/media/"
_NAME_LENGTH = 22  # token_urlsafe(16)
_decoding = threading.BoundedSemaphore(DECODES_AT_ONCE)


class PhotoRefused(InvalidCommand):
    """The upload is not a photo we accept; `reason` is one of empty, too_large, format,
    pixels, unreadable (pages translate it)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def store_photo(room: LiveRoom, data: bytes) -> str:
    """Check and store a photo; returns the URL it is served at."""
    if not data:
        raise PhotoRefused("empty", "the photo is empty")
    limit = room.settings.photo_max_bytes
    if len(data) > limit:
        raise PhotoRefused("too_large", f"the photo is larger than {limit // 1_000_000} MB")
    with _decoding:
        try:
            upright = _decoded(data)
        finally:
            _give_back_memory()
    folder = room.settings.photos_dir
    folder.mkdir(parents=True, exist_ok=True)
    name = secrets.token_urlsafe(16) + ".jpg"
    partial = folder / (name + ".part")
    upright.save(partial, "JPEG", quality=82, optimize=True)
    partial.replace(folder / name)  # readers never see half a file
    return URL_PREFIX + name


def _decoded(data: bytes) -> Image.Image:
    """The photo upright, RGB, its longest side at most LONGEST_SIDE."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in ACCEPTED_FORMATS:
                    raise PhotoRefused("format", "the photo must be a JPEG, PNG or WebP image")
                if image.width * image.height > MAX_PIXELS[image.format]:  # (its header)
                    raise PhotoRefused("pixels", "the photo has too many pixels")
                image.draft("RGB", (LONGEST_SIDE, LONGEST_SIDE))  # JPEG: decoded at 1/2..1/8
                image.thumbnail((LONGEST_SIDE, LONGEST_SIDE))  # the full size is let go
                return ImageOps.exif_transpose(image).convert("RGB")
    except (UnidentifiedImageError, Image.DecompressionBombError,
            Image.DecompressionBombWarning, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, PhotoRefused):
            raise
        raise PhotoRefused("unreadable", "the file is not a readable image") from None


def _give_back_memory() -> None:
    """Return freed heap to the system (glibc keeps it otherwise: a decoded photo's
    hundred megabytes stayed in the process)."""
    with contextlib.suppress(OSError, AttributeError):
        _libc().malloc_trim(0)


@functools.cache
def _libc():
    return ctypes.CDLL("libc.so.6")


def photo_path(room: LiveRoom, name: str) -> Path | None:
    """The stored file for a served name, or None (never a path outside the media dir)."""
    stem, dot, ext = name.partition(".")
    if not (len(stem) == _NAME_LENGTH and dot and ext == "jpg"
            and all(c.isalnum() or c in "-_" for c in stem)):
        return None
    path = room.settings.photos_dir / name
    return path if path.is_file() else None


def discard_photo(room: LiveRoom, url: str | None) -> None:
    """Remove a photo stored for a report that was then refused."""
    if url and url.startswith(URL_PREFIX) and (path := photo_path(room, url[len(URL_PREFIX):])):
        path.unlink(missing_ok=True)
