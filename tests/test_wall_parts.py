"""The wall screen's pushed parts (figures, queue, feed) as HTML text: what an operator reads,
with citizens' words kept as words."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser

import dash_leaflet as dl
import pytest
from dash import html

from layouts import ids
from layouts.dispatch import queue_items
from layouts.home import feed_items, live_figures
from layouts.static import to_html
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
