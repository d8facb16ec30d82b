"""Tables as files people open in a spreadsheet app: CSV (UTF-8 with a BOM, so that Excel
reads it right) and XLSX (one sheet per table, written in openpyxl's streaming mode)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

Table = tuple[str, Sequence[str], Iterable[Sequence]]  # (sheet title, headers, rows)


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode()


def xlsx_bytes(tables: Sequence[Table]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for title, headers, rows in tables:
        sheet = book.create_sheet(title[:31])  # Excel's limit on a sheet's name
        sheet.append(list(headers))
        for row in rows:
            sheet.append(list(row))
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()
