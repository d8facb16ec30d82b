"""The wall screen's dispatch parts: the unassigned queue with SLA countdowns, and the
selected incident with its recommended officers. Pure: data in, components out.

Countdowns are drawn by `assets/sla.js` from each row's `data-due`/`data-start`, once a
second in the browser: no server round trip to make a clock tick.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from dash import dcc, html

from layouts import ids
from layouts.runcard import (
    OPEN_FOR_TASKS,
    eta_text,
    forward_section,
    runcard_section,
    tasks_section,
)
from liveroom.cities import City
from liveroom.domain.caller import Caller, readable_phone
from liveroom.i18n import translate
from liveroom.live.dispatch import OfficerStatus, StrandedTask
from liveroom.live.handling import Holder
from liveroom.live.runcards import NamedTask, Recommendation
from liveroom.reporting.reports import PublicReport


def _local(value: str | None, city: City) -> str:
    return datetime.fromisoformat(value).astimezone(city.timezone).strftime("%H:%M") if (
        value) else ""


def names(holders: Sequence[Holder]) -> str:
    """Who has an incident open, as a screen names them."""
    return ", ".join(holder.name for holder in holders)


def queue_items(city: City, items: list[dict], lang: str,
                handling: Mapping[str, Sequence[Holder]] | None = None) -> list:
    """One row per unassigned incident, saying who has it open if anyone (`handling`);
    clicking it opens the incident (`data-incident`: `assets/live.js` sets
    `ids.QUEUE_CHOICE`)."""
    if not items:
        return [html.Li(translate("queue.empty", lang), className="feed-empty")]
    rows = []
    for item in items:
        category = city.categories.get(item.get("category", ""))
        district = city.districts.get(item.get("district", ""))
        agency = city.agencies.get(item.get("agency", ""))
        holders = (handling or {}).get(item["id"])
        rows.append(html.Li(html.Button([
            html.Span(f"P{item.get('priority', '?')}",
                      className=f"chip priority-{item.get('priority', 4)}"),
            html.Span(category.name.get(lang) if category else item.get("category"),
                      className="feed-category"),
            html.Span(district.name if district else "", className="feed-district"),
            html.Span(agency.label(lang) if agency else "", className="queue-agency"),
            html.Span("", className="sla", **{"data-due": item.get("acknowledge_due", ""),
                                              "data-start": item.get("reported_at", "")}),
            *([html.Span(translate("handling.by", lang, name=names(holders)),
                         className="queue-handling")]
              if holders else []),
        ], type="button", className="queue-item", **{"data-incident": item["id"]})))
    return rows


def stranded_items(city: City, tasks: list[StrandedTask], lang: str) -> list:
    """Tasks whose officer went offline or off duty, under a heading (nothing when none);
    clicking one opens the incident to reassign it."""
    if not tasks:
        return []
    rows = []
    for task in tasks:
        item, category = task.incident, city.categories.get(task.incident.get("category", ""))
        rows.append(html.Li(html.Button([
            html.Span(f"P{item.get('priority', '?')}",
                      className=f"chip priority-{item.get('priority', 4)}"),
            html.Span(category.name.get(lang) if category else item.get("category"),
                      className="feed-category"),
            html.Span(translate(f"stranded.{task.reason}", lang, officer=task.officer.name),
                      className="stranded-reason"),
        ], type="button", className="queue-item", **{"data-incident": item["id"]})))
    return [html.H2(translate("stranded.title", lang)),
            html.Ol(rows, className="feed queue stranded")]


def _missed(item: dict, city: City, lang: str) -> str:
    """Which deadline an alert is about: acknowledging, or following up a forwarded one."""
    if item.get("alert_deadline") == "follow_up":
        return translate("escalated.follow_up", lang, due=_local(item.get("alert_due"), city))
    return translate("escalated.waiting", lang, due=_local(item.get("acknowledge_due"), city))


def escalated_items(city: City, items: Sequence[dict], lang: str) -> list:
    """Incidents whose supervisors an escalation rule alerted (past their acknowledge
    deadline, not yet acknowledged; or forwarded and past their follow-up date), under a
    heading (nothing when none); clicking one opens it."""
    if not items:
        return []
    rows = []
    for item in items:
        category = city.categories.get(item.get("category", ""))
        rows.append(html.Li(html.Button([
            html.Span(f"P{item.get('priority', '?')}",
                      className=f"chip priority-{item.get('priority', 4)}"),
            html.Span(category.name.get(lang) if category else item.get("category"),
                      className="feed-category"),
            html.Span(_missed(item, city, lang), className="stranded-reason"),
        ], type="button", className="queue-item", **{"data-incident": item["id"]})))
    return [html.H2(translate("escalated.title", lang)),
            html.Ol(rows, className="feed queue stranded escalated")]


#: statuses in which an officer holds the incident and a supervisor may move it
HELD = ("assigned", "acknowledged", "en_route", "on_scene")


def incident_panel(city: City, incident: dict, report: PublicReport | None,
                   officers: list[OfficerStatus], lang: str,
                   callers: Sequence[Caller] = (), others: Sequence[Holder] = (),
                   tasks: Sequence[NamedTask] = (), card: Recommendation | None = None,
                   now: datetime | None = None,
                   messages: Mapping[str, int] | None = None) -> html.Div:
    """The selected incident (what was reported, how, by whom, its photo and history), its
    tasks, its run card (`card`: what to send, in one click) and forwarding where its
    category allows, and the nearest available officers of its agency to assign one.
    `callers` come as the screen's user may see them (`commands.callers.incident_callers`:
    masked for most); a warning names whoever else has it open (`others`: acting is still
    allowed); what became of the messages to its reporters (`messages`:
    `notify.outcomes.of_incident`)."""
    t = lambda key, **values: translate(key, lang, **values)  # noqa: E731
    category = city.categories.get(incident.get("category", ""))
    district = city.districts.get(incident.get("district", ""))
    status = incident.get("status", "")
    assignable = status in ("triaged", "received")
    held = status in HELD

    def pick(o: OfficerStatus) -> html.Button:
        """Assign at once; a held incident goes through the officer's panel and a reason."""
        if held:
            return html.Button(t("dispatch.choose"), id=ids.choose_officer(o.id),
                               className="admin-button", n_clicks=0)
        return html.Button(t("dispatch.assign"), id=ids.assign(o.id, incident["id"]),
                           className="admin-button", n_clicks=0, disabled=not assignable)

    rows = [html.Li([
        html.Span(o.name, className="officer-name"),
        html.Span(f"{o.distance_m / 1000:.1f} km · {eta_text(o.eta, lang)}" if o.eta else
                  f"{o.distance_m / 1000:.1f} km", className="officer-distance"),
        pick(o),
    ], className="officer-row") for o in officers if o.distance_m is not None]
    details = report_details(city, category, incident, report, lang)
    return html.Div([
        html.Div([
            html.Span(incident["id"], className="incident-id"),
            html.Span(t(f"status.{status}"), className="feed-status", id=ids.DETAIL_STATUS),
            html.Button("×", id=ids.DETAIL_CLOSE, className="detail-close", n_clicks=0,
                        title=t("dispatch.close")),
        ], className="detail-head"),
        *([html.Div(t("handling.warning", name=names(others)), className="handling-warning",
                    id="handling-warning", role="alert")] if others else []),
        html.H3(category.name.get(lang) if category else incident.get("category")),
        html.Div(" · ".join(filter(None, [
            district.name if district else "", _local(incident.get("reported_at"), city)])),
            className="detail-meta"),
        html.P(incident.get("description") or "", className="feed-text"),
        details[0],  # (its facts first; its photo and history after dispatching)
        *tasks_section(city, tasks, lang, now),
        *runcard_section(city, card if status in OPEN_FOR_TASKS else None, lang),
        *forward_section(city, incident.get("category", ""), tasks, status, lang),
        html.H4(t("dispatch.recommended")),
        html.Ul(rows, className="officers", id="recommended") if rows else html.P(
            t("dispatch.nobody"), className="feed-empty", id="recommended"),
        *details[1:],
        *caller_list(city, callers, lang),
        *messages_section(messages or {}, lang),
        actions(city, incident, lang),
        html.Div(id=ids.ASSIGN_MESSAGE, className="admin-message"),
    ], className="detail-card", id="detail-card")


def report_details(city: City, category, incident: dict, report: PublicReport | None,
                   lang: str) -> list:
    t = lambda key, **values: translate(key, lang, **values)  # noqa: E731
    facts = [(t("dispatch.channel"), channel_name(city, incident.get("source", ""), lang))]
    if int(incident.get("reporters") or 1) > 1:  # callers the desk added to this one
        facts.append((t("dispatch.reporters"), str(incident["reporters"])))
    if report and category:
        facts += category.describe_answers(report.attributes, lang)
    parts: list = [html.Dl([item for question, answer in facts for item in (
        html.Dt(question), html.Dd(answer))], className="detail-facts")]
    if report and report.media_url:
        parts.append(html.Img(src=report.media_url, className="detail-photo",
                              alt=t("dispatch.photo")))
    if report and report.history:
        parts.append(html.Ul([html.Li([
            html.Span(step.at.astimezone(city.timezone).strftime("%H:%M"),
                      className="feed-time"),
            t("status.reopened" if step.reopened else f"status.{step.status}"),
            *([f" — {step.reason}"] if step.reason else []),
            *([html.Img(src=step.media_url, className="detail-photo",
                        alt=t("dispatch.work_photo"))] if step.media_url else []),
        ]) for step in reversed(report.history)], className="detail-history",
            id="detail-history"))
    return parts


def channel_name(city: City, source: str, lang: str) -> str:
    """How a report came in: a desk channel's name is the city's, the apps' the catalog's."""
    if not source:
        return translate("dispatch.channel_unknown", lang)
    if source in city.channels:
        return city.channels[source].get(lang)
    named = translate(f"source.{source}", lang)
    return source if named == f"source.{source}" else named


def caller_list(city: City, callers: Sequence[Caller], lang: str) -> list:
    """Who reported it, oldest first: channel, time, name, phone, e-mail as given (masked
    or not, by whoever chose the callers), and the report a merged caller came from."""
    if not callers:
        return []
    t = lambda key, **values: translate(key, lang, **values)  # noqa: E731
    rows = [html.Li([
        html.Span(channel_name(city, c.source, lang), className="caller-channel"),
        html.Span(_local(c.at.isoformat(), city), className="feed-time"),
        *[html.Span(part, className="caller-contact")
          for part in (c.name, c.phone and readable_phone(c.phone), c.email) if part],
        *([] if c.name or c.phone or c.email else [html.Span(
            t("dispatch.caller_erased" if c.erased else "dispatch.caller_anonymous"),
            className="caller-contact")]),
        *([html.Span(t("dispatch.caller_merged", id=c.merged_from), className="caller-merged")]
          if c.merged_from else []),
    ], className="caller") for c in callers]
    return [html.H4(t("dispatch.callers")), html.Ul(rows, className="callers", id="callers")]


def messages_section(messages: Mapping[str, int], lang: str) -> list:
    """How many messages to the reporters were sent, are queued, wait for a channel to be
    configured, failed; a warning when one failed or waits (nothing when none was made)."""
    if not sum(messages.values()):
        return []
    t = lambda key, **values: translate(key, lang, **values)  # noqa: E731
    counts = {name: messages.get(name, 0) for name in ("sent", "pending", "waiting", "failed")}
    warnings = [html.P(t(key), className="handling-warning", role="alert",
                       id=f"messages-{name}")
                for name, key in (("failed", "notify.failed"), ("waiting", "notify.waiting"))
                if counts[name]]
    return [html.H4(t("notify.title")),
            html.P(t("notify.summary", **counts), className="detail-meta", id="messages"),
            *warnings]


def actions(city: City, incident: dict, lang: str) -> html.Div:
    """Note, reject with a reason, escalate, re-route to another category (and so agency),
    or mark as a duplicate of another incident; the services decide what is allowed."""
    t = lambda key, **values: translate(key, lang, **values)  # noqa: E731
    options = [{"label": c.name.get(lang), "value": code}
               for code, c in city.categories.items() if code != incident.get("category")]
    return html.Div([
        dcc.Textarea(id=ids.ACTION_TEXT, placeholder=t("dispatch.text_hint"), maxLength=1000,
                     className="action-text"),
        html.Div([
            html.Button(t("dispatch.note"), id=ids.ACTION_NOTE, n_clicks=0,
                        className="admin-button-small"),
            html.Button(t("dispatch.escalate"), id=ids.ACTION_ESCALATE, n_clicks=0,
                        className="admin-button-small"),
            html.Button(t("dispatch.reject"), id=ids.ACTION_REJECT, n_clicks=0,
                        className="admin-button-small danger"),
        ], className="admin-actions"),
        html.Div([
            dcc.Dropdown(id=ids.ACTION_CATEGORY, options=options, clearable=False,
                         placeholder=t("dispatch.reroute_hint"), className="admin-dropdown"),
            html.Button(t("dispatch.reroute"), id=ids.ACTION_REROUTE, n_clicks=0,
                        className="admin-button-small"),
        ], className="admin-actions"),
        html.Div([
            dcc.Input(id=ids.ACTION_DUPLICATE_OF, placeholder=t("dispatch.duplicate_hint"),
                      maxLength=64, className="action-input"),
            html.Button(t("dispatch.duplicate"), id=ids.ACTION_DUPLICATE, n_clicks=0,
                        className="admin-button-small"),
        ], className="admin-actions"),
        dcc.Store(id=ids.ACTION_INCIDENT, data=incident["id"]),
    ], className="detail-actions")
