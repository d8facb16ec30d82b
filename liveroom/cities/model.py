"""A city's runtime model: agencies, categories (with their questions), districts, posts,
shifts and dispatch (`cities.dispatch`), as every layer uses them, and the rules a city
keeps whether it comes from its files (`cities.loader`) or from an admin's change
(`cities.overrides`).
Public methods take (lat, lon); GeoJSON stores [lon, lat].
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import shapely
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from shapely.geometry import MultiPolygon, Point, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from liveroom.cities.base import MAX_WORKING_DAYS, Answer, LocalizedText, Slug, Text, _Model
from liveroom.cities.dispatch import DispatchRules, ExternalBody, RunCard, best_card


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


class NfpaTargets(_Model):
    """NFPA 1710's response-time targets for a fire agency, in seconds: call processing
    (received → dispatched), turnout (dispatched → en route) and first-unit travel (en
    route → on scene); each is met when at least `share` of the responses are within it."""

    processing_seconds: int = Field(60, gt=0)
    turnout_seconds: int = Field(80, gt=0)
    travel_seconds: int = Field(240, gt=0)
    share: float = Field(0.9, gt=0, le=1)

    def target(self, step: str) -> int:
        """The target of `step` ("processing", "turnout", "travel"), in seconds."""
        return getattr(self, f"{step}_seconds")


class Agency(_Model):
    """A responding agency (dinas); `key` is its stable identifier; `nfpa`: a fire
    agency's response-time targets (none: its KPIs show no NFPA panel)."""

    key: Slug
    name: LocalizedText
    short: LocalizedText | None = None  # for a wall screen's strip: "Dishub", "Damkar"
    colour: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")
    #: the speed an arrival estimate assumes until the archive's trips teach one
    #: (`reporting.eta`), and wherever it has too few
    eta_kmh: float = Field(25.0, gt=0, le=200)
    nfpa: NfpaTargets | None = None

    def label(self, lang: str) -> str:
        """The short name where there is one."""
        return (self.short or self.name).get(lang)


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
    #: each SLA in minutes or in working days (`domain.calendar`), one of the two
    sla_acknowledge_minutes: int | None = Field(None, gt=0)
    sla_resolve_minutes: int | None = Field(None, gt=0)
    sla_acknowledge_working_days: int | None = Field(None, gt=0, le=MAX_WORKING_DAYS)
    sla_resolve_working_days: int | None = Field(None, gt=0, le=MAX_WORKING_DAYS)
    attributes: Attributes = ()
    icon: Slug = "alert-triangle"  # a Tabler icon's name (assets/vendor/tabler-icons)
    family: Slug | None = None  # related categories share one (banjir, genangan, …)
    forward_to: Slug | None = None  # an external body operators may forward it to (PLN, …)

    @model_validator(mode="after")
    def _sla_kept(self) -> Category:
        if problem := sla_problem(self.sla_acknowledge_minutes, self.sla_resolve_minutes,
                                  self.sla_acknowledge_working_days,
                                  self.sla_resolve_working_days):
            raise ValueError(problem)
        return self

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

    @property
    def middle(self) -> tuple[float, float]:
        """(lat, lon) well inside: where a report placed only by its kecamatan goes."""
        point = self.geometry.representative_point()
        return point.y, point.x


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
    #: the reporters' mean rating of their resolved incidents (`domain.feedback`), 1-5 as
    #: 0-100; 0 by default: few reporters rate, and an officer does not choose who does
    satisfaction: float = Field(0.0, ge=0, le=1)

    @model_validator(mode="after")
    def _sums_to_one(self) -> Performance:
        total = sum(self.weights.values())
        if abs(total - 1) > 1e-6:
            raise ValueError(f"performance weights must add up to 1, not {total:g}")
        return self

    @property
    def weights(self) -> dict[str, float]:
        return {"attendance": self.attendance, "punctuality": self.punctuality,
                "acknowledge_sla": self.acknowledge_sla, "resolve_sla": self.resolve_sla,
                "satisfaction": self.satisfaction}


Deadline = Literal["acknowledge", "resolve", "follow_up"]
EscalationAction = Literal["alert_supervisors", "raise_priority", "flag"]


class EscalationRule(_Model):
    """One step of an escalation chain: `after_minutes` past an incident's `deadline` still
    unmet, `action` is taken, once per incident; only for `categories` or `priorities` when
    either is given (the priority the incident has then). `follow_up`: the day a body an
    incident was forwarded to (`ExternalBody`) is to be asked again."""

    code: Slug
    deadline: Deadline
    after_minutes: int = Field(0, ge=0, le=7 * 24 * 60)
    action: EscalationAction
    categories: tuple[Slug, ...] = ()
    priorities: tuple[Annotated[int, Field(ge=1, le=4)], ...] = ()

    def applies(self, category: str, priority: int | None) -> bool:
        """Whether the rule covers an incident of this category and priority."""
        return ((not self.categories or category in self.categories)
                and (not self.priorities or priority in self.priorities))


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
    #: days after a resolution in which a reporter's "not fixed" or low rating reopens the
    #: incident (`domain.feedback`); 0: never reopened by a reporter
    reopen_window_days: int = Field(7, ge=0, le=90)
    #: non-working days beyond Indonesia's public holidays (cuti bersama, the city's own):
    #: working days (`domain.calendar`) skip them too
    extra_days_off: frozenset[date] = frozenset()
    #: how reports reach an operator (telepon, 112, radio, …): an entered report's `source`
    channels: dict[str, LocalizedText]
    #: escalation chains: what happens when an SLA deadline passes (`EscalationRule`)
    escalation: tuple[EscalationRule, ...] = ()
    #: which agencies and how many units a category needs (`runcards.yaml`): see `run_card`
    run_cards: tuple[RunCard, ...] = ()
    dispatch: DispatchRules = DispatchRules()
    #: bodies outside the city's crews, by code, that categories may be forwarded to
    external_bodies: dict[str, ExternalBody] = Field(default_factory=dict)
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

    def placed_by_address(self, address: str) -> tuple[float, float] | None:
        """(lat, lon) inside the one kecamatan an address names, or None: where a report
        with an address and no point is placed, approximately (there is no geocoder
        offline)."""
        district = self.district_named_in(address)
        return None if district is None else district.middle

    def related_categories(self, code: str) -> set[str]:
        """`code` and the categories of its family."""
        family = self.categories[code].family if code in self.categories else None
        return {code} | ({c.code for c in self.categories.values() if c.family == family}
                         if family else set())

    def run_card(self, category: str, priority: int | None,
                 answers: Mapping[str, Answer]) -> RunCard:
        """The most specific run card for an incident of this category, priority and
        answers (ties: the first in the file); without one, one unit of the category's
        agency."""
        return best_card(self.run_cards, category, priority, answers,
                         self.categories[category].agency)

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


# --- rules a city keeps, whether it comes from its files or from an admin's change ----

def sla_problem(acknowledge_minutes: int | None, resolve_minutes: int | None,
                acknowledge_working_days: int | None = None,
                resolve_working_days: int | None = None) -> str | None:
    """Each SLA in minutes or in working days, not both; resolving may not be due before
    acknowledging. N working days end at least N whole days after the report (the day
    of the report never counts), so acknowledging in up to N × 1440 minutes comes first;
    acknowledging in working days while resolving in minutes could come after, so it is
    refused."""
    for step, minutes, days in (("acknowledge", acknowledge_minutes, acknowledge_working_days),
                                ("resolve", resolve_minutes, resolve_working_days)):
        if (minutes is None) == (days is None):
            return f"{step}: give minutes or working days (one of the two)"
    if acknowledge_working_days is not None and resolve_minutes is not None:
        return "resolving in minutes cannot follow acknowledging in working days"
    if resolve_working_days is not None:
        if acknowledge_working_days is not None:
            late = resolve_working_days < acknowledge_working_days
        else:
            late = resolve_working_days * 1440 < acknowledge_minutes
    else:
        late = resolve_minutes < acknowledge_minutes
    return "resolving cannot be due before acknowledging" if late else None


def colour_problem(key: str, colour: str, agencies: Mapping[str, Agency]) -> str | None:
    """No two agencies share a colour: the map tells their crews apart by it."""
    other = next((k for k, a in agencies.items()
                  if k != key and a.colour.lower() == colour.lower()), None)
    return f"same colour as {other!r}" if other else None


def card_problem(card: RunCard, categories: Mapping[str, Category],
                 agencies: Mapping[str, Any]) -> tuple[tuple[str | int, ...], str] | None:
    """The first thing a card gets wrong about the city, and where in the card: a category
    or agency it does not have, a question its category does not ask or a choice it does
    not offer, a first alarm without the category's own (lead) agency. None when right."""
    category = categories.get(card.category)
    if category is None:
        return ("category",), f"unknown category {card.category!r}"
    questions = {question.code: question for question in category.attributes}
    for code, value in card.when.items():
        question = questions.get(code)
        if question is None:
            asked = ", ".join(questions) or "none"
            return ("when", code), f"{card.category} asks no {code!r} (its questions: {asked})"
        if not question.values:
            return ("when", code), f"{code!r} has no choices to match"
        if value not in question.values:
            return ("when", code), f"{value!r} is not one of {', '.join(question.values)}"
    for i, level in enumerate(card.levels):
        if unknown := [agency for agency in level if agency not in agencies]:
            return ("levels", i, unknown[0]), f"unknown agency {unknown[0]!r}"
    if category.agency not in card.levels[0]:
        return ("levels", 0), f"the first alarm must send {category.agency}, the lead agency"
    return None
