"""The after-action report: incidents by type and venue, response times, busiest hours,
escalations; and the command centre's figures for ``/api/v1/figures``.

Plain functions over a queryset of incidents (``incidents_in(summit, period)`` or any
narrower one), each answering with a fixed number of queries however many incidents there are,
so that the page and the Excel export (``write_xlsx``) read the same figures. Times are
reported in minutes; hours and dates in the summit's local time.

A response time counts only the incidents that reached its step: an incident cancelled before
anyone acknowledged it adds to "created → dispatched" but not to "→ acknowledged", and only a
resolved incident has a time to resolution.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook

from huiwu.command.models import (
    Dispatch,
    DispatchStatus,
    Incident,
    IncidentKind,
    IncidentStatus,
    Priority,
)
from huiwu.core.i18n import localized
from huiwu.core.spreadsheets import write_sheet
from huiwu.summit.models import Venue

#: The steps of an incident's response, each timed from its creation: (step, stamp field).
STEPS = (
    ("dispatched", "dispatched_at"),
    ("acknowledged", "acknowledged_at"),
    ("on_scene", "on_scene_at"),
    ("resolved", "closed_at"),
)
#: The dispatches that count as escalations: the volunteer said no, or did not answer in time.
ESCALATED = (DispatchStatus.TIMED_OUT, DispatchStatus.DECLINED)


def command_figures(summit) -> dict[str, int]:
    """The summit in figures: incidents raised, and how many of them were resolved (one query)."""
    return Incident.objects.filter(summit=summit).aggregate(
        incidents=Count("pk"),
        incidents_resolved=Count("pk", filter=Q(status=IncidentStatus.RESOLVED)),
    )


def step_label(step: str) -> str:
    """The column heading of a response step, in the active language."""
    return {
        "dispatched": _("Created → dispatched"),
        "acknowledged": _("Created → acknowledged"),
        "on_scene": _("Created → on scene"),
        "resolved": _("Created → resolved"),
    }[step]


# --- The period ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Whole days of the summit's local calendar, ``first`` to ``last`` inclusive."""

    first: dt.date
    last: dt.date
    tz: dt.tzinfo

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first, dt.time.min, tzinfo=self.tz)

    @property
    def end(self) -> dt.datetime:
        """The moment after the period (exclusive)."""
        return dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time.min, tzinfo=self.tz)

    @property
    def days(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def summit_period(summit) -> Period:
    """The report's default: every day of the summit."""
    return Period(summit.start_date, summit.end_date, summit.tz)


def incidents_in(summit, period: Period) -> QuerySet[Incident]:
    """The summit's incidents raised during ``period``."""
    return Incident.objects.filter(
        summit=summit, created_at__gte=period.start, created_at__lt=period.end
    )


# --- Counts by type and by venue ----------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    key: object  # the kind's code, or the venue's key (None: no venue)
    label: str
    count: int
    resolved: int
    cancelled: int

    @property
    def open(self) -> int:
        return self.count - self.resolved - self.cancelled


def _tallies(incidents: QuerySet[Incident], by: str) -> list[tuple[object, int, int, int]]:
    rows = (
        incidents.order_by()
        .values(by)
        .annotate(
            count=Count("pk"),
            resolved=Count("pk", filter=Q(status=IncidentStatus.RESOLVED)),
            cancelled=Count("pk", filter=Q(status=IncidentStatus.CANCELLED)),
        )
    )
    return [(row[by], row["count"], row["resolved"], row["cancelled"]) for row in rows]


def by_kind(incidents: QuerySet[Incident]) -> list[Tally]:
    """The incidents per type, most frequent first (one query)."""
    rows = [
        Tally(kind, str(IncidentKind(kind).label), count, resolved, cancelled)
        for kind, count, resolved, cancelled in _tallies(incidents, "kind")
    ]
    return sorted(rows, key=lambda row: (-row.count, row.label))


def by_venue(incidents: QuerySet[Incident]) -> list[Tally]:
    """The incidents per venue, most frequent first, those without a venue last (two
    queries)."""
    rows = _tallies(incidents, "venue")
    venues = {
        venue.pk: venue
        for venue in Venue.objects.filter(pk__in=[key for key, *_rest in rows if key is not None])
    }
    tallies = [
        Tally(
            key,
            localized(venues[key].name) if key is not None else _("No venue given"),
            count,
            resolved,
            cancelled,
        )
        for key, count, resolved, cancelled in rows
    ]
    return sorted(tallies, key=lambda row: (row.key is None, -row.count, row.label))


# --- Response times -----------------------------------------------------------------------------


def percentile(values: Sequence[float], share: float) -> float | None:
    """The ``share`` (0 to 1) percentile of ``values`` by linear interpolation between the closest
    ranks (as numpy's default and Excel's PERCENTILE.INC); None without values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = share * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Timing:
    """How long a step took, in minutes, over the incidents that reached it."""

    count: int
    p50: float | None
    p95: float | None

    @classmethod
    def of(cls, minutes: Sequence[float]) -> Timing:
        return cls(len(minutes), percentile(minutes, 0.5), percentile(minutes, 0.95))


@dataclass(frozen=True)
class ResponseTimes:
    key: str  # an incident kind, or "" for all incidents
    label: str
    count: int  # incidents of this kind
    steps: dict[str, Timing]


def _minutes(later: dt.datetime | None, earlier: dt.datetime) -> float | None:
    if later is None:
        return None
    return max(0.0, (later - earlier).total_seconds() / 60)


def response_times(incidents: QuerySet[Incident]) -> list[ResponseTimes]:
    """p50 and p95 of each step (created → dispatched, acknowledged, on scene, resolved) for
    all incidents first, then per type, most frequent first (one query)."""
    fields = [stamp for _step, stamp in STEPS]
    samples: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    counts: dict[str, int] = defaultdict(int)
    for kind, status, created, *stamps in incidents.order_by().values_list(
        "kind", "status", "created_at", *fields
    ):
        counts[kind] += 1
        counts[""] += 1
        for (step, _stamp), moment in zip(STEPS, stamps, strict=True):
            if step == "resolved" and status != IncidentStatus.RESOLVED:
                continue  # a cancelled incident is closed, not resolved
            minutes = _minutes(moment, created)
            if minutes is not None:
                samples[kind][step].append(minutes)
                samples[""][step].append(minutes)

    def row(key: str, label: str) -> ResponseTimes:
        steps = {step: Timing.of(samples[key][step]) for step, _stamp in STEPS}
        return ResponseTimes(key, label, counts[key], steps)

    kinds = sorted(
        (kind for kind in counts if kind), key=lambda k: (-counts[k], IncidentKind(k).label)
    )
    return [row("", _("All incidents"))] + [
        row(kind, str(IncidentKind(kind).label)) for kind in kinds
    ]


# --- Busiest hours ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hours:
    """Incidents per hour of the day (local time), per day that had any."""

    days: list[dt.date]
    per_day: dict[dt.date, list[int]]  # 24 counts per day
    totals: list[int]  # 24 counts, all days together

    @property
    def busiest(self) -> list[int]:
        """The hours (0 to 23) with the most incidents; empty without any."""
        top = max(self.totals, default=0)
        return [hour for hour, count in enumerate(self.totals) if top and count == top]


def busiest_hours(incidents: QuerySet[Incident], tz: dt.tzinfo) -> Hours:
    """When incidents were raised, hour by hour in ``tz`` (one query)."""
    per_day: dict[dt.date, list[int]] = {}
    totals = [0] * 24
    for created in incidents.order_by().values_list("created_at", flat=True):
        local = timezone.localtime(created, tz)
        per_day.setdefault(local.date(), [0] * 24)[local.hour] += 1
        totals[local.hour] += 1
    return Hours(sorted(per_day), per_day, totals)


# --- Escalations and the list of incidents ------------------------------------------------------


@dataclass(frozen=True)
class Escalations:
    timed_out: int
    declined: int
    incidents: int  # incidents that were offered to more than one volunteer
    dispatches: list[Dispatch]  # the timed-out and declined ones, oldest first


def escalations(incidents: QuerySet[Incident]) -> Escalations:
    """The offers nobody took up: timed out or declined (two queries)."""
    offers = (
        Dispatch.objects.filter(incident__in=incidents, status__in=ESCALATED)
        .select_related("incident", "volunteer")
        .order_by("offered_at", "pk")
    )
    dispatches = list(offers)
    repeated = (
        incidents.order_by()
        .annotate(offers=Count("dispatches"))
        .filter(offers__gt=1)
        .values("pk")
        .count()
    )
    return Escalations(
        timed_out=sum(d.status == DispatchStatus.TIMED_OUT for d in dispatches),
        declined=sum(d.status == DispatchStatus.DECLINED for d in dispatches),
        incidents=repeated,
        dispatches=dispatches,
    )


@dataclass(frozen=True)
class IncidentRow:
    incident: Incident
    offers: int
    minutes: dict[str, float | None]  # per step, None when not reached


def incident_rows(incidents: QuerySet[Incident], *, limit: int | None = None) -> list[IncidentRow]:
    """The incidents in the order they were raised, with their offers counted and the minutes
    to each step (one query)."""
    chosen = (
        incidents.select_related("venue")
        .annotate(offers=Count("dispatches"))
        .order_by("created_at", "pk")
    )
    if limit is not None:
        chosen = chosen[:limit]
    rows = []
    for incident in chosen:
        minutes = {
            step: _minutes(getattr(incident, stamp), incident.created_at) for step, stamp in STEPS
        }
        if incident.status != IncidentStatus.RESOLVED:
            minutes["resolved"] = None
        rows.append(IncidentRow(incident, incident.offers, minutes))
    return rows


# --- The whole report ---------------------------------------------------------------------------


@dataclass
class Report:
    summit: object
    period: Period
    total: int
    resolved: int
    cancelled: int
    kinds: list[Tally]
    venues: list[Tally]
    times: list[ResponseTimes]
    hours: Hours
    escalations: Escalations
    rows: list[IncidentRow] = field(default_factory=list)

    @property
    def open(self) -> int:
        return self.total - self.resolved - self.cancelled

    @property
    def overall(self) -> ResponseTimes:
        return self.times[0]


def build(summit, period: Period, *, row_limit: int | None = None) -> Report:
    """Every part of the report over the incidents of ``period`` (a dozen queries)."""
    incidents = incidents_in(summit, period)
    kinds = by_kind(incidents)
    return Report(
        summit=summit,
        period=period,
        total=sum(row.count for row in kinds),
        resolved=sum(row.resolved for row in kinds),
        cancelled=sum(row.cancelled for row in kinds),
        kinds=kinds,
        venues=by_venue(incidents),
        times=response_times(incidents),
        hours=busiest_hours(incidents, summit.tz),
        escalations=escalations(incidents),
        rows=incident_rows(incidents, limit=row_limit),
    )


# --- Excel ----------------------------------------------------------------------------------------


def _local(moment: dt.datetime | None, tz: dt.tzinfo) -> dt.datetime | None:
    # Excel has no time zones: the summit's local time, as the page shows it.
    return timezone.localtime(moment, tz).replace(tzinfo=None) if moment else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _tally_rows(tallies: list[Tally]):
    for row in tallies:
        yield [row.label, row.count, row.resolved, row.cancelled, row.open]


def write_xlsx(report: Report, stream) -> None:
    """The report as an Excel workbook: sheets Summary, By type, By venue, Response times,
    Hours and Incidents, headed in the active language, times in the summit's time zone."""
    tz = report.period.tz
    workbook = Workbook(write_only=True)
    overall = report.overall.steps
    summary = [
        [_("Summit"), localized(report.summit.name)],
        [_("From"), report.period.first],
        [_("To"), report.period.last],
        [_("Time zone"), report.summit.time_zone],
        [_("Incidents"), report.total],
        [_("Resolved"), report.resolved],
        [pgettext("incidents", "Cancelled"), report.cancelled],
        [pgettext("incidents", "Open"), report.open],
        [_("Offers timed out"), report.escalations.timed_out],
        [_("Offers declined"), report.escalations.declined],
        [_("Incidents offered to more than one volunteer"), report.escalations.incidents],
    ]
    for step, _stamp in STEPS:
        summary.append([f"{step_label(step)} · p50 ({_('minutes')})", _round(overall[step].p50)])
        summary.append([f"{step_label(step)} · p95 ({_('minutes')})", _round(overall[step].p95)])
    summary.append(
        [_("Busiest hours"), ", ".join(f"{hour:02d}:00" for hour in report.hours.busiest)]
    )
    write_sheet(workbook, _("Summary"), [_("Figure"), _("Value")], summary, (48, 40))

    counts = [
        _("Incidents"),
        _("Resolved"),
        pgettext("incidents", "Cancelled"),
        pgettext("incidents", "Open"),
    ]
    write_sheet(
        workbook,
        _("By type"),
        [_("Type"), *counts],
        _tally_rows(report.kinds),
        (26, 12, 12, 12, 12),
    )
    write_sheet(
        workbook,
        _("By venue"),
        [_("Venue"), *counts],
        _tally_rows(report.venues),
        (48, 12, 12, 12, 12),
    )

    headings = [_("Type"), _("Incidents")]
    for step, _stamp in STEPS:
        headings += [
            f"{step_label(step)} · n",
            f"{step_label(step)} · p50",
            f"{step_label(step)} · p95",
        ]
    write_sheet(
        workbook,
        _("Response times"),
        headings,
        (
            [times.label, times.count]
            + [
                value
                for step, _stamp in STEPS
                for value in (
                    times.steps[step].count,
                    _round(times.steps[step].p50),
                    _round(times.steps[step].p95),
                )
            ]
            for times in report.times
        ),
        (26, 10) + (12,) * (3 * len(STEPS)),
    )

    days = report.hours.days
    write_sheet(
        workbook,
        pgettext("busiest hours", "Hours"),
        [_("Hour"), *days, _("All days")],
        (
            [f"{hour:02d}:00", *(report.hours.per_day[day][hour] for day in days), total]
            for hour, total in enumerate(report.hours.totals)
        ),
        (10,) + (12,) * (len(days) + 1),
    )

    headings = [
        _("Number"),
        _("Type"),
        _("Priority"),
        _("Status"),
        _("Venue"),
        _("Place"),
        _("Created"),
        _("Dispatched"),
        _("Acknowledged"),
        _("On scene"),
        _("Closed"),
    ]
    headings += [f"{step_label(step)} ({_('minutes')})" for step, _stamp in STEPS]
    headings += [_("Offers"), _("Description")]
    write_sheet(
        workbook,
        pgettext("sheet", "Incidents"),
        headings,
        (
            [
                row.incident.pk,
                row.incident.get_kind_display(),
                str(Priority(row.incident.priority).label),
                row.incident.get_status_display(),
                localized(row.incident.venue.name) if row.incident.venue else "",
                row.incident.place,
                _local(row.incident.created_at, tz),
                _local(row.incident.dispatched_at, tz),
                _local(row.incident.acknowledged_at, tz),
                _local(row.incident.on_scene_at, tz),
                _local(row.incident.closed_at, tz),
                *(_round(row.minutes[step]) for step, _stamp in STEPS),
                row.offers,
                row.incident.description,
            ]
            for row in report.rows
        ),
        (9, 20, 10, 13, 34, 24, 17, 17, 17, 17, 17, 14, 14, 14, 14, 8, 48),
    )
    workbook.save(stream)
