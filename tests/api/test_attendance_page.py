"""The attendance page opens the period its address names; a bad one is today's."""

from __future__ import annotations

from datetime import timedelta

from callbacks.attendance import render
from tests.conftest import MORNING, person
from tests.test_callback_ids import component_ids

MAYOR = person("wali", "mayor")


def period_shown(page) -> tuple[str, str]:
    values = {c.id: c.value for c in page._traverse()
              if getattr(c, "id", None) in ("attendance-from", "attendance-to")}
    return values["attendance-from"], values["attendance-to"]


def test_the_address_names_the_period_and_a_bad_one_falls_back_to_today(room):
    today = MORNING.date()
    week = (today - timedelta(days=6)).isoformat(), today.isoformat()
    assert period_shown(render(room, MAYOR, "id", f"?from={week[0]}&to={week[1]}")) == week
    for bad in ("?from=kemarin",  # unreadable, reversed, longer than 93 days
                f"?from={today}&to={today - timedelta(days=1)}",
                f"?from={today - timedelta(days=400)}&to={today}"):
        page = render(room, MAYOR, "id", bad)
        assert period_shown(page) == (today.isoformat(), today.isoformat()), bad
        assert "attendance-detail" in component_ids(page)
