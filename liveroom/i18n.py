"""UI text from translation catalogs (`locales/<lang>.json`); Bahasa Indonesia first."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import orjson

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"
LOCALES = Path(__file__).parent / "locales"


@cache
def catalog(lang: str) -> dict[str, str]:
    return orjson.loads((LOCALES / f"{lang}.json").read_bytes())


def translate(key: str, lang: str = DEFAULT_LANGUAGE, **values: object) -> str:
    """The text for `key` in `lang`, falling back to Indonesian, then to the key itself."""
    lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    text = catalog(lang).get(key) or catalog(DEFAULT_LANGUAGE).get(key) or key
    return text.format(**values) if values else text


def language_from_query(search: str | None) -> str:
    """`?lang=en` -> "en"; anything else -> the default language."""
    from urllib.parse import parse_qs

    requested = parse_qs((search or "").lstrip("?")).get("lang", [DEFAULT_LANGUAGE])[0]
    return requested if requested in LANGUAGES else DEFAULT_LANGUAGE
