"""Read functions of check-in, for the command centre, the manual lane and the figures."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMinute

from huiwu.checkin.models import Decision, Direction, Presence, ScanEvent
from huiwu.registration.models import Registration, Status
from huiwu.registration.validators import normalise_id_number
from huiwu.summit.models import Summit, Venue, Zone


@dataclass(frozen=True)
class ZoneOccupancy:
    zone: Zone
    entries: int
    exits: int

    @property
    def inside(self) -> int:
        return self.entries - self.exits


def zone_occupancy(summit: Summit) -> list[ZoneOccupancy]:
    """Per zone of the summit: entries and exits that moved a guest, and so who is inside."""
    moved = Q(scans__moved=True)
    zones = (
        Zone.objects.filter(summit=summit)
        .annotate(
            entries=Count("scans", filter=moved & Q(scans__direction=Direction.IN)),
            exits=Count("scans", filter=moved & Q(scans__direction=Direction.OUT)),
        )
        .order_by("kind", "pk")
    )
    return [ZoneOccupancy(zone, zone.entries, zone.exits) for zone in zones]


def venue_occupancy(summit: Summit) -> dict[Venue, int]:
    """Per venue: the guests inside at least one of its zones, each counted once."""
    inside = Presence.objects.filter(zone__summit=summit, inside=True, zone__venue__isnull=False)
    counts = dict(
        inside.values("zone__venue")
        .annotate(guests=Count("registration", distinct=True))
        .values_list("zone__venue", "guests")
    )
    return {venue: counts.get(venue.pk, 0) for venue in Venue.objects.filter(summit=summit)}


def arrivals_per_minute(
    summit: Summit, start: dt.datetime, end: dt.datetime, *, zone: Zone | None = None
) -> list[tuple[dt.datetime, int]]:
    """Entries that moved a guest in, per minute of [start, end), for the summit (or one zone);
    minutes without arrivals are left out."""
    entries = ScanEvent.objects.filter(
        zone__summit=summit,
        moved=True,
        direction=Direction.IN,
        captured_at__gte=start,
        captured_at__lt=end,
    )
    if zone is not None:
        entries = entries.filter(zone=zone)
    rows = (
        entries.annotate(minute=TruncMinute("captured_at"))
        .values("minute")
        .annotate(count=Count("pk"))
        .order_by("minute")
    )
    return [(row["minute"], row["count"]) for row in rows]


def checkin_figures(summit: Summit) -> dict[str, int]:
    """``guests_checked_in``: guests admitted through a gate of the summit at least once."""
    admitted = ScanEvent.objects.filter(
        zone__summit=summit,
        decision=Decision.ADMIT,
        direction=Direction.IN,
        registration__isnull=False,
    )
    return {"guests_checked_in": admitted.values("registration").distinct().count()}


def manual_lane_search(summit: Summit, text: str, *, limit: int = 20) -> QuerySet[Registration]:
    """The summit's guests (drafts aside, so that staff can tell a pending guest why) whose
    name in either script contains ``text``, or whose document number is ``text``; nobody for
    a search too short to mean a person (one Chinese character can be a surname, one Latin
    letter names nobody)."""
    text = text.strip()
    if not text or (len(text) < 2 and text.isascii()):
        return Registration.objects.none()
    matches = Q(name__icontains=text) | Q(name_latin__icontains=text)
    matches |= Q(id_number=normalise_id_number(text))
    return (
        Registration.objects.filter(summit=summit)
        .exclude(status=Status.DRAFT)
        .filter(matches)
        .select_related("category")
        .order_by("name_latin", "pk")[:limit]
    )
