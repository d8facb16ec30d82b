"""The monthly performance recap per agency and officer, the input to the officers'
allowances (tunjangan kinerja): the same figures as the KPI page for one calendar month,
with the score's formula printed on it, as XLSX and PDF."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime

from liveroom.access import Principal
from liveroom.cities import City
from liveroom.domain.errors import InvalidCommand
from liveroom.i18n import translate
from liveroom.reporting.kpi.exports import officer_table
from liveroom.reporting.kpi.figures import Period, Scope, percent
from liveroom.reporting.kpi.officers import OfficerPerformance, officer_performance
from liveroom.reporting.spreadsheets import xlsx_bytes
from liveroom.room import LiveRoom


@dataclass(frozen=True)
class Recap:
    city: City
    month: date  # its first day
    agency: str | None
    officers: list[OfficerPerformance]
    made_at: datetime

    def agencies(self, lang: str) -> list[list]:
        """Per agency: officers, days expected, present and on time, attendance %,
        punctuality %, tasks resolved, mean score."""
        weights, rows = self.city.performance.weights, []
        for key in sorted({o.agency for o in self.officers}):
            group = [o for o in self.officers if o.agency == key]
            expected = sum(o.expected_days for o in group)
            present = sum(o.present_days for o in group)
            scores = [s for o in group if (s := o.score(weights)) is not None]
            agency = self.city.agencies.get(key)
            rows.append([agency.name.get(lang) if agency else key, len(group), expected,
                         present, sum(o.on_time_days for o in group),
                         percent(present, expected),
                         percent(sum(o.on_time_days for o in group), present),
                         sum(o.times.reached["resolve"] for o in group if o.times),
                         round(sum(scores) / len(scores), 1) if scores else None])
        return rows


def month_of(text: str | None, today: date) -> date:
    """`YYYY-MM` (default: this month) as its first day."""
    try:
        return date.fromisoformat(f"{text}-01") if text else today.replace(day=1)
    except ValueError:
        raise InvalidCommand(f"month {text!r} is not YYYY-MM") from None


def monthly_recap(room: LiveRoom, month: date, *, by: Principal,
                  agency: str | None = None) -> Recap:
    last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    scope = Scope(Period(month, last), agency=agency)
    return Recap(room.city, month, agency, officer_performance(room, scope, by=by),
                 room.clock())


def _headers(lang: str) -> list[str]:
    return [translate(f"kpi.recap.{c}", lang) for c in (
        "agency", "officers", "expected_days", "present_days", "on_time_days", "attendance",
        "punctuality", "resolved", "mean_score")]


def title(recap: Recap, lang: str) -> str:
    month = translate(f"month.{recap.month.month}", lang)
    return translate("kpi.recap.title", lang, city=recap.city.name,
                     month=f"{month} {recap.month.year}")


def formula_text(city: City, lang: str) -> str:
    parts = " + ".join(f"{weight:.0%} {translate(f'kpi.measure.{name}', lang)}"
                       for name, weight in city.performance.weights.items() if weight)
    return translate("kpi.score_formula", lang, formula=parts)


def recap_xlsx(recap: Recap, lang: str) -> bytes:
    headers, rows = officer_table(recap.officers, recap.city, lang)
    return xlsx_bytes([
        (translate("kpi.recap.by_agency", lang), _headers(lang), recap.agencies(lang)),
        (translate("kpi.officers", lang), headers, rows),
        (translate("kpi.recap.about", lang), [title(recap, lang)],
         [[formula_text(recap.city, lang)],
          [translate("kpi.recap.made", lang, at=recap.made_at.astimezone(
              recap.city.timezone).strftime("%Y-%m-%d %H:%M"))]]),
    ])


def recap_pdf(recap: Recap, lang: str) -> bytes:
    """A4 landscape, one table per agency, in the core Helvetica font (no font files to
    ship: text outside Latin-1 is replaced)."""
    from fpdf import FPDF

    def text(value) -> str:
        shown = "" if value is None else (f"{value:.1f}" if isinstance(value, float)
                                          else str(value))
        return shown.replace("–", "-").replace("′", "'").encode(
            "latin-1", "replace").decode("latin-1")

    pdf = FPDF(orientation="L", format="A4")
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(0, 9, text(title(recap, lang)), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    pdf.multi_cell(0, 5, text(formula_text(recap.city, lang)), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("Helvetica", size=8)
    with pdf.table(text_align="LEFT", first_row_as_headings=True) as table:
        for row in [_headers(lang), *recap.agencies(lang)]:
            cells = table.row()
            for value in row:
                cells.cell(text(value))
    headers, rows = officer_table(recap.officers, recap.city, lang)
    pdf.ln(4)
    with pdf.table(text_align="LEFT", first_row_as_headings=True) as table:
        for row in [headers, *sorted(rows, key=lambda r: (r[1], r[0]))]:
            cells = table.row()
            for value in row:
                cells.cell(text(value))
    pdf.ln(3)
    pdf.set_font("Helvetica", size=8)
    pdf.cell(0, 5, text(translate("kpi.recap.made", lang, at=recap.made_at.astimezone(
        recap.city.timezone).strftime("%Y-%m-%d %H:%M"))))
    return bytes(pdf.output())
