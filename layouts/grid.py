"""Tables people sort and filter: one AG Grid builder for the KPI, attendance and admin
pages (sorting, filters, pinned first column, a CSV of the rows as shown), dark for walls.

A row is a dict of sortable values by column; a column whose cells read differently from
their value (12.345, 45′, 93%) holds the words in `<field>__text` (shown by the `Shown`
renderer in `assets/grid.js`, so nothing is evaluated from strings in the browser), and a
class in `<field>__class`. CSV downloads carry the values (numbers a spreadsheet can sum).
"""

from __future__ import annotations

from dataclasses import dataclass

import dash_ag_grid as dag
from dash import html

from layouts import ids
from liveroom.i18n import catalog, translate

#: above this many rows the grid shows them in pages of this many (its height follows its
#: rows: a grid scrolling in a fixed height inside a page that scrolls reads badly on a wall,
#: and drew blank when a callback re-rendered it)
PAGE_ROWS = 25
#: AG Grid's own words (filters, menus) this app translates: `grid.locale.<key>`
LOCALE_KEYS = (
    "contains", "notContains", "equals", "notEqual", "startsWith", "endsWith", "blank",
    "notBlank", "lessThan", "greaterThan", "lessThanOrEqual", "greaterThanOrEqual", "inRange",
    "inRangeStart", "inRangeEnd", "andCondition", "orCondition", "filterOoo", "noRowsToShow",
    "pinColumn", "pinLeft", "pinRight", "noPin", "autosizeThiscolumn", "autosizeAllColumns",
    "resetColumns", "sortAscending", "sortDescending", "sortUnSort", "columnFilter",
    "ariaFilterValue", "page", "of", "to", "more")


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    number: bool = False  # a number filter, right-aligned
    shown: bool = False  # has words of its own (`<field>__text`)
    renderer: str = "Shown"  # the `assets/grid.js` function that draws a shown cell
    #: buttons (`[{"action", "label", "danger"}]`) drawn by `Actions`: a click sets the
    #: grid's `cellRendererData` to {"value": {"action"}, "rowId", …}; not sorted, filtered
    #: or exported
    actions: bool = False


def locale_text(lang: str) -> dict[str, str]:
    words = catalog(lang)
    return {key: words[f"grid.locale.{key}"] for key in LOCALE_KEYS
            if f"grid.locale.{key}" in words}


def column_def(column: Column, first: bool) -> dict:
    spec: dict = {"field": column.field, "headerName": column.header,
                  "filter": "agNumberColumnFilter" if column.number else "agTextColumnFilter"}
    if column.number:
        spec["type"] = "rightAligned"
    if column.shown:
        spec["cellRenderer"] = column.renderer
    if column.actions:
        spec.update(cellRenderer="Actions", sortable=False, filter=False, minWidth=150)
    if first:  # pinned, and wrapped rather than cut (agencies' and posts' long names)
        spec.update(pinned="left", wrapText=True, autoHeight=True, minWidth=200)
    return spec


def grid(name: str, columns: list[Column], rows: list[dict] | None, lang: str,
         export_name: str | None = None, row_id: str | None = None,
         dimmed: str | None = None, paged: bool | None = None) -> html.Div:
    """A grid with its CSV button, in a box with the id `name` (for pages and tests).
    `rows` None: not known yet (the grid's loading overlay); `row_id`: the field naming each
    row (its `row-id` in the page, `rowId` of a button's click); `dimmed`: a field true for
    rows drawn dimmed (a disabled account); `paged`: in pages (default: above a page of
    rows)."""
    if paged is None:
        paged = len(rows or ()) > PAGE_ROWS
    options = {"getRowId": f"params.data.{row_id}"} if row_id else {}
    if dimmed:
        options["rowClassRules"] = {"row-inactive": f"params.data.{dimmed}"}
    return html.Div([
        html.Div(html.Button(translate("grid.csv", lang), id=ids.grid_csv(name), n_clicks=0,
                             className="admin-button-link grid-csv"),
                 className="grid-tools"),
        dag.AgGrid(
            id=ids.grid(name), rowData=rows,
            columnDefs=[column_def(c, i == 0) for i, c in enumerate(columns)],
            defaultColDef={"sortable": True, "resizable": True, "floatingFilter": True,
                           "minWidth": 90, "flex": 1, "wrapHeaderText": True,
                           "autoHeaderHeight": True},
            dashGridOptions={"domLayout": "autoHeight", "pagination": paged,
                             "paginationPageSize": PAGE_ROWS,
                             "paginationPageSizeSelector": False,
                             "localeText": locale_text(lang), "animateRows": False,
                             "suppressDragLeaveHidesColumns": True,
                             "enableCellTextSelection": True, **options},
            csvExportParams={"fileName": f"{export_name or name}.csv",
                             "columnKeys": [c.field for c in columns if not c.actions]},
            className="lr-grid", style={},
        ),
    ], id=name, className="grid-box")
