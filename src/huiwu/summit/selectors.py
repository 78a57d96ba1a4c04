"""Read functions of the programme, for pages, the API and other apps."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation

from huiwu.core.i18n import localized
from huiwu.core.models import Organisation, Person
from huiwu.core.rules import is_forum_organiser_role, is_organiser
from huiwu.summit.models import (
    Forum,
    ForumOrganiser,
    Room,
    Series,
    Session,
    SessionSpeaker,
    Summit,
    Venue,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


def current_summit() -> Summit | None:
    """The edition the public site shows: the published one marked current.

    When none is marked, the published edition with a published programme whose dates are
    nearest to today (the one under way, else the one that ended or starts soonest; the later
    of two as near), so that the site never opens on an edition with nothing to show; and
    when no edition has a programme yet, the published edition nearest to today.
    """
    editions = list(
        Summit.objects.select_related("series")
        .filter(is_public=True)
        .annotate(has_programme=Exists(Forum.objects.filter(summit=OuterRef("pk"), is_public=True)))
        .order_by("-is_current", "-start_date", "id")
    )
    if not editions or editions[0].is_current:
        return editions[0] if editions else None
    today = timezone.localdate()

    def distance(summit: Summit) -> int:
        if summit.start_date <= today <= summit.end_date:
            return 0
        return min(abs((summit.start_date - today).days), abs((summit.end_date - today).days))

    # Editions come newest first, and min() keeps the first of equals: the later one.
    return min(editions, key=lambda summit: (not summit.has_programme, distance(summit)))


def request_summit(request: HttpRequest) -> Summit | None:
    """``current_summit()``, looked up once per request however many parts ask for it."""
    if not hasattr(request, "_huiwu_summit"):
        request._huiwu_summit = current_summit()
    return request._huiwu_summit


def public_forums(summit: Summit) -> QuerySet[Forum]:
    return (
        Forum.objects.filter(summit=summit, is_public=True)
        .select_related("room__venue")
        .prefetch_related(
            Prefetch(
                "forum_organisers",
                queryset=ForumOrganiser.objects.select_related("organisation"),
            )
        )
        .order_by("starts_at", "id")
    )


def public_sessions(summit: Summit) -> QuerySet[Session]:
    return (
        Session.objects.filter(forum__summit=summit, forum__is_public=True)
        .select_related("forum__room__venue")
        .prefetch_related(
            Prefetch(
                "appearances",
                queryset=SessionSpeaker.objects.select_related("person__organisation"),
            )
        )
        .order_by("starts_at", "forum__room_id", "id")
    )


def speakers(summit: Summit) -> QuerySet[Person]:
    return (
        Person.objects.filter(
            appearances__session__forum__summit=summit,
            appearances__session__forum__is_public=True,
        )
        .select_related("organisation")
        .distinct()
    )


def co_organisers(summit: Summit) -> QuerySet[Organisation]:
    """The institutions hosting or co-hosting the summit's published forums, each once."""
    return Organisation.objects.filter(
        forum_roles__forum__summit=summit, forum_roles__forum__is_public=True
    ).distinct()


def rooms(summit: Summit) -> QuerySet[Room]:
    return Room.objects.filter(venue__summit=summit).select_related("venue")


def programme_figures(summit: Summit) -> dict[str, int]:
    forums = Forum.objects.filter(summit=summit, is_public=True)
    return {
        "forums": forums.filter(kind__in=["sub_forum", "ministerial"]).count(),
        "events": forums.count(),
        "co_organisers": co_organisers(summit).count(),
        "sessions": Session.objects.filter(forum__in=forums).count(),
        "speakers": speakers(summit).count(),
        "venues": Venue.objects.filter(summit=summit).count(),
        "rooms": rooms(summit).count(),
    }


def programme_countries(summit: Summit) -> set[str]:
    """The countries of the summit's published speakers and institutions."""
    speaker_countries = speakers(summit).values_list("country", flat=True)
    organiser_countries = co_organisers(summit).values_list("country", flat=True)
    return set(speaker_countries) | set(organiser_countries)


# --- Public pages ------------------------------------------------------------------------------


def editions() -> QuerySet[Series]:
    """Every series that has a published edition, with its published editions by date."""
    published = Summit.objects.filter(is_public=True).order_by("start_date", "id")
    return (
        Series.objects.filter(summits__is_public=True)
        .distinct()
        .prefetch_related(Prefetch("summits", queryset=published, to_attr="published_summits"))
    )


def search_speakers(summit: Summit, *, text: str = "", country: str = "") -> QuerySet[Person]:
    """The summit's speakers whose name (own script or Latin letters) contains ``text``,
    from ``country`` when given, by Latin name."""
    people = speakers(summit).order_by("name_latin", "id")
    if text:
        people = people.filter(Q(name__icontains=text) | Q(name_latin__icontains=text))
    if country:
        people = people.filter(country=country)
    return people


def speaker_country_codes(summit: Summit) -> list[str]:
    """The country codes of the summit's speakers, each once."""
    codes = speakers(summit).order_by().values_list("country", flat=True).distinct()
    return sorted({str(code) for code in codes if code})


def speaker_appearances(summit: Summit, person: Person) -> QuerySet[SessionSpeaker]:
    """A speaker's appearances in the summit's public sessions, in time order."""
    return (
        SessionSpeaker.objects.filter(
            person=person, session__forum__summit=summit, session__forum__is_public=True
        )
        .select_related("session__forum__room__venue")
        .order_by("session__starts_at", "session__id")
    )


def venue_summaries(summit: Summit) -> QuerySet[Venue]:
    """The summit's venues, each with ``room_count`` and ``forum_count`` (public forums)."""
    return Venue.objects.filter(summit=summit).annotate(
        room_count=Count("rooms", distinct=True),
        forum_count=Count("rooms__forums", filter=Q(rooms__forums__is_public=True), distinct=True),
    )


def venue_rooms(venue: Venue) -> QuerySet[Room]:
    """A venue's rooms, each with ``forum_count`` (public forums held there)."""
    return venue.rooms.annotate(
        forum_count=Count("forums", filter=Q(forums__is_public=True))
    ).order_by("id")


def venues_geojson(summit: Summit, language: str) -> dict:
    """The summit's venues as a GeoJSON FeatureCollection for the venue maps.

    Each venue is its ``outline`` Polygon when it has one, else a Point at its coordinates;
    its properties are the name in ``language``, the kind, the address of its page in
    ``language`` and its number of rooms.
    """
    features = []
    with translation.override(language):
        for venue in Venue.objects.filter(summit=summit).annotate(room_count=Count("rooms")):
            geometry = venue.outline or {
                "type": "Point",
                "coordinates": [float(venue.longitude), float(venue.latitude)],
            }
            features.append(
                {
                    "type": "Feature",
                    "id": venue.slug,
                    "geometry": geometry,
                    "properties": {
                        "slug": venue.slug,
                        "name": localized(venue.name, language),
                        "kind": venue.kind,
                        "kind_label": str(venue.get_kind_display()),
                        "url": reverse("summit:venue", kwargs={"slug": venue.slug}),
                        "rooms": venue.room_count,
                        "center": [float(venue.longitude), float(venue.latitude)],
                    },
                }
            )
    return {"type": "FeatureCollection", "features": features}


# --- The HTTP API ------------------------------------------------------------------------------


def public_summits() -> QuerySet[Summit]:
    """Every published edition: the current one first, then the newest."""
    return (
        Summit.objects.filter(is_public=True)
        .select_related("series")
        .order_by("-is_current", "-start_date", "id")
    )


def public_summit(slug: str | None = None) -> Summit | None:
    """The published edition called ``slug``; without a slug, the current edition."""
    if not slug:
        return current_summit()
    return public_summits().filter(slug=slug).first()


def _day_range(summit: Summit, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The first and the last moment (exclusive) of ``day`` in the summit's time zone."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=summit.tz)
    return start, start + dt.timedelta(days=1)


def find_forums(
    summit: Summit,
    *,
    track: str | None = None,
    kind: str | None = None,
    day: dt.date | None = None,
    organisation: int | None = None,
) -> QuerySet[Forum]:
    """The summit's published forums in time order, narrowed by track, kind, the day they
    start on and the institution that hosts or co-hosts them, when given."""
    forums = public_forums(summit).select_related("summit")
    if track:
        forums = forums.filter(track=track)
    if kind:
        forums = forums.filter(kind=kind)
    if day is not None:
        start, end = _day_range(summit, day)
        forums = forums.filter(starts_at__gte=start, starts_at__lt=end)
    if organisation is not None:
        forums = forums.filter(forum_organisers__organisation_id=organisation)
    return forums


def forums_with_sessions(summit: Summit) -> QuerySet[Forum]:
    """The summit's published forums, each with its sessions and their speakers in order."""
    sessions = Session.objects.prefetch_related(
        Prefetch(
            "appearances",
            queryset=SessionSpeaker.objects.select_related("person__organisation"),
        )
    ).order_by("starts_at", "id")
    return find_forums(summit).prefetch_related(Prefetch("sessions", queryset=sessions))


def find_sessions(
    summit: Summit, *, forum: str | None = None, day: dt.date | None = None, room: int | None = None
) -> QuerySet[Session]:
    """The summit's published sessions in time order, narrowed by forum slug, day and room."""
    sessions = public_sessions(summit).select_related("forum__summit")
    if forum:
        sessions = sessions.filter(forum__slug=forum)
    if day is not None:
        start, end = _day_range(summit, day)
        sessions = sessions.filter(starts_at__gte=start, starts_at__lt=end)
    if room is not None:
        sessions = sessions.filter(forum__room_id=room)
    return sessions


def venues_with_rooms(summit: Summit) -> QuerySet[Venue]:
    """The summit's venues by slug, each with its rooms."""
    return (
        Venue.objects.filter(summit=summit)
        .prefetch_related(Prefetch("rooms", queryset=Room.objects.order_by("id")))
        .order_by("slug")
    )


def find_rooms(summit: Summit, *, venue: str | None = None) -> QuerySet[Room]:
    """The rooms of the summit's venues, of one venue (by slug) when given."""
    found = rooms(summit).order_by("venue__slug", "id")
    if venue:
        found = found.filter(venue__slug=venue)
    return found


def public_organisations(summit: Summit) -> QuerySet[Organisation]:
    """The institutions hosting or co-hosting the summit's published forums, each with
    ``summit_forum_roles``: its roles in those forums, in time order."""
    roles = (
        ForumOrganiser.objects.filter(forum__summit=summit, forum__is_public=True)
        .select_related("forum")
        .order_by("forum__starts_at", "forum__id")
    )
    return (
        co_organisers(summit)
        .prefetch_related(Prefetch("forum_roles", queryset=roles, to_attr="summit_forum_roles"))
        .order_by("short_name", "id")
    )


def managed_forums(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Forum]:
    """The forums ``user`` manages: all of them for the secretariat; for a co-organiser, those
    that an institution it acts for hosts or co-hosts (the set form of ``can_manage_forum``)."""
    if is_organiser(user):
        return Forum.objects.all()
    if is_forum_organiser_role(user):
        # A subquery, so that a forum hosted by two of the user's institutions counts once.
        hosted = Forum.objects.filter(forum_organisers__organisation__memberships__user=user)
        return Forum.objects.filter(pk__in=hosted.values("pk"))
    return Forum.objects.none()


def managed_speakers(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Person]:
    """The people who speak in the forums ``user`` manages (``managed_forums``)."""
    return Person.objects.filter(
        pk__in=SessionSpeaker.objects.filter(
            session__forum__in=managed_forums(user).values("pk")
        ).values("person_id")
    )
