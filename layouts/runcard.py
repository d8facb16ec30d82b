"""The incident panel's dispatch parts: the incident's tasks (who is on it, how far along and
for how long; "Tarik" stands one down, for a reason), its run card (a line per agency with
the nearest to send, ticked; "Kirim semua" sends the ticked in one click; others can be
added; "Tambah unit" shows the next alarm) and forwarding to an outside body. Pure: data in,
components out.

Times in status tick in the browser (`assets/sla.js`, from each row's `data-since`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from dash import dcc, html

from layouts import ids
from liveroom.cities import City
from liveroom.i18n import translate
from liveroom.live.eta import Eta
from liveroom.live.runcards import Candidate, Line, NamedTask, Recommendation

#: an incident in these statuses can be sent more units (`domain.incident._open_for_tasks`)
OPEN_FOR_TASKS = ("triaged", "assigned", "acknowledged", "en_route", "on_scene")


def elapsed(since: datetime | None, now: datetime | None) -> str:
    """Time in status as the wall's timers show it: m:ss, or h:mm:ss."""
    if since is None or now is None:
        return ""
    seconds = max(0, int((now - since).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


def agency_chip(city: City, agency: str, lang: str) -> html.Span:
    """An agency's short name on its colour."""
    found = city.agencies.get(agency)
    return html.Span(found.label(lang) if found else agency, className="agency-chip",
                     style={"background": found.colour if found else "#9fb0d0"})


def task_rows(city: City, tasks: Sequence[NamedTask], lang: str,
              now: datetime | None = None) -> list:
    """One row per task, running ones first: agency, who, status, time in it, and "Tarik"
    on a running one; an ended one says why (released), a forwarded one its reference."""
    t = lambda key, **values: translate(key, lang, **values)  # noqa: E731
    rows = []
    for named in tasks:
        task = named.task
        notes = [t("task.reason", reason=task.reason)] if task.reason else []
        if task.reference:
            notes.append(t("task.reference", reference=task.reference))
        if task.follow_up_due and task.running:
            notes.append(t("task.follow_up", date=task.follow_up_due.astimezone(
                city.timezone).strftime("%d/%m")))
        rows.append(html.Li([
            agency_chip(city, task.agency, lang),
            html.Span(named.label, className="task-who"),
            html.Span(t(f"task.status.{task.status.value}"),
                      className=f"task-status task-{task.status.value}"),
            *([html.Span(elapsed(task.since, now), className="task-since",
                         **{"data-since": task.since.isoformat()})] if task.running else []),
            *([html.Button(t("task.release"), id=ids.release(task.id, named.label), n_clicks=0,
                           className="admin-button-small danger task-release",
                           title=t("task.release_title", who=named.label))]
              if task.running else []),
            *([html.Div(" · ".join(notes), className="task-note")] if notes else []),
        ], className="task-row" if task.running else "task-row task-ended",
            **{"data-task": task.id}))
    return rows


def tasks_list(city: City, tasks: Sequence[NamedTask], lang: str,
               now: datetime | None = None) -> list:
    """What `ids.TASKS` holds: the tasks under a heading (nothing when none)."""
    if not tasks:
        return []
    return [html.H4(translate("task.title", lang)),
            html.Ul(task_rows(city, tasks, lang, now), className="tasks")]


def tasks_section(city: City, tasks: Sequence[NamedTask], lang: str,
                  now: datetime | None = None) -> list:
    """The incident's tasks (`ids.TASKS`, drawn again when a push touches the incident),
    and the form "Tarik" opens, hidden until then."""
    t = lambda key, **values: translate(key, lang, **values)  # noqa: E731
    return [
        html.Div(tasks_list(city, tasks, lang, now), id=ids.TASKS),
        html.Div([
            html.Span(id=ids.RELEASE_WHO, className="release-who"),
            html.Div([
                dcc.Input(id=ids.RELEASE_REASON, placeholder=t("task.release_reason"),
                          maxLength=280, className="action-input"),
                html.Button(t("task.release_confirm"), id=ids.RELEASE_CONFIRM, n_clicks=0,
                            className="admin-button-small danger"),
            ], className="admin-actions"),
            dcc.Store(id=ids.RELEASE_TASK),
        ], id=ids.RELEASE_FORM, className="release-form", hidden=True),
        html.Div(id=ids.TASK_MESSAGE, className="admin-message"),
    ]


def eta_text(eta: Eta, lang: str) -> str:
    """An arrival estimate and what it rests on: "≈ 9 mnt, dari 214 perjalanan"."""
    minutes = max(1, round(eta.minutes))
    if eta.basis == "trips":
        return translate("dispatch.eta_trips", lang, minutes=minutes, trips=eta.trips)
    if eta.basis == "road":
        return translate("dispatch.eta_road", lang, minutes=minutes)
    return translate("dispatch.eta_default", lang, minutes=minutes, kmh=f"{eta.kmh or 0:.0f}")


def eta_short(eta: Eta | None, lang: str) -> str:
    return translate("runcard.eta", lang, minutes=max(1, round(eta.minutes))) if eta else ""


def distance(candidate: Candidate) -> str:
    return "" if candidate.distance_m is None else f"{candidate.distance_m / 1000:.1f} km"


def candidate_label(candidate: Candidate, lang: str) -> html.Span:
    """A run card row under its agency's line: call sign (or officer, marked so), distance,
    ETA (what it rests on in its title)."""
    return html.Span([
        html.Span(candidate.label, className="pick-who"),
        *([html.Span(translate("task.officer", lang), className="pick-officer")]
          if candidate.kind == "officer" else []),
        html.Span(distance(candidate), className="pick-distance"),
        html.Span(eta_short(candidate.eta, lang), className="pick-eta",
                  title=eta_text(candidate.eta, lang) if candidate.eta else None),
    ], className="pick")


def candidate_text(city: City, candidate: Candidate, lang: str) -> str:
    """The same as one line of text (the "add" list, searchable)."""
    agency = city.agencies.get(candidate.agency)
    who = candidate.label + (f" ({translate('task.officer', lang)})"
                             if candidate.kind == "officer" else "")
    return " · ".join(filter(None, [agency.label(lang) if agency else candidate.agency, who,
                                    distance(candidate), eta_short(candidate.eta, lang)]))


def send_label(count: int, lang: str) -> str:
    return translate("runcard.send", lang, count=count)


def _line(city: City, line: Line, lang: str) -> html.Div:
    t = lambda key, **values: translate(key, lang, **values)  # noqa: E731
    head = [agency_chip(city, line.agency, lang),
            html.Span(t("runcard.line", wanted=line.wanted), className="line-wanted")]
    if line.running:
        head.append(html.Span(t("runcard.running", count=line.running),
                              className="line-running"))
    if line.short:
        head.append(html.Span(t("runcard.short", count=line.short), className="line-short"))
    picks = [dcc.Checklist(
        id=ids.runcard_line(line.agency),
        options=[{"label": candidate_label(c, lang), "value": c.value}
                 for c in line.candidates],
        value=[c.value for c in line.candidates], className="runcard-picks",
        labelClassName="runcard-pick", inputClassName="runcard-tick")] if line.candidates else []
    return html.Div([html.Div(head, className="line-head"), *picks],
                    className="runcard-line" + ("" if line.needed else " line-done"),
                    **{"data-agency": line.agency})


def _because(city: City, card: Recommendation, lang: str) -> list:
    """Which answers chose this card ("Ada orang yang terjebak? Ya"), if any."""
    category = city.categories.get(card.card.category)
    if not category or not (card.card.when or card.card.priority):
        return []
    said = [f"{question} {answer}" for question, answer in category.describe_answers(
        dict(card.card.when), lang)]
    if card.card.priority:
        said.insert(0, f"P{card.card.priority}")
    return [html.Div(translate("runcard.because", lang, conditions=", ".join(said)),
                     className="runcard-because")]


def runcard_body(city: City, card: Recommendation, lang: str) -> list:
    """The card at its alarm: its lines, the "add" list and what was added, "Kirim semua
    (N)" (N: the ticked), and "Tambah unit" while the card has another alarm."""
    t = lambda key, **values: translate(key, lang, **values)  # noqa: E731
    count = len(card.chosen)
    return [
        html.Div([html.Span(t("runcard.title", alarm=card.alarm), className="runcard-title"),
                  *_because(city, card, lang)], className="runcard-head"),
        *[_line(city, line, lang) for line in card.lines],
        *([html.Div(t("runcard.complete", alarm=card.alarm), className="runcard-complete")]
          if card.complete else []),
        dcc.Checklist(id=ids.RUNCARD_ADDED, options=[], value=[], className="runcard-picks",
                      labelClassName="runcard-pick", inputClassName="runcard-tick"),
        dcc.Dropdown(id=ids.RUNCARD_ADD, options=[
            {"label": candidate_text(city, c, lang), "value": c.value} for c in card.more],
            placeholder=t("runcard.add"), className="admin-dropdown runcard-add"),
        html.Button(send_label(count, lang), id=ids.RUNCARD_SEND, n_clicks=0,
                    className="runcard-send", disabled=not count),
        *([html.Button(t("runcard.next", alarm=card.alarm + 1), id=ids.RUNCARD_NEXT,
                       n_clicks=0, className="admin-button-small runcard-next",
                       title=", ".join(f"{city.agencies[a].label(lang)} {n}" if a in
                                       city.agencies else f"{a} {n}"
                                       for a, n in card.next_level.items()))]
          if card.has_next else []),
        dcc.Store(id=ids.RUNCARD_STATE, data={"incident": card.incident_id,
                                              "alarm": card.alarm}),
    ]


def runcard_section(city: City, card: Recommendation | None, lang: str) -> list:
    """The run card's part of the panel (empty when the incident takes no more tasks)."""
    return [html.Div(runcard_body(city, card, lang) if card else [], id=ids.RUNCARD,
                     className="runcard"),
            html.Div(id=ids.RUNCARD_MESSAGE, className="admin-message")]


def with_added(choice: str | None, offered: Sequence[Mapping], added: Sequence[Mapping],
               ticked: Sequence[str]) -> tuple[list, list, list]:
    """A pick from the "add" list moves to the added ones, ticked: (added options, ticked,
    what the list still offers)."""
    chosen = next((o for o in offered if o.get("value") == choice), None)
    if chosen is None:
        return list(added), list(ticked), list(offered)
    return ([*added, {"label": chosen["label"], "value": choice}], [*ticked, choice],
            [o for o in offered if o.get("value") != choice])


def forward_section(city: City, category_code: str, tasks: Sequence[NamedTask],
                    status: str, lang: str) -> list:
    """"Teruskan ke PDAM" with a reference number, where the category names a body
    (`forward_to`) and the incident is not with it already."""
    category = city.categories.get(category_code)
    body = city.external_bodies.get(category.forward_to or "") if category else None
    if body is None or status not in OPEN_FOR_TASKS or any(
            n.task.body == body.code and n.task.running for n in tasks):
        return []
    name = body.label(lang)
    return [html.Div([
        dcc.Input(id=ids.FORWARD_REFERENCE, maxLength=100, className="action-input",
                  placeholder=translate("task.forward_reference", lang, body=name)),
        html.Button(translate("task.forward", lang, body=name), id=ids.forward(body.code),
                    n_clicks=0, className="admin-button-small"),
    ], className="admin-actions forward", id=ids.FORWARD)]
