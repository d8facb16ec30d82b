"""The wall screen's pushed parts (figures, queue, feed) as HTML text: what an operator reads,
with citizens' words kept as words."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser

import dash_leaflet as dl
import pytest
from dash import html

from layouts import ids
from layouts.dispatch import escalated_items, incident_panel, queue_items
from layouts.home import feed_items, live_figures
from layouts.static import to_html
from liveroom.live.handling import Holder
from liveroom.live.overview import OPEN_STATUSES, FeedItem, Overview

HOSTILE = '<img src=x onerror="alert(1)"> & "kutip"'


class Elements(HTMLParser):
    """The elements of an HTML text: (tag, attributes) in order, and the text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs) -> None:
        self.found.append((tag, dict(attrs)))

    def handle_data(self, data) -> None:
        self.text.append(data)


def test_a_citizens_words_in_the_feed_are_text_not_markup(room):
    item = FeedItem("261206-AB12C", "sampah-menumpuk", "received", "Cipondoh", HOSTILE,
                    datetime.now(UTC))
    parsed = Elements(to_html(html.Ol(feed_items(room.city, (item,), "id"), id=ids.FEED)))
    assert [tag for tag, _ in parsed.found] == ["ol", "li", "span", "span", "span", "span",
                                                "div"]
    assert HOSTILE in parsed.text  # shown as written, nothing of it an element
    assert room.city.categories["sampah-menumpuk"].name.get("id") in parsed.text


def test_a_queued_incident_is_a_button_naming_it_with_its_deadline(room):
    item = {"id": "261206-AB12C", "priority": 1, "category": "kebakaran",
            "district": "36.71.03", "agency": "damkar", "acknowledge_due": "2030-01-01T00:05Z",
            "reported_at": "2030-01-01T00:00Z"}
    parsed = Elements(to_html(queue_items(room.city, [item], "id")))
    button = dict(parsed.found)["button"]
    assert button == {"type": "button", "class": "queue-item",
                      "data-incident": "261206-AB12C"}
    chip = next(attrs for tag, attrs in parsed.found if tag == "span")
    assert chip == {"class": "chip priority-1"} and "P1" in parsed.text
    sla = [attrs for tag, attrs in parsed.found if attrs.get("class") == "sla"]
    assert sla == [{"class": "sla", "data-due": "2030-01-01T00:05Z",
                    "data-start": "2030-01-01T00:00Z"}]


def test_styles_and_flags_are_written_as_html_attributes():
    text = to_html(html.Div(["a", 1], style={"borderColor": "#f00"}, hidden=True,
                            title=None, n_clicks=0))
    assert text == '<div hidden style="border-color: #f00">a1</div>'


@pytest.mark.parametrize("node", [html.Button("x", id={"type": "row", "id": 1}),
                                  dl.Marker(position=[0, 0])])
def test_what_needs_dash_to_render_it_is_refused(node):
    with pytest.raises(TypeError):
        to_html(node)


def test_each_pushed_part_is_one_element_with_the_parts_id(room):
    overview = Overview(at=datetime.now(UTC), officers_on_duty=0,
                        open_by_status={status.value: 0 for status in OPEN_STATUSES})
    parts = live_figures(room.city, overview, [], [], "id")
    assert len(parts) == len(ids.PUSHED_FIGURES)
    for part, text in zip(ids.PUSHED_FIGURES, parts, strict=True):
        (_tag, attributes), *_ = Elements(text).found
        assert attributes["id"] == part, text[:80]


QUEUED = {"id": "261206-AB12C", "priority": 2, "category": "parkir-liar",
          "district": "36.71.03", "agency": "dishub", "acknowledge_due": "2030-01-01T00:30Z",
          "reported_at": "2030-01-01T00:00Z"}


@pytest.mark.parametrize(("lang", "says"), [("id", "sedang ditangani oleh Ani, Budi"),
                                            ("en", "being handled by Ani, Budi")])
def test_a_queued_incident_someone_has_open_says_who(room, lang, says):
    holders = {QUEUED["id"]: [Holder("Ani", "user:ani"), Holder("Budi", "user:budi")]}
    held = Elements(to_html(queue_items(room.city, [QUEUED], lang, holders)))
    assert says in held.text
    free = Elements(to_html(queue_items(room.city, [QUEUED], lang, {"other": [
        Holder("Ani", "user:ani")]})))
    assert not [text for text in free.text if "Ani" in text]


def test_a_holders_name_is_shown_as_text_not_markup(room):
    parsed = Elements(to_html(queue_items(room.city, [QUEUED], "id", {QUEUED["id"]: [
        Holder(HOSTILE, "user:x")]})))
    assert [tag for tag, _ in parsed.found].count("img") == 0
    assert f"sedang ditangani oleh {HOSTILE}" in parsed.text


def test_the_panel_warns_whoever_opens_an_incident_someone_else_has_open(room):
    incident = {**QUEUED, "status": "triaged", "lat": "-6.17", "lon": "106.63"}
    warned = incident_panel(room.city, incident, None, [], "en",
                            others=[Holder("Ani", "user:ani")])
    banner = find(warned, "handling-warning")
    assert banner.role == "alert" and banner.children.startswith("Being handled by Ani.")
    alone = incident_panel(room.city, incident, None, [], "en")
    assert find(alone, "handling-warning") is None
    assert find(alone, ids.ACTION_REJECT) is not None  # acting stays possible either way
    assert find(warned, ids.ACTION_REJECT) is not None


def find(node, element_id: str):
    """The component with this id under `node`, or None."""
    if getattr(node, "id", None) == element_id:
        return node
    children = getattr(node, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if child is not None and not isinstance(child, str | int | float):
            found = find(child, element_id)
            if found is not None:
                return found
    return None


@pytest.mark.parametrize(("lang", "title", "says"), [
    ("id", "Lewat tenggat: pengawas diberi tahu", "belum diterima, tenggat 07:30"),
    ("en", "Past deadline: supervisors alerted", "not acknowledged, due 07:30")])
def test_escalated_incidents_head_the_wall_as_a_strip_that_opens_them(room, lang, title, says):
    overview = Overview(at=datetime.now(UTC), officers_on_duty=0,
                        open_by_status={status.value: 0 for status in OPEN_STATUSES},
                        escalated=(QUEUED,))
    parts = dict(zip(ids.PUSHED_FIGURES, live_figures(room.city, overview, [], [], lang),
                     strict=True))
    strip = Elements(parts[ids.STRANDED])
    assert title in strip.text and says in strip.text  # 00:30 UTC is 07:30 WIB
    assert ("button", {"type": "button", "class": "queue-item",
                       "data-incident": QUEUED["id"]}) in strip.found
    quiet = Overview(at=datetime.now(UTC), officers_on_duty=0,
                     open_by_status={status.value: 0 for status in OPEN_STATUSES})
    assert title not in Elements(live_figures(room.city, quiet, [], [], lang)[
        ids.PUSHED_FIGURES.index(ids.STRANDED)]).text


def test_an_alert_says_which_deadline_was_missed(room):
    waiting = {"id": "A", "category": "kemacetan", "priority": "2",
               "acknowledge_due": "2026-12-07T03:00:00+00:00", "alert_deadline": "acknowledge"}
    forwarded = {"id": "B", "category": "pipa-bocor", "priority": "3",
                 "acknowledge_due": "2026-12-01T03:00:00+00:00", "alert_deadline": "follow_up",
                 "alert_due": "2026-12-04T16:59:59+00:00"}
    said = to_html(html.Div(escalated_items(room.city, [waiting, forwarded], "id")))
    assert "belum diterima, tenggat 10:00" in said
    assert "diteruskan, tindak lanjut 23:59 terlewat" in said
