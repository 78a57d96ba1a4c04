"""API shapes of the summit programme.

Times are ISO 8601 with the offset of the summit's own time zone (``2024-11-20T09:00:00+08:00``);
texts people read come in every language at once; countries as code and localised name.
"""

import datetime as dt
from typing import Any

from ninja import Field, Schema
from pydantic import BaseModel, ConfigDict

from huiwu.core.models import Organisation
from huiwu.core.schemas import I18nText, I18nTextIn, Id, OrganisationRef, PersonRef
from huiwu.summit.models import (
    Forum,
    ForumKind,
    ForumOrganiser,
    OrganiserRole,
    Room,
    Session,
    SessionKind,
    SessionSpeaker,
    SpeakerRole,
    Summit,
    Track,
    Venue,
    VenueKind,
)


def _local(moment: dt.datetime, summit: Summit) -> dt.datetime:
    return moment.astimezone(summit.tz)


# --- Summits ------------------------------------------------------------------------------------
class SeriesOut(Schema):
    """A series of events, such as the World Internet Conference."""

    slug: str
    name: I18nText


class SummitOut(Schema):
    """An edition of a series: where, when, and its days."""

    slug: str
    name: I18nText
    theme: I18nText
    city: I18nText
    series: SeriesOut
    start_date: dt.date
    end_date: dt.date
    days: list[dt.date] = Field(description="Every day of the summit, first to last.")
    time_zone: str = Field(description="The IANA time zone of the summit's times.")
    is_current: bool = Field(description="The edition the public site shows.")


# --- Venues and rooms ---------------------------------------------------------------------------
class VenueRef(Schema):
    """A venue, as other objects mention it."""

    slug: str
    name: I18nText


class RoomFacts(Schema):
    """What a room offers."""

    id: int
    name: I18nText
    floor: str
    capacity: int = Field(description="Seats in the room.")
    press_seats: int
    has_interpretation: bool = Field(description="Simultaneous interpretation booths.")
    has_stream: bool = Field(description="Live streaming equipment.")


class RoomRef(Schema):
    """A room and its venue, as forums and sessions mention it."""

    id: int
    name: I18nText
    venue: VenueRef


class RoomOut(RoomFacts):
    """A room of one of the summit's venues."""

    venue: VenueRef


class VenueOut(Schema):
    """A venue of the summit with where it is, its footprint and its rooms."""

    slug: str
    name: I18nText
    kind: VenueKind
    address: I18nText
    description: I18nText
    latitude: float
    longitude: float
    outline: dict[str, Any] | None = Field(
        description="The building's footprint as a GeoJSON Polygon of [longitude, latitude]."
    )
    rooms: list[RoomFacts]

    @staticmethod
    def resolve_rooms(venue: Venue) -> list[Room]:
        return list(venue.rooms.all())


# --- Forums and sessions ------------------------------------------------------------------------
class ForumRef(Schema):
    """A forum, as sessions, speakers and institutions mention it."""

    slug: str
    title: I18nText


class AppearanceOut(Schema):
    """A person speaking in a session, and in which role."""

    role: SpeakerRole
    person: PersonRef


class SessionInForum(Schema):
    """A session: a talk, a panel, a signing … within a forum."""

    id: int
    title: I18nText
    abstract: I18nText
    kind: SessionKind
    starts_at: dt.datetime
    ends_at: dt.datetime
    speakers: list[AppearanceOut] = Field(description="In the order the programme lists them.")

    @staticmethod
    def resolve_starts_at(session: Session) -> dt.datetime:
        return _local(session.starts_at, session.forum.summit)

    @staticmethod
    def resolve_ends_at(session: Session) -> dt.datetime:
        return _local(session.ends_at, session.forum.summit)

    @staticmethod
    def resolve_speakers(session: Session) -> list[SessionSpeaker]:
        return list(session.appearances.all())


class SessionOut(SessionInForum):
    """A session with its forum and room."""

    forum: ForumRef
    room: RoomRef

    @staticmethod
    def resolve_room(session: Session) -> Room:
        return session.forum.room


class ForumOut(Schema):
    """A forum (sub-forum, plenary, ceremony …): what, when, where, and who hosts it."""

    slug: str
    summit: str = Field(description="The slug of the summit the forum belongs to.")
    kind: ForumKind
    track: Track
    title: I18nText
    theme: I18nText
    room: RoomRef
    day: dt.date = Field(description="The day the forum starts, in the summit's time zone.")
    starts_at: dt.datetime
    ends_at: dt.datetime
    languages: list[str] = Field(description="Language codes spoken at the forum.")
    seats: int = Field(description="Seats offered to guests.")
    hosts: list[OrganisationRef] = Field(description="Host institutions.")
    co_hosts: list[OrganisationRef] = Field(description="Co-host institutions.")
    is_public: bool = Field(description="Published on the public site.")

    @staticmethod
    def resolve_summit(forum: Forum) -> str:
        return forum.summit.slug

    @staticmethod
    def resolve_day(forum: Forum) -> dt.date:
        return _local(forum.starts_at, forum.summit).date()

    @staticmethod
    def resolve_starts_at(forum: Forum) -> dt.datetime:
        return _local(forum.starts_at, forum.summit)

    @staticmethod
    def resolve_ends_at(forum: Forum) -> dt.datetime:
        return _local(forum.ends_at, forum.summit)

    @staticmethod
    def resolve_hosts(forum: Forum) -> list[Organisation]:
        return forum.hosts()

    @staticmethod
    def resolve_co_hosts(forum: Forum) -> list[Organisation]:
        return forum.co_hosts()


class ForumDetail(ForumOut):
    """A forum with its description and its sessions, in time order."""

    description: I18nText
    sessions: list[SessionInForum]

    @staticmethod
    def resolve_sessions(forum: Forum) -> list[Session]:
        return list(forum.sessions.all())


# --- Speakers and institutions ------------------------------------------------------------------
class SpeakerOut(PersonRef):
    """A person who speaks at the summit."""

    biography: I18nText


class SessionRef(Schema):
    """A session, as a speaker's page lists it."""

    id: int
    title: I18nText
    kind: SessionKind
    starts_at: dt.datetime
    ends_at: dt.datetime
    forum: ForumRef
    room: RoomRef

    @staticmethod
    def resolve_starts_at(session: Session) -> dt.datetime:
        return _local(session.starts_at, session.forum.summit)

    @staticmethod
    def resolve_ends_at(session: Session) -> dt.datetime:
        return _local(session.ends_at, session.forum.summit)

    @staticmethod
    def resolve_room(session: Session) -> Room:
        return session.forum.room


class SpeakerSessionOut(Schema):
    """One of a speaker's sessions and the speaker's role in it."""

    role: SpeakerRole
    session: SessionRef


class SpeakerDetail(Schema):
    """A speaker and every published session they speak in at the summit, in time order."""

    speaker: SpeakerOut
    sessions: list[SpeakerSessionOut]


class OrganisationForumOut(Schema):
    """A forum an institution hosts or co-hosts."""

    role: OrganiserRole
    forum: ForumRef


class OrganisationOut(OrganisationRef):
    """An institution that hosts or co-hosts forums of the summit."""

    website: str
    description: I18nText
    forums: list[OrganisationForumOut]

    @staticmethod
    def resolve_forums(organisation: Organisation) -> list[ForumOrganiser]:
        return organisation.summit_forum_roles


# --- Figures ------------------------------------------------------------------------------------
class FiguresOut(BaseModel):
    """The summit in figures, counted from the platform's data at the time of the request.

    Apps add their own figures as they come (guests on site, volunteers, exhibitors …). A plain
    pydantic model: ninja's ``Schema`` drops the extra keys those figures arrive as.
    """

    model_config = ConfigDict(extra="allow")

    summit: str = Field(description="The slug of the summit counted.")
    countries: int = Field(description="Countries and regions of speakers and institutions.")
    forums: int = Field(description="Sub-forums and ministerial meetings.")
    events: int = Field(description="Every published forum, ceremonies and plenaries included.")
    co_organisers: int = Field(description="Host and co-host institutions.")
    sessions: int
    speakers: int
    venues: int
    rooms: int


# --- Writes -------------------------------------------------------------------------------------
_TIMES = (
    "ISO 8601; a time without an offset is read in the summit's time zone "
    "(for example 2024-11-20T09:00:00)."
)


class ForumPatch(Schema):
    """The fields of a forum to change; fields left out keep their value."""

    model_config = ConfigDict(extra="forbid")

    slug: str | None = Field(None, description="Short name in addresses, unique in the summit.")
    kind: ForumKind | None = None
    track: Track | None = None
    title: I18nTextIn | None = None
    theme: I18nTextIn | None = None
    description: I18nTextIn | None = None
    room: Id | None = Field(None, description="The id of the room, from /rooms.")
    starts_at: dt.datetime | None = Field(None, description=_TIMES)
    ends_at: dt.datetime | None = Field(None, description=_TIMES)
    capacity: int | None = Field(
        None, description="Seats offered to guests; leave empty for every seat of the room."
    )
    languages: list[str] | None = Field(None, examples=[["zh-hans", "en"]])
    hosts: list[Id] | None = Field(
        None,
        description="Ids of the host institutions in order, replacing the present ones; "
        "left out or null keeps them. A forum keeps at least one host. The secretariat only.",
    )
    co_hosts: list[Id] | None = Field(
        None,
        description="Ids of the co-host institutions in order, replacing the present ones; "
        "left out or null keeps them, an empty list removes them. The secretariat only.",
    )
    is_public: bool | None = Field(None, description="Publish the forum (the secretariat only).")


class ForumIn(ForumPatch):
    """A new forum."""

    summit: str | None = Field(None, description="The summit's slug; the current one if empty.")
    slug: str = Field(description="Short name in addresses, unique in the summit.")
    track: Track
    title: I18nTextIn
    room: Id = Field(description="The id of the room, from /rooms.")
    starts_at: dt.datetime = Field(description=_TIMES)
    ends_at: dt.datetime = Field(description=_TIMES)
    kind: ForumKind = ForumKind.SUB_FORUM
    is_public: bool = True


class SpeakerIn(Schema):
    """A person speaking in a session."""

    model_config = ConfigDict(extra="forbid")

    person: Id = Field(description="The id of the person, from /speakers or the admin.")
    role: SpeakerRole = SpeakerRole.SPEAKER


class SessionPatch(Schema):
    """The fields of a session to change; fields left out keep their value."""

    model_config = ConfigDict(extra="forbid")

    title: I18nTextIn | None = None
    abstract: I18nTextIn | None = None
    kind: SessionKind | None = None
    starts_at: dt.datetime | None = Field(None, description=_TIMES)
    ends_at: dt.datetime | None = Field(None, description=_TIMES)
    speakers: list[SpeakerIn] | None = Field(
        None,
        description="Every speaker, in order, replacing the present list; left out or null "
        "keeps it, an empty list removes every speaker.",
    )


class SessionIn(SessionPatch):
    """A new session in a forum."""

    summit: str | None = Field(None, description="The summit's slug; the current one if empty.")
    forum: str = Field(description="The slug of the forum.")
    title: I18nTextIn
    kind: SessionKind = SessionKind.KEYNOTE
    starts_at: dt.datetime = Field(description=_TIMES)
    ends_at: dt.datetime = Field(description=_TIMES)


# --- Filters ------------------------------------------------------------------------------------
class SummitFilter(Schema):
    """Which summit to read."""

    summit: str | None = Field(
        None, max_length=50, description="The summit's slug; the current summit when left out."
    )


class ForumFilter(SummitFilter):
    """Narrow the forums; every filter given must hold."""

    track: Track | None = None
    kind: ForumKind | None = None
    day: dt.date | None = Field(None, description="The day the forum starts (YYYY-MM-DD).")
    organisation: Id | None = Field(
        None, description="The id of an institution hosting or co-hosting the forum."
    )


class SessionFilter(SummitFilter):
    """Narrow the sessions; every filter given must hold."""

    forum: str | None = Field(None, max_length=50, description="The slug of the forum.")
    day: dt.date | None = Field(None, description="The day of the session (YYYY-MM-DD).")
    room: Id | None = Field(None, description="The id of the room.")


class SpeakerFilter(SummitFilter):
    """Find speakers."""

    q: str | None = Field(
        None, max_length=100, description="Part of the name, in own script or Latin letters."
    )
    country: str | None = Field(
        None, min_length=2, max_length=2, description="ISO 3166-1 alpha-2 code, e.g. CN."
    )


class RoomFilter(SummitFilter):
    """Narrow the rooms."""

    venue: str | None = Field(None, max_length=50, description="The slug of the venue.")
