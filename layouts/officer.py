"""The officer panel on the wall screen: who they are, where they stand, what they hold and
how their day went; with an incident open, the form to give it to them (with a reason when
it moves from another officer)."""

from __future__ import annotations

from dash import dcc, html

from layouts import ids
from liveroom.cities import City
from liveroom.i18n import translate
from liveroom.live.officer_card import OfficerCard


def officer_panel(city: City, card: OfficerCard, lang: str,
                  incident: dict | None = None) -> html.Div:
    t = lambda key, **values: translate(key, lang, **values)  # noqa: E731
    status = card.status
    agency = city.agencies.get(status.agency)
    facts = [agency.label(lang) if agency else status.agency,
             t(f"presence.{status.presence}"),
             t("officer.on_duty" if status.on_duty else "officer.off_duty")]
    tasks = [html.Li(f"{task['id']} · {_category(city, task, lang)} · "
                     f"{t('status.' + task.get('status', ''))}") for task in card.tasks]
    return html.Div([
        html.Div([
            html.Span(status.id, className="incident-id"),
            html.Button("×", id=ids.DETAIL_CLOSE, className="detail-close", n_clicks=0,
                        title=t("dispatch.close")),
        ], className="detail-head"),
        html.H3(status.name, id="officer-name"),
        html.Div(" · ".join(facts), className="detail-meta", id="officer-facts"),
        *(_give(incident, status.name, lang) if incident else []),
        html.H4(t("officer.tasks")),
        html.Ul(tasks, className="detail-history", id="officer-tasks") if tasks else html.P(
            t("officer.no_tasks"), className="feed-empty", id="officer-tasks"),
        *_attendance(card, city, lang),
        html.P(t("officer.track"), className="note") if len(card.track) > 1 else None,
        html.P(t("officer.archive_unavailable"), className="note", id="officer-archive",
               role="status") if card.archive_down else None,
    ], className="detail-card", id="officer-card")


def _category(city: City, task: dict, lang: str) -> str:
    category = city.categories.get(task.get("category", ""))
    return category.name.get(lang) if category else task.get("category", "")


def _give(incident: dict, officer: str, lang: str) -> list:
    """Assign (or, from another officer, reassign with a reason) the open incident."""
    t = lambda key, **values: translate(key, lang, **values)  # noqa: E731
    moving = bool(incident.get("officer_id"))
    return [html.Div([
        html.H4(t("officer.reassign" if moving else "officer.assign", incident=incident["id"],
                  officer=officer)),
        dcc.Textarea(id=ids.GIVE_REASON, placeholder=t("officer.reason"), className="action-text"),
        html.Button(t("officer.confirm_reassign" if moving else "officer.confirm"),
                    id=ids.GIVE_CONFIRM, className="admin-button", n_clicks=0),
        html.Div(id=ids.GIVE_MESSAGE, className="admin-message"),
    ], className="detail-actions")]


def _attendance(card: OfficerCard, city: City, lang: str) -> list:
    row = card.attendance
    if row is None:
        return []
    first_in = row.first_in.astimezone(city.timezone).strftime("%H:%M") if row.first_in else "–"
    return [html.H4(translate("officer.attendance", lang)),
            html.P(translate("officer.attendance_line", lang,
                             status=translate(f"attendance.{row.status}", lang),
                             first_in=first_in, minutes=row.minutes_on_post),
                   id="officer-attendance")]
