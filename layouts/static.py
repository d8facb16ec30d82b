"""Dash's html components written out as HTML text, for the wall screen's parts that change
many times a minute (figures, queue, feed). Each part is shown by one `Purify` component
(DOMPurify), so a push replaces one prop. Pushed as components, every push mounted a few
hundred of them, and Dash's renderer announces each new one to every mounted component:
the page's main thread was busy with it 40% of the time under load (`bench/screen.py
--profile`). Layouts still build these parts from html components, and tests read them as
such."""

from __future__ import annotations

from html import escape

from dash.development.base_component import Component
from dash_extensions import Purify

#: Dash's own props, with no meaning in a static page
DASH_ONLY = frozenset({"n_clicks", "n_clicks_timestamp", "disable_n_clicks", "key",
                       "loading_state", "setProps"})
RENAMED = {"className": "class", "htmlFor": "for"}
VOID = frozenset({"br", "hr", "img", "input", "wbr"})


def to_html(node: Component | str | int | float | list | tuple | None) -> str:
    """`node` (html components, text, numbers, lists of them) as HTML; text and attribute
    values escaped, so citizens' words stay text."""
    if node is None:
        return ""
    if isinstance(node, list | tuple):
        return "".join(to_html(child) for child in node)
    if isinstance(node, str | int | float):
        return escape(str(node), quote=False)
    if not isinstance(node, Component) or node._namespace != "dash_html_components":
        raise TypeError(f"only html components are written out, not {type(node).__name__}")
    tag = node._type.lower()
    props = node.to_plotly_json()["props"]
    attributes = "".join(_attribute(name, value) for name, value in props.items()
                         if name != "children" and name not in DASH_ONLY)
    if tag in VOID:
        return f"<{tag}{attributes}>"
    return f"<{tag}{attributes}>{to_html(props.get('children'))}</{tag}>"


def _attribute(name: str, value: object) -> str:
    if value is None or value is False:
        return ""
    if name == "id" and not isinstance(value, str):
        raise TypeError("a pattern id needs Dash to render it; write a data- attribute")
    if name == "style":
        value = "; ".join(f"{_kebab(key)}: {v}" for key, v in dict(value).items())
    name = RENAMED.get(name, name)
    return f" {name}" if value is True else f' {name}="{escape(str(value), quote=True)}"'


def _kebab(name: str) -> str:
    return "".join(f"-{c.lower()}" if c.isupper() else c for c in name)


def shown(part_id: str, element: Component) -> Purify:
    """`element` (whose DOM id is `part_id`) as one component with that id, whose `html`
    a push replaces."""
    return Purify(id=part_id, html=to_html(element), className="live-part")
