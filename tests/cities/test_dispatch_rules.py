"""Dispatch rules (`dispatch:` in city.yaml), the unit board's colours, and the external
bodies categories are forwarded to (`external_bodies:` in agencies.yaml)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from liveroom.cities import CityPackError, DispatchRules, load_city
from liveroom.cities.dispatch import UNIT_STATUSES
from liveroom.cities.model import EscalationRule
from tests.cities.helpers import PACKS, copy_pack, edit_yaml


def test_a_pack_without_dispatch_rules_gets_the_defaults() -> None:
    assert "dispatch" not in yaml.safe_load((PACKS / "pandeglang" / "city.yaml").read_text())
    assert load_city("pandeglang").dispatch == DispatchRules()
    rules = DispatchRules()
    assert (rules.resolve_when, rules.after_lead) == ("lead", "stand_down")
    assert set(rules.board_minutes) == set(UNIT_STATUSES) - {"available"}


def test_a_unit_turns_amber_then_red_the_longer_it_stays_in_a_status() -> None:
    rules = DispatchRules(board_minutes={"en_route": (10, 20)})
    assert [rules.colour("en_route", m) for m in (0, 9.9, 10, 19.9, 20, 600)] == [
        "normal", "normal", "amber", "amber", "red", "red"]


def test_an_available_unit_is_never_coloured_and_an_unknown_status_is_refused() -> None:
    rules = DispatchRules()
    assert rules.colour("available", 10_000) == "normal"
    with pytest.raises(ValueError, match="unknown unit status 'parked'"):
        rules.colour("parked", 1)


def test_every_timed_status_turns_red_eventually_in_both_packs() -> None:
    for slug in ("tangerang", "pandeglang"):
        rules = load_city(slug).dispatch
        for status in UNIT_STATUSES[1:]:
            amber, red = rules.board_minutes[status]
            assert rules.colour(status, amber - 0.5) == "normal", (slug, status)
            assert rules.colour(status, red) == "red", (slug, status)


def set_dispatch(**fields: Any) -> Callable[[Path], None]:
    return lambda pack: edit_yaml(pack / "city.yaml", lambda d: d.update(dispatch=fields))


def test_statuses_a_pack_leaves_out_keep_their_default_thresholds(tmp_path: Path) -> None:
    set_dispatch(board_minutes={"on_scene": [90, 180]})(copy_pack(tmp_path))
    rules = load_city("tangerang", root=tmp_path).dispatch
    assert rules.colour("on_scene", 100) == "amber"
    assert rules.board_minutes["dispatched"] == DispatchRules().board_minutes["dispatched"]


def test_a_follow_up_deadline_is_one_an_escalation_rule_may_wait_on() -> None:
    rules = {r.code: r for r in load_city("tangerang").escalation}
    assert rules["follow-up-missed"].deadline == "follow_up"
    assert EscalationRule(code="x", deadline="follow_up", action="flag").applies("banjir", 2)


def test_every_category_that_forwards_names_a_body_with_a_follow_up() -> None:
    city = load_city("tangerang")
    forwarded = {c.code: city.external_bodies[c.forward_to]
                 for c in city.categories.values() if c.forward_to}
    assert forwarded  # the pack shows the feature
    assert all(body.follow_up_days >= 1 for body in forwarded.values())
    assert city.external_bodies["pln"].label("en") == "PLN"
    assert load_city("pandeglang").external_bodies == {}


def set_body(code: str, **fields: Any) -> Callable[[Path], None]:
    def change(data: Any) -> None:
        data["external_bodies"][code].update(fields)

    return lambda pack: edit_yaml(pack / "agencies.yaml", change)


def forward(code: str, body: str) -> Callable[[Path], None]:
    def change(data: Any) -> None:
        next(c for c in data["categories"] if c["code"] == code)["forward_to"] = body

    return lambda pack: edit_yaml(pack / "categories.yaml", change)


def add_body(code: str) -> Callable[[Path], None]:
    body = {"name": {"id": code, "en": code}, "short": {"id": code, "en": code},
            "follow_up_days": 1}
    return lambda pack: edit_yaml(pack / "agencies.yaml",
                                  lambda d: d["external_bodies"].update({code: body}))


BREAKAGES = {
    "amber-after-red": (set_dispatch(board_minutes={"en_route": [20, 10]}), "city.yaml",
                        "dispatch.board_minutes: Value error, en_route: amber (20) must come "
                        "before red (10)"),
    "amber-at-red": (set_dispatch(board_minutes={"returning": [30, 30]}), "city.yaml",
                     "returning: amber (30) must come before red (30)"),
    "zero-minutes": (set_dispatch(board_minutes={"dispatched": [0, 5]}), "city.yaml",
                     "dispatch.board_minutes.dispatched[0]: Input should be greater than 0"),
    "unknown-status": (set_dispatch(board_minutes={"parked": [1, 2]}), "city.yaml",
                       "dispatch.board_minutes: Value error, unknown status 'parked' "
                       "(statuses: dispatched, en_route"),
    "available-timed": (set_dispatch(board_minutes={"available": [1, 2]}), "city.yaml",
                        "an available unit has no time in status to colour"),
    "unknown-resolve-rule": (set_dispatch(resolve_when="mayor"), "city.yaml",
                             "dispatch.resolve_when: Input should be 'lead' or 'all_tasks'"),
    "unknown-forward": (forward("pipa-bocor", "pgn"), "categories.yaml",
                        ".forward_to: unknown external body 'pgn' (known: pln, pdam, telkom)"),
    "no-follow-up": (set_body("pdam", follow_up_days=0), "agencies.yaml",
                     "external_bodies.pdam.follow_up_days: Input should be greater than or "
                     "equal to 1"),
    "follow-up-too-late": (set_body("pln", follow_up_days=61), "agencies.yaml",
                           "external_bodies.pln.follow_up_days: Input should be less than or "
                           "equal to 60"),
    "phone-in-words": (set_body("telkom", phone="call Telkom"), "agencies.yaml",
                       "external_bodies.telkom.phone: String should match pattern"),
    "body-that-is-an-agency": (add_body("damkar"), "agencies.yaml",
                               "external_bodies.damkar: 'damkar' is an agency already"),
    "body-without-short-name": (
        lambda pack: edit_yaml(pack / "agencies.yaml",
                               lambda d: d["external_bodies"]["pln"].pop("short")),
        "agencies.yaml", "external_bodies.pln.short: Field required"),
}


@pytest.mark.parametrize(("breakage", "filename", "message"), BREAKAGES.values(), ids=BREAKAGES)
def test_broken_rules_and_bodies_name_file_and_field(
    tmp_path: Path, breakage: Callable[[Path], None], filename: str, message: str
) -> None:
    breakage(copy_pack(tmp_path))
    with pytest.raises(CityPackError) as excinfo:
        load_city("tangerang", root=tmp_path)
    assert f"tangerang/{filename}: " in str(excinfo.value)
    assert message in str(excinfo.value)


def test_a_body_nothing_forwards_to_is_fine_and_a_new_one_can_be_named(tmp_path: Path) -> None:
    pack = copy_pack(tmp_path)
    add_body("pgn")(pack)
    forward("kabel-menjuntai", "pgn")(pack)
    city = load_city("tangerang", root=tmp_path)
    assert city.categories["kabel-menjuntai"].forward_to == "pgn"
    assert city.external_bodies["pgn"].phone is None
