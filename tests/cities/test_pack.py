"""City packs: shipped content and geometry, validation messages, and the generator."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import date, datetime
from itertools import combinations
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from shapely.geometry import shape

from liveroom.cities import City, CityPackError, approximate, available_cities, load_city
from liveroom.domain.calendar import sla_dues
from tests.cities.helpers import PACKS, PROJECT, copy_pack, edit_yaml

SLUGS = ["tangerang", "pandeglang"]
AGENCIES = {"kebersihan", "dishub", "satpolpp", "drainase", "damkar"}
REQUIRED_CATEGORIES = {
    "sampah-menumpuk": "kebersihan",
    "pembuangan-liar": "kebersihan",
    "bangkai-hewan": "kebersihan",
    "kemacetan": "dishub",
    "lampu-lalu-lintas-mati": "dishub",
    "parkir-liar": "dishub",
    "pkl-liar": "satpolpp",
    "reklame-liar": "satpolpp",
    "gangguan-ketertiban": "satpolpp",
    "banjir": "drainase",
    "genangan": "drainase",
    "saluran-tersumbat": "drainase",
    "kebakaran": "damkar",
    "penyelamatan": "damkar",
}
TANGERANG_KECAMATAN = [
    "Tangerang", "Jatiuwung", "Batuceper", "Benda", "Cipondoh", "Ciledug", "Karawaci",
    "Periuk", "Cibodas", "Neglasari", "Pinang", "Karang Tengah", "Larangan",
]  # fmt: skip
PANDEGLANG_KECAMATAN = [
    "Sumur", "Cimanggu", "Cibaliung", "Cikeusik", "Cigeulis", "Panimbang", "Angsana",
    "Munjul", "Pagelaran", "Bojong", "Picung", "Labuan", "Menes", "Saketi", "Cipeucang",
    "Jiput", "Mandalawangi", "Cimanuk", "Kaduhejo", "Banjar", "Pandeglang", "Cadasari",
    "Cisata", "Patia", "Karang Tanjung", "Cikedal", "Cibitung", "Carita", "Sukaresmi",
    "Mekarjaya", "Sindangresmi", "Pulosari", "Koroncong", "Majasari", "Sobang",
]  # fmt: skip
METRES_PER_DEGREE = 111_320.0


def expected_kecamatan(prefix: str, names: list[str]) -> dict[str, str]:
    """{"36.71.01": "Tangerang", ...}: codes numbered in list order."""
    return {f"{prefix}.{n:02d}": name for n, name in enumerate(names, start=1)}


@pytest.fixture(params=SLUGS)
def city(request: pytest.FixtureRequest) -> City:
    return load_city(request.param)


# --- shipped content ----------------------------------------------------------------------


def test_both_packs_are_available() -> None:
    assert set(SLUGS) <= set(available_cities())


@pytest.mark.parametrize(
    ("slug", "expected"),
    [
        ("tangerang", expected_kecamatan("36.71", TANGERANG_KECAMATAN)),
        ("pandeglang", expected_kecamatan("36.01", PANDEGLANG_KECAMATAN)),
    ],
)
def test_pack_has_exactly_its_kecamatan(slug: str, expected: dict[str, str]) -> None:
    districts = load_city(slug).districts
    assert {code: d.name for code, d in districts.items()} == expected
    assert all(d.approximate for d in districts.values())


@pytest.mark.parametrize(
    ("slug", "name", "code", "jurisdiction", "seat"),
    [
        ("tangerang", "Kota Tangerang", "36.71", "tangerangkota.go.id", "36.71.01"),
        ("pandeglang", "Kabupaten Pandeglang", "36.01", "pandeglangkab.go.id", "36.01.21"),
    ],
)
def test_city_metadata(slug: str, name: str, code: str, jurisdiction: str, seat: str) -> None:
    city = load_city(slug)
    assert (city.slug, city.name, city.code, city.jurisdiction_id) == (
        slug,
        name,
        code,
        jurisdiction,
    )
    assert city.timezone.key == "Asia/Jakarta"
    assert city.tile_url is None
    assert city.district_at(*city.centre).code == seat
    (south, west), (north, east) = city.bounds
    assert south < city.centre[0] < north and west < city.centre[1] < east


def test_agencies_and_categories_are_consistent(city: City) -> None:
    assert set(city.agencies) == AGENCIES
    colours = [a.colour.lower() for a in city.agencies.values()]
    assert len(set(colours)) == len(colours)
    for code, agency in REQUIRED_CATEGORIES.items():
        assert city.categories[code].agency == agency
    for category in city.categories.values():
        assert category.agency in city.agencies
        acknowledge_due, resolve_due = sla_dues(category, FRIDAY_EVENING, city)
        assert FRIDAY_EVENING < acknowledge_due <= resolve_due


#: before a weekend, Christmas and the cuti bersama beside it
FRIDAY_EVENING = datetime(2026, 12, 18, 19, tzinfo=ZoneInfo("Asia/Jakarta"))


def test_slow_tangerang_complaints_are_resolved_in_working_days() -> None:
    """As SP4N-LAPOR! counts them; urgent categories stay in minutes."""
    city = load_city("tangerang")
    days = {c.code: c.sla_resolve_working_days for c in city.categories.values()
            if c.sla_resolve_working_days}
    assert days == {"pembuangan-liar": 2, "pkl-liar": 3, "reklame-liar": 5}
    reklame = city.categories["reklame-liar"]
    assert sla_dues(reklame, FRIDAY_EVENING, city)[1] == datetime(
        2026, 12, 29, 23, 59, 59, tzinfo=city.timezone)
    assert city.categories["kebakaran"].sla_resolve_minutes == 180
    assert date(2026, 12, 24) in city.extra_days_off


def test_every_category_is_drawn_with_a_bundled_icon(city: City) -> None:
    """The wall screen draws each category with its icon, served offline from assets."""
    bundled = Path(__file__).parents[2] / "assets" / "vendor" / "tabler-icons"
    missing = {c.code: c.icon for c in city.categories.values()
               if not (bundled / f"{c.icon}.svg").is_file()}
    assert missing == {}
    assert len({c.icon for c in city.categories.values()}) == len(city.categories)


def test_only_tangerangs_fire_brigade_has_nfpa_targets() -> None:
    """NFPA 1710 is for career fire departments: Kota Tangerang's; Pandeglang has none."""
    targets = {slug: {k: a.nfpa for k, a in load_city(slug).agencies.items() if a.nfpa}
               for slug in SLUGS}
    damkar = targets["tangerang"]["damkar"]
    assert [damkar.target(s) for s in ("processing", "turnout", "travel")] == [60, 80, 240]
    assert damkar.share == 0.9 and list(targets["tangerang"]) == ["damkar"]
    assert targets["pandeglang"] == {}


def test_fire_has_top_priority(city: City) -> None:
    fire = city.categories["kebakaran"]
    assert fire.priority == 1
    assert all(c.priority >= fire.priority for c in city.categories.values())


def test_localized_text_falls_back_to_indonesian() -> None:
    name = load_city("tangerang").categories["kebakaran"].name
    assert (name.get("id"), name.get("en"), name.get("en-GB")) == ("Kebakaran", "Fire", "Fire")
    assert name.get("jv") == "Kebakaran"


def test_load_city_is_cached() -> None:
    assert load_city("tangerang") is load_city("tangerang")


# --- geometry -----------------------------------------------------------------------------


def test_district_at_finds_every_kecamatan(city: City) -> None:
    for district in city.districts.values():
        point = district.geometry.representative_point()
        assert city.district_at(point.y, point.x) == district


@pytest.mark.parametrize(
    ("slug", "lat", "lon"),
    [
        ("tangerang", -6.2, 106.85),  # central Jakarta
        ("tangerang", -6.05, 106.65),  # Java Sea north of the city
        ("pandeglang", -6.12, 106.15),  # Kota Serang
        ("pandeglang", -6.10, 105.42),  # Krakatau, Sunda Strait
    ],
)
def test_points_outside_the_city(slug: str, lat: float, lon: float) -> None:
    city = load_city(slug)
    assert city.district_at(lat, lon) is None
    assert not city.contains(lat, lon)


def test_ujung_kulon_and_panaitan_are_in_sumur() -> None:
    city = load_city("pandeglang")
    assert city.district_at(-6.78, 105.35).name == "Sumur"  # Ujung Kulon peninsula
    assert city.district_at(-6.58, 105.16).name == "Sumur"  # Panaitan island


def test_districts_tile_the_outline(city: City) -> None:
    geoms = [d.geometry for d in city.districts.values()]
    for a, b in combinations(geoms, 2):
        assert a.intersection(b).area < 1e-9
    outline = shape(json.loads((PACKS / city.slug / "approximate.json").read_text())["outline"])
    assert city.outline.symmetric_difference(outline).area < 1e-4 * outline.area
    assert sum(g.area for g in geoms) == pytest.approx(city.outline.area, rel=1e-6)


def test_posts_are_in_their_district_with_small_geofences(city: City) -> None:
    assert (20 if city.slug == "tangerang" else 10) <= len(city.posts) <= 30
    for post in city.posts.values():
        lat, lon = post.centre
        assert city.district_at(lat, lon).code == post.district, post.id
        assert city.outline.contains(post.geometry), post.id
        south, north = post.geometry.bounds[1], post.geometry.bounds[3]
        assert 100 <= (north - south) / 2 * METRES_PER_DEGREE <= 255, post.id  # 1 m rounding
        assert post.contains(lat, lon)
        assert not post.contains(lat + 1000 / METRES_PER_DEGREE, lon)


def test_every_agency_has_an_office_and_field_posts(city: City) -> None:
    min_posts = 3 if city.slug == "tangerang" else 1
    for key in city.agencies:
        kinds = [p.kind for p in city.posts.values() if p.agency == key]
        assert kinds.count("office") == 1, key
        assert kinds.count("post") >= min_posts, key


def test_geojson_exports_round_trip(city: City) -> None:
    districts = json.loads(json.dumps(city.districts_geojson()))
    assert [f["properties"]["code"] for f in districts["features"]] == list(city.districts)
    first = next(iter(city.districts.values()))
    assert shape(districts["features"][0]["geometry"]).equals(first.geometry)  # [lon, lat]
    posts = json.loads(json.dumps(city.posts_geojson()))
    props = posts["features"][0]["properties"]
    assert set(props) == {"id", "name", "agency", "kind", "district", "approximate"}
    assert [f["properties"]["id"] for f in posts["features"]] == list(city.posts)


# --- validation ---------------------------------------------------------------------------


def edit_json(path: Path, change: Callable[[Any], None]) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def set_category(i: int, field: str, value: Any) -> Callable[[Path], None]:
    return lambda pack: edit_yaml(
        pack / "categories.yaml", lambda d: d["categories"][i].__setitem__(field, value)
    )


def set_post(i: int, field: str, value: Any) -> Callable[[Path], None]:
    return lambda pack: edit_json(
        pack / "posts.geojson", lambda d: d["features"][i]["properties"].__setitem__(field, value)
    )


def set_district_geometry(i: int, coordinates: Any) -> Callable[[Path], None]:
    def change(data: Any) -> None:
        data["features"][i]["geometry"] = {"type": "Polygon", "coordinates": coordinates}

    return lambda pack: edit_json(pack / "districts.geojson", change)


def attribute(**fields: Any) -> dict[str, Any]:
    return {"code": "kedalaman", "datatype": "number",
            "description": {"id": "Berapa cm?", "en": "How many cm?"}, **fields}


BOWTIE = [[[106.60, -6.20], [106.62, -6.22], [106.62, -6.20], [106.60, -6.22], [106.60, -6.20]]]
SWAPPED = [[[-6.20, 106.60], [-6.20, 106.62], [-6.22, 106.62], [-6.20, 106.60]]]

BREAKAGES = {
    "bad-priority": (set_category(3, "priority", 7), "categories.yaml", "categories[3].priority"),
    "unknown-agency": (set_category(2, "agency", "pemadam"), "categories.yaml", "'pemadam'"),
    "missing-sla": (
        lambda pack: edit_yaml(pack / "categories.yaml", lambda d: d["categories"][0].pop("sla")),
        "categories.yaml",
        "categories[0].sla: Field required",
    ),
    "zero-sla": (
        set_category(1, "sla", {"acknowledge_minutes": 0, "resolve_minutes": 60}),
        "categories.yaml",
        "categories[1].sla.acknowledge_minutes",
    ),
    "sla-in-minutes-and-working-days": (
        set_category(1, "sla", {"acknowledge_minutes": 60, "resolve_minutes": 600,
                                "resolve_working_days": 2}),
        "categories.yaml",
        "categories[1].sla: Value error, resolve: give minutes or working days (one of the two)",
    ),
    "sla-without-resolve": (
        set_category(1, "sla", {"acknowledge_minutes": 60}),
        "categories.yaml",
        "categories[1].sla: Value error, resolve: give minutes or working days",
    ),
    "resolve-in-minutes-after-working-days": (
        set_category(1, "sla", {"acknowledge_working_days": 1, "resolve_minutes": 6000}),
        "categories.yaml",
        "categories[1].sla: Value error, resolving in minutes cannot follow acknowledging in "
        "working days",
    ),
    "acknowledge-later-than-working-days": (
        set_category(1, "sla", {"acknowledge_minutes": 2000, "resolve_working_days": 1}),
        "categories.yaml",
        "categories[1].sla: Value error, resolving cannot be due before acknowledging",
    ),
    "too-many-working-days": (
        set_category(1, "sla", {"acknowledge_minutes": 60, "resolve_working_days": 400}),
        "categories.yaml",
        "categories[1].sla.resolve_working_days: Input should be less than or equal to 60",
    ),
    "working-days-in-words": (
        set_category(1, "sla", {"acknowledge_minutes": 60, "resolve_working_days": "lima"}),
        "categories.yaml",
        "categories[1].sla.resolve_working_days",
    ),
    "day-off-listed-twice": (
        lambda pack: edit_yaml(pack / "city.yaml", lambda d: d["extra_days_off"].append(
            d["extra_days_off"][0])),
        "city.yaml",
        "extra_days_off: Value error, 2025-01-28 is listed twice",
    ),
    "day-off-not-a-date": (
        lambda pack: edit_yaml(pack / "city.yaml", lambda d: d.update(
            extra_days_off=["2026-02-30"])),
        "city.yaml",
        "extra_days_off[0]",
    ),
    "duplicate-code": (
        set_category(5, "code", "sampah-menumpuk"),
        "categories.yaml",
        "categories[5].code: duplicate code 'sampah-menumpuk'",
    ),
    "unknown-field": (
        lambda pack: edit_yaml(pack / "city.yaml", lambda d: d.update(mayor="x")),
        "city.yaml",
        "mayor: Extra inputs are not permitted",
    ),
    "bad-timezone": (
        lambda pack: edit_yaml(pack / "city.yaml", lambda d: d.update(timezone="Asia/Tangerang")),
        "city.yaml",
        "timezone",
    ),
    "bad-colour": (
        lambda pack: edit_yaml(
            pack / "agencies.yaml", lambda d: d["agencies"]["dishub"].update(colour="yellow")
        ),
        "agencies.yaml",
        "agencies.dishub.colour",
    ),
    "nfpa-share-over-one": (
        lambda pack: edit_yaml(
            pack / "agencies.yaml", lambda d: d["agencies"]["damkar"]["nfpa"].update(share=90)
        ),
        "agencies.yaml",
        "agencies.damkar.nfpa.share",
    ),
    "nfpa-unknown-step": (
        lambda pack: edit_yaml(
            pack / "agencies.yaml",
            lambda d: d["agencies"]["damkar"]["nfpa"].update(dispatch_seconds=30),
        ),
        "agencies.yaml",
        "agencies.damkar.nfpa.dispatch_seconds",
    ),
    "unknown-post-district": (
        set_post(4, "district", "36.71.99"),
        "posts.geojson",
        "features[4].properties.district: unknown district '36.71.99'",
    ),
    "unknown-post-agency": (
        set_post(0, "agency", "polisi"),
        "posts.geojson",
        "features[0].properties.agency: unknown agency 'polisi'",
    ),
    "broken-yaml": (
        lambda pack: (pack / "agencies.yaml").write_text("agencies:\n  dishub: [unclosed\n"),
        "agencies.yaml",
        "invalid YAML: line 3",
    ),
    "duplicate-yaml-key": (
        lambda pack: (pack / "city.yaml").write_text(
            (pack / "city.yaml").read_text() + "default_zoom: 9\n"
        ),
        "city.yaml",
        "duplicate key 'default_zoom'",
    ),
    "broken-json": (
        lambda pack: (pack / "posts.geojson").write_text('{"type": "FeatureCollection", '),
        "posts.geojson",
        "invalid JSON: line 1",
    ),
    "invalid-geometry": (
        set_district_geometry(2, BOWTIE),
        "districts.geojson",
        "features[2].geometry: Value error, invalid geometry (Self-intersection",
    ),
    "empty-geometry": (
        set_district_geometry(1, []),
        "districts.geojson",
        "features[1].geometry: Value error, empty geometry",
    ),
    "swapped-coordinates": (
        set_district_geometry(0, SWAPPED),
        "districts.geojson",
        "features[0].geometry: Value error, coordinates out of range",
    ),
    "list-attribute-without-values": (
        set_category(9, "attributes", [attribute(datatype="singlevaluelist")]),
        "categories.yaml",
        "categories[9].attributes[0].values: Value error, a list attribute needs values",
    ),
    "values-on-a-number": (
        set_category(9, "attributes", [attribute(values={"a": {"id": "A", "en": "A"}})]),
        "categories.yaml",
        "categories[9].attributes[0].values: Value error, only singlevaluelist",
    ),
    "unknown-datatype": (
        set_category(9, "attributes", [attribute(datatype="colour")]),
        "categories.yaml",
        "categories[9].attributes[0].datatype",
    ),
    "duplicate-attribute-code": (
        set_category(9, "attributes", [attribute(), attribute()]),
        "categories.yaml",
        "attribute codes must be unique",
    ),
    "unknown-default-shift": (
        lambda pack: edit_yaml(pack / "city.yaml", lambda d: d.update(default_shift="subuh")),
        "city.yaml",
        "default_shift: Value error, unknown shift 'subuh'",
    ),
    "performance-weights-not-adding-up": (
        lambda pack: edit_yaml(pack / "city.yaml", lambda d: d["performance"].update(
            attendance=0.5)),
        "city.yaml",
        "performance: Value error, performance weights must add up to 1, not 1.2",
    ),
    "missing-file": (
        lambda pack: (pack / "categories.yaml").unlink(),
        "categories.yaml",
        "file not found",
    ),
}


@pytest.mark.parametrize(("breakage", "filename", "field"), BREAKAGES.values(), ids=BREAKAGES)
def test_broken_pack_names_file_and_field(
    tmp_path: Path, breakage: Callable[[Path], None], filename: str, field: str
) -> None:
    breakage(copy_pack(tmp_path))
    with pytest.raises(CityPackError) as excinfo:
        load_city("tangerang", root=tmp_path)
    message = str(excinfo.value)
    assert f"tangerang/{filename}: " in message
    assert field in message


def test_unknown_slug_lists_available_cities(tmp_path: Path) -> None:
    with pytest.raises(CityPackError, match=r"unknown city 'jakarta'.*pandeglang, tangerang"):
        load_city("jakarta")
    copy_pack(tmp_path, "pandeglang")
    with pytest.raises(CityPackError, match=r"unknown city 'tangerang' \(available: pandeglang\)"):
        load_city("tangerang", root=tmp_path)


def test_real_boundaries_are_a_drop_in_replacement(tmp_path: Path) -> None:
    pack = copy_pack(tmp_path)
    (pack / "approximate.json").unlink()

    def as_real_boundaries(data: Any) -> None:
        for feature in data["features"]:
            del feature["properties"]["approximate"]

    edit_json(pack / "districts.geojson", as_real_boundaries)
    city = load_city("tangerang", root=tmp_path)
    assert len(city.districts) == 13
    assert not any(d.approximate for d in city.districts.values())


# --- generator ----------------------------------------------------------------------------


def test_generator_cli_reproduces_committed_files(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "liveroom.cities.approximate", "tangerang", "--out", str(tmp_path)],
        cwd=PROJECT,
        check=True,
        capture_output=True,
    )
    for name in ("districts.geojson", "posts.geojson"):
        assert (tmp_path / name).read_bytes() == (PACKS / "tangerang" / name).read_bytes()


def test_generator_reproduces_pandeglang(tmp_path: Path) -> None:
    assert approximate.main(["pandeglang", "--out", str(tmp_path)]) == 0
    for name in ("districts.geojson", "posts.geojson"):
        assert (tmp_path / name).read_bytes() == (PACKS / "pandeglang" / name).read_bytes()


def test_generator_rejects_a_post_outside_its_district(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = copy_pack(tmp_path)
    edit_json(pack / "approximate.json", lambda d: d["posts"][0].update(district="36.71.13"))
    assert approximate.main(["tangerang", "--root", str(tmp_path)]) == 1
    assert "post dlh-kantor: not inside district 36.71.13" in capsys.readouterr().err
