"""The KPI page's messages panel: messages to citizens sent and failed per channel in the
period (`liveroom.notify.outcomes.per_channel`). Pure: data in, a table out."""

from __future__ import annotations

from dash import html

from liveroom.i18n import translate
from liveroom.reporting.kpi import Dashboard

CHANNELS = ("whatsapp", "telegram", "sms", "email")


def table(data: Dashboard, lang: str) -> list:
    """One row per channel with any message (nothing yet: a line saying so)."""
    t = lambda key: translate(key, lang)  # noqa: E731
    rows = [(c, data.messages[c]) for c in CHANNELS if c in data.messages]
    if not data.ready:
        return []
    if not rows:
        return [html.P(t("kpi.messages.none"), className="feed-empty")]
    return [html.Table([
        html.Thead(html.Tr([html.Th(t(f"kpi.messages.{k}"))
                            for k in ("channel", "sent", "failed")])),
        html.Tbody([html.Tr([html.Td(t(f"notify.channel.{channel}")),
                             html.Td(str(n.get("sent", 0))), html.Td(str(n.get("failed", 0)))],
                            id=f"kpi-messages-{channel}") for channel, n in rows]),
    ], className="kpi-messages-table")]


def section(shown: dict, lang: str) -> html.Section:
    return html.Section([
        html.H2(translate("kpi.messages.title", lang)),
        html.P(translate("kpi.messages.hint", lang), className="admin-subtitle"),
        html.Div(shown["messages"], id="kpi-messages"),
    ], className="admin-section")
