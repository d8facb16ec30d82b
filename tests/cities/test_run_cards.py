"""Run cards: which card an incident gets, its alarms, and the pack's checks of
`runcards.yaml`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from liveroom.cities import City, CityPackError, RunCard, load_city
from tests.cities.helpers import copy_pack, edit_yaml

FIRE = {"category": "kebakaran", "levels": [{"damkar": 2, "dishub": 1}, {"damkar": 2}]}
TRAPPED = {"category": "kebakaran", "when": {"orang-terjebak": "ya"},
           "levels": [{"damkar": 3, "satpolpp": 1}]}
CAR = {"category": "kebakaran", "when": {"objek-terbakar": "kendaraan"},
       "levels": [{"damkar": 1, "dishub": 1}]}
TRAPPED_IN_A_HOUSE = {"category": "kebakaran",
                      "when": {"orang-terjebak": "ya", "objek-terbakar": "rumah"},
                      "levels": [{"damkar": 4, "satpolpp": 1}]}
FLOOD = {"category": "banjir", "levels": [{"drainase": 1}]}
URGENT_FLOOD = {"category": "banjir", "priority": 1, "levels": [{"drainase": 2, "dishub": 1}]}
BOATS = {"category": "banjir", "when": {"kebutuhan": "perahu"},
         "levels": [{"drainase": 1, "damkar": 2}]}
#: a multiple-choice question the test pack adds to banjir
NEEDS = {"code": "kebutuhan", "datatype": "multivaluelist",
         "description": {"id": "Apa yang dibutuhkan?", "en": "What is needed?"},
         "values": {"pompa": {"id": "Pompa", "en": "Pumps"},
                    "perahu": {"id": "Perahu", "en": "Boats"}}}


def pack_with(tmp_path: Path, cards: list[dict[str, Any]] | None) -> Path:
    """A copy of the Tangerang pack whose runcards.yaml holds `cards` (None: no file), and
    whose banjir also asks NEEDS."""
    pack = copy_pack(tmp_path)
    runcards = pack / "runcards.yaml"
    if cards is None:
        runcards.unlink()
    else:
        runcards.write_text(yaml.safe_dump({"run_cards": cards}))

    def ask_needs(data: Any) -> None:
        banjir = next(c for c in data["categories"] if c["code"] == "banjir")
        banjir["attributes"].append(NEEDS)

    edit_yaml(pack / "categories.yaml", ask_needs)
    return pack


def city_with(tmp_path: Path, cards: list[dict[str, Any]] | None) -> City:
    pack_with(tmp_path, cards)
    return load_city("tangerang", root=tmp_path)


def test_the_most_specific_matching_card_wins(tmp_path: Path) -> None:
    city = city_with(tmp_path, [FIRE, TRAPPED, CAR, TRAPPED_IN_A_HOUSE])
    fire, trapped, car, in_a_house = city.run_cards

    def card(answers: dict[str, str]) -> RunCard:
        return city.run_card("kebakaran", 1, answers)

    assert card({"orang-terjebak": "ya", "objek-terbakar": "rumah"}) == in_a_house
    assert card({"orang-terjebak": "ya", "objek-terbakar": "pabrik-gudang"}) == trapped
    assert card({"orang-terjebak": "tidak", "objek-terbakar": "kendaraan"}) == car
    assert card({"orang-terjebak": "tidak-tahu"}) == fire
    assert card({}) == fire
    assert (fire.specificity, trapped.specificity, in_a_house.specificity) == (0, 1, 2)


def test_a_tie_goes_to_the_card_listed_first(tmp_path: Path) -> None:
    both = {"orang-terjebak": "ya", "objek-terbakar": "kendaraan"}
    trapped_first = city_with(tmp_path / "a", [FIRE, TRAPPED, CAR])
    car_first = city_with(tmp_path / "b", [FIRE, CAR, TRAPPED])
    assert trapped_first.run_card("kebakaran", 1, both).when == TRAPPED["when"]
    assert car_first.run_card("kebakaran", 1, both).when == CAR["when"]


def test_a_list_answer_matches_a_value_it_holds(tmp_path: Path) -> None:
    city = city_with(tmp_path, [FLOOD, BOATS])
    flood, boats = city.run_cards
    assert city.run_card("banjir", 2, {"kebutuhan": ["pompa", "perahu"]}) == boats
    assert city.run_card("banjir", 2, {"kebutuhan": ["pompa"]}) == flood
    assert city.run_card("banjir", 2, {"kebutuhan": "perahu"}) == boats


def test_a_card_for_a_priority_is_only_for_that_priority(tmp_path: Path) -> None:
    city = city_with(tmp_path, [FLOOD, URGENT_FLOOD])
    flood, urgent = city.run_cards
    assert city.run_card("banjir", 1, {"kedalaman-air": "selutut"}) == urgent
    assert city.run_card("banjir", 2, {"kedalaman-air": "selutut"}) == flood
    assert city.run_card("banjir", None, {}) == flood


def test_without_a_matching_card_one_unit_of_the_categorys_agency(tmp_path: Path) -> None:
    city = city_with(tmp_path, [URGENT_FLOOD])
    default = city.run_card("banjir", 3, {})
    assert (default.levels, default.specificity) == (({"drainase": 1},), 0)
    assert city.run_card("sampah-menumpuk", 3, {}).levels == ({"kebersihan": 1},)
    assert [c.priority for c in city.run_cards] == [1]  # the default is built, not stored


def test_a_pack_without_runcards_yaml_has_only_default_cards(tmp_path: Path) -> None:
    city = city_with(tmp_path, None)
    assert city.run_cards == ()
    for category in city.categories.values():
        assert city.run_card(category.code, 1, {}).levels == ({category.agency: 1},)


def test_alarms_add_up_level_by_level() -> None:
    card = RunCard(category="kebakaran", levels=(
        {"damkar": 2, "dishub": 1}, {"damkar": 2}, {"damkar": 1, "drainase": 1}))
    assert card.level(1) == {"damkar": 2, "dishub": 1}
    assert card.level(3) == {"damkar": 1, "drainase": 1}
    assert card.level(4) is None
    assert card.lines_up_to(0) == {}
    assert card.lines_up_to(2) == {"damkar": 4, "dishub": 1}
    assert card.lines_up_to(3) == card.lines_up_to(9) == {"damkar": 5, "dishub": 1,
                                                           "drainase": 1}
    card.level(1)["damkar"] = 99  # a copy: the pack's card stays as it is
    assert card.level(1)["damkar"] == 2
    with pytest.raises(ValueError, match="from 1"):
        card.level(0)


def test_the_shipped_packs_send_more_for_a_trapped_person() -> None:
    for slug in ("tangerang", "pandeglang"):
        city = load_city(slug)
        plain = city.run_card("kebakaran", 1, {"orang-terjebak": "tidak"})
        trapped = city.run_card("kebakaran", 1, {"orang-terjebak": "ya"})
        assert trapped.lines_up_to(1)["damkar"] > plain.lines_up_to(1)["damkar"], slug
        assert len(plain.levels) >= 2, slug  # "tambah unit" has something to add


def test_tangerangs_trapped_person_wins_ties_with_what_is_burning() -> None:
    city = load_city("tangerang")
    trapped = city.run_card("kebakaran", 1, {"orang-terjebak": "ya"})
    in_a_car = city.run_card("kebakaran", 1, {"orang-terjebak": "ya",
                                              "objek-terbakar": "kendaraan"})
    assert in_a_car == trapped


def card(**fields: Any) -> list[dict[str, Any]]:
    return [FIRE, {"category": "kebakaran", "levels": [{"damkar": 1}], **fields}]


BREAKAGES = {
    "unknown-category": (
        [{"category": "gempa", "levels": [{"damkar": 1}]}],
        "run_cards[0].category: card gempa: unknown category 'gempa'"),
    "unknown-agency": (
        card(levels=[{"damkar": 1}, {"bpbd": 2}]),
        "run_cards[1].levels[1].bpbd: card kebakaran: unknown agency 'bpbd'"),
    "no-units": (card(levels=[{"damkar": 0}]), "run_cards[1].levels[0].damkar: card kebakaran: "
                                                "Input should be greater than or equal to 1"),
    "too-many-units": (card(levels=[{"damkar": 21}]), "run_cards[1].levels[0].damkar: "
                       "card kebakaran: Input should be less than or equal to 20"),
    "unknown-question": (
        card(when={"korban": "ya"}),
        "run_cards[1].when.korban: card kebakaran (korban=ya): kebakaran asks no 'korban' "
        "(its questions: orang-terjebak, objek-terbakar)"),
    "unknown-choice": (
        card(when={"orang-terjebak": "mungkin"}),
        "run_cards[1].when.orang-terjebak: card kebakaran (orang-terjebak=mungkin): "
        "'mungkin' is not one of "),
    "question-without-choices": (
        [{"category": "penyelamatan", "when": {"jumlah-orang": "3"},
          "levels": [{"damkar": 2}]}],
        "run_cards[0].when.jumlah-orang: card penyelamatan (jumlah-orang=3): 'jumlah-orang' "
        "has no choices to match"),
    "priority-out-of-range": (card(priority=5), "run_cards[1].priority: card kebakaran "
                              "(priority 5): Input should be less than or equal to 4"),
    "no-levels": (card(levels=[]), "run_cards[1].levels: card kebakaran: Tuple should have "
                  "at least 1 item"),
    "empty-level": (card(levels=[{"damkar": 1}, {}]), "run_cards[1].levels[1]: card kebakaran: "
                    "Dictionary should have at least 1 item"),
    "six-levels": (card(levels=[{"damkar": 1}] * 6), "run_cards[1].levels: card kebakaran: "
                   "Tuple should have at most 5 items"),
    "first-alarm-without-the-lead": (
        card(levels=[{"dishub": 1}, {"damkar": 2}]),
        "run_cards[1].levels[0]: card kebakaran: the first alarm must send damkar, the lead "
        "agency"),
    "same-conditions-twice": (
        [TRAPPED, FIRE, {**TRAPPED, "levels": [{"damkar": 5}]}],
        "run_cards[2]: card kebakaran (orang-terjebak=ya): the same conditions as "
        "run_cards[0]"),
    "unknown-field": (card(alarm=2), "run_cards[1].alarm: card kebakaran: Extra inputs"),
}


@pytest.mark.parametrize(("cards", "message"), BREAKAGES.values(), ids=BREAKAGES)
def test_a_broken_card_is_named_with_its_file_and_field(tmp_path: Path, cards: list[Any],
                                                         message: str) -> None:
    pack_with(tmp_path, cards)
    with pytest.raises(CityPackError) as excinfo:
        load_city("tangerang", root=tmp_path)
    assert f"tangerang/runcards.yaml: {message}" in str(excinfo.value)


def test_a_runcards_file_without_its_list_is_refused(tmp_path: Path) -> None:
    pack = pack_with(tmp_path, [])
    (pack / "runcards.yaml").write_text("cards: []\n")
    with pytest.raises(CityPackError, match=r"runcards.yaml: run_cards: Field required"):
        load_city("tangerang", root=tmp_path)
