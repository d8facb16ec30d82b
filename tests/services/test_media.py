"""Photos an attacker makes expensive to decode are refused from their header; the rest are
decoded reduced, a few at a time."""

from __future__ import annotations

import io
import threading

import pytest
from PIL import Image

from liveroom.commands import media
from liveroom.commands.media import PhotoRefused, photo_path, store_photo


def image(width: int, height: int, fmt: str) -> bytes:
    data = io.BytesIO()
    Image.new("RGB", (width, height), "#556b2f").save(data, fmt)
    return data.getvalue()


def test_a_small_file_of_a_huge_image_is_refused_before_it_is_decoded(room):
    bomb = image(16_383, 3_000, "WEBP")  # the outside test's: 88 KB, 1.2 GB decoded
    assert len(bomb) < 200_000
    with pytest.raises(PhotoRefused) as refused:
        store_photo(room, bomb)
    assert refused.value.reason == "pixels"


@pytest.mark.parametrize(("fmt", "size"), [("JPEG", (6000, 4000)), ("PNG", (6000, 4000)),
                                           ("WEBP", (3450, 2300))])
def test_the_largest_photo_of_each_format_is_kept_at_1600_px(room, fmt, size):
    url = store_photo(room, image(*size, fmt))
    with Image.open(photo_path(room, url.removeprefix(media.URL_PREFIX))) as kept:
        assert kept.size == (1600, 1067) and kept.format == "JPEG"
    with pytest.raises(PhotoRefused, match="too many pixels"):
        store_photo(room, image(size[0] + 60, size[1] + 40, fmt))


def test_no_more_than_a_few_photos_are_decoded_at_once(room, monkeypatch):
    decoding, most, lock = 0, 0, threading.Lock()
    real = media._decoded

    def counted(data):
        nonlocal decoding, most
        with lock:
            decoding += 1
            most = max(most, decoding)
        try:
            return real(data)
        finally:
            with lock:
                decoding -= 1

    monkeypatch.setattr(media, "_decoded", counted)
    photo = image(4000, 3000, "PNG")
    threads = [threading.Thread(target=store_photo, args=(room, photo)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == media.DECODES_AT_ONCE
    assert len(list(room.settings.photos_dir.glob("*.jpg"))) == 8
