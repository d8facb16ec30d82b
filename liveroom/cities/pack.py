"""City packs: one city's validated configuration, read from `liveroom/cities/<slug>/`.

A pack is `city.yaml`, `agencies.yaml`, `categories.yaml`, `districts.geojson` and
`posts.geojson`. Any problem raises CityPackError naming the file and the field.
Public methods take (lat, lon); GeoJSON stores [lon, lat].
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import shapely
import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from shapely.geometry import MultiPolygon, Point, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

PACKS_ROOT = Path(__file__).resolve().parent
SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"
Slug = Annotated[str, Field(pattern=SLUG)]
Text = Annotated[str, Field(min_length=1)]


class CityPackError(ValueError):
    """A city pack is missing, malformed or inconsistent; the message names file and field."""


def _geometry(value: Any) -> BaseGeometry:
    """A valid, non-empty shapely geometry from a GeoJSON Polygon/MultiPolygon object."""
    if isinstance(value, BaseGeometry):
        return value
    if not isinstance(value, dict) or value.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValueError("expected a GeoJSON Polygon or MultiPolygon object")
    if extra := set(value) - {"type", "coordinates", "bbox"}:
        raise ValueError(f"unexpected GeoJSON member(s) {sorted(extra)}")
    try:
        geom = shape(value)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        raise ValueError(f"malformed coordinates ({exc})") from None
    if geom.is_empty:
        raise ValueError("empty geometry")
    if not geom.is_valid:
        raise ValueError(f"invalid geometry ({explain_validity(geom)})")
    west, south, east, north = geom.bounds
    if west < -180 or east > 180 or south < -90 or north > 90:
        raise ValueError("coordinates out of range (GeoJSON order is [lon, lat])")
    shapely.prepare(geom)
    return geom


Polygonal = Annotated[Polygon | MultiPolygon, BeforeValidator(_geometry)]
PolygonOnly = Annotated[Polygon, BeforeValidator(_geometry)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class LocalizedText(_Model):
    """Text in Indonesian (`id`, the default) and English (`en`)."""

    id: Text
    en: Text

    def get(self, lang: str) -> str:
        """The text in `lang` ("id", "en", "en-GB", ...), falling back to Indonesian."""
        return self.en if lang.split("-")[0].lower() == "en" else self.id


class Agency(_Model):
    """A responding agency (dinas); `key` is its stable identifier."""

    key: Slug
    name: LocalizedText
    short: LocalizedText | None = None  # for a wall screen's strip: "Dishub", "Damkar"
    colour: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")

    def label(self, lang: str) -> str:
        """The short name where there is one."""
        return (self.short or self.name).get(lang)


Answer = str | list[str]
LISTS = ("singlevaluelist", "multivaluelist")


class Attribute(_Model):
    """An extra question a category asks of the reporter (an Open311 service attribute)."""

    code: Slug
    datatype: Literal["string", "number", "datetime", "text", "singlevaluelist",
                      "multivaluelist"]
    description: LocalizedText
    required: bool = False
    values: dict[Slug, LocalizedText] = Field(default_factory=dict, validate_default=True)

    @field_validator("values")
    @classmethod
    def _values_for_lists(cls, value: dict, info: ValidationInfo) -> dict:
        is_list = info.data.get("datatype") in LISTS
        if is_list and not value:
            raise ValueError("a list attribute needs values")
        if value and not is_list:
            raise ValueError("only singlevaluelist and multivaluelist take values")
        return value

    def check(self, answer: Answer | None) -> Answer | None:
        """The answer cleaned, or ValueError saying what is wrong with it."""
        if isinstance(answer, str):
            answer = answer.strip()
        if not answer:
            if self.required:
                raise ValueError(f"attribute {self.code} is required")
            return None
        if self.datatype == "multivaluelist":
            answers = [answer] if isinstance(answer, str) else answer
        elif isinstance(answer, list):
            raise ValueError(f"attribute {self.code} takes one value")
        else:
            answers = [answer]
        if self.datatype in LISTS:
            unknown = [a for a in answers if a not in self.values]
            if unknown:
                raise ValueError(f"attribute {self.code}: {unknown[0]!r} is not one of "
                                 f"{', '.join(self.values)}")
            return answers if self.datatype == "multivaluelist" else answers[0]
        text = answers[0]
        if self.datatype == "number":
            try:
                float(text)
            except ValueError:
                raise ValueError(f"attribute {self.code} must be a number") from None
        if self.datatype == "datetime":
            try:
                datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                raise ValueError(f"attribute {self.code} must be an ISO 8601 date-time") from None
        if len(text) > (4000 if self.datatype == "text" else 500):
            raise ValueError(f"attribute {self.code} is too long")
        return text


def _unique_codes(value: tuple[Attribute, ...]) -> tuple[Attribute, ...]:
    codes = [a.code for a in value]
    if len(set(codes)) != len(codes):
        raise ValueError("attribute codes must be unique")
    return value


Attributes = Annotated[tuple[Attribute, ...], AfterValidator(_unique_codes)]


class Category(_Model):
    """A report category; `code` is the Open311 service_code. Priority 1 is highest."""

    code: Slug
    name: LocalizedText
    description: LocalizedText
    agency: Slug
    priority: int = Field(ge=1, le=4)
    sla_acknowledge_minutes: int = Field(gt=0)
    sla_resolve_minutes: int = Field(gt=0)
    attributes: Attributes = ()
    icon: Slug = "alert-triangle"  # a Tabler icon's name (assets/vendor/tabler-icons)

    def check_answers(self, answers: dict[str, Answer]) -> dict[str, Answer]:
        """The answers to this category's attributes, cleaned; ValueError on the first
        unknown, missing or malformed one."""
        known = {a.code for a in self.attributes}
        unknown = sorted(set(answers) - known)
        if unknown:
            raise ValueError(f"category {self.code} has no attribute {unknown[0]!r}")
        cleaned = {a.code: a.check(answers.get(a.code)) for a in self.attributes}
        return {code: value for code, value in cleaned.items() if value is not None}

    def describe_answers(self, answers: dict[str, Answer], lang: str) -> list[tuple[str, str]]:
        """(question, answer) in `lang`, in the pack's order, for the answers given."""
        shown = []
        for attribute in self.attributes:
            value = answers.get(attribute.code)
            if value is None:
                continue
            values = value if isinstance(value, list) else [value]
            names = [attribute.values[v].get(lang) if v in attribute.values else v
                     for v in values]
            shown.append((attribute.description.get(lang), ", ".join(names)))
        return shown


class District(_Model):
    """A kecamatan with its Kemendagri code (e.g. 36.71.01) and boundary."""

    code: str = Field(pattern=r"^\d{2}\.\d{2}\.\d{2}$")
    name: Text
    approximate: bool = False
    geometry: Polygonal


class Shift(_Model):
    """A working shift in local time; one that ends at or before its start ends the next
    day (a night shift). Arriving later than `grace_minutes` after the start is late."""

    code: Slug
    name: LocalizedText
    start: time
    end: time
    grace_minutes: int = Field(15, ge=0, le=240)

    def window(self, day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The shift's start and end on `day` (the local date it starts), as aware times."""
        start = datetime.combine(day, self.start, zone)
        end_day = day if self.end > self.start else day + timedelta(days=1)
        return start, datetime.combine(end_day, self.end, zone)

    def instance_at(self, moment: datetime, zone: ZoneInfo,
                    early_minutes: int = 60) -> tuple[date, datetime, datetime] | None:
        """(day, start, end) of the shift whose window — from `early_minutes` before its
        start to its end — holds `moment`, or None."""
        local_day = moment.astimezone(zone).date()
        for day in (local_day, local_day - timedelta(days=1), local_day + timedelta(days=1)):
            start, end = self.window(day, zone)
            if start - timedelta(minutes=early_minutes) <= moment < end:
                return day, start, end
        return None


class Post(_Model):
    """An office or field post of an agency, with its geofence polygon."""

    id: Slug
    name: Text
    agency: Slug
    kind: Literal["office", "post"]
    district: str
    approximate: bool = False
    geometry: PolygonOnly

    def contains(self, lat: float, lon: float) -> bool:
        """Whether (lat, lon) is inside the geofence."""
        return bool(shapely.intersects_xy(self.geometry, lon, lat))

    @property
    def centre(self) -> tuple[float, float]:
        """(lat, lon) of the geofence centroid."""
        c = self.geometry.centroid
        return (c.y, c.x)


def _feature(fid: str, properties: dict[str, Any], geom: BaseGeometry) -> dict[str, Any]:
    geometry = json.loads(json.dumps(mapping(geom)))  # tuples -> lists
    return {"type": "Feature", "id": fid, "properties": properties, "geometry": geometry}


class Performance(_Model):
    """How an officer's 0–100 performance score is weighed (shares summing to 1): the
    allowance rules are the city's, so the formula is configuration."""

    attendance: float = Field(0.3, ge=0, le=1)
    punctuality: float = Field(0.2, ge=0, le=1)
    acknowledge_sla: float = Field(0.2, ge=0, le=1)
    resolve_sla: float = Field(0.3, ge=0, le=1)

    @model_validator(mode="after")
    def _sums_to_one(self) -> Performance:
        total = sum(self.weights.values())
        if abs(total - 1) > 1e-6:
            raise ValueError(f"performance weights must add up to 1, not {total:g}")
        return self

    @property
    def weights(self) -> dict[str, float]:
        return {"attendance": self.attendance, "punctuality": self.punctuality,
                "acknowledge_sla": self.acknowledge_sla, "resolve_sla": self.resolve_sla}


class City(_Model):
    """A loaded city pack; see `load_city`."""

    slug: Slug
    name: Text
    code: str
    jurisdiction_id: Text
    timezone: ZoneInfo
    centre: tuple[float, float]
    default_zoom: int
    tile_url: str | None = None
    tile_attribution: str = ""  # the tile server's required credit, shown under the map
    agencies: dict[str, Agency]
    categories: dict[str, Category]
    districts: dict[str, District]
    posts: dict[str, Post]
    shifts: dict[str, Shift]
    default_shift: str
    performance: Performance = Performance()
    _order: list[District] = PrivateAttr()
    _tree: shapely.STRtree = PrivateAttr()
    _outline: BaseGeometry = PrivateAttr()

    def model_post_init(self, context: Any, /) -> None:
        self._order = list(self.districts.values())
        geoms = [d.geometry for d in self._order]
        self._tree = shapely.STRtree(geoms)
        self._outline = shapely.union_all(geoms)
        shapely.prepare(self._outline)

    @property
    def outline(self) -> BaseGeometry:
        """The union of the district polygons."""
        return self._outline

    @property
    def bounds(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """((south, west), (north, east))."""
        west, south, east, north = self._outline.bounds
        return ((south, west), (north, east))

    def district_at(self, lat: float, lon: float) -> District | None:
        """The kecamatan containing (lat, lon), or None outside the city."""
        for i in sorted(self._tree.query(Point(lon, lat))):
            district = self._order[i]
            if shapely.intersects_xy(district.geometry, lon, lat):
                return district
        return None

    def district_named_in(self, text: str) -> District | None:
        """The one kecamatan an address names ("Jl. Merdeka, Kec. Cipondoh"), or None when it
        names none or several. The city's own name is not read as a kecamatan."""
        words = f" {re.sub(r'[^a-z0-9]+', ' ', text.lower())} "
        words = words.replace(f" {re.sub(r'[^a-z0-9]+', ' ', self.name.lower()).strip()} ", " ")
        found: list[District] = []
        for district in sorted(self._order, key=lambda d: -len(d.name)):
            name = f" {re.sub(r'[^a-z0-9]+', ' ', district.name.lower()).strip()} "
            if name in words:
                found.append(district)
                words = words.replace(name, " ")
        return found[0] if len(found) == 1 else None

    def contains(self, lat: float, lon: float) -> bool:
        """Whether (lat, lon) is inside the city."""
        return self.district_at(lat, lon) is not None

    def districts_geojson(self) -> dict[str, Any]:
        """The districts as a GeoJSON FeatureCollection (e.g. for an offline basemap)."""
        features = [
            _feature(d.code, d.model_dump(exclude={"geometry"}), d.geometry) for d in self._order
        ]
        return {"type": "FeatureCollection", "features": features}

    def posts_geojson(self) -> dict[str, Any]:
        """The posts' geofences as a GeoJSON FeatureCollection."""
        posts = self.posts.values()
        features = [_feature(p.id, p.model_dump(exclude={"geometry"}), p.geometry) for p in posts]
        return {"type": "FeatureCollection", "features": features}


# --- file schemas -------------------------------------------------------------------------


# --- rules a city keeps, whether it comes from its files or from an admin's change ----

def sla_problem(acknowledge_minutes: int, resolve_minutes: int) -> str | None:
    """Resolving may not be due before acknowledging."""
    if resolve_minutes < acknowledge_minutes:
        return "resolving cannot be due before acknowledging"
    return None


def colour_problem(key: str, colour: str, agencies: Mapping[str, Agency]) -> str | None:
    """No two agencies share a colour: the map tells their crews apart by it."""
    other = next((k for k, a in agencies.items()
                  if k != key and a.colour.lower() == colour.lower()), None)
    return f"same colour as {other!r}" if other else None


class _ShiftEntry(_Model):
    name: LocalizedText
    start: time
    end: time
    grace_minutes: int = Field(15, ge=0, le=240)


class _LatLon(_Model):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


def check_tile_url(value: str | None) -> str | None:
    """A tile URL template must place the tile: {z}, {x} and {y}."""
    if value and not all(p in value for p in ("{z}", "{x}", "{y}")):
        raise ValueError("must contain {z}, {x} and {y}")
    return value or None


class _CityFile(_Model):
    slug: Slug
    name: Text
    code: str = Field(pattern=r"^\d{2}\.\d{2}$")
    jurisdiction_id: Text
    timezone: str
    centre: _LatLon
    default_zoom: int = Field(ge=1, le=20)
    tile_url: str | None = None
    tile_attribution: str = ""
    shifts: dict[Slug, _ShiftEntry] = Field(min_length=1)
    default_shift: Slug
    performance: Performance = Performance()

    @field_validator("default_shift")
    @classmethod
    def _known_shift(cls, value: str, info: ValidationInfo) -> str:
        if value not in info.data.get("shifts", {}):
            raise ValueError(f"unknown shift {value!r}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("tile_url")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        return check_tile_url(value)


class _AgencyEntry(_Model):
    name: LocalizedText
    short: LocalizedText | None = None
    colour: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")


class _AgenciesFile(_Model):
    agencies: dict[Slug, _AgencyEntry] = Field(min_length=1)


class _Sla(_Model):
    acknowledge_minutes: int = Field(gt=0)
    resolve_minutes: int = Field(gt=0)

    @field_validator("resolve_minutes")
    @classmethod
    def _not_before_ack(cls, value: int, info: ValidationInfo) -> int:
        if problem := sla_problem(info.data.get("acknowledge_minutes", 0), value):
            raise ValueError(problem)
        return value


class _CategoryEntry(_Model):
    code: Slug
    name: LocalizedText
    description: LocalizedText
    agency: Slug
    priority: int = Field(ge=1, le=4)
    sla: _Sla
    attributes: Attributes = ()
    icon: Slug = "alert-triangle"


class _CategoriesFile(_Model):
    categories: list[_CategoryEntry] = Field(min_length=1)


class _Feature(_Model):
    type: Literal["Feature"]
    id: str | int | None = None
    bbox: list[float] | None = None
    properties: dict[str, Any]
    geometry: Any


class _FeatureCollection(_Model):
    type: Literal["FeatureCollection"]
    bbox: list[float] | None = None
    features: list[_Feature]


# --- reading ------------------------------------------------------------------------------

M = TypeVar("M", bound=BaseModel)
Loc = tuple[str | int, ...]


def _show(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _loc(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _error(path: Path, loc: Loc, message: str) -> CityPackError:
    return CityPackError(f"{_show(path)}: {_loc(loc)}: {message}")


def _validate(
    path: Path, model: type[M], data: Any, where: Callable[[Loc], Loc] = lambda loc: loc
) -> M:
    """`model` from `data`; errors become one CityPackError, a line per error."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines = [f"{_show(path)}: {_loc(where(e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise CityPackError("\n".join(lines)) from None


class _YamlLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate mapping keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if dupes := sorted({k for k in keys if keys.count(k) > 1}):
        raise ValueError(f"duplicate key(s) {dupes}")
    return dict(pairs)


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CityPackError(f"{_show(path)}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CityPackError(f"{_show(path)}: cannot read ({exc})") from None
    try:
        if path.suffix in (".yaml", ".yml"):
            return yaml.load(text, Loader=_YamlLoader)
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1} column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or exc
        raise CityPackError(f"{_show(path)}: invalid YAML: {where}{problem}") from None
    except json.JSONDecodeError as exc:
        raise CityPackError(
            f"{_show(path)}: invalid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except ValueError as exc:
        raise CityPackError(f"{_show(path)}: invalid JSON: {exc}") from None


def _features(path: Path, model: type[M]) -> list[M]:
    """One `model` per GeoJSON feature: its properties plus its `geometry`."""
    collection = _validate(path, _FeatureCollection, _read(path))
    items = []
    for i, feature in enumerate(collection.features):

        def where(loc: Loc, i: int = i) -> Loc:
            return ("features", i, *(loc if loc[:1] == ("geometry",) else ("properties", *loc)))

        data = {**feature.properties, "geometry": feature.geometry}
        items.append(_validate(path, model, data, where))
    return items


def _keyed(path: Path, items: list[M], key: str, loc: Callable[[int], Loc]) -> dict[str, M]:
    """Items by their `key` attribute, rejecting duplicates (`loc(i)` locates item i's key)."""
    result: dict[str, M] = {}
    for i, item in enumerate(items):
        value = getattr(item, key)
        if value in result:
            raise _error(path, loc(i), f"duplicate {key} {value!r}")
        result[value] = item
    return result


def _prop(i: int, name: str) -> Loc:
    return ("features", i, "properties", name)


def _check_ref(path: Path, loc: Loc, value: str, known: dict[str, Any], what: str) -> None:
    if value not in known:
        raise _error(path, loc, f"unknown {what} {value!r} (known: {', '.join(known)})")


def available_cities(root: Path | None = None) -> list[str]:
    """Slugs of the packs under `root` (default: the liveroom/cities folder)."""
    base = Path(root) if root is not None else PACKS_ROOT
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if (p / "city.yaml").is_file())


def load_city(slug: str, root: Path | None = None) -> City:
    """The validated pack `slug` under `root` (default: the liveroom/cities folder); cached."""
    return _load(slug, (Path(root) if root is not None else PACKS_ROOT).resolve())


@functools.lru_cache(maxsize=32)
def _load(slug: str, root: Path) -> City:
    known = available_cities(root)
    if not re.fullmatch(SLUG, slug) or slug not in known:
        raise CityPackError(
            f"{_show(root)}: unknown city {slug!r} (available: {', '.join(known) or 'none'})"
        )
    pack = root / slug
    path = pack / "city.yaml"
    meta = _validate(path, _CityFile, _read(path))
    if meta.slug != slug:
        raise _error(path, ("slug",), f"{meta.slug!r} does not match the folder name {slug!r}")

    path = pack / "agencies.yaml"
    entries = _validate(path, _AgenciesFile, _read(path)).agencies
    agencies = {k: Agency(key=k, **e.model_dump()) for k, e in entries.items()}
    seen: dict[str, Agency] = {}
    for key, agency in agencies.items():
        if problem := colour_problem(key, agency.colour, seen):
            raise _error(path, ("agencies", key, "colour"), problem)
        seen[key] = agency

    path = pack / "categories.yaml"
    rows = _validate(path, _CategoriesFile, _read(path)).categories
    for i, row in enumerate(rows):
        _check_ref(path, ("categories", i, "agency"), row.agency, agencies, "agency")
    cats = [
        Category(
            **r.model_dump(exclude={"sla"}),
            sla_acknowledge_minutes=r.sla.acknowledge_minutes,
            sla_resolve_minutes=r.sla.resolve_minutes,
        )
        for r in rows
    ]
    categories = _keyed(path, cats, "code", lambda i: ("categories", i, "code"))

    path = pack / "districts.geojson"
    districts = _keyed(path, _features(path, District), "code", lambda i: _prop(i, "code"))
    if not districts:
        raise _error(path, ("features",), "at least one district is required")
    for i, code in enumerate(districts):
        if not code.startswith(meta.code + "."):
            raise _error(path, _prop(i, "code"), f"not in city {meta.code}")

    path = pack / "posts.geojson"
    posts = _keyed(path, _features(path, Post), "id", lambda i: _prop(i, "id"))
    for i, post in enumerate(posts.values()):
        _check_ref(path, _prop(i, "agency"), post.agency, agencies, "agency")
        _check_ref(path, _prop(i, "district"), post.district, districts, "district")

    return City(
        slug=meta.slug,
        name=meta.name,
        code=meta.code,
        jurisdiction_id=meta.jurisdiction_id,
        timezone=ZoneInfo(meta.timezone),
        centre=(meta.centre.lat, meta.centre.lon),
        default_zoom=meta.default_zoom,
        tile_url=meta.tile_url,
        tile_attribution=meta.tile_attribution,
        agencies=agencies,
        categories=categories,
        districts=districts,
        posts=posts,
        shifts={k: Shift(code=k, **v.model_dump()) for k, v in meta.shifts.items()},
        default_shift=meta.default_shift,
        performance=meta.performance,
    )
