"""What the live pages show, as plain language-neutral dicts: the snapshots a page starts from
(and re-syncs to), and the data of the events that change them.

Snapshots and events carry ids and codes, never labels (one event reaches pages in several
languages; each page holds its labels), and absolute values, never increments: an event seen
twice, or after a snapshot that already counts it, changes nothing. A snapshot reads a bounded
number of queries whatever the size of the summit; the event builders run on every check-in,
duty change and phone position, so they read as little as they can.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from huiwu.checkin.models import Decision, Direction, Presence, ScanEvent
from huiwu.checkin.selectors import arrivals_per_minute, venue_occupancy, zone_occupancy
from huiwu.command import live
from huiwu.command.selectors import (
    active_tasks,
    broadcast_data,
    broadcasts_for,
    incident_data,
    open_incidents,
    task_data,
)
from huiwu.summit.models import Summit, Zone
from huiwu.volunteers.models import Application, DutyRecord, PositionPing
from huiwu.volunteers.selectors import current_positions, no_shows, on_duty
from huiwu.volunteers.services import open_duty

#: The arrivals chart's time span, in minutes.
ARRIVAL_MINUTES = 60


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def minute_of(moment: dt.datetime) -> int:
    """The start of ``moment``'s minute, in seconds since the epoch: how arrivals are keyed."""
    return int(moment.timestamp()) // 60 * 60


def level(inside: int, capacity: int | None) -> str:
    """``ok``, ``warning`` (from ``COMMAND_CAPACITY_WARNING`` of the capacity) or ``alarm``
    (at or over the capacity); ``ok`` when the capacity is unknown."""
    if not capacity:
        return "ok"
    if inside >= capacity:
        return "alarm"
    if inside >= capacity * settings.COMMAND_CAPACITY_WARNING:
        return "warning"
    return "ok"


def zone_capacities(summit_id: int) -> dict[int, dict]:
    """Per zone: its venue and its capacity (the zone's own, else the seats of its rooms;
    ``None`` when neither is known)."""
    rows = Zone.objects.filter(summit_id=summit_id).with_places()
    return {
        pk: {"venue": venue, "capacity": places}
        for pk, venue, places in rows.values_list("pk", "venue_id", "places")
    }


def _local_day(summit: Summit, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.localtime(now, summit.tz).replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + dt.timedelta(days=1)


def no_shows_today(summit: Summit, now: dt.datetime) -> int:
    """The no-shows of the shifts that begin on the summit's local today."""
    start, end = _local_day(summit, now)
    return (
        no_shows(summit)
        .filter(
            assignment__post_shift__shift__start__gte=start,
            assignment__post_shift__shift__start__lt=end,
        )
        .count()
    )


def _duty_counts(summit: Summit) -> dict:
    rows = on_duty(summit).values_list(
        "assignment__post_shift__post_id", "assignment__post_shift__post__venue_id"
    )
    posts, venues = Counter(), Counter()
    for post_id, venue_id in rows:
        posts[post_id] += 1
        venues[venue_id] += 1
    return {"total": sum(posts.values()), "posts": dict(posts), "venues": dict(venues)}


def _position(row: dict, phones: dict[int, str]) -> dict:
    post = row["post"]
    return {
        "volunteer": row["volunteer"],
        "name": row["name"],
        "phone": phones.get(row["volunteer"], ""),
        "post": post.pk,
        "kind": post.kind,
        "venue": post.venue_id,
        "lat": row["lat"],
        "lon": row["lon"],
        "accuracy_m": row["accuracy_m"],
        "at": _iso(row["at"]),
    }


def dashboard(summit: Summit, *, now: dt.datetime | None = None) -> dict:
    """The command centre's whole picture of ``summit`` now: the dashboard's and the map's
    snapshot (in about a dozen queries, however many guests and volunteers)."""
    now = now or timezone.now()
    capacities = zone_capacities(summit.pk)
    zones = []
    venue_capacity: Counter = Counter()
    for row in zone_occupancy(summit):
        facts = capacities.get(row.zone.pk, {"venue": row.zone.venue_id, "capacity": None})
        zones.append(
            {
                "id": row.zone.pk,
                "venue": facts["venue"],
                "inside": row.inside,
                "capacity": facts["capacity"],
                "level": level(row.inside, facts["capacity"]),
            }
        )
        if facts["venue"] is not None and facts["capacity"]:
            venue_capacity[facts["venue"]] += facts["capacity"]
    venues = [
        {
            "id": venue.pk,
            "inside": inside,
            "capacity": venue_capacity.get(venue.pk),
            "level": level(inside, venue_capacity.get(venue.pk)),
        }
        for venue, inside in venue_occupancy(summit).items()
    ]
    since = now - dt.timedelta(minutes=ARRIVAL_MINUTES)
    arrivals = [
        [minute_of(minute), count] for minute, count in arrivals_per_minute(summit, since, now)
    ]
    incidents = [incident_data(incident) for incident in open_incidents(summit)]
    phones = dict(
        on_duty(summit).values_list("assignment__application_id", "assignment__application__phone")
    )
    return {
        "now": _iso(now),
        "warning": settings.COMMAND_CAPACITY_WARNING,
        "position_max_age_seconds": settings.COMMAND_POSITION_MAX_AGE_MINUTES * 60,
        "inside": _inside_total(summit.pk),
        "arrivals": arrivals,
        "zones": zones,
        "venues": venues,
        "on_duty": _duty_counts(summit),
        "no_shows": no_shows_today(summit, now),
        "incidents": incidents,
        "incidents_by_priority": dict(Counter(str(item["priority"]) for item in incidents)),
        "events": live.recent_events(live.command_group(summit.pk)),
        "positions": [_position(row, phones) for row in current_positions(summit, now=now)],
    }


def _inside_total(summit_id: int) -> int:
    return (
        Presence.objects.filter(zone__summit_id=summit_id, inside=True)
        .values("registration")
        .distinct()
        .count()
    )


def volunteer(application: Application) -> dict:
    """A volunteer's phone: their open tasks, and the recent broadcasts that reach them where
    they are on duty (or, off duty, those to everyone and to their languages)."""
    duty = open_duty(application)
    post = duty.assignment.post_shift.post if duty else None
    broadcasts = broadcasts_for(
        application,
        venue_id=post.venue_id if post else None,
        post_id=post.pk if post else None,
    )
    return {
        "tasks": [task_data(dispatch) for dispatch in active_tasks(application)],
        "broadcasts": [broadcast_data(broadcast) for broadcast in broadcasts],
    }


# --- The events ---------------------------------------------------------------------------------


def checkin_event(scan: ScanEvent) -> dict | None:
    """A guest admitted into or out of a zone, with the zone's and its venue's counts after it,
    the arrivals of its minute and the summit's guests inside; ``None`` for a scan that let
    nobody through."""
    if scan.decision != Decision.ADMIT:
        return None
    zone = scan.zone
    capacity = zone.places()
    inside = Presence.objects.filter(zone__summit_id=zone.summit_id, inside=True).aggregate(
        in_zone=Count("pk", filter=Q(zone_id=zone.pk)),
        in_venue=Count("registration", distinct=True, filter=Q(zone__venue_id=zone.venue_id)),
        in_summit=Count("registration", distinct=True),
    )
    minute = minute_of(scan.captured_at)
    start = dt.datetime.fromtimestamp(minute, tz=dt.UTC)
    arrivals = ScanEvent.objects.filter(
        zone__summit_id=zone.summit_id,
        moved=True,
        direction=Direction.IN,
        captured_at__gte=start,
        captured_at__lt=start + dt.timedelta(minutes=1),
    ).count()
    registration = scan.registration
    return {
        "scan": scan.pk,
        "zone": zone.pk,
        "venue": zone.venue_id,
        "direction": scan.direction,
        "moved": scan.moved,
        "method": scan.method,
        "category": registration.category.code if registration else "",
        "zone_inside": inside["in_zone"],
        "zone_capacity": capacity,
        "venue_inside": inside["in_venue"] if zone.venue_id else None,
        "inside": inside["in_summit"],
        "minute": minute,
        "arrivals": arrivals,
        "at": _iso(scan.captured_at),
    }


def duty_status(duty: DutyRecord) -> str | None:
    """``on`` (signed in), ``off`` (signed out), ``no_show``; ``None`` for a record that says
    none of these yet."""
    if duty.signed_out_at is not None:
        return "off"
    if duty.signed_in_at is not None:
        return "on"
    if duty.no_show:
        return "no_show"
    return None


def duty_event(duty: DutyRecord, *, now: dt.datetime | None = None) -> tuple[int, dict] | None:
    """A volunteer signed in, out, or flagged as a no-show: the summit it happened in, and the
    event with the on-duty counts of that post and venue and the no-shows of the day after
    it (``None`` when the record says none of these)."""
    status = duty_status(duty)
    if status is None:
        return None
    now = now or timezone.now()
    duty = DutyRecord.objects.select_related(
        "assignment__application__summit", "assignment__post_shift__post"
    ).get(pk=duty.pk)
    application = duty.assignment.application
    summit, post = application.summit, duty.assignment.post_shift.post
    counts = on_duty(summit).aggregate(
        total=Count("pk"),
        post=Count("pk", filter=Q(assignment__post_shift__post_id=post.pk)),
        venue=Count("pk", filter=Q(assignment__post_shift__post__venue_id=post.venue_id)),
    )
    return summit.pk, {
        "volunteer": application.pk,
        "name": application.name,
        "phone": application.phone,
        "status": status,
        "post": post.pk,
        "kind": post.kind,
        "venue": post.venue_id,
        "post_on_duty": counts["post"],
        "venue_on_duty": counts["venue"],
        "on_duty": counts["total"],
        "no_shows": no_shows_today(summit, now),
        "at": _iso(duty.signed_out_at or duty.signed_in_at or now),
    }


# Who a duty's positions belong to, read once per duty and process: a phone reports every
# few seconds, and none of this changes during a duty. Bounded; cleared whole when full.
_DUTY_FACTS_LIMIT = 20_000
_duty_facts: dict[int, dict] = {}


def forget_duty(duty_id: int) -> None:
    """Drop what :func:`position_event` remembers of a duty (it was saved: read it again)."""
    _duty_facts.pop(duty_id, None)


def _facts(duty_id: int) -> dict | None:
    facts = _duty_facts.get(duty_id)
    if facts is None:
        row = (
            DutyRecord.objects.filter(pk=duty_id)
            .values(
                "assignment__application__summit_id",
                "assignment__application__name",
                "assignment__application__phone",
                "assignment__post_shift__post_id",
                "assignment__post_shift__post__kind",
                "assignment__post_shift__post__venue_id",
            )
            .first()
        )
        if row is None:
            return None
        if len(_duty_facts) >= _DUTY_FACTS_LIMIT:
            _duty_facts.clear()
        facts = _duty_facts[duty_id] = {
            "summit": row["assignment__application__summit_id"],
            "name": row["assignment__application__name"],
            "phone": row["assignment__application__phone"],
            "post": row["assignment__post_shift__post_id"],
            "kind": row["assignment__post_shift__post__kind"],
            "venue": row["assignment__post_shift__post__venue_id"],
        }
    return facts


def position_event(ping: PositionPing) -> tuple[int, dict] | None:
    """Where a volunteer's phone is: the summit, and the event (no query but the first of
    each duty)."""
    facts = _facts(ping.duty_id)
    if facts is None:
        return None
    return facts["summit"], {
        "volunteer": ping.application_id,
        "name": facts["name"],
        "phone": facts["phone"],
        "post": facts["post"],
        "kind": facts["kind"],
        "venue": facts["venue"],
        "lat": ping.lat,
        "lon": ping.lon,
        "accuracy_m": ping.accuracy_m,
        "at": _iso(ping.at),
    }
