"""The command centre over HTTP: incidents, dispatches, broadcasts (command staff), and a
volunteer's own tasks (session of the volunteer's phone).

Thin: read through ``selectors``, write through ``services``, ask the ``rules`` predicates.
Volunteers get 403 on the staff's addresses; a volunteer answering someone else's task is
refused and nothing changes.
"""

import uuid

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja import Status as Answer
from ninja.pagination import paginate

from huiwu.command import rules, selectors, services
from huiwu.command.models import Dispatch, Incident
from huiwu.command.schemas import (
    AnswerIn,
    BroadcastIn,
    BroadcastOut,
    CandidateOut,
    DispatchIn,
    DispatchOut,
    IncidentFilter,
    IncidentIn,
    IncidentOut,
    PhoneReportIn,
    ReportedOut,
    StatusIn,
    TaskOut,
)
from huiwu.command.services import CommandError
from huiwu.core.api import NotFound, Pages, forbidden, found, session_auth
from huiwu.core.schemas import ErrorOut, ValidationErrorOut
from huiwu.core.services import NotAllowed
from huiwu.summit.models import Summit, Venue, Zone
from huiwu.summit.selectors import current_summit
from huiwu.volunteers.models import Application, ApplicationStatus, Post
from huiwu.volunteers.selectors import open_duty_of, own_application

router = Router(tags=["Command centre"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}


def _summit(slug: str | None) -> Summit:
    summit = Summit.objects.filter(slug=slug).first() if slug else current_summit()
    if summit is None:
        raise NotFound(_("There is no summit “%(slug)s”.") % {"slug": slug or ""})
    return summit


def _staff(request: HttpRequest) -> None:
    if not rules.can_command.test(request.user):
        raise forbidden(_("Only command staff see and handle incidents."))


def _incident(slug: str | None, public_id: uuid.UUID) -> Incident:
    """The incident of the summit ``slug`` names (the current one by default); another
    summit's is not found, as on the pages."""
    return found(
        Incident.objects.select_related("summit", "venue", "post__venue").prefetch_related(
            "dispatches__volunteer"
        ),
        _("There is no incident %(id)s.") % {"id": public_id},
        summit=_summit(slug),
        public_id=public_id,
    )


def _one(model, pk: int | None, message: str):
    """The object ``pk`` names, or ``None`` when none was given; a 422 naming the field when it
    does not exist, as the services word it."""
    if pk is None:
        return None
    obj = model.objects.filter(pk=pk).first()
    if obj is None:
        raise CommandError(message % {"id": pk}, field=model._meta.model_name)
    return obj


def _places(payload) -> dict:
    return {
        "venue": _one(Venue, payload.venue, _("There is no venue %(id)s.")),
        "post": _one(Post, payload.post, _("There is no post %(id)s.")),
    }


def _write(service, *args, **kwargs):
    """Call a service; its "not yours to do" refusals are 403, the others 422."""
    try:
        return service(*args, **kwargs)
    except NotAllowed as error:
        raise forbidden(error.message) from error


# --- Command staff -------------------------------------------------------------------------------


@router.get("/incidents", auth=session_auth, response={200: list[IncidentOut], **ERRORS})
@paginate(Pages)
def list_incidents(request: HttpRequest, filters: Query[IncidentFilter]):
    """The summit's incidents, most urgent first, then oldest; filter by status and priority.
    For command staff."""
    _staff(request)
    incidents = Incident.objects.filter(summit=_summit(filters.summit))
    if filters.status is not None:
        incidents = incidents.filter(status=filters.status)
    if filters.priority is not None:
        incidents = incidents.filter(priority=filters.priority)
    return incidents.prefetch_related("dispatches__volunteer").order_by(
        "priority", "created_at", "pk"
    )


@router.post("/incidents", auth=session_auth, response={201: IncidentOut, **ERRORS})
def create_incident(request: HttpRequest, payload: IncidentIn, summit: str | None = None):
    """Raise an incident (command staff). Refused with a reason: an unknown type or priority,
    impossible coordinates, a place of another summit, unknown needs."""
    _staff(request)
    incident = _write(
        services.report_incident,
        _summit(summit),
        kind=payload.kind,
        priority=payload.priority,
        lat=payload.lat,
        lon=payload.lon,
        zone=_one(Zone, payload.zone, _("There is no zone %(id)s.")),
        place=payload.place,
        description=payload.description,
        needs=payload.needs,
        by=request.user,
        **_places(payload),
    )
    return Answer(201, incident)


@router.get("/incidents/{public_id}", auth=session_auth, response={200: IncidentOut, **ERRORS})
def get_incident(request: HttpRequest, public_id: uuid.UUID, summit: str | None = None):
    """One incident with its dispatches. For command staff."""
    _staff(request)
    return _incident(summit, public_id)


@router.get(
    "/incidents/{public_id}/suggestions",
    auth=session_auth,
    response={200: list[CandidateOut], **ERRORS},
)
def suggestions(request: HttpRequest, public_id: uuid.UUID, summit: str | None = None):
    """The nearest free volunteers on duty with what the incident needs, nearest first; each
    says whether the distance walks the paths or runs straight, and how old the position is.
    For command staff."""
    _staff(request)
    return [
        {
            "volunteer": candidate.application.pk,
            "name": candidate.application.name,
            "phone": candidate.application.phone,
            "post": candidate.post.pk,
            "post_name": candidate.post.name,
            "venue": candidate.post.venue.slug,
            "skills": candidate.application.skills,
            "languages": candidate.application.languages,
            "distance_m": candidate.distance_m,
            "method": candidate.method,
            "age_seconds": candidate.age_seconds,
        }
        for candidate in services.suggestions(_incident(summit, public_id))
    ]


@router.post(
    "/incidents/{public_id}/dispatches",
    auth=session_auth,
    response={201: DispatchOut, **ERRORS},
)
def dispatch(
    request: HttpRequest, public_id: uuid.UUID, payload: DispatchIn, summit: str | None = None
):
    """Send a volunteer (command staff). Refused with a reason: a closed incident, a volunteer
    not on duty, already on another incident or already offered this one."""
    _staff(request)
    incident = _incident(summit, public_id)
    volunteer = _one(Application, payload.volunteer, _("There is no volunteer %(id)s."))
    offer = _write(services.dispatch, incident, volunteer, by=request.user)
    return Answer(201, selectors.dispatch_summary(offer))


@router.post(
    "/incidents/{public_id}/status", auth=session_auth, response={200: IncidentOut, **ERRORS}
)
def change_status(
    request: HttpRequest, public_id: uuid.UUID, payload: StatusIn, summit: str | None = None
):
    """Move the incident on (command staff): one step forward, resolved (with a note unless
    someone is on scene) or cancelled. A step back, a skip or a closed incident is refused."""
    _staff(request)
    incident = _write(
        services.change_status,
        _incident(summit, public_id),
        payload.status,
        by=request.user,
        note=payload.note,
    )
    return _incident(summit, incident.public_id)


@router.post("/broadcasts", auth=session_auth, response={201: BroadcastOut, **ERRORS})
def broadcast(request: HttpRequest, payload: BroadcastIn, summit: str | None = None):
    """Send a message to the volunteers on duty: all, a venue's, a post's or a language's
    (command staff). Answers how many it reached."""
    _staff(request)
    message = _write(
        services.broadcast,
        _summit(summit),
        audience=payload.audience,
        text=payload.text,
        language=payload.language,
        by=request.user,
        **_places(payload),
    )
    return Answer(201, {**selectors.broadcast_data(message), "recipients": message.recipients})


# --- The volunteer's phone -----------------------------------------------------------------------


def _volunteer(request: HttpRequest, summit: str | None) -> Application:
    application = own_application(request.user, _summit(summit))
    if application is None:
        raise NotFound(_("You have not applied to volunteer at this summit."))
    if application.status != ApplicationStatus.SELECTED:
        raise forbidden(_("Only selected volunteers have tasks."))
    return application


@router.get("/me/tasks", auth=session_auth, response={200: list[TaskOut], **ERRORS})
def my_tasks(request: HttpRequest, summit: str | None = None):
    """The logged-in volunteer's open tasks (at most one at a time)."""
    return [
        selectors.task_data(task) for task in selectors.active_tasks(_volunteer(request, summit))
    ]


@router.post("/me/tasks/{task_id}/answer", auth=session_auth, response={200: TaskOut, **ERRORS})
def answer(request: HttpRequest, task_id: int, payload: AnswerIn):
    """Answer one of the volunteer's own tasks: acknowledge, on_scene, done or decline, one
    step at a time. Someone else's task is refused (403) and nothing changes."""
    task = Dispatch.objects.select_related("incident", "volunteer").filter(pk=task_id).first()
    if task is None:
        raise NotFound(_("There is no task %(id)s.") % {"id": task_id})
    return selectors.task_data(_write(services.answer, task, payload.action, by=request.user))


@router.post("/me/incidents", auth=session_auth, response={201: ReportedOut, **ERRORS})
def report_from_phone(request: HttpRequest, payload: PhoneReportIn, summit: str | None = None):
    """Report an incident from the phone while on duty, with its position; it is raised at the
    volunteer's post. (A photo goes through the phone page's form.)"""
    duty = open_duty_of(request.user) if summit is None else None
    application = duty.assignment.application if duty else _volunteer(request, summit)
    incident = services.report_from_phone(
        application,
        kind=payload.kind,
        description=payload.description,
        lat=payload.lat,
        lon=payload.lon,
        accuracy=payload.accuracy_m,
    )
    return Answer(201, incident)
