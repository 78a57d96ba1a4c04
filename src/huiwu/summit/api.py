"""The programme over HTTP: summits, forums, sessions, speakers, venues, rooms, institutions and
the summit in figures, read by anyone; forums and sessions written by organisers.

Thin: read through ``selectors``, write through ``services``, ask the ``rules`` predicates.
"""

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import paginate

from huiwu.core import figures
from huiwu.core.api import NotFound, Pages, forbidden, found, session_auth
from huiwu.core.models import Organisation, Person
from huiwu.core.schemas import ErrorOut, ValidationErrorOut
from huiwu.core.services import DomainError, NotAllowed
from huiwu.summit import selectors, services
from huiwu.summit.models import Forum, Room, Session, Summit, Venue
from huiwu.summit.rules import can_add_session
from huiwu.summit.schemas import (
    FiguresOut,
    ForumDetail,
    ForumFilter,
    ForumIn,
    ForumOut,
    ForumPatch,
    OrganisationOut,
    RoomFilter,
    RoomOut,
    SessionFilter,
    SessionIn,
    SessionOut,
    SessionPatch,
    SpeakerDetail,
    SpeakerFilter,
    SpeakerOut,
    SummitFilter,
    SummitOut,
    VenueOut,
)

router = Router()

NOT_FOUND = {404: ErrorOut, 422: ValidationErrorOut}
WRITE_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}


def published_summit(slug: str | None) -> Summit:
    """The published summit a reader asks for, the current one by default, else a 404."""
    summit = selectors.public_summit(slug)
    if summit is None:
        if slug:
            raise NotFound(_("There is no published summit “%(slug)s”.") % {"slug": slug})
        raise NotFound(_("No summit has been published yet."))
    return summit


# --- Summits and figures ------------------------------------------------------------------------
@router.get("/summits", response=list[SummitOut], tags=["Summits"])
@paginate(Pages)
def list_summits(request: HttpRequest) -> QuerySet[Summit]:
    """Every published summit, the current one first."""
    return selectors.public_summits()


@router.get("/summits/{slug}", response={200: SummitOut, **NOT_FOUND}, tags=["Summits"])
def get_summit(request: HttpRequest, slug: str) -> Summit:
    """One published summit and its days."""
    return published_summit(slug)


@router.get("/figures", response={200: FiguresOut, **NOT_FOUND}, tags=["Summits"])
def get_figures(request: HttpRequest, filters: Query[SummitFilter]) -> dict[str, Any]:
    """The summit in figures, counted from the platform's data at the time of the request."""
    summit = published_summit(filters.summit)
    return {"summit": summit.slug, **figures.summit_figures(summit)}


# --- Forums -------------------------------------------------------------------------------------
@router.get("/forums", response={200: list[ForumOut], **NOT_FOUND}, tags=["Forums"])
@paginate(Pages)
def list_forums(request: HttpRequest, filters: Query[ForumFilter]) -> QuerySet[Forum]:
    """The summit's published forums in time order."""
    return selectors.find_forums(
        published_summit(filters.summit),
        track=filters.track,
        kind=filters.kind,
        day=filters.day,
        organisation=filters.organisation,
    )


@router.get("/forums/{slug}", response={200: ForumDetail, **NOT_FOUND}, tags=["Forums"])
def get_forum(request: HttpRequest, slug: str, filters: Query[SummitFilter]) -> Forum:
    """A published forum with its hosts, room, times, languages, seats and sessions."""
    return found(
        selectors.forums_with_sessions(published_summit(filters.summit)),
        _("There is no published forum “%(slug)s” in this summit.") % {"slug": slug},
        slug=slug,
    )


def _writable_summit(slug: str | None) -> Summit:
    """The summit a write names (published or not), the current one by default."""
    summit = Summit.objects.filter(slug=slug).first() if slug else selectors.current_summit()
    if summit is None:
        raise DomainError(
            _("There is no summit “%(slug)s”; give the slug of an existing summit.")
            % {"slug": slug or ""},
            field="summit",
        )
    return summit


def _changes(payload: ForumPatch | SessionPatch, *, without: Iterable[str] = ()) -> dict:
    """The fields a client sent, as the services take them."""
    return payload.model_dump(exclude_unset=True, exclude=set(without))


def _write_forum(request: HttpRequest, forum: Forum, payload: ForumPatch) -> Forum:
    try:
        return services.update_forum(forum, _changes(payload, without={"summit"}), by=request.user)
    except NotAllowed as error:
        raise forbidden(error.message) from error


@router.post(
    "/forums", auth=session_auth, response={201: ForumDetail, **WRITE_ERRORS}, tags=["Forums"]
)
def create_forum(request: HttpRequest, payload: ForumIn) -> Status:
    """Create a forum (the secretariat). Needs a logged-in session and the CSRF token."""
    if not request.user.has_perm("summit.add_forum"):
        raise forbidden(_("Only the secretariat can create forums."))
    forum = Forum(summit=_writable_summit(payload.summit))
    return Status(201, _write_forum(request, forum, payload))


@router.patch(
    "/forums/{slug}",
    auth=session_auth,
    response={200: ForumDetail, **WRITE_ERRORS},
    tags=["Forums"],
)
def update_forum(
    request: HttpRequest, slug: str, payload: ForumPatch, filters: Query[SummitFilter]
) -> Forum:
    """Change a forum: the secretariat, every field; a host or co-host of the forum, its
    texts and languages."""
    summit = _writable_summit(filters.summit)
    forum = found(
        Forum.objects.select_related("summit", "room__venue").filter(summit=summit),
        _("There is no forum “%(slug)s” in this summit.") % {"slug": slug},
        slug=slug,
    )
    if not request.user.has_perm("summit.change_forum", forum):
        raise forbidden(_("Only the secretariat and the forum's hosts and co-hosts can change it."))
    return _write_forum(request, forum, payload)


# --- Sessions -----------------------------------------------------------------------------------
@router.get("/sessions", response={200: list[SessionOut], **NOT_FOUND}, tags=["Sessions"])
@paginate(Pages)
def list_sessions(request: HttpRequest, filters: Query[SessionFilter]) -> QuerySet[Session]:
    """The summit's published sessions in time order."""
    return selectors.find_sessions(
        published_summit(filters.summit), forum=filters.forum, day=filters.day, room=filters.room
    )


@router.get("/sessions/{session_id}", response={200: SessionOut, **NOT_FOUND}, tags=["Sessions"])
def get_session(request: HttpRequest, session_id: int, filters: Query[SummitFilter]) -> Session:
    """A published session with its forum, room and speakers."""
    return found(
        selectors.find_sessions(published_summit(filters.summit)),
        _("There is no published session with the id %(id)s in this summit.") % {"id": session_id},
        pk=session_id,
    )


@router.post(
    "/sessions",
    auth=session_auth,
    response={201: SessionOut, **WRITE_ERRORS},
    tags=["Sessions"],
)
def create_session(request: HttpRequest, payload: SessionIn) -> Status:
    """Add a session to a forum (the secretariat, or a host or co-host of that forum)."""
    summit = _writable_summit(payload.summit)
    forum = (
        Forum.objects.select_related("summit", "room__venue")
        .filter(summit=summit, slug=payload.forum)
        .first()
    )
    if forum is None:
        raise DomainError(
            _("There is no forum “%(slug)s” in this summit.") % {"slug": payload.forum},
            field="forum",
        )
    if not can_add_session.test(request.user, forum):
        raise forbidden(_("Only the secretariat and the forum's hosts and co-hosts can change it."))
    session = services.update_session(
        Session(forum=forum), _changes(payload, without={"summit", "forum"}), by=request.user
    )
    return Status(201, session)


@router.patch(
    "/sessions/{session_id}",
    auth=session_auth,
    response={200: SessionOut, **WRITE_ERRORS},
    tags=["Sessions"],
)
def update_session(request: HttpRequest, session_id: int, payload: SessionPatch) -> Session:
    """Change a session (the secretariat, or a host or co-host of its forum)."""
    session = found(
        Session.objects.select_related("forum__summit", "forum__room__venue"),
        _("There is no session with the id %(id)s.") % {"id": session_id},
        pk=session_id,
    )
    if not request.user.has_perm("summit.change_session", session):
        raise forbidden(_("Only the secretariat and the forum's hosts and co-hosts can change it."))
    return services.update_session(session, _changes(payload), by=request.user)


# --- Speakers -----------------------------------------------------------------------------------
@router.get("/speakers", response={200: list[SpeakerOut], **NOT_FOUND}, tags=["Speakers"])
@paginate(Pages)
def list_speakers(request: HttpRequest, filters: Query[SpeakerFilter]) -> QuerySet[Person]:
    """The people speaking in the summit's published sessions, by name in Latin letters."""
    return selectors.search_speakers(
        published_summit(filters.summit),
        text=(filters.q or "").strip(),
        country=(filters.country or "").upper(),
    )


@router.get("/speakers/{person_id}", response={200: SpeakerDetail, **NOT_FOUND}, tags=["Speakers"])
def get_speaker(
    request: HttpRequest, person_id: int, filters: Query[SummitFilter]
) -> dict[str, Any]:
    """A speaker with the sessions they speak in."""
    summit = published_summit(filters.summit)
    person = found(
        selectors.speakers(summit),
        _("Nobody with the id %(id)s speaks at this summit.") % {"id": person_id},
        pk=person_id,
    )
    return {
        "speaker": person,
        "sessions": selectors.speaker_appearances(summit, person).select_related(
            "session__forum__summit"
        ),
    }


# --- Venues, rooms, institutions ----------------------------------------------------------------
@router.get("/venues", response={200: list[VenueOut], **NOT_FOUND}, tags=["Venues"])
@paginate(Pages)
def list_venues(request: HttpRequest, filters: Query[SummitFilter]) -> QuerySet[Venue]:
    """The summit's venues with their coordinates, outlines and rooms."""
    return selectors.venues_with_rooms(published_summit(filters.summit))


@router.get("/venues/{slug}", response={200: VenueOut, **NOT_FOUND}, tags=["Venues"])
def get_venue(request: HttpRequest, slug: str, filters: Query[SummitFilter]) -> Venue:
    """One venue with its coordinates, outline and rooms."""
    return found(
        selectors.venues_with_rooms(published_summit(filters.summit)),
        _("There is no venue “%(slug)s” in this summit.") % {"slug": slug},
        slug=slug,
    )


@router.get("/rooms", response={200: list[RoomOut], **NOT_FOUND}, tags=["Venues"])
@paginate(Pages)
def list_rooms(request: HttpRequest, filters: Query[RoomFilter]) -> QuerySet[Room]:
    """The rooms of the summit's venues."""
    return selectors.find_rooms(published_summit(filters.summit), venue=filters.venue)


@router.get(
    "/organisations", response={200: list[OrganisationOut], **NOT_FOUND}, tags=["Institutions"]
)
@paginate(Pages)
def list_organisations(
    request: HttpRequest, filters: Query[SummitFilter]
) -> QuerySet[Organisation]:
    """The institutions hosting or co-hosting the summit's published forums."""
    return selectors.public_organisations(published_summit(filters.summit))


@router.get(
    "/organisations/{organisation_id}",
    response={200: OrganisationOut, **NOT_FOUND},
    tags=["Institutions"],
)
def get_organisation(
    request: HttpRequest, organisation_id: int, filters: Query[SummitFilter]
) -> Organisation:
    """An institution with the forums it hosts or co-hosts at the summit."""
    return found(
        selectors.public_organisations(published_summit(filters.summit)),
        _("No institution with the id %(id)s hosts a forum of this summit.")
        % {"id": organisation_id},
        pk=organisation_id,
    )
