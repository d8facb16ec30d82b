"""UI text from translation catalogs (`locales/<lang>.json`); Bahasa Indonesia first."""

from __future__ import annotations

from datetime import datetime, tzinfo
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


def format_datetime(moment: datetime, zone: tzinfo, lang: str = DEFAULT_LANGUAGE) -> str:
    """`23 Nov 2026 14:05 WIB`: local time in the city's zone, month named in `lang`."""
    local = moment.astimezone(zone)
    month = translate("date.months", lang).split(",")[local.month - 1]
    return f"{local.day} {month} {local.year} {local:%H:%M} {local.tzname()}"


def with_language(search: str | None, lang: str) -> str:
    """The same query string (a screen's filters) in another language."""
    from urllib.parse import parse_qsl, urlencode

    pairs = [(k, v) for k, v in parse_qsl((search or "").lstrip("?")) if k != "lang"]
    return "?" + urlencode([*pairs, ("lang", lang)])


def language_from_query(search: str | None) -> str:
    """`?lang=en` -> "en"; anything else -> the default language."""
    from urllib.parse import parse_qs

    requested = parse_qs((search or "").lstrip("?")).get("lang", [DEFAULT_LANGUAGE])[0]
    return requested if requested in LANGUAGES else DEFAULT_LANGUAGE


def refusal(exc: Exception, lang: str = DEFAULT_LANGUAGE) -> str:
    """A refused command said in `lang`: `refusal.<code>` from the catalog with the error's
    values (statuses and actions named in `lang` too), else its own (English) message."""
    code, params = getattr(exc, "code", ""), dict(getattr(exc, "params", {}))
    text = catalog(lang if lang in LANGUAGES else DEFAULT_LANGUAGE).get(f"refusal.{code}")
    if not text:
        return str(exc)
    for name in ("status", "target"):
        if name in params:
            params[name] = translate(f"status.{params[name]}", lang)
    if "action" in params:
        params["action"] = translate(f"action.{params['action']}", lang)
    try:
        return text.format(**params)
    except (KeyError, IndexError):
        return str(exc)
