"""The after-action report of the command staff: the page (with its chart of the busiest hours)
and the same figures as an Excel workbook. The figures come from ``huiwu.command.report``."""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from huiwu.command import report as figures
from huiwu.command.views import command_page, page_summit
from huiwu.summit.models import Summit

#: The page lists this many incidents; the Excel file has them all.
PAGE_ROWS = 300
#: A longer period is refused: the report is about one summit, not years.
MAX_DAYS = 366
#: Days further than this from the summit are refused: nothing happened there, and the far ends
#: of the calendar (year 1, year 9999) cannot be turned into moments in the summit's time zone.
MARGIN = dt.timedelta(days=366)
#: One colour per day in the chart of hours (cycled).
DAY_COLOURS = ("#1f5fa8", "#e0892b", "#3a9a5b", "#8a4fb5", "#c2423c", "#4a8fa8", "#a88a1f")


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(
            _("“%(text)s” is not a date; write it as year-month-day, for example 2024-11-20.")
            % {"text": text[:20]}
        ) from None


def read_period(data, summit: Summit) -> tuple[figures.Period, str]:
    """The days asked for in the query (``from``, ``to``), or the whole summit with the reason
    when they make no sense."""
    default = figures.summit_period(summit)
    first_text, last_text = data.get("from", "").strip(), data.get("to", "").strip()
    try:
        first = _day(first_text) if first_text else default.first
        last = _day(last_text) if last_text else default.last
    except ValueError as error:
        return default, f"{error} " + _("The whole summit is shown.")
    if first > last:
        return default, _("The first day comes after the last one; the whole summit is shown.")
    if first < default.first - MARGIN or last > default.last + MARGIN:
        return default, _("Choose days within a year of the summit; the whole summit is shown.")
    if (last - first).days >= MAX_DAYS:
        return default, _("Choose at most %(days)s days; the whole summit is shown.") % {
            "days": MAX_DAYS
        }
    return figures.Period(first, last, summit.tz), ""


def hour_chart(hours: figures.Hours, *, width: int = 760, height: int = 240) -> dict:
    """The geometry of the bar chart of incidents per hour: one bar per hour, stacked by day."""
    left, right, top, bottom = 34, 8, 10, 26
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(hours.totals, default=0)
    step = max(1, -(-peak // 4))  # four grid lines at most, in whole incidents
    scale_max = max(step * 4, 1)
    slot = plot_w / 24
    colours = {day: DAY_COLOURS[i % len(DAY_COLOURS)] for i, day in enumerate(hours.days)}
    bars = []
    for hour in range(24):
        y = top + plot_h
        segments = []
        for day in hours.days:
            count = hours.per_day[day][hour]
            if not count:
                continue
            h = plot_h * count / scale_max
            y -= h
            segments.append(
                {
                    "y": round(y, 1),
                    "height": round(h, 1),
                    "colour": colours[day],
                    "day": day,
                    "count": count,
                }
            )
        bars.append(
            {
                "hour": hour,
                "x": round(left + hour * slot + slot * 0.15, 1),
                "width": round(slot * 0.7, 1),
                "label_x": round(left + hour * slot + slot / 2, 1),
                "total": hours.totals[hour],
                "count_y": round(y - 4, 1),
                "busiest": hour in hours.busiest,
                "segments": segments,
            }
        )
    grid = [
        {"value": value, "y": round(top + plot_h - plot_h * value / scale_max, 1)}
        for value in range(0, scale_max + 1, step)
    ]
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "base": top + plot_h,
        "label_y": height - 8,
        "bars": bars,
        "grid": grid,
        "legend": [{"day": day, "colour": colour} for day, colour in colours.items()],
    }


@command_page
def report(request: HttpRequest) -> HttpResponse:
    summit = page_summit(request)
    period, problem = read_period(request.GET, summit)
    result = figures.build(summit, period, row_limit=PAGE_ROWS)
    query = {"from": period.first.isoformat(), "to": period.last.isoformat()}
    context = {
        "summit": summit,
        "report": result,
        "period": period,
        "problem": problem,
        "steps": [(step, figures.step_label(step)) for step, _stamp in figures.STEPS],
        "short_steps": [
            pgettext("minutes until", "dispatched"),
            pgettext("minutes until", "acknowledged"),
            pgettext("minutes until", "on scene"),
            pgettext("minutes until", "resolved"),
        ],
        "chart": hour_chart(result.hours),
        "excel_url": f"{reverse('command:report-excel')}?{urlencode(query)}",
        "more_rows": max(0, result.total - len(result.rows)),
    }
    # Times on the page are the summit's local times, as in the Excel file.
    with timezone.override(summit.tz):
        return render(request, "command/report.html", context)


@command_page
def report_excel(request: HttpRequest) -> HttpResponse:
    summit = page_summit(request)
    period, _problem = read_period(request.GET, summit)
    stream = io.BytesIO()
    figures.write_xlsx(figures.build(summit, period), stream)
    response = HttpResponse(
        stream.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"{summit.slug}-after-action-{period.first:%Y%m%d}-{period.last:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
