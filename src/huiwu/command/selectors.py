"""Reads of the command centre: incidents and tasks as the live pages and the API show them.

The ``*_data`` functions give the plain, language-neutral dicts that travel on the live layer
(codes, not labels: one event reaches pages in several languages, which label them) and that
the snapshots are made of; times are ISO 8601 strings.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from huiwu.command.models import (
    ACTIVE_DISPATCH,
    OPEN_STATUSES,
    Audience,
    Broadcast,
    Dispatch,
    Incident,
)
from huiwu.summit.models import Summit
from huiwu.volunteers.models import Application

# How far back a phone page shows the broadcasts that reached it.
BROADCAST_WINDOW = dt.timedelta(hours=12)


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def open_incidents(summit: Summit) -> QuerySet[Incident]:
    """The incidents not yet resolved or cancelled, most urgent first, then oldest."""
    return (
        Incident.objects.filter(summit=summit, status__in=OPEN_STATUSES)
        .select_related("venue", "zone", "post")
        .prefetch_related("dispatches__volunteer")
        .order_by("priority", "created_at")
    )


def dispatch_summary(dispatch: Dispatch) -> dict:
    return {
        "id": dispatch.pk,
        "volunteer": dispatch.volunteer_id,
        "name": dispatch.volunteer.name,
        "status": dispatch.status,
        "offered_at": _iso(dispatch.offered_at),
        "respond_by": _iso(dispatch.respond_by),
        "acknowledged_at": _iso(dispatch.acknowledged_at),
        "on_scene_at": _iso(dispatch.on_scene_at),
        "ended_at": _iso(dispatch.ended_at),
        "distance_m": dispatch.distance_m,
        "distance_method": dispatch.distance_method,
    }


def incident_data(incident: Incident) -> dict:
    """An incident whole, with its dispatches, for the dashboard and the map."""
    return {
        "id": incident.pk,
        "public_id": str(incident.public_id),
        "kind": incident.kind,
        "priority": incident.priority,
        "status": incident.status,
        "source": incident.source,
        "venue": incident.venue_id,
        "zone": incident.zone_id,
        "post": incident.post_id,
        "lat": incident.lat,
        "lon": incident.lon,
        "place": incident.place,
        "description": incident.description,
        "needs": list(incident.needs),
        "created_at": _iso(incident.created_at),
        "dispatched_at": _iso(incident.dispatched_at),
        "acknowledged_at": _iso(incident.acknowledged_at),
        "on_scene_at": _iso(incident.on_scene_at),
        "closed_at": _iso(incident.closed_at),
        # Its version: pages keep the newest state when two arrive out of order.
        "updated_at": _iso(incident.updated_at),
        "dispatches": [dispatch_summary(d) for d in incident.dispatches.all()],
    }


def task_data(dispatch: Dispatch) -> dict:
    """A dispatch as the volunteer's phone shows it: what, where, and when to answer by.
    Never other volunteers' names."""
    incident = dispatch.incident
    return {
        "id": dispatch.pk,
        "status": dispatch.status,
        "offered_at": _iso(dispatch.offered_at),
        "respond_by": _iso(dispatch.respond_by),
        "incident": {
            "id": incident.pk,
            "kind": incident.kind,
            "priority": incident.priority,
            "status": incident.status,
            "venue": incident.venue_id,
            "lat": incident.lat,
            "lon": incident.lon,
            "place": incident.place,
            "description": incident.description,
        },
        "distance_m": dispatch.distance_m,
    }


def active_tasks(application: Application) -> QuerySet[Dispatch]:
    """The volunteer's open tasks (at most one, by the database's constraint)."""
    return Dispatch.objects.filter(
        volunteer=application, status__in=ACTIVE_DISPATCH
    ).select_related("incident")


def broadcast_data(broadcast: Broadcast) -> dict:
    return {
        "id": broadcast.pk,
        "audience": broadcast.audience,
        "venue": broadcast.venue_id,
        "post": broadcast.post_id,
        "language": broadcast.language,
        "text": broadcast.text,
        "sent_at": _iso(broadcast.sent_at),
    }


def broadcasts_for(
    application: Application,
    *,
    venue_id: int | None,
    post_id: int | None,
    now: dt.datetime | None = None,
) -> QuerySet[Broadcast]:
    """The recent broadcasts that reach a volunteer working at this venue and post (``None``
    when off duty: then only those to everyone and to their languages), newest first."""
    now = now or timezone.now()
    codes = [item["code"] for item in application.languages]
    reach = Q(audience=Audience.ALL) | Q(audience=Audience.LANGUAGE, language__in=codes)
    if venue_id is not None:
        reach |= Q(audience=Audience.VENUE, venue_id=venue_id)
    if post_id is not None:
        reach |= Q(audience=Audience.POST, post_id=post_id)
    return Broadcast.objects.filter(
        reach, summit_id=application.summit_id, sent_at__gte=now - BROADCAST_WINDOW
    ).order_by("-sent_at")
