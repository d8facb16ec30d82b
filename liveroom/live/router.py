"""Travel times over the road network from an OSRM server's `table` service, where a city
runs one (`LIVEROOM_OSRM_URL`). Optional: on any error or a slow answer the caller keeps
the learned estimate (`live.eta`)."""

from __future__ import annotations

import logging

import httpx

log = logging.getLogger(__name__)

#: an estimate on a wall screen must not wait for a slow router
TIMEOUT_SECONDS = 1.0


def road_minutes(table_url: str, origins: list[tuple[float, float]],
                 destination: tuple[float, float]) -> list[float | None] | None:
    """Minutes from each (lat, lon) of `origins` to `destination` by road (None where the
    router found no route), or None when the router could not be asked or answered
    badly. `table_url` is the service up to its profile: `http://host:5000/table/v1/driving`.
    """
    if not origins:
        return []
    points = [destination, *origins]
    coordinates = ";".join(f"{lon:.6f},{lat:.6f}" for lat, lon in points)
    params = {"sources": ";".join(str(n) for n in range(1, len(points))),
              "destinations": "0", "annotations": "duration"}
    try:
        reply = httpx.get(f"{table_url.rstrip('/')}/{coordinates}", params=params,
                          timeout=TIMEOUT_SECONDS)
        reply.raise_for_status()
        body = reply.json()
        if body.get("code") != "Ok":
            raise ValueError(f"code {body.get('code')!r}")
        durations = body["durations"]
        if len(durations) != len(origins):
            raise ValueError("durations do not match the sources")
        return [None if row[0] is None else round(float(row[0]) / 60, 1) for row in durations]
    except (httpx.HTTPError, ValueError, KeyError, TypeError, IndexError) as exc:
        log.warning("road router unavailable (%s); using learned speeds", exc)
        return None
