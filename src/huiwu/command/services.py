"""Every write of the command centre: incidents, dispatches, escalation, broadcasts and the
automatic incidents. One function per use case, each in its own transaction, each logged.

What must never go wrong here:

- **A volunteer is on one incident at a time.** ``dispatch`` checks it, and the database's
  ``one_open_dispatch_per_volunteer`` constraint is the last word when two operators send the
  same volunteer at the same moment (PostgreSQL: the second insert waits for the first and
  fails; SQLite: write transactions start ``BEGIN IMMEDIATE`` and run one at a time). The
  refusal is a sentence, never a 500.
- **An incident's lifecycle only goes forward** (new → dispatched → acknowledged → on scene →
  resolved, or cancelled from any open state); a closed incident is final. The one step back
  is the escalation's: when the last active dispatch times out or is declined and nobody else
  can go, the incident is new again, for the dispatcher to act on.
- **Every write that changes an incident locks its row first**, so that a volunteer's answer, a
  staff decision and the escalation on the same incident run one after the other.

Each change reaches the live pages after its transaction commits (``live.publish``):
``incident`` events to the command staff, ``task`` events to the volunteer's phone, ``broadcast``
events to each recipient, and ``alert`` events (timed out, declined, nobody available,
raised automatically) to the command staff.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from PIL import Image

from huiwu.checkin.models import GateDevice
from huiwu.checkin.selectors import zone_occupancy
from huiwu.command import live, rules
from huiwu.command.dispatch import PositionIndex, WalkingNetwork
from huiwu.command.models import (
    ACTIVE_DISPATCH,
    OPEN_STATUSES,
    Audience,
    Broadcast,
    Dispatch,
    DispatchStatus,
    Incident,
    IncidentKind,
    IncidentSource,
    IncidentStatus,
    Priority,
    WalkingPaths,
)
from huiwu.command.selectors import broadcast_data, incident_data, task_data
from huiwu.core.services import DomainError, NotAllowed, log_action
from huiwu.registration.validators import validate_portrait
from huiwu.summit.models import Summit, Venue, Zone
from huiwu.volunteers import geo
from huiwu.volunteers.languages import ISO_639_1, MAX_LEVEL, MIN_LEVEL, normalise_code
from huiwu.volunteers.models import Application, DutyRecord, Post, Skill
from huiwu.volunteers.selectors import current_positions, on_duty
from huiwu.volunteers.services import language_tokens, open_duty


class CommandError(DomainError):
    """A request to the command centre that breaks one of its rules; nothing was changed."""


class CommandNotAllowed(CommandError, NotAllowed):
    """The user may not do this (answer someone else's task); the API answers 403."""


#: A point farther than this from every venue of the summit is a typo, not an incident.
MAX_DISTANCE_FROM_VENUES_M = 20_000
MAX_DESCRIPTION = 2000
MAX_PLACE = 200
MAX_BROADCAST = 500
#: After staff close a crowding incident, a zone still full is raised again only this much
#: later: the people inside do not leave because an incident was closed.
CROWDING_REARM = dt.timedelta(minutes=30)
ALERT_REASONS = ("timed_out", "declined", "nobody_available", "auto_raised")


@dataclass(frozen=True)
class Candidate:
    """A volunteer the dispatcher could send: where they work, how far, measured how (walking
    over the paths or the straight line) and how old the position is."""

    application: Application
    post: Post
    distance_m: float
    method: str
    age_seconds: float


# --- Shared steps --------------------------------------------------------------------------------


def _user(by):
    return by if by is not None and by.is_authenticated else None


def _check_staff(by) -> None:
    """Staff writes: ``by=None`` is the platform itself (the escalation, the watcher)."""
    if by is not None and not rules.can_command.test(by):
        raise CommandNotAllowed(_("Only command staff can do this."))


def _locked(incident: Incident) -> Incident:
    """The incident's row, locked until the transaction ends, as it is now."""
    return Incident.objects.select_for_update().get(pk=incident.pk)


def _publish_incident(incident: Incident) -> None:
    live.publish(live.command_group(incident.summit_id), "incident", incident_data(incident))


def _publish_task(dispatch: Dispatch) -> None:
    live.publish(live.volunteer_group(dispatch.volunteer_id), "task", task_data(dispatch))


def _alert(incident: Incident, reason: str, dispatch: Dispatch | None = None) -> None:
    live.publish(
        live.command_group(incident.summit_id),
        "alert",
        {"incident": incident.pk, "reason": reason, "dispatch": dispatch.pk if dispatch else None},
    )


def _stamp(obj, field: str, now: dt.datetime) -> None:
    """Set a time stamp the first time only: a stamp records when something first happened."""
    if getattr(obj, field) is None:
        setattr(obj, field, now)


def _active(incident: Incident) -> bool:
    return Dispatch.objects.filter(incident=incident, status__in=ACTIVE_DISPATCH).exists()


# --- Validation ----------------------------------------------------------------------------------


def _kind(kind) -> str:
    if kind not in IncidentKind.values:
        raise CommandError(
            _("“%(kind)s” is not a type of incident; choose one of: %(choices)s.")
            % {"kind": kind, "choices": ", ".join(IncidentKind.values)},
            field="kind",
        )
    return kind


def _priority(priority) -> int:
    try:
        value = int(priority)
    except (TypeError, ValueError):
        value = None
    if value not in Priority.values or isinstance(priority, bool | float):
        raise CommandError(
            _("Give the priority as a number from 1 (critical) to 4 (low)."), field="priority"
        )
    return value


def _point(lat, lon) -> tuple[float | None, float | None]:
    if lat is None and lon is None:
        return None, None
    if lat is None or lon is None:
        raise CommandError(_("Give both the latitude and the longitude, or neither."), field="lat")
    try:
        if isinstance(lat, bool) or isinstance(lon, bool):
            raise TypeError
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        raise CommandError(_("The position is not a pair of numbers."), field="lat") from None
    if not geo.valid_position(lat, lon):
        raise CommandError(
            _("(%(lat)s, %(lon)s) is not a position on Earth; click the map again.")
            % {"lat": lat, "lon": lon},
            field="lat",
        )
    return lat, lon


def _near_a_venue(summit: Summit, lat: float, lon: float) -> None:
    venues = list(Venue.objects.filter(summit=summit).values_list("latitude", "longitude"))
    if not venues:
        return
    nearest = min(geo.haversine_m(lat, lon, float(vlat), float(vlon)) for vlat, vlon in venues)
    if nearest > MAX_DISTANCE_FROM_VENUES_M:
        raise CommandError(
            _(
                "(%(lat)s, %(lon)s) is %(km)d km from the nearest venue of the summit; check "
                "the position."
            )
            % {"lat": round(lat, 6), "lon": round(lon, 6), "km": nearest // 1000},
            field="lat",
        )


def clean_needs(needs: Iterable[str] | None) -> list[str]:
    """Skills (``first_aid``) and languages at a level (``fr:2``), normalised and without
    repeats; raises ``CommandError`` naming the first unknown one."""
    if needs is None:
        return []
    if isinstance(needs, str) or not all(isinstance(item, str) for item in needs):
        raise CommandError(_("Give the needs as a list of skills and languages."), field="needs")
    cleaned: list[str] = []
    for item in needs:
        token = item.strip()
        if ":" in token:
            code, _sep, level = token.partition(":")
            code = normalise_code(code)
            if (
                code not in ISO_639_1
                or not level.isdecimal()
                or not MIN_LEVEL <= int(level) <= MAX_LEVEL
            ):
                raise CommandError(
                    _(
                        "“%(need)s” is not a language need; write an ISO 639-1 code and a level "
                        "from 1 to 5, such as fr:2."
                    )
                    % {"need": item},
                    field="needs",
                )
            token = f"{code}:{int(level)}"
        elif token not in Skill.values:
            raise CommandError(
                _("“%(need)s” is not a skill; choose among: %(choices)s.")
                % {"need": item, "choices": ", ".join(Skill.values)},
                field="needs",
            )
        if token not in cleaned:
            cleaned.append(token)
    return cleaned


def _text(value, limit: int, field: str) -> str:
    text = (value or "").strip()
    if len(text) > limit:
        raise CommandError(
            _("This text has %(length)d characters; shorten it to %(limit)d.")
            % {"length": len(text), "limit": limit},
            field=field,
        )
    return text


def _photo(photo):
    """The upload checked as the registration checks portraits (readable, not too large), under
    a name of our own."""
    if not photo:
        return None
    try:
        validate_portrait(photo)
    except ValidationError as error:
        raise CommandError(error.messages[0], field="photo") from None
    with Image.open(photo) as image:
        extension = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}[image.format]
    photo.seek(0)
    photo.name = f"{uuid.uuid4().hex}.{extension}"
    return photo


def _of_summit(obj, summit: Summit, field: str, label: str):
    if obj is not None and obj.summit_id != summit.pk:
        raise CommandError(
            _("This %(thing)s belongs to another summit.") % {"thing": label}, field=field
        )
    return obj


def _place(summit: Summit, venue, zone, post) -> Venue | None:
    """The venue the incident is at: the one given, else the zone's or the post's, which must
    all agree."""
    _of_summit(venue, summit, "venue", _("venue"))
    _of_summit(zone, summit, "zone", _("zone"))
    _of_summit(post, summit, "post", _("post"))
    implied = {item.venue_id for item in (zone, post) if item is not None and item.venue_id}
    if venue is not None:
        implied.add(venue.pk)
    if len(implied) > 1:
        raise CommandError(
            _("The venue, zone and post given are in different venues; give one place."),
            field="venue",
        )
    if venue is None and implied:
        venue = Venue.objects.get(pk=implied.pop())
    return venue


# --- Incidents -----------------------------------------------------------------------------------


def report_incident(
    summit: Summit,
    *,
    kind,
    priority=Priority.NORMAL,
    lat=None,
    lon=None,
    venue: Venue | None = None,
    zone: Zone | None = None,
    post: Post | None = None,
    place: str = "",
    description: str = "",
    needs: Iterable[str] = (),
    photo=None,
    by=None,
    source: str = IncidentSource.STAFF,
    auto_key: str = "",
) -> Incident:
    """Record a new incident. Refused, with nothing recorded: an unknown type or priority,
    impossible coordinates or a point far from every venue, a place of another summit, unknown
    needs, a description over 2,000 characters, a photo that is not a readable image, and an
    automatic condition that already has an open incident."""
    kind = _kind(kind)
    priority = _priority(priority)
    lat, lon = _point(lat, lon)
    if lat is not None:
        _near_a_venue(summit, lat, lon)
    venue = _place(summit, venue, zone, post)
    needs = clean_needs(needs)
    description = _text(description, MAX_DESCRIPTION, "description")
    place = _text(place, MAX_PLACE, "place")
    if source not in IncidentSource.values:
        raise CommandError(_("Unknown source of an incident."), field="source")
    photo = _photo(photo)
    incident = Incident(
        summit=summit,
        kind=kind,
        priority=priority,
        source=source,
        venue=venue,
        zone=zone,
        post=post,
        lat=lat,
        lon=lon,
        place=place,
        description=description,
        needs=needs,
        auto_key=auto_key,
        reported_by=_user(by),
    )
    if photo:
        incident.photo = photo
    with transaction.atomic():
        try:
            with transaction.atomic():
                incident.save()
        except IntegrityError:
            raise CommandError(_("This condition already has an open incident.")) from None
        log_action(
            incident,
            "command.reported",
            by=by,
            data={"kind": kind, "priority": priority, "source": source},
        )
        _publish_incident(incident)
    return incident


def report_from_phone(
    application: Application,
    *,
    kind,
    description: str = "",
    lat=None,
    lon=None,
    accuracy=None,
    photo=None,
) -> Incident:
    """A volunteer on duty reports what they see, at their post's venue, with the phone's
    position and a photo when they give them."""
    duty = open_duty(application)
    if duty is None:
        raise CommandError(_("Only volunteers on duty can report an incident; sign in first."))
    place = ""
    if accuracy is not None:
        try:
            accuracy = float(accuracy)
        except (TypeError, ValueError):
            accuracy = math.nan
        if not 0 <= accuracy <= 100_000:
            raise CommandError(_("The accuracy must be a number of metres."), field="accuracy")
        # The dispatcher judges the point by it: 10 m is a door, 300 m is a district.
        place = _in_every_language(
            gettext_noop("Position from the phone, within %(metres)d m"),
            joiner=" / ",
            metres=round(accuracy),
        )
    post = duty.assignment.post_shift.post
    return report_incident(
        application.summit,
        kind=kind,
        lat=lat,
        lon=lon,
        post=post,
        place=place,
        description=description,
        photo=photo,
        by=application.user,
        source=IncidentSource.VOLUNTEER,
    )


# --- Who to send ---------------------------------------------------------------------------------

_networks: dict[int, tuple[dt.datetime, WalkingNetwork | None]] = {}


def walking_network(summit: Summit) -> WalkingNetwork | None:
    """The summit's footpaths as a graph to walk, built once per version of the paths (kept per
    process: building it snaps every vertex, which a dispatch should not wait for)."""
    stamp = WalkingPaths.objects.filter(summit=summit).values_list("updated_at", flat=True).first()
    if stamp is None:
        return None
    cached = _networks.get(summit.pk)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    paths = WalkingPaths.objects.get(summit=summit).geojson
    try:
        network = WalkingNetwork.from_geojson(paths if isinstance(paths, dict) else {})
    except (TypeError, ValueError, KeyError, IndexError):
        network = None  # paths the map cannot walk: straight lines, and the suggestion says so
    _networks[summit.pk] = (stamp, network)
    return network


def incident_point(incident: Incident) -> tuple[float, float] | None:
    """Where the incident is: its point, else its venue's, else its post's venue's."""
    if incident.lat is not None and incident.lon is not None:
        return incident.lat, incident.lon
    venue = incident.venue or (incident.post.venue if incident.post_id else None)
    if venue is None:
        return None
    return float(venue.latitude), float(venue.longitude)


def _max_age_seconds() -> float:
    return float(settings.COMMAND_POSITION_MAX_AGE_MINUTES) * 60


def _index(rows: list[dict], now: dt.datetime, busy: set[int]) -> PositionIndex:
    """The positions of ``rows`` (from ``current_positions``) with each volunteer's skills and
    languages as the tokens incidents need."""
    people = dict(
        (pk, set(skills) | language_tokens(languages))
        for pk, skills, languages in Application.objects.filter(
            pk__in=[row["volunteer"] for row in rows]
        ).values_list("pk", "skills", "languages")
    )
    return PositionIndex(
        keys=[row["volunteer"] for row in rows],
        lats=[row["lat"] for row in rows],
        lons=[row["lon"] for row in rows],
        # A phone's clock a little ahead (accepted up to 2 minutes) is a position of now.
        seen_at=[min(row["at"], now).timestamp() for row in rows],
        skills=[people.get(row["volunteer"], set()) for row in rows],
        busy=[row["volunteer"] in busy for row in rows],
    )


def suggestions(incident: Incident, *, n: int | None = None, now=None) -> list[Candidate]:
    """The nearest free volunteers on duty with what the incident needs, nearest first.

    Positions older than ``COMMAND_POSITION_MAX_AGE_MINUTES`` never count; whoever was already
    offered this incident (and declined or let it time out) is not suggested again. Distances
    walk the summit's paths where they exist, else run straight, and each says which.
    """
    now = now or timezone.now()
    n = settings.COMMAND_SUGGESTIONS if n is None else n
    point = incident_point(incident)
    if point is None or not incident.is_open:
        return []
    rows = current_positions(incident.summit, now=now)
    if not rows:
        return []
    busy = set(
        Dispatch.objects.filter(
            volunteer_id__in=[row["volunteer"] for row in rows], status__in=ACTIVE_DISPATCH
        ).values_list("volunteer_id", flat=True)
    )
    offered = set(incident.dispatches.values_list("volunteer_id", flat=True))
    found = _index(rows, now, busy).suggest(
        *point,
        now=now.timestamp(),
        n=n,
        needs=incident.needs,
        max_age_seconds=_max_age_seconds(),
        exclude=offered,
        network=walking_network(incident.summit),
    )
    by_key = {row["volunteer"]: row for row in rows}
    applications = Application.objects.in_bulk([s.key for s in found])
    return [
        Candidate(
            application=applications[s.key],
            post=by_key[s.key]["post"],
            distance_m=s.distance_m,
            method=s.method,
            age_seconds=s.age_seconds,
        )
        for s in found
    ]


def _measure(incident: Incident, application: Application, now: dt.datetime):
    """What the suggestion would say of this volunteer (distance, method, position age), or
    ``None`` without a fresh position or a place to measure from."""
    point = incident_point(incident)
    rows = current_positions(incident.summit, now=now, volunteer=application)
    if point is None or not rows:
        return None
    found = _index(rows, now, set()).suggest(
        *point,
        now=now.timestamp(),
        n=1,
        max_age_seconds=_max_age_seconds(),
        network=walking_network(incident.summit),
    )
    return found[0] if found else None


# --- Dispatch ------------------------------------------------------------------------------------


def _schedule_escalation(dispatch: Dispatch) -> None:
    # tasks imports this module; the escalation is queued only once the offer is committed.
    from huiwu.command import tasks

    respond_by = dispatch.respond_by
    # Should the queue be unreachable, the watch times the offer out (see ``_overdue_offers``).
    transaction.on_commit(
        lambda: tasks.escalate.using(run_after=respond_by).enqueue(dispatch.pk), robust=True
    )


def _offer(incident: Incident, application: Application, *, by, now: dt.datetime) -> Dispatch:
    """Create the offer on the locked ``incident``; the refusals of ``dispatch``."""
    name = application.name
    if not incident.is_open:
        raise CommandError(
            _("This incident is closed; nobody can be sent to it."), field="incident"
        )
    if application.summit_id != incident.summit_id or open_duty(application) is None:
        raise CommandError(
            _("%(name)s is not on duty now; send someone who is.") % {"name": name},
            field="volunteer",
        )
    if Dispatch.objects.filter(incident=incident, volunteer=application).exists():
        raise CommandError(
            _("%(name)s was already offered this incident; send someone else.") % {"name": name},
            field="volunteer",
        )
    busy = _(
        "%(name)s is already on another incident; send someone else, or wait until they are free."
    ) % {"name": name}
    if Dispatch.objects.filter(volunteer=application, status__in=ACTIVE_DISPATCH).exists():
        raise CommandError(busy, field="volunteer")
    measured = _measure(incident, application, now)
    try:
        # The constraint decides when another operator sent the same volunteer meanwhile.
        with transaction.atomic():
            dispatch = Dispatch.objects.create(
                incident=incident,
                volunteer=application,
                offered_by=_user(by),
                respond_by=now + dt.timedelta(seconds=settings.COMMAND_ACK_TIMEOUT_SECONDS),
                distance_m=measured.distance_m if measured else None,
                distance_method=measured.method if measured else "",
                position_age_s=measured.age_seconds if measured else None,
            )
    except IntegrityError:
        raise CommandError(busy, field="volunteer") from None
    if incident.status == IncidentStatus.NEW:
        incident.status = IncidentStatus.DISPATCHED
    _stamp(incident, "dispatched_at", now)
    incident.save(update_fields=["status", "dispatched_at", "updated_at"])
    log_action(
        incident,
        "command.dispatched",
        by=by,
        data={"dispatch": dispatch.pk, "volunteer": application.pk, "name": name},
    )
    dispatch.incident = incident
    _schedule_escalation(dispatch)
    _publish_task(dispatch)
    return dispatch


def dispatch(incident: Incident, application: Application, *, by, now=None) -> Dispatch:
    """Offer the incident to a volunteer, who has ``COMMAND_ACK_TIMEOUT_SECONDS`` to
    acknowledge before the offer escalates. Refused: a closed incident, a volunteer not on duty,
    already on another incident, or already offered this one."""
    _check_staff(by)
    now = now or timezone.now()
    with transaction.atomic():
        incident = _locked(incident)
        offer = _offer(incident, application, by=by, now=now)
        _publish_incident(incident)
    return offer


def _offer_next(incident: Incident, now: dt.datetime) -> Dispatch | None:
    """Offer the locked incident to the nearest suggestion who can still take it; ``None``
    when nobody can (each refusal here is a volunteer taken meanwhile: try the next)."""
    for candidate in suggestions(incident, now=now):
        try:
            return _offer(incident, candidate.application, by=None, now=now)
        except CommandError:
            continue
    return None


def _after_lost_offer(incident: Incident, now: dt.datetime) -> Dispatch | None:
    """An offer ended unanswered or declined: offer the next volunteer; when nobody can go,
    alert the staff, and make the incident new again if nobody is on it any more."""
    offer = _offer_next(incident, now)
    if offer is None:
        _alert(incident, "nobody_available")
        if not _active(incident):
            incident.status = IncidentStatus.NEW
            incident.save(update_fields=["status", "updated_at"])
            log_action(incident, "command.back_to_new", data={"reason": "nobody_available"})
    return offer


def escalate(dispatch_id: int, *, now=None) -> Dispatch | None:
    """The background task's body, due at the offer's ``respond_by``: an offer still not
    acknowledged times out, the staff are alerted, and the next suggestion is offered the
    incident (when nobody can go, the staff are alerted again and, if nobody is on it any more,
    the incident is new again — the one step back its lifecycle allows). Returns the new offer.

    Idempotent: an offer acknowledged, declined or already timed out is left alone, so a second
    run does nothing more. Run before the deadline (a worker's clock ahead), it queues itself
    again for the deadline."""
    now = now or timezone.now()
    incident_id = Dispatch.objects.filter(pk=dispatch_id).values_list("incident_id", flat=True)
    if not incident_id:
        return None
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident_id[0])
        lapsed = Dispatch.objects.select_for_update().get(pk=dispatch_id)
        if lapsed.status != DispatchStatus.OFFERED:
            return None
        if now < lapsed.respond_by:
            _schedule_escalation(lapsed)
            return None
        lapsed.status = DispatchStatus.TIMED_OUT
        lapsed.ended_at = now
        lapsed.save(update_fields=["status", "ended_at"])
        log_action(
            incident,
            "command.timed_out",
            data={"dispatch": lapsed.pk, "volunteer": lapsed.volunteer_id},
        )
        lapsed.incident = incident
        _publish_task(lapsed)
        _alert(incident, "timed_out", lapsed)
        offer = _after_lost_offer(incident, now)
        _publish_incident(incident)
    return offer


def answer(dispatch: Dispatch, action: str, *, by, now=None) -> Dispatch:
    """The volunteer's answer from the phone: ``acknowledge`` (on the way), ``on_scene``,
    ``done`` or ``decline``. Only the volunteer's own task, one step at a time. An acknowledgement
    after the deadline but before the escalation ran is taken: the volunteer is on it."""
    if by is None or not rules.can_answer_dispatch.test(by, dispatch):
        raise CommandNotAllowed(_("This task is not yours; answer only your own tasks."))
    if action not in _ANSWER_FROM:
        raise CommandError(
            _("“%(action)s” is not an answer; choose one of: %(choices)s.")
            % {"action": action, "choices": ", ".join(_ANSWER_FROM)},
            field="action",
        )
    now = now or timezone.now()
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=dispatch.incident_id)
        dispatch = Dispatch.objects.select_for_update().get(pk=dispatch.pk)
        dispatch.incident = incident
        _answer(incident, dispatch, action, by=by, now=now)
        _publish_task(dispatch)
        _publish_incident(incident)
    return dispatch


#: The volunteer's answers, in the order the phone shows their buttons, and the states of the
#: task each one may answer.
_ANSWER_FROM = {
    "acknowledge": (DispatchStatus.OFFERED,),
    "on_scene": (DispatchStatus.ACKNOWLEDGED,),
    "done": (DispatchStatus.ON_SCENE,),
    "decline": (DispatchStatus.OFFERED, DispatchStatus.ACKNOWLEDGED),
}


def answers_for(dispatch: Dispatch) -> list[str]:
    """What the volunteer may answer to the task now (none once it is over)."""
    return [action for action, states in _ANSWER_FROM.items() if dispatch.status in states]


def _refuse_answer(dispatch: Dispatch, action: str) -> CommandError:
    if dispatch.status == DispatchStatus.TIMED_OUT:
        return CommandError(_("This offer timed out and went to someone else."), field="action")
    if dispatch.status in (DispatchStatus.WITHDRAWN, DispatchStatus.DONE, DispatchStatus.DECLINED):
        return CommandError(_("This task is over; nothing more to answer."), field="action")
    messages = {
        "acknowledge": _("You have already acknowledged this task."),
        "on_scene": _("Acknowledge the task first, then report when you are on scene."),
        "done": _("Report that you are on scene first, then that you are done."),
        "decline": _("You are on scene; report when you are done instead of declining."),
    }
    return CommandError(messages[action], field="action")


def _answer(incident: Incident, dispatch: Dispatch, action: str, *, by, now) -> None:
    if dispatch.status not in _ANSWER_FROM[action]:
        raise _refuse_answer(dispatch, action)
    changed = ["status"]
    if action == "acknowledge":
        dispatch.status = DispatchStatus.ACKNOWLEDGED
        _stamp(dispatch, "acknowledged_at", now)
        changed.append("acknowledged_at")
        if incident.status == IncidentStatus.DISPATCHED:
            incident.status = IncidentStatus.ACKNOWLEDGED
    elif action == "on_scene":
        dispatch.status = DispatchStatus.ON_SCENE
        _stamp(dispatch, "on_scene_at", now)
        changed.append("on_scene_at")
        if incident.status in (IncidentStatus.DISPATCHED, IncidentStatus.ACKNOWLEDGED):
            incident.status = IncidentStatus.ON_SCENE
    else:
        dispatch.status = DispatchStatus.DONE if action == "done" else DispatchStatus.DECLINED
        dispatch.ended_at = now
        changed.append("ended_at")
    dispatch.save(update_fields=changed)
    verb = {"acknowledge": "acknowledged", "decline": "declined"}.get(action, action)
    log_action(
        incident,
        f"command.{verb}",
        by=by,
        data={"dispatch": dispatch.pk, "volunteer": dispatch.volunteer_id},
    )
    if action == "done" and not _active(incident) and incident.is_open:
        incident.status = IncidentStatus.RESOLVED
        incident.closed_at = now
        log_action(incident, "command.resolved", by=by, data={"dispatch": dispatch.pk})
    if incident.status == IncidentStatus.ACKNOWLEDGED:
        _stamp(incident, "acknowledged_at", now)
    if incident.status == IncidentStatus.ON_SCENE:
        _stamp(incident, "acknowledged_at", now)
        _stamp(incident, "on_scene_at", now)
    incident.save(
        update_fields=["status", "acknowledged_at", "on_scene_at", "closed_at", "updated_at"]
    )
    if action == "decline":
        _alert(incident, "declined", dispatch)
        _after_lost_offer(incident, now)


# --- Staff decisions -----------------------------------------------------------------------------

#: The status staff may set from each status (forward by one step, resolved or cancelled).
STAFF_STEPS = {
    IncidentStatus.NEW: (IncidentStatus.RESOLVED, IncidentStatus.CANCELLED),
    IncidentStatus.DISPATCHED: (
        IncidentStatus.ACKNOWLEDGED,
        IncidentStatus.RESOLVED,
        IncidentStatus.CANCELLED,
    ),
    IncidentStatus.ACKNOWLEDGED: (
        IncidentStatus.ON_SCENE,
        IncidentStatus.RESOLVED,
        IncidentStatus.CANCELLED,
    ),
    IncidentStatus.ON_SCENE: (IncidentStatus.RESOLVED, IncidentStatus.CANCELLED),
    IncidentStatus.RESOLVED: (),
    IncidentStatus.CANCELLED: (),
}


def _refuse_status(incident: Incident, status: str) -> CommandError:
    if not incident.is_open:
        return CommandError(
            _("This incident is closed (%(status)s); it cannot change any more.")
            % {"status": incident.get_status_display()},
            field="status",
        )
    if status == incident.status:
        return CommandError(
            _("The incident is already %(status)s.") % {"status": incident.get_status_display()},
            field="status",
        )
    if status == IncidentStatus.DISPATCHED:
        return CommandError(
            _("An incident is dispatched by sending a volunteer to it."), field="status"
        )
    order = list(IncidentStatus.values)
    if order.index(status) < order.index(incident.status):
        return CommandError(
            _("An incident cannot go back from %(from)s to %(to)s.")
            % {"from": incident.get_status_display(), "to": IncidentStatus(status).label},
            field="status",
        )
    return CommandError(
        _("An incident cannot skip from %(from)s to %(to)s; take the steps in between.")
        % {"from": incident.get_status_display(), "to": IncidentStatus(status).label},
        field="status",
    )


# What each forward step by staff does to the dispatches one step behind (an answer by radio).
_STEP_DISPATCHES = {
    IncidentStatus.ACKNOWLEDGED: (DispatchStatus.OFFERED, DispatchStatus.ACKNOWLEDGED),
    IncidentStatus.ON_SCENE: (DispatchStatus.ACKNOWLEDGED, DispatchStatus.ON_SCENE),
}


def change_status(incident: Incident, status: str, *, by, note: str = "", now=None) -> Incident:
    """Staff move an incident on: one step forward (a volunteer's answer given by radio: their
    dispatch moves along), resolved (from a state other than on scene only with a note saying
    how) or cancelled, from any open state, with a note saying why (a false alarm, a duplicate:
    the after-action report reads it). Closing ends the open dispatches (on scene: done;
    the others: withdrawn) and clears them from the phones."""
    _check_staff(by)
    if status not in IncidentStatus.values:
        raise CommandError(
            _("“%(status)s” is not a status of an incident.") % {"status": status},
            field="status",
        )
    note = _text(note, MAX_DESCRIPTION, "note")
    now = now or timezone.now()
    with transaction.atomic():
        incident = _locked(incident)
        if status not in STAFF_STEPS[incident.status]:
            raise _refuse_status(incident, status)
        skipping = incident.status != IncidentStatus.ON_SCENE
        if status == IncidentStatus.RESOLVED and skipping and not note:
            raise CommandError(
                _("Say in a note how the incident was resolved without anyone on scene."),
                field="note",
            )
        if status == IncidentStatus.CANCELLED and not note:
            raise CommandError(
                _("Say in a note why the incident is cancelled (a false alarm, a duplicate …)."),
                field="note",
            )
        previous = incident.status
        incident.status = status
        ended: list[Dispatch] = []
        if status in _STEP_DISPATCHES:
            behind, ahead = _STEP_DISPATCHES[status]
            field = "acknowledged_at" if ahead == DispatchStatus.ACKNOWLEDGED else "on_scene_at"
            for moved in incident.dispatches.select_for_update().filter(status=behind):
                moved.status = ahead
                _stamp(moved, field, now)
                moved.save(update_fields=["status", field])
                ended.append(moved)
            _stamp(incident, "acknowledged_at", now)
            if status == IncidentStatus.ON_SCENE:
                _stamp(incident, "on_scene_at", now)
        else:
            incident.closed_at = now
            if status == IncidentStatus.RESOLVED:
                incident.resolution = note
            for active in incident.dispatches.select_for_update().filter(
                status__in=ACTIVE_DISPATCH
            ):
                on_scene = active.status == DispatchStatus.ON_SCENE
                active.status = (
                    DispatchStatus.DONE
                    if on_scene and status == IncidentStatus.RESOLVED
                    else DispatchStatus.WITHDRAWN
                )
                active.ended_at = now
                active.save(update_fields=["status", "ended_at"])
                ended.append(active)
        incident.save()
        log_action(
            incident,
            f"command.{status}",
            by=by,
            data={"from": previous, "note": note, "dispatches": [d.pk for d in ended]},
        )
        for changed in ended:
            changed.incident = incident
            _publish_task(changed)
        _publish_incident(incident)
    return incident


# --- Broadcasts ----------------------------------------------------------------------------------


def _recipients(summit: Summit, audience: str, venue, post, language: str) -> list[int]:
    duties = on_duty(summit)
    if audience == Audience.VENUE:
        duties = duties.filter(assignment__post_shift__post__venue=venue)
    elif audience == Audience.POST:
        duties = duties.filter(assignment__post_shift__post=post)
    people = {duty.assignment.application_id: duty.assignment.application for duty in duties}
    if audience == Audience.LANGUAGE:
        people = {
            pk: application
            for pk, application in people.items()
            if language in {item.get("code") for item in application.languages}
        }
    return sorted(people)


def broadcast(
    summit: Summit,
    *,
    audience: str,
    text: str,
    venue: Venue | None = None,
    post: Post | None = None,
    language: str = "",
    by,
) -> Broadcast:
    """Send a message to the volunteers on duty now: all of them, those at a venue or a post,
    or those who speak a language. Records how many it reached."""
    _check_staff(by)
    if audience not in Audience.values:
        raise CommandError(
            _("Choose whom to send to: %(choices)s.") % {"choices": ", ".join(Audience.values)},
            field="audience",
        )
    text = _text(text, MAX_BROADCAST, "text")
    if not text:
        raise CommandError(_("Write the message."), field="text")
    if audience == Audience.VENUE and venue is None:
        raise CommandError(_("Choose the venue to send to."), field="venue")
    if audience == Audience.POST and post is None:
        raise CommandError(_("Choose the post to send to."), field="post")
    language = normalise_code(language) if language else ""
    if audience == Audience.LANGUAGE and language not in ISO_639_1:
        raise CommandError(
            _("Choose the language to send to, as an ISO 639-1 code such as fr."),
            field="language",
        )
    venue = _of_summit(venue if audience == Audience.VENUE else None, summit, "venue", _("venue"))
    post = _of_summit(post if audience == Audience.POST else None, summit, "post", _("post"))
    language = language if audience == Audience.LANGUAGE else ""
    with transaction.atomic():
        people = _recipients(summit, audience, venue, post, language)
        message = Broadcast.objects.create(
            summit=summit,
            audience=audience,
            venue=venue,
            post=post,
            language=language,
            text=text,
            sent_by=_user(by),
            recipients=len(people),
        )
        log_action(message, "command.broadcast", by=by, data={"recipients": len(people)})
        data = broadcast_data(message)
        for pk in people:
            live.publish(live.volunteer_group(pk), "broadcast", data)
    return message


# --- Automatic incidents -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Condition:
    key: str
    kind: str
    priority: int
    fields: dict
    # How long after its incident closed the same condition may be raised again (None: never).
    rearm: dt.timedelta | None


def _summits_under_way(now: dt.datetime):
    today = timezone.localdate(now)
    return Summit.objects.filter(
        Q(is_current=True)
        | Q(start_date__lte=today + dt.timedelta(days=1), end_date__gte=today - dt.timedelta(1))
    )


def _in_every_language(message: str, *, joiner: str = "\n", **params) -> str:
    """A text the platform writes for everyone (an automatic incident's description, a place
    it states), in each of its languages: it is written in no reader's language, and read in
    all of them. Names (a zone's, a post's) are written in each one's language."""
    texts = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            texts.append(_(message) % params)
    return joiner.join(dict.fromkeys(texts))


def _full_zones(summit: Summit) -> Iterable[_Condition]:
    capacities = dict(Zone.objects.filter(summit=summit).with_places().values_list("pk", "places"))
    for row in zone_occupancy(summit):
        capacity = capacities.get(row.zone.pk)
        if capacity and row.inside >= capacity:
            yield _Condition(
                key=f"zone:{row.zone.pk}:full",
                kind=IncidentKind.CROWDING,
                priority=Priority.HIGH,
                fields={
                    "zone": row.zone,
                    "place": str(row.zone)[:MAX_PLACE],
                    "description": _in_every_language(
                        gettext_noop("%(zone)s holds %(inside)d people for %(capacity)d places."),
                        zone=row.zone,
                        inside=row.inside,
                        capacity=capacity,
                    ),
                },
                rearm=CROWDING_REARM,
            )


#: A gate silent for longer than this was put away after an earlier session; it is no
#: incident. A rolling window, not the calendar day: a gate last heard at 23:58 is still raised
#: at 00:02.
DEVICE_SILENCE_WINDOW = dt.timedelta(hours=12)


def _silent_devices(summit: Summit, now: dt.datetime) -> Iterable[_Condition]:
    silent = now - dt.timedelta(minutes=float(settings.COMMAND_DEVICE_OFFLINE_MINUTES))
    devices = GateDevice.objects.filter(
        summit=summit,
        active=True,
        last_seen_at__lt=silent,
        last_seen_at__gte=now - DEVICE_SILENCE_WINDOW,
    ).select_related("zone")
    unheard = gettext_noop("Gate device “%(device)s” has not been heard from since %(time)s.")
    for device in devices:
        yield _Condition(
            # One incident per outage: back online and silent again is a new one.
            key=f"device:{device.pk}:{int(device.last_seen_at.timestamp())}",
            kind=IncidentKind.EQUIPMENT,
            priority=Priority.NORMAL,
            fields={
                "zone": device.zone,
                "needs": [Skill.IT.value],
                "place": device.name[:MAX_PLACE],
                "description": _in_every_language(
                    unheard,
                    device=device.name,
                    time=timezone.localtime(device.last_seen_at, summit.tz).strftime("%H:%M"),
                ),
            },
            rearm=None,
        )


#: A no-show at a critical post is raised for shifts begun within this: the watch raises it
#: minutes after its flag, and an older one (a watch down all night) is history, not news. A
#: rolling window, not the calendar day: a shift begun at 23:50 is still raised at 00:06.
NO_SHOW_WINDOW = dt.timedelta(hours=12)


def _critical_no_shows(summit: Summit, now: dt.datetime) -> Iterable[_Condition]:
    duties = DutyRecord.objects.filter(
        no_show=True,
        signed_in_at__isnull=True,
        assignment__post_shift__post__summit=summit,
        assignment__post_shift__post__is_critical=True,
        assignment__post_shift__shift__start__gte=now - NO_SHOW_WINDOW,
    ).select_related("assignment__application", "assignment__post_shift__post")
    for duty in duties:
        post = duty.assignment.post_shift.post
        needs = list(post.required_skills) + [
            f"{code}:{post.min_language_level}" for code in post.required_languages
        ]
        yield _Condition(
            key=f"no_show:{duty.pk}",
            kind=IncidentKind.STAFFING,
            priority=Priority.HIGH,
            fields={
                "post": post,
                "needs": needs,
                "place": str(post)[:MAX_PLACE],
                "description": _in_every_language(
                    gettext_noop("%(name)s did not come to the critical post %(post)s."),
                    name=duty.assignment.application.name,
                    post=post,
                ),
            },
            rearm=None,
        )


def _raised_already(summit: Summit, condition: _Condition, now: dt.datetime) -> bool:
    same = Incident.objects.filter(summit=summit, auto_key=condition.key)
    if condition.rearm is None:
        return same.exists()
    return same.filter(
        Q(status__in=OPEN_STATUSES) | Q(closed_at__gte=now - condition.rearm)
    ).exists()


#: How long past its deadline an offer waits for its own escalation task before the watch
#: times it out instead (the task was lost: a queue down when the offer was made).
OVERDUE_GRACE = dt.timedelta(seconds=60)


def _time_out_overdue_offers(summit: Summit, now: dt.datetime) -> None:
    overdue = Dispatch.objects.filter(
        incident__summit=summit,
        status=DispatchStatus.OFFERED,
        respond_by__lt=now - OVERDUE_GRACE,
    ).values_list("pk", flat=True)
    for pk in overdue:
        escalate(pk, now=now)  # idempotent: the task, late after all, then does nothing


def watch(summit: Summit | None = None, *, now=None) -> dict[str, int]:
    """Raise the incidents nobody has to report: a zone at or over its capacity (crowding,
    high), an active gate device silent for ``COMMAND_DEVICE_OFFLINE_MINUTES`` (equipment), a
    no-show at a critical post within ``NO_SHOW_WINDOW`` (staffing, high). For ``summit``, else
    every summit under way. Idempotent: a condition already raised is not raised again while its
    incident is open (the database's ``one_open_incident_per_condition`` decides between two
    watchers); an outage or a no-show is raised once. Returns how many were raised, per type.

    It also times out the offers whose escalation task never ran (:data:`OVERDUE_GRACE` past
    their deadline), so that a lost task never leaves a volunteer offered a task for ever."""
    now = now or timezone.now()
    summits = [summit] if summit is not None else list(_summits_under_way(now))
    raised = {IncidentKind.CROWDING: 0, IncidentKind.EQUIPMENT: 0, IncidentKind.STAFFING: 0}
    for current in summits:
        _time_out_overdue_offers(current, now)
        conditions = [
            *_full_zones(current),
            *_silent_devices(current, now),
            *_critical_no_shows(current, now),
        ]
        for condition in conditions:
            if _raised_already(current, condition, now):
                continue
            with transaction.atomic():
                try:
                    incident = report_incident(
                        current,
                        kind=condition.kind,
                        priority=condition.priority,
                        source=IncidentSource.AUTOMATIC,
                        auto_key=condition.key,
                        **condition.fields,
                    )
                except CommandError:
                    continue  # another watcher raised it meanwhile
                _alert(incident, "auto_raised")
            raised[condition.kind] += 1
    return {str(kind): count for kind, count in raised.items()}
