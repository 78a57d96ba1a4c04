"""The live pages of command staff: the dashboard (a wall screen or a laptop) and the map.

Both pages are shells: their content arrives over the ``ws/command/`` websocket as a snapshot,
then as events, and is drawn by ``dashboard.js`` / ``map.js``. What travels is language-neutral
(ids and codes); each page carries its labels, in its language, as JSON (:func:`labels`).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from huiwu.checkin.models import Direction
from huiwu.command import live
from huiwu.command.models import IncidentKind, IncidentStatus, Priority, WalkingPaths
from huiwu.command.views import command_page, page_summit
from huiwu.core.i18n import localized
from huiwu.registration.models import GuestCategory
from huiwu.summit.models import Summit, Venue, Zone
from huiwu.volunteers.models import Post, PostKind


def labels(summit: Summit) -> dict:
    """Everything the live pages name, in the request's language: the summit's zones, venues,
    posts and guest categories by id or code, the codes of the events, and the sentences the
    scripts compose (``%(name)s`` placeholders)."""
    return {
        "zones": {
            zone.pk: {"name": localized(zone.name), "venue": zone.venue_id}
            for zone in Zone.objects.filter(summit=summit)
        },
        "venues": {
            venue.pk: localized(venue.name) for venue in Venue.objects.filter(summit=summit)
        },
        "posts": {
            post.pk: {"name": localized(post.name), "kind": post.kind, "venue": post.venue_id}
            for post in Post.objects.filter(summit=summit)
        },
        "categories": {
            category.code: localized(category.name)
            for category in GuestCategory.objects.filter(summit=summit)
        },
        "post_kinds": dict(PostKind.choices),
        "incident_kinds": dict(IncidentKind.choices),
        "priorities": {str(value): str(label) for value, label in Priority.choices},
        "statuses": dict(IncidentStatus.choices),
        "directions": dict(Direction.choices),
        "alerts": {
            "timed_out": _("Nobody acknowledged in time: offered to the next volunteer."),
            "declined": _("The volunteer declined: offered to the next volunteer."),
            "nobody_available": _("Nobody free and near enough to offer it to: act now."),
            "auto_raised": _("Raised automatically."),
        },
        "texts": {
            "connecting": _("Connecting…"),
            "live": pgettext("connection", "Live"),
            "reconnecting": _("Reconnecting…"),
            "resynced": _("Resynced at %(time)s"),
            "refused": _("This page is for command staff; sign in again."),
            "checkin_in": _("A guest entered %(zone)s"),
            "checkin_out": _("A guest left %(zone)s"),
            "duty_on": _("%(name)s signed in at %(post)s"),
            "duty_off": _("%(name)s signed out at %(post)s"),
            "duty_no_show": _("%(name)s did not come to %(post)s"),
            "incident": _("Incident #%(id)s %(kind)s: %(status)s"),
            "alert": _("Alert on incident #%(id)s: %(reason)s"),
            "alert_title": _("Incident #%(id)s needs attention"),
            "no_incidents": _("No open incidents."),
            "no_events": _("Nothing has happened yet."),
            "nobody": _("Nobody on duty."),
            "open": _("Open the incident"),
            "dismiss": _("Dismiss"),
            "no_capacity": _("no capacity set"),
            "no_points": _("No positions in this time range."),
            "points": _("%(count)s positions"),
            "load_failed": _("The trajectory could not be loaded: %(reason)s"),
            "minutes_ago": _("%(minutes)s min ago"),
            "just_now": _("just now"),
            "other_venue": _("No venue"),
            "stale": _("Old position: the phone has gone quiet"),
            "zoom_in": _("Zoom in"),
            "zoom_out": _("Zoom out"),
        },
    }


def _page(request: HttpRequest, template: str, **context) -> HttpResponse:
    summit = page_summit(request)
    paths = WalkingPaths.objects.filter(summit=summit).values_list("geojson", flat=True).first()
    return render(
        request,
        template,
        {
            "summit": summit,
            "labels": labels(summit),
            "paths": paths or {"type": "FeatureCollection", "features": []},
            "live_config": {
                "socket": "/ws/command/",
                "heartbeat_seconds": live.HEARTBEAT_SECONDS,
                "venues": reverse("summit:venues_geojson"),
                "base": static("summit/wuzhen-base.geojson"),
                "time_zone": summit.time_zone,
                "now": timezone.now().isoformat(),
                "incident_url": reverse("command:incident", args=[_UUID_SLOT]).replace(
                    _UUID_SLOT, "{id}"
                ),
                "trajectory_url": reverse(
                    "api:volunteer_trajectory", kwargs={"volunteer": 0}
                ).replace("/0/", "/{id}/"),
                "tiles": settings.MAP_TILES_URL,
                "tiles_attribution": settings.MAP_TILES_ATTRIBUTION,
            },
            "warning_percent": round(settings.COMMAND_CAPACITY_WARNING * 100),
            "wall": request.GET.get("wall") == "1",
            **context,
        },
    )


# An address of an incident page with a stand-in for its public id, which the scripts replace.
_UUID_SLOT = "00000000-0000-0000-0000-000000000000"


@command_page
def dashboard(request: HttpRequest) -> HttpResponse:
    """The live picture: arrivals, occupancy against capacity, volunteers on duty, no-shows,
    open incidents, the latest events and a small map."""
    return _page(request, "command/dashboard.html")


@command_page
def map_page(request: HttpRequest) -> HttpResponse:
    """The venues and paths with the volunteers on duty as live dots and the open incidents;
    a volunteer's trajectory on demand."""
    return _page(request, "command/map.html")
