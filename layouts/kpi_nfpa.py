"""The KPI page's fire panel: each unit's call processing, turnout, travel and first-engine
travel against NFPA 1710 (`liveroom.reporting.kpi.nfpa`), the 90th percentile in
minutes:seconds, green when the target is met and red when not, with the share within.
Pure: data in, rows out."""

from __future__ import annotations

from layouts.grid import Column
from liveroom.cities import City
from liveroom.i18n import translate
from liveroom.reporting.kpi import Dashboard
from liveroom.reporting.kpi.nfpa import STEPS, UnitTimes

#: a cell's class: the target met, missed, or nothing to judge
MET = {True: "nfpa-met", False: "nfpa-missed", None: ""}


def clock_time(seconds: float | None) -> str:
    """Seconds as m:ss (1:05), rounded to the second; – for none."""
    if seconds is None:
        return "–"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}"


def targets_of(city: City):
    """The first agency's NFPA targets (a city has one fire agency), or None."""
    return next((a.nfpa for a in city.agencies.values() if a.nfpa), None)


def title(data: Dashboard, city: City, lang: str) -> str:
    """"Damkar menurut NFPA 1710": the agencies the figures are of."""
    keys = dict.fromkeys(u.agency for u in data.nfpa) or [
        k for k, a in city.agencies.items() if a.nfpa]
    agencies = " · ".join(city.agencies[k].label(lang) for k in keys)
    return translate("kpi.nfpa.title", lang, agency=agencies)


def hint(city: City, lang: str) -> str:
    targets = targets_of(city)
    return translate("kpi.nfpa.hint", lang, share=round(100 * (targets.share if targets else 0.9)))


def columns(city: City, lang: str) -> list[Column]:
    """Unit, responses, then per step its 90th percentile (headed with the target) and the
    share within the target."""
    t, targets = (lambda key, **v: translate(key, lang, **v)), targets_of(city)
    found = [Column("unit", t("kpi.nfpa.unit")),
             Column("responses", t("kpi.nfpa.responses"), True)]
    for step, held_to in STEPS.items():
        target = clock_time(targets.target(held_to)) if targets else "–"
        found += [Column(f"{step}_p90", f"{t(f'kpi.nfpa.step.{step}')} "
                         f"{t('kpi.nfpa.p90', target=target)}", True, True),
                  Column(f"{step}_within", f"{t(f'kpi.nfpa.step.{step}')} "
                         f"{t('kpi.nfpa.within')}", True, True)]
    return found


def rows(data: Dashboard, city: City, lang: str) -> list[dict]:
    """All units first (per agency, named when there are several), then each unit."""
    several = len({u.agency for u in data.nfpa}) > 1

    def name(unit: UnitTimes) -> str:
        if unit.unit:
            return unit.name
        everyone = translate("kpi.nfpa.all_units", lang)
        return f"{everyone} · {city.agencies[unit.agency].label(lang)}" if several else everyone

    return [{
        "unit": name(u), "responses": u.responses,
        **{field: value for step, s in u.steps.items() for field, value in (
            (f"{step}_p90", s.percentile), (f"{step}_p90__text", clock_time(s.percentile)),
            (f"{step}_p90__class", MET[s.met]),
            (f"{step}_within", s.within_share),
            (f"{step}_within__text", "–" if s.within_share is None
             else f"{s.within_share:.0f}%"),
            (f"{step}_within__class", MET[s.met]))},
    } for u in data.nfpa]
