"""City packs read from `liveroom/cities/<slug>/`: `city.yaml`, `agencies.yaml`,
`categories.yaml`, `districts.geojson`, `posts.geojson` and, optional, `runcards.yaml`,
validated into the model (`cities.model`). Any problem raises CityPackError naming the file
and the field.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from datetime import date, time
from pathlib import Path
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from liveroom.cities.base import MAX_WORKING_DAYS, SLUG, LocalizedText, Slug, Text, _Model
from liveroom.cities.dispatch import DispatchRules, ExternalBody, RunCard
from liveroom.cities.model import (
    Agency,
    Attributes,
    Category,
    City,
    District,
    EscalationRule,
    NfpaTargets,
    Performance,
    Post,
    Shift,
    card_problem,
    colour_problem,
    sla_problem,
)

PACKS_ROOT = Path(__file__).resolve().parent


class CityPackError(ValueError):
    """A city pack is missing, malformed or inconsistent; the message names file and field."""


# --- file schemas -------------------------------------------------------------------------

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
    reopen_window_days: int = Field(7, ge=0, le=90)
    channels: dict[Slug, LocalizedText] = Field(min_length=1)
    escalation: tuple[EscalationRule, ...] = ()
    extra_days_off: list[date] = Field(default_factory=list)
    dispatch: DispatchRules = DispatchRules()

    @field_validator("escalation")
    @classmethod
    def _unique_rules(cls, value: tuple[EscalationRule, ...]) -> tuple[EscalationRule, ...]:
        codes = [rule.code for rule in value]
        if dupes := sorted({c for c in codes if codes.count(c) > 1}):
            raise ValueError(f"duplicate rule code(s) {dupes}")
        return value

    @field_validator("extra_days_off")
    @classmethod
    def _once_each(cls, value: list[date]) -> list[date]:
        if repeated := sorted({d for d in value if value.count(d) > 1}):
            raise ValueError(f"{repeated[0].isoformat()} is listed twice")
        return value

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
    eta_kmh: float = Field(25.0, gt=0, le=200)
    nfpa: NfpaTargets | None = None


class _AgenciesFile(_Model):
    agencies: dict[Slug, _AgencyEntry] = Field(min_length=1)
    external_bodies: dict[Slug, dict[str, Any]] = Field(default_factory=dict)  # ExternalBody


class _Sla(_Model):
    """Each step's SLA in minutes or in working days: `{acknowledge_minutes: 60,
    resolve_working_days: 5}`."""

    acknowledge_minutes: int | None = Field(None, gt=0)
    acknowledge_working_days: int | None = Field(None, gt=0, le=MAX_WORKING_DAYS)
    resolve_minutes: int | None = Field(None, gt=0)
    resolve_working_days: int | None = Field(None, gt=0, le=MAX_WORKING_DAYS)

    @model_validator(mode="after")
    def _kept(self) -> _Sla:
        if problem := sla_problem(self.acknowledge_minutes, self.resolve_minutes,
                                  self.acknowledge_working_days, self.resolve_working_days):
            raise ValueError(problem)
        return self


class _CategoryEntry(_Model):
    code: Slug
    name: LocalizedText
    description: LocalizedText
    agency: Slug
    priority: int = Field(ge=1, le=4)
    sla: _Sla
    attributes: Attributes = ()
    icon: Slug = "alert-triangle"
    family: Slug | None = None
    forward_to: Slug | None = None


class _CategoriesFile(_Model):
    categories: list[_CategoryEntry] = Field(min_length=1)


class _RunCardsFile(_Model):
    run_cards: list[dict[str, Any]]  # each a RunCard


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
    path: Path, model: type[M], data: Any, where: Callable[[Loc], Loc] = lambda loc: loc,
    what: str = "",
) -> M:
    """`model` from `data`; errors become one CityPackError, a line per error (each message
    after `what`)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines = [f"{_show(path)}: {_loc(where(e['loc']))}: {what}{e['msg']}"
                 for e in exc.errors()]
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


def _external_bodies(path: Path, entries: dict[str, dict[str, Any]],
                     agencies: dict[str, Agency]) -> dict[str, ExternalBody]:
    bodies = {}
    for code, entry in entries.items():
        if code in agencies:
            raise _error(path, ("external_bodies", code), f"{code!r} is an agency already")
        bodies[code] = _validate(path, ExternalBody, {**entry, "code": code},
                                 lambda loc, code=code: ("external_bodies", code, *loc))
    return bodies


def _card_name(row: dict[str, Any]) -> str:
    """How an error names a card: `kebakaran (priority 1, orang-terjebak=ya)`."""
    conditions = [f"priority {row['priority']}"] if row.get("priority") is not None else []
    if isinstance(when := row.get("when"), dict):
        conditions += [f"{code}={value}" for code, value in when.items()]
    return f"{row.get('category')}" + (f" ({', '.join(conditions)})" if conditions else "")


def _run_cards(path: Path, categories: dict[str, Category],
               agencies: dict[str, Agency]) -> tuple[RunCard, ...]:
    """The cards of `runcards.yaml`, checked against the city; none without the file."""
    if not path.is_file():
        return ()
    cards: list[RunCard] = []
    first: dict[tuple[Any, ...], int] = {}  # a card's conditions → where they were first
    for i, row in enumerate(_validate(path, _RunCardsFile, _read(path)).run_cards):
        name = f"card {_card_name(row)}: "
        card = _validate(path, RunCard, row, lambda loc, i=i: ("run_cards", i, *loc), name)
        if problem := card_problem(card, categories, agencies):
            raise _error(path, ("run_cards", i, *problem[0]), name + problem[1])
        conditions = (card.category, card.priority, frozenset(card.when.items()))
        if conditions in first:
            raise _error(path, ("run_cards", i),
                         f"{name}the same conditions as run_cards[{first[conditions]}]")
        first[conditions] = i
        cards.append(card)
    return tuple(cards)


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
    agencies_file = _validate(path, _AgenciesFile, _read(path))
    entries = agencies_file.agencies
    agencies = {k: Agency(key=k, **e.model_dump()) for k, e in entries.items()}
    bodies = _external_bodies(path, agencies_file.external_bodies, agencies)
    seen: dict[str, Agency] = {}
    for key, agency in agencies.items():
        if problem := colour_problem(key, agency.colour, seen):
            raise _error(path, ("agencies", key, "colour"), problem)
        seen[key] = agency

    path = pack / "categories.yaml"
    rows = _validate(path, _CategoriesFile, _read(path)).categories
    for i, row in enumerate(rows):
        _check_ref(path, ("categories", i, "agency"), row.agency, agencies, "agency")
        if row.forward_to is not None:
            _check_ref(path, ("categories", i, "forward_to"), row.forward_to, bodies,
                       "external body")
    cats = [
        Category(
            **r.model_dump(exclude={"sla"}),
            **{f"sla_{field}": value for field, value in r.sla.model_dump().items()},
        )
        for r in rows
    ]
    categories = _keyed(path, cats, "code", lambda i: ("categories", i, "code"))

    for i, rule in enumerate(meta.escalation):
        for code in rule.categories:
            _check_ref(pack / "city.yaml", ("escalation", i, "categories"), code, categories,
                       "category")

    run_cards = _run_cards(pack / "runcards.yaml", categories, agencies)

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
        reopen_window_days=meta.reopen_window_days,
        channels=meta.channels,
        escalation=meta.escalation,
        extra_days_off=frozenset(meta.extra_days_off),
        run_cards=run_cards,
        dispatch=meta.dispatch,
        external_bodies=bodies,
    )
