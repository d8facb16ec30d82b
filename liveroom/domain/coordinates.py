"""A point as people share it: typed or pasted decimal degrees (`-6.17,106.64`), a `geo:`
URI (RFC 5870, and Android's `geo:0,0?q=lat,lon`), or a maps link (`@lat,lon`, `q=`,
`query=`, `ll=`, OpenStreetMap's `mlat`/`mlon` and `#map=zoom/lat/lon`). Pure."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit

#: longer than any link a maps app shares: refused unread
MAX_TEXT = 2000
_NUMBER = r"[-+]?\d{1,3}(?:\.\d+)?"
_PAIR = re.compile(rf"^\s*({_NUMBER})\s*[,; ]\s*({_NUMBER})\s*$")
_AT = re.compile(rf"@({_NUMBER}),({_NUMBER})")
_MAP_FRAGMENT = re.compile(rf"map=\d+(?:\.\d+)?/({_NUMBER})/({_NUMBER})")
_QUERY_KEYS = ("q", "query", "ll", "center", "daddr", "destination")


def shared_location(text: str) -> tuple[float, float] | None:
    """(lat, lon) in `text`, or None when it holds no point this understands."""
    if not text or len(text) > MAX_TEXT:
        return None
    text = unquote(text.strip())
    if text.lower().startswith("geo:"):
        return _geo_uri(text[4:])
    return _point(_PAIR.match(text)) or _link(text)


def _point(match: re.Match | None) -> tuple[float, float] | None:
    if match is None:
        return None
    lat, lon = float(match.group(1)), float(match.group(2))
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat, lon) == (0, 0):
        return None
    return lat, lon


def _geo_uri(rest: str) -> tuple[float, float] | None:
    """`geo:lat,lon[,alt][;u=…]`, or Android's `geo:0,0?q=lat,lon(label)`."""
    path, _, query = rest.partition("?")
    asked = parse_qs(query).get("q", [""])[0].split("(")[0]
    return _point(_PAIR.match(asked)) or _point(
        _PAIR.match(",".join(path.split(";")[0].split(",")[:2])))


def _link(text: str) -> tuple[float, float] | None:
    """A maps link: its `@lat,lon`, a query parameter holding a pair, OpenStreetMap's."""
    try:
        url = urlsplit(text)
    except ValueError:
        return None
    if url.scheme not in ("http", "https") or not url.netloc:
        return None
    query = parse_qs(url.query)
    for key in _QUERY_KEYS:
        for value in query.get(key, ()):
            found = _point(_PAIR.match(value))
            if found:
                return found
    if "mlat" in query and "mlon" in query:
        found = _point(_PAIR.match(f"{query['mlat'][0]},{query['mlon'][0]}"))
        if found:
            return found
    return _point(_AT.search(url.path)) or _point(_MAP_FRAGMENT.search(url.fragment))
