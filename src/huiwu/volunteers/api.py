"""Volunteers over HTTP: the phone page signs in and out and sends positions from the
volunteer's own session; the command centre and the volunteer office read where volunteers on
duty are, their trajectories and the roster.

Thin: read through ``selectors``, write through ``services``, ask the ``rules`` predicates.
Every position carries its age in seconds, so that an old dot is never taken for a live one.
"""

import datetime as dt

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja import Status as Answer

from huiwu.core.api import NotFound, forbidden, session_auth
from huiwu.core.schemas import ErrorOut, ValidationErrorOut
from huiwu.summit.models import Summit
from huiwu.summit.selectors import current_summit
from huiwu.volunteers import rules, selectors, services
from huiwu.volunteers.models import Application, ApplicationStatus, Assignment
from huiwu.volunteers.schemas import (
    CurrentPositionOut,
    DutyOut,
    MyShiftOut,
    PeriodIn,
    PositionAccepted,
    PositionIn,
    RosterSlotOut,
    SignInIn,
    SignOutIn,
    TrajectoryOut,
)
from huiwu.volunteers.services import VolunteerError

router = Router(tags=["Volunteers"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}
#: The longest time range one trajectory request may cover.
MAX_RANGE = dt.timedelta(days=7)


def _summit(slug: str | None) -> Summit:
    summit = Summit.objects.filter(slug=slug).first() if slug else current_summit()
    if summit is None:
        raise NotFound(_("There is no summit “%(slug)s”.") % {"slug": slug or ""})
    return summit


def _volunteer(request: HttpRequest, summit: str | None) -> Application:
    """The logged-in user's application to the summit; only selected volunteers go on duty."""
    application = selectors.own_application(request.user, _summit(summit))
    if application is None:
        raise NotFound(_("You have not applied to volunteer at this summit."))
    if application.status != ApplicationStatus.SELECTED:
        raise forbidden(_("Only selected volunteers have shifts."))
    return application


def _duty(duty) -> dict:
    return {
        "id": duty.pk,
        "signed_in_at": duty.signed_in_at,
        "signed_out_at": duty.signed_out_at,
        "inside_geofence": duty.inside_geofence,
        "distance_m": duty.distance_m,
        "closed_at_shift_end": duty.closed_at_shift_end,
        "no_show": duty.no_show,
        "hours": round(duty.hours, 2),
    }


def _range(start: dt.datetime | None, end: dt.datetime | None) -> tuple[dt.datetime, dt.datetime]:
    """``from``/``to`` of a trajectory request; by default the last 24 hours (and the
    positions a phone's fast clock put a little ahead)."""
    end = end or timezone.now() + services.FUTURE_TOLERANCE
    start = start or end - dt.timedelta(days=1)
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise VolunteerError(_("Give the times with their offset, e.g. 2024-11-20T08:00+08:00."))
    if end <= start:
        raise VolunteerError(_("The end of the time range must come after its start."), field="to")
    if end - start > MAX_RANGE:
        raise VolunteerError(_("Ask for at most 7 days at a time."), field="from")
    return start, end


def _trajectory(application: Application, start, end) -> dict:
    now = timezone.now()
    points = selectors.trajectory(application, start, end).values("at", "lat", "lon", "accuracy_m")
    return {
        "volunteer": application.pk,
        "name": application.name,
        "start": start,
        "end": end,
        "points": [
            {**point, "age_seconds": max(0, round((now - point["at"]).total_seconds()))}
            for point in points
        ],
    }


# --- The volunteer's phone -----------------------------------------------------------------------


@router.get("/me/shifts", auth=session_auth, response={200: list[MyShiftOut], **ERRORS})
def my_shifts(request: HttpRequest, summit: str | None = None):
    """The logged-in volunteer's shifts by time, with post, venue (and its outline for the
    map) and what happened on duty."""
    application = _volunteer(request, summit)
    shifts = []
    for assignment in selectors.my_assignments(application):
        duty = getattr(assignment, "duty", None)
        shifts.append(
            {
                "assignment": assignment.pk,
                "post": assignment.post_shift.post,
                "shift": assignment.post_shift.shift,
                "duty": _duty(duty) if duty is not None else None,
            }
        )
    return shifts


@router.post("/sign-in", auth=session_auth, response={200: DutyOut, **ERRORS})
def sign_in(request: HttpRequest, payload: SignInIn, summit: str | None = None):
    """Sign in for one of the volunteer's own shifts with the phone's position. Refused with a
    reason (not your shift, too early, shift over, training missing); accepted but flagged
    with the distance when outside the venue. Signing in twice returns the first record."""
    application = _volunteer(request, summit)
    assignment = Assignment.objects.filter(pk=payload.assignment).first()
    if assignment is None:
        raise VolunteerError(
            _("This shift is not yours; sign in for one of your own shifts."), field="assignment"
        )
    duty = services.sign_in(application, assignment, payload.lat, payload.lon, payload.accuracy_m)
    return _duty(duty)


@router.post("/sign-out", auth=session_auth, response={200: DutyOut, **ERRORS})
def sign_out(request: HttpRequest, payload: SignOutIn, summit: str | None = None):
    """Sign out of the open duty; its hours run from sign-in to now."""
    application = _volunteer(request, summit)
    return _duty(services.sign_out(application, payload.lat, payload.lon, payload.accuracy_m))


@router.post("/positions", auth=session_auth, response={201: PositionAccepted, **ERRORS})
def post_position(request: HttpRequest, payload: PositionIn, summit: str | None = None):
    """A position from the volunteer's phone, only while signed in and with location consent.
    Refused: impossible coordinates, a time more than 2 minutes ahead or too old. The same
    moment sent twice is recorded once."""
    # The open duty names the volunteer in one query; without one, the usual look-up says why.
    duty = selectors.open_duty_of(request.user) if summit is None else None
    application = duty.assignment.application if duty else _volunteer(request, summit)
    ping = services.record_position(
        application, payload.lat, payload.lon, payload.accuracy_m, payload.at, duty=duty
    )
    return Answer(
        201, {"at": ping.at, "next_in_seconds": int(services.setting("VOLUNTEER_PING_SECONDS"))}
    )


@router.get("/me/trajectory", auth=session_auth, response={200: TrajectoryOut, **ERRORS})
def my_trajectory(
    request: HttpRequest,
    period: Query[PeriodIn],
    summit: str | None = None,
):
    """The volunteer's own track between ``from`` and ``to`` (default: the last 24 hours)."""
    application = _volunteer(request, summit)
    return _trajectory(application, *_range(period.start, period.end))


# --- Command centre and volunteer office ---------------------------------------------------------


@router.get(
    "/positions/current", auth=session_auth, response={200: list[CurrentPositionOut], **ERRORS}
)
def current_positions(request: HttpRequest, summit: str | None = None):
    """The last position of every volunteer on duty now, each with its age in seconds. For the
    volunteer office and the command centre."""
    if not rules.can_view_positions(request.user):
        raise forbidden(_("Only the volunteer office and the command centre see positions."))
    return [
        {
            **row,
            "post": row["post"].pk,
            "post_name": row["post"].name,
            "venue": row["post"].venue.slug,
        }
        for row in selectors.current_positions(_summit(summit))
    ]


@router.get(
    "/volunteers/{volunteer}/trajectory",
    auth=session_auth,
    response={200: TrajectoryOut, **ERRORS},
)
def volunteer_trajectory(
    request: HttpRequest,
    volunteer: int,
    period: Query[PeriodIn],
):
    """One volunteer's track between ``from`` and ``to`` (default: the last 24 hours). For the
    volunteer office and the command centre; a volunteer may read only their own."""
    application = Application.objects.filter(pk=volunteer).first()
    if not rules.can_view_trajectory(request.user, application):
        if application is None:
            raise NotFound(_("There is no volunteer %(id)s.") % {"id": volunteer})
        raise forbidden(_("You may see only your own trajectory."))
    if application is None:
        raise NotFound(_("There is no volunteer %(id)s.") % {"id": volunteer})
    return _trajectory(application, *_range(period.start, period.end))


@router.get("/roster", auth=session_auth, response={200: list[RosterSlotOut], **ERRORS})
def roster(request: HttpRequest, summit: str | None = None):
    """Every slot (a post during a shift) with its headcount and the volunteers on it. For the
    volunteer office and the command centre."""
    if not rules.can_view_roster(request.user):
        raise forbidden(_("Only the volunteer office and the command centre see the roster."))
    chosen = _summit(summit)
    slots = selectors.roster(chosen)
    volunteers = selectors.roster_volunteers(chosen)
    return [
        {
            "id": slot.pk,
            "post": slot.post_id,
            "post_name": slot.post.name,
            "kind": slot.post.kind,
            "venue": slot.post.venue.slug,
            "shift": slot.shift,
            "headcount": slot.headcount,
            "filled": slot.filled,
            "volunteers": volunteers.get(slot.pk, []),
        }
        for slot in slots
    ]
