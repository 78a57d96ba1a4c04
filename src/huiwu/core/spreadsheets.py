"""Excel exports: one way to write a sheet, shared by every app that exports one."""

import datetime as dt
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter


def write_sheet(
    workbook: Workbook,
    title: str,
    headings: Sequence[str],
    rows: Iterable[Iterable],
    widths: Sequence[float] = (),
) -> None:
    """Add a sheet to a write-only workbook: bold headings, frozen and filterable; texts stay
    texts (a guest's "=1+1" is never run as a formula), control characters Excel refuses are
    dropped, datetimes and dates formatted, numbers left as numbers, ``None`` left empty."""
    sheet = workbook.create_sheet(title[:31])  # Excel's limit for a sheet's name
    sheet.freeze_panes = "A2"
    for index, width in enumerate(widths):
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    bold = Font(bold=True)
    header = []
    for heading in headings:
        cell = WriteOnlyCell(sheet, value=heading)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 0
    for values in rows:
        cells = []
        for value in values:
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)
            cell = WriteOnlyCell(sheet, value=value)
            if cell.data_type in {"f", "e"}:
                cell.data_type = "s"
            if isinstance(value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        sheet.append(cells)
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(headings))}{count + 1}"
