"""Each table of the KPI page as rows for a CSV or XLSX file, in the page's language; the
same figures the page shows, unrounded where the page rounds."""

from __future__ import annotations

from collections.abc import Callable

from liveroom.cities import City
from liveroom.i18n import translate
from liveroom.reporting.kpi.dashboard import Dashboard
from liveroom.reporting.kpi.figures import Times, names
from liveroom.reporting.kpi.nfpa import STEPS as NFPA_STEPS
from liveroom.reporting.kpi.officers import OfficerPerformance

STEPS = ("acknowledge", "arrive", "resolve")
Rows = tuple[list[str], list[list]]


def _times(rows: list[Times], names: dict[str, str], key_label: str, lang: str,
           flagged: dict[str, int]) -> Rows:
    t = lambda key: translate(key, lang)  # noqa: E731
    headers = [key_label, t("kpi.reported"), t("kpi.reports")]
    for step in STEPS:
        headers += [f"{t(f'kpi.step.{step}')} ({t('kpi.export.reached')})",
                    f"{t(f'kpi.step.{step}')} {t('kpi.export.median')}",
                    f"{t(f'kpi.step.{step}')} {t('kpi.export.p90')}"]
    headers += [f"{t('kpi.acknowledge_sla')} %", f"{t('kpi.resolve_sla')} %", t("kpi.flagged")]
    return headers, [[names.get(r.key, r.key), r.reported, r.reports,
                      *[v for s in STEPS for v in (r.reached[s], r.median[s], r.p90[s])],
                      r.acknowledge_sla, r.resolve_sla, flagged.get(r.key, 0)] for r in rows]


def agencies(data: Dashboard, city: City, lang: str) -> Rows:
    return _times(data.by_agency, names(city, "agency", lang), translate("kpi.agency", lang),
                  lang, data.flagged.get("agency", {}))


def districts(data: Dashboard, city: City, lang: str) -> Rows:
    return _times(data.by_district, names(city, "district", lang),
                  translate("kpi.district", lang), lang, data.flagged.get("district", {}))


def volume(data: Dashboard, city: City, lang: str) -> Rows:
    called = names(city, data.dimension, lang)
    return ([translate("kpi.export.day", lang), translate(f"kpi.by.{data.dimension}", lang),
             translate("kpi.reported", lang), translate("kpi.reports", lang)],
            [[day.isoformat(), called.get(key, key), n, reports]
             for day, key, n, reports in data.volumes])


def recurring(data: Dashboard, city: City, lang: str) -> Rows:
    categories, districts_ = names(city, "category", lang), names(city, "district", lang)
    return ([translate("kpi.export.category", lang), translate("kpi.district", lang),
             translate("kpi.reported", lang)],
            [[categories.get(c, c), districts_.get(d, d), n] for c, d, n in data.recurring])


def officers(data: Dashboard, city: City, lang: str) -> Rows:
    return officer_table(data.officers, city, lang)


def officer_table(people: list[OfficerPerformance], city: City, lang: str) -> Rows:
    weights, agencies_ = city.performance.weights, names(city, "agency", lang)
    headers = [translate(f"kpi.officer.{c}", lang) for c in (
        "name", "agency")] + [translate(f"kpi.export.{c}", lang) for c in (
            "officer_id", "expected_days", "present_days", "on_time_days")] + [
        translate(f"kpi.officer.{c}", lang) for c in (
            "attendance", "punctuality", "minutes_on_post", "resolved", "acknowledge_median",
            "resolve_median", "resolve_sla", "score")]
    return headers, [[
        o.name, agencies_.get(o.agency, o.agency), o.officer_id, o.expected_days,
        o.present_days, o.on_time_days, o.attendance, o.punctuality, o.minutes_on_post,
        o.times.reached["resolve"] if o.times else 0,
        o.times.median["acknowledge"] if o.times else None,
        o.times.median["resolve"] if o.times else None,
        o.times.resolve_sla if o.times else None, o.score(weights),
    ] for o in people]


def backlog(data: Dashboard, city: City, lang: str) -> Rows:
    agencies_ = names(city, "agency", lang)
    return ([translate("kpi.agency", lang), translate("kpi.export.age", lang),
             translate("kpi.open_now", lang)],
            [[agencies_.get(a, a), bucket, n] for a, bucket, n in data.backlog])


def nfpa(data: Dashboard, city: City, lang: str) -> Rows:
    """Fire agencies' units against NFPA 1710: per step how many reached it, the 90th
    percentile and target in seconds, the % within it and whether the target was met."""
    t = lambda key: translate(key, lang)  # noqa: E731
    headers = [t("kpi.agency"), t("kpi.nfpa.unit"), t("kpi.nfpa.export.unit_id"),
               t("kpi.nfpa.responses")]
    for step in NFPA_STEPS:
        name = t(f"kpi.nfpa.step.{step}")
        headers += [f"{name} ({t('kpi.export.reached')})", f"{name} {t('kpi.nfpa.export.p90')}",
                    f"{name} {t('kpi.nfpa.export.target')}", f"{name} {t('kpi.nfpa.within')} %",
                    f"{name} {t('kpi.nfpa.met')}"]
    agencies_ = names(city, "agency", lang)
    yes_no = {True: t("kpi.nfpa.yes"), False: t("kpi.nfpa.no"), None: None}
    return headers, [[
        agencies_.get(u.agency, u.agency), u.name or t("kpi.nfpa.all_units"), u.unit or "",
        u.responses, *[v for s in u.steps.values() for v in (
            s.count, s.percentile, s.target, s.within_share, yes_no[s.met])],
    ] for u in data.nfpa]


#: the page's tables by the name their download uses
TABLES: dict[str, Callable[[Dashboard, City, str], Rows]] = {
    "agencies": agencies, "districts": districts, "volume": volume, "recurring": recurring,
    "officers": officers, "backlog": backlog, "nfpa": nfpa}
