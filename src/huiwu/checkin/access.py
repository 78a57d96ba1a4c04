"""Who may enter a zone, when: the gate's rules, in one place.

``refusal`` says why one guest may not enter (or ``None``); ``admissible`` lists every guest
who may, as one query, for the 1:N face search and the offline lists. The two must agree; the
tests hold them to it.
"""

import datetime as dt

from django.db.models import QuerySet

from huiwu.checkin import messages
from huiwu.registration.models import Registration, SeatRequest, SeatStatus, Status
from huiwu.summit.models import Forum, Zone, ZoneKind

# Doors of a forum room open this long before the forum starts.
DOORS_OPEN = dt.timedelta(minutes=30)


def open_forums(zone: Zone, start: dt.datetime, end: dt.datetime | None = None) -> QuerySet[Forum]:
    """The forums held in the zone's rooms whose doors are open at some moment of
    [start, end] (at ``start`` alone when ``end`` is None)."""
    end = end or start
    return Forum.objects.filter(
        room__zones=zone, starts_at__lte=end + DOORS_OPEN, ends_at__gte=start
    )


def refusal(registration: Registration, zone: Zone, moment: dt.datetime) -> str | None:
    """Why the guest may not enter ``zone`` at ``moment`` (a reason code), or None."""
    if registration.summit_id != zone.summit_id:
        return messages.INVALID_BADGE
    if registration.status != Status.APPROVED:
        return messages.NOT_APPROVED
    if registration.badge_revoked:
        return messages.REVOKED
    if not registration.category.zones.filter(pk=zone.pk).exists():
        return messages.WRONG_ZONE
    if zone.kind == ZoneKind.FORUM_ROOM and not _seated(registration, zone, moment):
        return messages.NO_SEAT
    return None


def _seated(registration: Registration, zone: Zone, moment: dt.datetime) -> bool:
    return SeatRequest.objects.filter(
        registration=registration,
        status=SeatStatus.CONFIRMED,
        forum__in=open_forums(zone, moment),
    ).exists()


def admissible(
    zone: Zone, start: dt.datetime, end: dt.datetime | None = None
) -> QuerySet[Registration]:
    """Every guest who may enter ``zone`` at some moment of [start, end] (``start`` alone when
    ``end`` is None): approved, badge valid, category allowed, and for a forum room a confirmed
    seat in a forum held there then."""
    guests = Registration.objects.filter(
        summit_id=zone.summit_id,
        status=Status.APPROVED,
        badge_revoked=False,
        category__zones=zone,
    )
    if zone.kind == ZoneKind.FORUM_ROOM:
        seated = SeatRequest.objects.filter(
            status=SeatStatus.CONFIRMED, forum__in=open_forums(zone, start, end)
        ).values("registration_id")
        guests = guests.filter(pk__in=seated)
    return guests
