"""iCalendar export of the programme (RFC 5545, via the ``icalendar`` package)."""

from collections.abc import Callable, Iterable

from django.utils import timezone
from icalendar import Calendar, Event, vText

from huiwu.core.i18n import localized
from huiwu.summit.models import Forum, Session, Summit


def session_uid(session: Session, summit: Summit) -> str:
    """Stable whatever address the calendar was fetched from, so that importing it again
    updates the events instead of adding them twice."""
    return f"session-{session.pk}@{summit.slug}.huiwu"


def programme_calendar(
    summit: Summit,
    sessions: Iterable[Session],
    *,
    language: str,
    url_for_forum: Callable[[Forum], str],
    name: str | None = None,
) -> bytes:
    """One VEVENT per session, in ``language``, with stable UIDs so re-imports update events.

    ``url_for_forum(forum)`` gives the absolute address of a forum's page.
    """
    calendar = Calendar()
    calendar.add("prodid", "-//Huiwu//Summit programme//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name or localized(summit.name, language))
    calendar.add("x-wr-timezone", summit.time_zone)
    stamp = timezone.now()
    for session in sessions:
        forum = session.forum
        room = forum.room
        event = Event()
        event.add("uid", session_uid(session, summit))
        event.add("dtstamp", stamp)
        event.add("dtstart", session.starts_at.astimezone(summit.tz))
        event.add("dtend", session.ends_at.astimezone(summit.tz))
        event.add("summary", localized(session.title, language))
        speakers = ", ".join(
            appearance.person.display_name(language) for appearance in session.appearances.all()
        )
        description = [localized(forum.title, language)]
        if speakers:
            description.append(speakers)
        if abstract := localized(session.abstract, language):
            description.append(abstract)
        event.add("description", "\n\n".join(description))
        event["location"] = vText(
            f"{localized(room.venue.name, language)}, {localized(room.name, language)}"
        )
        event.add("geo", (float(room.venue.latitude), float(room.venue.longitude)))
        event.add("categories", [localized(forum.title, language)])
        event.add("url", url_for_forum(forum))
        calendar.add_component(event)
    # Times carry TZID=<the summit's zone>; RFC 5545 wants that zone defined in the file.
    calendar.add_missing_timezones()
    return calendar.to_ical()
