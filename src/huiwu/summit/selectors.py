"""Read functions of the programme, for pages, the API and other apps."""

from django.db.models import Prefetch, QuerySet

from huiwu.core.models import Organisation, Person
from huiwu.summit.models import (
    Forum,
    ForumOrganiser,
    Room,
    Session,
    SessionSpeaker,
    Summit,
    Venue,
)


def current_summit() -> Summit | None:
    """The edition the public site shows: the one marked current, else the latest published."""
    return (
        Summit.objects.select_related("series")
        .filter(is_public=True)
        .order_by("-is_current", "-start_date")
        .first()
    )


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
    return Organisation.objects.filter(forum_roles__forum__summit=summit).distinct()


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


def programme_countries(summit: Summit):
    speaker_countries = speakers(summit).values_list("country", flat=True)
    organiser_countries = co_organisers(summit).values_list("country", flat=True)
    return set(speaker_countries) | set(organiser_countries)
