"""The attendance page: the daily recap per agency, per post and per officer, the
check-ins marked for review and the latest spoofing flags, each with their evidence, and
the CSV/XLSX downloads. Pure: data in,
components out; times in the city's zone."""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import urlencode

from dash import dcc, html

from layouts import ids
from layouts.grid import Column, grid
from layouts.home import report_header
from liveroom.access import Principal
from liveroom.cities import City
from liveroom.i18n import translate
from liveroom.reporting.attendance import RecapRow, Summary, review_text

DETAIL_ROWS = 500


def _t(lang: str):
    return lambda key, **values: translate(key, lang, **values)


def download_links(first: date, last: date, agency: str | None, lang: str) -> list:
    query = urlencode({"from": first.isoformat(), "to": last.isoformat(), "lang": lang,
                       **({"agency": agency} if agency else {})})
    t = _t(lang)
    return [html.A(t("attendance.download_csv"), href=f"/attendance.csv?{query}",
                   id="download-csv", className="admin-button-link"),
            html.A(t("attendance.download_xlsx"), href=f"/attendance.xlsx?{query}",
                   id="download-xlsx", className="admin-button-link")]


SUMMARY_COUNTS = ("officer_days", "present", "late", "absent", "scheduled", "left_early")


def summary_table(summaries: list[Summary], names: dict[str, str], lang: str,
                  table_id: str, key_label: str) -> html.Div:
    t = _t(lang)
    columns = [Column("key", key_label),
               *[Column(c, t(f"attendance.summary.{c}"), True) for c in SUMMARY_COUNTS],
               Column("minutes_on_post", t("attendance.summary.minutes_on_post"), True, True),
               Column("to_review", t("attendance.summary.to_review"), True, True),
               Column("attendance_rate", t("attendance.summary.attendance_rate"), True, True)]
    return grid(table_id, columns, [{
        "key": names.get(s.key, s.key), **{c: getattr(s, c) for c in SUMMARY_COUNTS},
        "minutes_on_post": s.minutes_on_post, "minutes_on_post__text": f"{s.minutes_on_post:,}",
        "to_review": s.to_review, "to_review__text": s.to_review or "",
        "attendance_rate": None if s.attendance_rate is None else round(
            100 * s.attendance_rate, 1),
        "attendance_rate__text": "–" if s.attendance_rate is None else
        f"{s.attendance_rate:.0%}",
    } for s in summaries], lang)


def detail_table(rows: list[RecapRow], city: City, lang: str) -> html.Div:
    """One row per officer and shift day (the first `DETAIL_ROWS`; the downloads hold all)."""
    t, zone = _t(lang), city.timezone

    def clock(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%H:%M") if moment else "–"

    def agency(key: str) -> str:  # (short: the full names are in the summary above)
        return city.agencies[key].label(lang) if key in city.agencies else key

    def post(key: str | None) -> str:
        return city.posts[key].name if key in city.posts else (key or "–")

    def shift(key: str) -> str:
        return city.shifts[key].name.get(lang) if key in city.shifts else key

    header = {c: t(f"attendance.column.{c}") for c in (
        "day", "name", "agency", "post_id", "shift", "status", "first_in", "last_out",
        "minutes_on_post", "flags", "review")}
    columns = [Column("day", header["day"]), Column("name", header["name"]),
               *[Column(c, header[c]) for c in ("agency", "post_id", "shift")],
               Column("status", header["status"], shown=True),
               Column("first_in", header["first_in"]),
               Column("last_out", header["last_out"]),
               Column("minutes_on_post", header["minutes_on_post"], True),
               Column("flags", header["flags"], True, True),
               Column("review", header["review"], shown=True)]
    return grid("attendance-detail", columns, [{
        "day": r.day.isoformat(), "name": r.name, "agency": agency(r.agency),
        "post_id": post(r.post_id), "shift": shift(r.shift),
        "status": t(f"attendance.{r.status}") + (
            f" (+{r.late_minutes}′)" if r.late_minutes else ""),
        "status__class": f"att-{r.status}",  # (words as the value: filters match them)
        "first_in": clock(r.first_in),
        "last_out": clock(r.last_out) + (" ⚑" if r.left_early else ""),
        "minutes_on_post": r.minutes_on_post, "flags": r.flags, "flags__text": r.flags or "",
        "review": ", ".join(t(f"review.{mark.rule}") for mark in r.review),
        "review__class": "att-review" if r.review else "",
    } for r in rows[:DETAIL_ROWS]], lang)


def review_list(rows: list[RecapRow], city: City, lang: str) -> html.Ul | html.P:
    """Check-ins that count but a supervisor should look at, with the evidence."""
    t = _t(lang)
    marked = [r for r in rows if r.review]
    if not marked:
        return html.P(t("attendance.no_reviews"), className="admin-empty", id="reviews")
    return html.Ul([html.Li([
        html.Span(f"{r.day:%d-%m} {r.review[0].checked_in_at.astimezone(city.timezone):%H:%M}",
                  className="feed-time"),
        html.Span(r.name, className="feed-category"),
        html.Span(review_text(r.review, city, lang), className="feed-text"),
    ], className="feed-item") for r in marked[:DETAIL_ROWS]], className="feed", id="reviews")


def flags_list(flags: list[dict], city: City, lang: str) -> html.Div:
    t = _t(lang)
    if not flags:
        return html.P(t("attendance.no_flags"), className="admin-empty", id="flags")
    items = []
    for flag in flags:
        at = datetime.fromisoformat(flag["at"]).astimezone(city.timezone)
        evidence = ", ".join(f"{k}={v}" for k, v in flag["evidence"].items())
        items.append(html.Li([
            html.Span(at.strftime("%d-%m %H:%M"), className="feed-time"),
            html.Span(flag["officer_id"], className="feed-category"),
            html.Span(t(f"flag.{flag['rule']}"), className="feed-status"),
            html.Span(f"{evidence} @ {flag['lat']:.5f}, {flag['lon']:.5f}",
                      className="feed-text"),
        ], className="feed-item"))
    return html.Ul(items, className="feed", id="flags")


def body(city: City, rows: list[RecapRow], by_agency: list[Summary], by_post: list[Summary],
         flags: list[dict], lang: str) -> list:
    t = _t(lang)
    agencies = {k: a.name.get(lang) for k, a in city.agencies.items()}
    posts = {k: p.name for k, p in city.posts.items()}
    return [
        html.H2(t("attendance.by_agency")),
        summary_table(by_agency, agencies, lang, "attendance-agencies",
                      t("attendance.column.agency")),
        html.H2(t("attendance.by_post")),
        summary_table(by_post, posts, lang, "attendance-posts", t("attendance.column.post_id")),
        html.H2(t("attendance.reviews")), html.P(t("attendance.reviews_help"),
                                                 className="admin-hint"),
        review_list(rows, city, lang),
        html.H2(t("attendance.title")), detail_table(rows, city, lang),
        html.H2(t("attendance.flags")), flags_list(flags, city, lang),
    ]


def attendance_layout(city: City, first: date, last: date, content: list, lang: str,
                      principal: Principal, csrf: str) -> html.Div:
    t = _t(lang)
    agency_options = [{"label": t("attendance.all_agencies"), "value": ""}] + [
        {"label": a.name.get(lang), "value": k} for k, a in city.agencies.items()]
    return html.Div([
        report_header(t("attendance.title"), city, principal, csrf, lang),
        html.Main([
            html.Section([
                html.Div([
                    html.Label([t("attendance.from"), dcc.Input(
                        id=ids.ATTENDANCE_FROM, type="date", value=first.isoformat())],
                        className="admin-field"),
                    html.Label([t("attendance.to"), dcc.Input(
                        id=ids.ATTENDANCE_TO, type="date", value=last.isoformat())],
                        className="admin-field"),
                    html.Label([t("attendance.column.agency"), dcc.Dropdown(
                        id=ids.ATTENDANCE_AGENCY, options=agency_options, value="",
                        clearable=False)], className="admin-field"),
                    html.Div(download_links(first, last, None, lang),
                             id=ids.ATTENDANCE_DOWNLOADS, className="admin-actions"),
                ], className="admin-user-fields"),
            ], className="admin-section"),
            html.Section(content, id=ids.ATTENDANCE_BODY, className="admin-section"),
        ], className="admin-main"),
        dcc.Store(id=ids.ATTENDANCE_LANG, data=lang),
    ], lang=lang, className="admin")
