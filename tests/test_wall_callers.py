"""The wall's incident panel lists who reported it: in full for the incident's own operators
and supervisors, masked (initials, `+62 812-****-789`) for everyone else on the wall."""

from __future__ import annotations

import pytest

from callbacks.home import detail
from liveroom.access import Forbidden, Principal, Role
from liveroom.commands.desk import add_reporter, enter_report
from liveroom.commands.incidents import change_status
from tests.conftest import drain, person

OWN = person("opi", "operator", agencies=("kebersihan",))
FULL = ("Ibu Sari", "+62 812-3456-789", "Pak Eko", "+62 813-1111-2222")
MASKED = ("I. S.", "+62 812-****-789", "P. E.", "+62 813-****-*222")


@pytest.fixture
def incident_id(room, tangerang_point) -> str:
    incident = enter_report(room, by=OWN, channel="telepon", category="sampah-menumpuk",
                            lat=tangerang_point[0], lon=tangerang_point[1],
                            caller_name="Ibu Sari", caller_phone="0812-3456-789")
    add_reporter(room, incident.id, by=OWN, channel="112", caller_name="Pak Eko",
                 caller_phone="0813-1111-2222")
    drain(room)
    return incident.id


def text_of(node) -> str:
    """Every text in a component tree (the panel holds dcc inputs too)."""
    if isinstance(node, list | tuple):
        return " ".join(text_of(child) for child in node)
    if isinstance(node, str | int | float):
        return str(node)
    return text_of(getattr(node, "children", None) or [])


def panel(room, incident_id: str, by) -> str:
    return text_of(detail(room, incident_id, by, "id"))


@pytest.mark.parametrize("by", [OWN, person("sup", "supervisor", agencies=("kebersihan",)),
                                person("kota", "supervisor"),  # the command room's
                                person("root", "admin")])
def test_the_incidents_own_people_see_its_callers_in_full(room, incident_id, by):
    shown = panel(room, incident_id, by)
    assert "Pelapor" in shown and "Panggilan darurat 112" in shown
    assert all(part in shown for part in FULL)
    assert not any(part in shown for part in MASKED)


@pytest.mark.parametrize("by", [
    person("walikota", "mayor"),
    Principal(kind="kiosk", name="layar-lobi", roles=frozenset({Role.OPERATOR})),  # a screen
])
def test_everyone_else_on_the_wall_sees_them_masked(room, incident_id, by):
    shown = panel(room, incident_id, by)
    assert all(part in shown for part in MASKED)
    assert not any(part in shown for part in FULL)


def test_another_agencys_operator_does_not_open_the_incident_at_all(room, incident_id):
    with pytest.raises(Forbidden):
        panel(room, incident_id, person("dishub", "operator", agencies=("dishub",)))


def test_a_merged_caller_says_which_report_they_came_from(room, incident_id, tangerang_point):
    other = enter_report(room, by=OWN, channel="radio", category="sampah-menumpuk",
                         lat=tangerang_point[0] + 0.01, lon=tangerang_point[1],
                         caller_name="Dewi")
    change_status(room, other.id, "duplicate", duplicate_of=incident_id, by=OWN)
    drain(room)
    shown = panel(room, incident_id, OWN)
    assert "Dewi" in shown and f"dari laporan {other.id}" in shown
