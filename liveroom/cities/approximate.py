"""Generate a pack's approximate `districts.geojson` and `posts.geojson`.

Inputs live in `<slug>/approximate.json`: a hand-drawn city outline, one hand-placed
centroid per kecamatan and one point + radius per post. Districts are the Voronoi
cells of the centroids clipped to the outline; posts get a circular geofence.
Output is deterministic (coordinates rounded to 5 decimals, ~1 m).

    python -m liveroom.cities.approximate <slug> [--root DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any, Literal

import numpy as np
import shapely
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from shapely.geometry import MultiPoint, MultiPolygon, Point, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry

ROOT = Path(__file__).resolve().parent
PRECISION = 5
CIRCLE_VERTICES = 32
METRES_PER_DEGREE = 111_320.0


class GeneratorError(ValueError):
    """The approximate inputs are inconsistent; the message says which item."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DistrictSeed(_Strict):
    code: str
    name: str
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class PostSeed(_Strict):
    id: str
    name: str
    agency: str
    kind: Literal["office", "post"]
    district: str
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    radius_m: float = Field(ge=50, le=500)


class Inputs(_Strict):
    about: str = ""
    outline: dict[str, Any]
    districts: list[DistrictSeed] = Field(min_length=1)
    posts: list[PostSeed] = []


def _rounded(geom: BaseGeometry) -> BaseGeometry:
    """Round to PRECISION decimals; canonical vertex order, exterior rings counter-clockwise."""
    geom = shapely.transform(geom, lambda xy: np.round(xy, PRECISION))
    return shapely.orient_polygons(shapely.normalize(geom))


def _polygonal(geom: BaseGeometry) -> Polygon | MultiPolygon:
    parts = [p for p in shapely.get_parts(geom) if isinstance(p, Polygon) and not p.is_empty]
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def district_geometries(inputs: Inputs) -> list[Polygon | MultiPolygon]:
    """Voronoi cells of the district centroids clipped to the outline, in input order."""
    outline = shape(inputs.outline)
    points = [Point(d.lon, d.lat) for d in inputs.districts]
    for seed, point in zip(inputs.districts, points, strict=True):
        if not outline.contains(point):
            raise GeneratorError(f"district {seed.code} {seed.name}: centroid outside the outline")
    region = outline.envelope.buffer(1.0)
    cells = shapely.voronoi_polygons(MultiPoint(points), extend_to=region).geoms
    result = []
    for seed, point in zip(inputs.districts, points, strict=True):
        cell = next(c for c in cells if c.contains(point))
        geom = _rounded(_polygonal(cell.intersection(outline)))
        if not geom.is_valid or not geom.contains(point):
            raise GeneratorError(f"district {seed.code} {seed.name}: bad polygon after rounding")
        result.append(geom)
    return result


def circle(lat: float, lon: float, radius_m: float) -> Polygon:
    """A geofence: a regular polygon approximating a circle of `radius_m` metres."""
    dlat = radius_m / METRES_PER_DEGREE
    dlon = dlat / math.cos(math.radians(lat))
    angles = [2 * math.pi * k / CIRCLE_VERTICES for k in range(CIRCLE_VERTICES)]
    ring = [(lon + dlon * math.cos(a), lat + dlat * math.sin(a)) for a in angles]
    return _rounded(Polygon(ring))


def _feature(properties: dict[str, Any], geom: BaseGeometry) -> dict[str, Any]:
    geometry = json.loads(json.dumps(mapping(geom)))  # tuples -> lists
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def generate(inputs: Inputs) -> dict[str, list[dict[str, Any]]]:
    """Features for `districts.geojson` and `posts.geojson`."""
    geoms = district_geometries(inputs)
    by_code = {d.code: g for d, g in zip(inputs.districts, geoms, strict=True)}
    outline = shape(inputs.outline)
    districts = [
        _feature({"code": d.code, "name": d.name, "approximate": True}, g)
        for d, g in zip(inputs.districts, geoms, strict=True)
    ]
    posts = []
    for p in inputs.posts:
        fence = circle(p.lat, p.lon, p.radius_m)
        if p.district not in by_code or not by_code[p.district].contains(Point(p.lon, p.lat)):
            raise GeneratorError(f"post {p.id}: not inside district {p.district}")
        if not outline.contains(fence):
            raise GeneratorError(f"post {p.id}: geofence leaves the city outline")
        props = {
            "id": p.id,
            "name": p.name,
            "agency": p.agency,
            "kind": p.kind,
            "district": p.district,
            "approximate": True,
        }
        posts.append(_feature(props, fence))
    return {"districts.geojson": districts, "posts.geojson": posts}


def dumps(features: list[dict[str, Any]]) -> str:
    """A FeatureCollection with one feature per line (diff-friendly)."""
    lines = ",\n".join(json.dumps(f, ensure_ascii=False) for f in features)
    return '{"type": "FeatureCollection", "features": [\n' + lines + "\n]}\n"


def load_inputs(path: Path) -> Inputs:
    try:
        return Inputs.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValidationError) as exc:
        raise GeneratorError(f"{path}: {exc}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m liveroom.cities.approximate")
    parser.add_argument("slug", help="city pack folder name, e.g. tangerang")
    parser.add_argument("--root", type=Path, default=ROOT, help="folder holding the packs")
    parser.add_argument("--out", type=Path, help="output folder (default: the pack folder)")
    args = parser.parse_args(argv)
    pack = args.root / args.slug
    out = args.out or pack
    try:
        outputs = generate(load_inputs(pack / "approximate.json"))
    except GeneratorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    for name, features in outputs.items():
        (out / name).write_text(dumps(features), encoding="utf-8")
        print(f"wrote {out / name} ({len(features)} features)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
