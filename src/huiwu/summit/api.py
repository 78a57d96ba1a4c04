"""The programme over HTTP: summits, forums, sessions, speakers, venues, rooms, institutions and
the summit in figures, read by anyone; forums and sessions written by organisers.

Thin: read through ``selectors``, write through ``services``, ask the ``rules`` predicates.
"""

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext as _
from i18nfield.strings import LazyI18nString
from ninja import Query, Router, Status
from ninja.pagination import paginate

from huiwu.core import figures
from huiwu.core.api import NotFound, Pages, forbidden, found, session_auth
from huiwu.core.models import Organisation, Person
from huiwu.core.rules import is_organiser
from huiwu.core.schemas import ErrorOut, ValidationErrorOut
from huiwu.core.services import DomainError
from huiwu.summit import selectors, services
from huiwu.summit.models import Forum, OrganiserRole, Room, Session, Summit
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


def _summit(slug: str | None) -> Summit:
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
def list_summits(request: HttpRequest):
    """Every published summit, the current one first."""
    return selectors.public_summits()


@router.get("/summits/{slug}", response={200: SummitOut, **NOT_FOUND}, tags=["Summits"])
def get_summit(request: HttpRequest, slug: str):
    """One published summit and its days."""
    return _summit(slug)


@router.get("/figures", response={200: FiguresOut, **NOT_FOUND}, tags=["Summits"])
def get_figures(request: HttpRequest, filters: Query[SummitFilter]):
    """The summit in figures, counted from the platform's data at the time of the request."""
    summit = _summit(filters.summit)
    return {"summit": summit.slug, **figures.summit_figures(summit)}


# --- Forums -------------------------------------------------------------------------------------
@router.get("/forums", response={200: list[ForumOut], **NOT_FOUND}, tags=["Forums"])
@paginate(Pages)
def list_forums(request: HttpRequest, filters: Query[ForumFilter]):
    """The summit's published forums in time order."""
    return selectors.find_forums(
        _summit(filters.summit),
        track=filters.track,
        kind=filters.kind,
        day=filters.day,
        organisation=filters.organisation,
    )


@router.get("/forums/{slug}", response={200: ForumDetail, **NOT_FOUND}, tags=["Forums"])
def get_forum(request: HttpRequest, slug: str, filters: Query[SummitFilter]):
    """A published forum with its hosts, room, times, languages, seats and sessions."""
    return found(
        selectors.forums_with_sessions(_summit(filters.summit)),
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


def _aware(moment: dt.datetime | None, summit: Summit) -> dt.datetime | None:
    """A time without an offset is a time of the summit's own time zone."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=summit.tz)
    return moment


def _text(value: dict[str, str] | None) -> LazyI18nString | None:
    return None if value is None else LazyI18nString(value)


def _institutions(ids: list[int], field: str) -> list[Organisation]:
    """The institutions with these ids, in the order given; unknown ids are refused."""
    known = Organisation.objects.in_bulk(ids)
    missing = [str(pk) for pk in ids if pk not in known]
    if missing:
        raise DomainError(
            _("No institution has the id %(ids)s; see /api/v1/organisations.")
            % {"ids": ", ".join(missing)},
            field=field,
        )
    return [known[pk] for pk in ids]


def _forum_institutions(forum: Forum, payload: ForumPatch):
    """The hosts and co-hosts a write asks for, keeping the present ones it leaves out."""
    if not {"hosts", "co_hosts"} & payload.model_fields_set:
        return (), ()
    present: dict[str, list[int]] = {role: [] for role in OrganiserRole}
    if forum.pk:
        for link in forum.forum_organisers.all():
            present[link.role].append(link.organisation_id)
    host_ids = payload.hosts or present[OrganiserRole.HOST]
    co_host_ids = payload.co_hosts or present[OrganiserRole.CO_HOST]
    return _institutions(host_ids, "hosts"), _institutions(co_host_ids, "co_hosts")


def _save_forum(request: HttpRequest, forum: Forum, payload: ForumPatch) -> Forum:
    """Apply the fields a client sent to ``forum`` and save it through the service."""
    sent = payload.model_fields_set
    if {"hosts", "co_hosts", "is_public"} & sent and not is_organiser.test(request.user):
        raise forbidden(_("Only the secretariat can change a forum's hosts or publish it."))
    hosts, co_hosts = _forum_institutions(forum, payload)
    for name in {"slug", "kind", "track", "capacity", "languages", "is_public"} & sent:
        setattr(forum, name, getattr(payload, name))
    for name in {"title", "theme", "description"} & sent:
        setattr(forum, name, _text(getattr(payload, name)))
    for name in {"starts_at", "ends_at"} & sent:
        setattr(forum, name, _aware(getattr(payload, name), forum.summit))
    if "room" in sent:
        forum.room = _room(payload.room)
    return services.save_forum(forum, by=request.user, hosts=hosts, co_hosts=co_hosts)


def _room(pk: int | None) -> Room | None:
    if pk is None:
        return None
    room = Room.objects.select_related("venue").filter(pk=pk).first()
    if room is None:
        raise DomainError(
            _("There is no room with the id %(id)s; see /api/v1/rooms.") % {"id": pk},
            field="room",
        )
    return room


@router.post(
    "/forums", auth=session_auth, response={201: ForumDetail, **WRITE_ERRORS}, tags=["Forums"]
)
def create_forum(request: HttpRequest, payload: ForumIn):
    """Create a forum (the secretariat). Needs a logged-in session and the CSRF token."""
    if not request.user.has_perm("summit.add_forum"):
        raise forbidden(_("Only the secretariat can create forums."))
    forum = Forum(summit=_writable_summit(payload.summit))
    return Status(201, _save_forum(request, forum, payload))


@router.patch(
    "/forums/{slug}",
    auth=session_auth,
    response={200: ForumDetail, **WRITE_ERRORS},
    tags=["Forums"],
)
def update_forum(
    request: HttpRequest, slug: str, payload: ForumPatch, filters: Query[SummitFilter]
):
    """Change a forum (the secretariat, or a host or co-host of that forum)."""
    summit = _writable_summit(filters.summit)
    forum = found(
        Forum.objects.select_related("summit", "room__venue").filter(summit=summit),
        _("There is no forum “%(slug)s” in this summit.") % {"slug": slug},
        slug=slug,
    )
    if not request.user.has_perm("summit.change_forum", forum):
        raise forbidden(_("Only the secretariat and the forum's hosts and co-hosts can change it."))
    return _save_forum(request, forum, payload)


# --- Sessions -----------------------------------------------------------------------------------
@router.get("/sessions", response={200: list[SessionOut], **NOT_FOUND}, tags=["Sessions"])
@paginate(Pages)
def list_sessions(request: HttpRequest, filters: Query[SessionFilter]):
    """The summit's published sessions in time order."""
    return selectors.find_sessions(
        _summit(filters.summit), forum=filters.forum, day=filters.day, room=filters.room
    )


@router.get("/sessions/{session_id}", response={200: SessionOut, **NOT_FOUND}, tags=["Sessions"])
def get_session(request: HttpRequest, session_id: int, filters: Query[SummitFilter]):
    """A published session with its forum, room and speakers."""
    return found(
        selectors.find_sessions(_summit(filters.summit)),
        _("There is no published session with the id %(id)s in this summit.") % {"id": session_id},
        pk=session_id,
    )


def _speakers(payload: SessionPatch) -> list[tuple[Person, str]]:
    """The (person, role) pairs a write asks for; unknown people are refused."""
    ids = [item.person for item in payload.speakers or ()]
    people = Person.objects.in_bulk(ids)
    missing = [str(pk) for pk in ids if pk not in people]
    if missing:
        raise DomainError(
            _("No person has the id %(ids)s; see /api/v1/speakers.") % {"ids": ", ".join(missing)},
            field="speakers",
        )
    return [(people[item.person], item.role) for item in payload.speakers or ()]


def _save_session(request: HttpRequest, session: Session, payload: SessionPatch) -> Session:
    """Apply the fields a client sent to ``session`` and save it through the service."""
    sent = payload.model_fields_set
    speakers = _speakers(payload)
    for name in {"title", "abstract"} & sent:
        setattr(session, name, _text(getattr(payload, name)))
    if "kind" in sent:
        session.kind = payload.kind
    for name in {"starts_at", "ends_at"} & sent:
        setattr(session, name, _aware(getattr(payload, name), session.forum.summit))
    return services.save_session(session, by=request.user, speakers=speakers)


@router.post(
    "/sessions",
    auth=session_auth,
    response={201: SessionOut, **WRITE_ERRORS},
    tags=["Sessions"],
)
def create_session(request: HttpRequest, payload: SessionIn):
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
    if not request.user.has_perm("summit.change_forum", forum):
        raise forbidden(_("Only the secretariat and the forum's hosts and co-hosts can change it."))
    return Status(201, _save_session(request, Session(forum=forum), payload))


@router.patch(
    "/sessions/{session_id}",
    auth=session_auth,
    response={200: SessionOut, **WRITE_ERRORS},
    tags=["Sessions"],
)
def update_session(request: HttpRequest, session_id: int, payload: SessionPatch):
    """Change a session (the secretariat, or a host or co-host of its forum)."""
    session = found(
        Session.objects.select_related("forum__summit", "forum__room__venue"),
        _("There is no session with the id %(id)s.") % {"id": session_id},
        pk=session_id,
    )
    if not request.user.has_perm("summit.change_session", session):
        raise forbidden(_("Only the secretariat and the forum's hosts and co-hosts can change it."))
    return _save_session(request, session, payload)


# --- Speakers -----------------------------------------------------------------------------------
@router.get("/speakers", response={200: list[SpeakerOut], **NOT_FOUND}, tags=["Speakers"])
@paginate(Pages)
def list_speakers(request: HttpRequest, filters: Query[SpeakerFilter]):
    """The people speaking in the summit's published sessions, by name in Latin letters."""
    return selectors.search_speakers(
        _summit(filters.summit),
        text=(filters.q or "").strip(),
        country=(filters.country or "").upper(),
    )


@router.get("/speakers/{person_id}", response={200: SpeakerDetail, **NOT_FOUND}, tags=["Speakers"])
def get_speaker(request: HttpRequest, person_id: int, filters: Query[SummitFilter]):
    """A speaker with the sessions they speak in."""
    summit = _summit(filters.summit)
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
def list_venues(request: HttpRequest, filters: Query[SummitFilter]):
    """The summit's venues with their coordinates, outlines and rooms."""
    return selectors.venues_with_rooms(_summit(filters.summit))


@router.get("/venues/{slug}", response={200: VenueOut, **NOT_FOUND}, tags=["Venues"])
def get_venue(request: HttpRequest, slug: str, filters: Query[SummitFilter]):
    """One venue with its coordinates, outline and rooms."""
    return found(
        selectors.venues_with_rooms(_summit(filters.summit)),
        _("There is no venue “%(slug)s” in this summit.") % {"slug": slug},
        slug=slug,
    )


@router.get("/rooms", response={200: list[RoomOut], **NOT_FOUND}, tags=["Venues"])
@paginate(Pages)
def list_rooms(request: HttpRequest, filters: Query[RoomFilter]):
    """The rooms of the summit's venues."""
    return selectors.find_rooms(_summit(filters.summit), venue=filters.venue)


@router.get(
    "/organisations", response={200: list[OrganisationOut], **NOT_FOUND}, tags=["Institutions"]
)
@paginate(Pages)
def list_organisations(request: HttpRequest, filters: Query[SummitFilter]):
    """The institutions hosting or co-hosting the summit's published forums."""
    return selectors.public_organisations(_summit(filters.summit))


@router.get(
    "/organisations/{organisation_id}",
    response={200: OrganisationOut, **NOT_FOUND},
    tags=["Institutions"],
)
def get_organisation(request: HttpRequest, organisation_id: int, filters: Query[SummitFilter]):
    """An institution with the forums it hosts or co-hosts at the summit."""
    return found(
        selectors.public_organisations(_summit(filters.summit)),
        _("No institution with the id %(id)s hosts a forum of this summit.")
        % {"id": organisation_id},
        pk=organisation_id,
    )
