"""Incidents, dispatch and broadcasts for command staff, and the volunteer's side of them on
the phone page.

Command staff list and raise incidents, send the nearest suitable volunteer with one click,
follow each dispatch until it is answered, resolve or cancel, and broadcast to the volunteers
on duty. A volunteer sees only the tasks given to them (on the duty page, through
:func:`phone_panel`), answers them, and reports an incident from where they stand.

Thin, as every page of Huiwu: reads go through ``selectors``, writes through ``services``,
permissions through the ``rules`` predicates. A refusal of the services (a volunteer already
busy, a closed incident, a step that skips the lifecycle) is shown as its sentence, and nothing
has changed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_POST

from huiwu.command import live, selectors, services
from huiwu.command.forms import BroadcastForm, IncidentForm, PhoneReportForm, StatusForm
from huiwu.command.models import (
    ACTIVE_DISPATCH,
    OPEN_STATUSES,
    Broadcast,
    Dispatch,
    DispatchStatus,
    Incident,
    IncidentKind,
    IncidentSource,
    IncidentStatus,
    Priority,
)
from huiwu.command.views import command_page, page_summit
from huiwu.core.services import actions_for
from huiwu.summit.models import Summit, Venue
from huiwu.volunteers import selectors as volunteer_selectors
from huiwu.volunteers.languages import LEVELS, language_name
from huiwu.volunteers.models import Application, Skill
from huiwu.volunteers.services import open_duty

# The phone side: volunteers sign in on their own form.
VOLUNTEER_LOGIN_URL = reverse_lazy("volunteers:login")
PER_PAGE = 50
BROADCASTS_SHOWN = 5
ANSWER_LABELS = {
    "acknowledge": gettext_lazy("Acknowledge"),
    "on_scene": gettext_lazy("I am on scene"),
    "done": gettext_lazy("Done"),
    "decline": gettext_lazy("Decline"),
}
ANSWER_DONE = {
    "acknowledge": gettext_lazy("Thank you: the command centre knows you are on your way."),
    "on_scene": gettext_lazy("The command centre knows you are there."),
    "done": gettext_lazy("Thank you: the task is done."),
    "decline": gettext_lazy("You declined the task: the command centre sends someone else."),
}
# The audit trail's entries, in words; an action not listed shows its code.
ACTION_LABELS = {
    "command.reported": gettext_lazy("Reported"),
    "command.dispatched": gettext_lazy("Volunteer dispatched"),
    "command.acknowledged": gettext_lazy("Acknowledged"),
    "command.on_scene": gettext_lazy("On scene"),
    "command.done": gettext_lazy("Task done"),
    "command.declined": gettext_lazy("Declined"),
    "command.timed_out": gettext_lazy("No acknowledgement in time: escalated"),
    "command.back_to_new": gettext_lazy("Nobody available: back to new"),
    "command.resolved": gettext_lazy("Resolved"),
    "command.cancelled": gettext_lazy("Cancelled"),
}


def _connection_texts() -> dict[str, str]:
    """What the connection indicator of a live page says (``live.js`` shows them)."""
    return {
        "connecting": _("Connecting…"),
        "live": pgettext("connection", "Live"),
        "reconnecting": _("Reconnecting…"),
        "resynced": _("Resynced at %(time)s"),
        "refused": _("This page is for command staff; sign in again."),
    }


def _live_config(*, page: str, incident: int | None = None) -> dict:
    """How the incidents pages follow ``ws/command/``: each change of an incident (of this
    one, on its page) brings the page's live parts up to date from ``page``."""
    return {
        "socket": "/ws/command/",
        # Not the browser's address: after a refused form that is the form's POST-only one.
        "page": page,
        "heartbeat_seconds": live.HEARTBEAT_SECONDS,
        "incident": incident,
        "now": timezone.now().isoformat(),
        "texts": {
            **_connection_texts(),
            "due": _("due in %(seconds)s s"),
            "overdue": _("overdue"),
        },
    }


def _render(request, template: str, context: dict, *, summit: Summit, status: int = 200):
    # Times are the summit's local times, as on the dashboard and the programme.
    with timezone.override(summit.tz):
        return render(
            request,
            template,
            {"summit": summit, "now": timezone.now(), **context},
            status=status,
        )


def _refusal_to_form(form, error: services.CommandError, fields: dict | None = None) -> None:
    """Put a service's sentence next to the field at fault (``fields`` maps the services'
    names to the form's), or above the form."""
    field = (fields or {}).get(error.field, error.field)
    form.add_error(field if field in form.fields else None, error.message)


def _incident(summit: Summit, public_id) -> Incident:
    return get_object_or_404(
        Incident.objects.select_related("venue", "zone", "post__venue", "reported_by"),
        summit=summit,
        public_id=public_id,
    )


def needs_text(needs: list[str]) -> list[str]:
    """An incident's needs in words: "First aid", "French (2 — conversational or better)"."""
    skills = dict(Skill.choices)
    words = []
    for token in needs:
        code, _sep, level = token.partition(":")
        if code in skills:
            words.append(str(skills[code]))
        elif level.isdecimal() and int(level) in LEVELS:
            words.append(
                _("%(language)s (%(level)s or better)")
                % {"language": language_name(code), "level": LEVELS[int(level)]}
            )
        else:
            words.append(language_name(code))
    return words


# --- The list ---------------------------------------------------------------------------------
@dataclass
class IncidentFilters:
    """What the list shows, read from the query; unknown values are ignored."""

    status: str = ""
    priority: str = ""
    kind: str = ""
    venue: str = ""

    @classmethod
    def read(cls, query, summit: Summit) -> IncidentFilters:
        venues = Venue.objects.filter(summit=summit).values_list("pk", flat=True)
        choices = {
            "status": set(IncidentStatus.values),
            "priority": {str(value) for value in Priority.values},
            "kind": set(IncidentKind.values),
            "venue": {str(pk) for pk in venues},
        }
        return cls(
            **{
                name: query.get(name, "") if query.get(name, "") in allowed else ""
                for name, allowed in choices.items()
            }
        )

    def apply(self, incidents: QuerySet[Incident]) -> QuerySet[Incident]:
        if self.status:
            incidents = incidents.filter(status=self.status)
        if self.priority:
            incidents = incidents.filter(priority=int(self.priority))
        if self.kind:
            incidents = incidents.filter(kind=self.kind)
        if self.venue:
            incidents = incidents.filter(venue_id=int(self.venue))
        return incidents

    @property
    def active(self) -> bool:
        return any((self.status, self.priority, self.kind, self.venue))


def _on_it(incident: Incident) -> list[Dispatch]:
    """Who is on an open incident (their dispatch is active), or who finished a closed one."""
    wanted = ACTIVE_DISPATCH if incident.is_open else (DispatchStatus.DONE,)
    return [dispatch for dispatch in incident.dispatches.all() if dispatch.status in wanted]


@command_page
def incident_list(request: HttpRequest) -> HttpResponse:
    summit = page_summit(request)
    filters = IncidentFilters.read(request.GET, summit)
    open_ = list(filters.apply(selectors.open_incidents(summit)))
    closed = filters.apply(
        Incident.objects.filter(summit=summit)
        .exclude(status__in=OPEN_STATUSES)
        .select_related("venue", "zone", "post")
        .prefetch_related("dispatches__volunteer")
        .order_by("-closed_at", "-pk")
    )
    page = Paginator(closed, PER_PAGE).get_page(request.GET.get("page"))
    for incident in [*open_, *page.object_list]:
        incident.on_it = _on_it(incident)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filters": filters,
        "open_incidents": open_,
        "closed_page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2),
        "query": query.urlencode(),
        "statuses": IncidentStatus.choices,
        "priorities": Priority.choices,
        "kinds": IncidentKind.choices,
        "venues": Venue.objects.filter(summit=summit).order_by("pk"),
        "live_config": _live_config(page=request.get_full_path()),
    }
    return _render(request, "command/incidents.html", context, summit=summit)


# --- A new incident ---------------------------------------------------------------------------
@command_page
def incident_new(request: HttpRequest) -> HttpResponse:
    summit = page_summit(request)
    if request.method == "POST":
        form = IncidentForm(request.POST, request.FILES, summit=summit)
        if form.is_valid():
            try:
                incident = services.report_incident(
                    summit, **form.incident_data(), by=request.user, source=IncidentSource.STAFF
                )
            except services.CommandError as error:
                _refusal_to_form(form, error, {"needs": "language"})
            else:
                messages.success(
                    request,
                    _("Incident #%(number)s is recorded. Send someone from the suggestions below.")
                    % {"number": incident.pk},
                )
                return redirect("command:incident", public_id=incident.public_id)
    else:
        form = IncidentForm(summit=summit, initial=request.GET.dict())
    status = 400 if form.is_bound and form.errors else 200
    return _render(
        request, "command/incident_new.html", {"form": form}, summit=summit, status=status
    )


# --- One incident -----------------------------------------------------------------------------
@dataclass
class Step:
    """One step of the lifecycle on the incident's page, with the time it was reached."""

    status: str
    label: str
    at: dt.datetime | None
    state: str  # "done", "current", "todo" or "skipped"


def lifecycle(incident: Incident) -> list[Step]:
    """new → dispatched → acknowledged → on scene → resolved (or cancelled), each with its
    time; a cancelled incident shows the steps it never reached as skipped."""
    times = [
        (IncidentStatus.NEW, incident.created_at),
        (IncidentStatus.DISPATCHED, incident.dispatched_at),
        (IncidentStatus.ACKNOWLEDGED, incident.acknowledged_at),
        (IncidentStatus.ON_SCENE, incident.on_scene_at),
    ]
    end = (
        IncidentStatus.CANCELLED
        if incident.status == IncidentStatus.CANCELLED
        else IncidentStatus.RESOLVED
    )
    times.append((end, incident.closed_at))
    order = [status for status, _at in times]
    reached = order.index(incident.status) if incident.status in order else 0
    steps = []
    for index, (status, at) in enumerate(times):
        if index == reached:
            state = "current"
        elif index < reached:
            state = "done" if at else "skipped"
        else:
            state = "todo"
        steps.append(Step(status, IncidentStatus(status).label, at, state))
    return steps


@dataclass
class DispatchRow:
    """A dispatch as the incident's page shows it: who, its state, and the time left to
    answer while it is offered."""

    dispatch: Dispatch
    seconds_left: int | None

    @property
    def overdue(self) -> bool:
        return self.seconds_left is not None and self.seconds_left <= 0


def _dispatch_rows(incident: Incident, now: dt.datetime) -> list[DispatchRow]:
    rows = []
    for dispatch in incident.dispatches.select_related("volunteer", "offered_by"):
        left = None
        if dispatch.status == DispatchStatus.OFFERED:
            left = int((dispatch.respond_by - now).total_seconds())
        rows.append(DispatchRow(dispatch, left))
    return rows


def _candidates(incident: Incident, now: dt.datetime) -> list[dict]:
    """The suggestions, with each volunteer's skills and languages in words."""
    if not incident.is_open:
        return []
    skills = dict(Skill.choices)
    rows = []
    for candidate in services.suggestions(incident, now=now):
        application = candidate.application
        rows.append(
            {
                "candidate": candidate,
                "skills": [str(skills.get(code, code)) for code in application.skills],
                "languages": [
                    f"{language_name(item['code'])} {item['level']}"
                    for item in application.languages
                ],
            }
        )
    return rows


def _people(incident: Incident, users: list) -> dict[int, str]:
    """How the incident page names each of these users: a volunteer by the name they applied
    with (their account's name is a student e-mail), anyone else by their full name, else
    their username."""
    ids = {user.pk for user in users if user is not None}
    volunteers = dict(
        Application.objects.filter(summit_id=incident.summit_id, user_id__in=ids).values_list(
            "user_id", "name"
        )
    )
    return {
        user.pk: volunteers.get(user.pk) or user.get_full_name() or user.get_username()
        for user in users
        if user is not None
    }


def _incident_page(request, summit: Summit, incident: Incident, status_form=None, status=200):
    now = timezone.now()
    rows = _dispatch_rows(incident, now)
    # Its own point, else its venue's: the map shows where to go either way.
    where = services.incident_point(incident)
    point = None
    if where is not None:
        point = {
            "lat": where[0],
            "lon": where[1],
            "at": incident.created_at.isoformat(),
            "label": f"#{incident.pk} {incident.get_kind_display()}",
        }
    entries = list(actions_for(incident)[:50])
    people = _people(incident, [entry.actor for entry in entries] + [incident.reported_by])
    context = {
        "incident": incident,
        "reporter": people.get(incident.reported_by_id, ""),
        "steps": lifecycle(incident),
        "dispatch_rows": rows,
        "timed_out": [row for row in rows if row.dispatch.status == DispatchStatus.TIMED_OUT],
        "candidates": _candidates(incident, now),
        "needs": needs_text(incident.needs),
        "status_form": status_form or StatusForm(),
        "log": [
            (entry, ACTION_LABELS.get(entry.action, entry.action), people.get(entry.actor_id))
            for entry in entries
        ],
        "point": point,
        "live_config": _live_config(
            page=reverse("command:incident", args=[incident.public_id]), incident=incident.pk
        ),
    }
    return _render(request, "command/incident.html", context, summit=summit, status=status)


@command_page
def incident_detail(request: HttpRequest, public_id) -> HttpResponse:
    summit = page_summit(request)
    return _incident_page(request, summit, _incident(summit, public_id))


@require_POST
@command_page
def dispatch(request: HttpRequest, public_id) -> HttpResponse:
    summit = page_summit(request)
    incident = _incident(summit, public_id)
    key = request.POST.get("volunteer", "")
    application = (
        Application.objects.filter(summit=summit, pk=int(key)).first() if key.isdecimal() else None
    )
    if application is None:
        messages.error(request, _("Choose a volunteer of this summit from the suggestions."))
        return redirect("command:incident", public_id=incident.public_id)
    try:
        sent = services.dispatch(incident, application, by=request.user)
    except services.CommandError as error:
        messages.error(request, error.message)
    else:
        with timezone.override(summit.tz):
            messages.success(
                request,
                _("%(name)s is dispatched and has until %(time)s to acknowledge.")
                % {
                    "name": application.name,
                    "time": timezone.localtime(sent.respond_by).strftime("%H:%M:%S"),
                },
            )
    return redirect("command:incident", public_id=incident.public_id)


@require_POST
@command_page
def change_status(request: HttpRequest, public_id) -> HttpResponse:
    summit = page_summit(request)
    incident = _incident(summit, public_id)
    form = StatusForm(request.POST)
    if form.is_valid():
        status = form.cleaned_data["status"]
        try:
            services.change_status(
                incident, status, by=request.user, note=form.cleaned_data["note"]
            )
        except services.CommandError as error:
            _refusal_to_form(form, error)
        else:
            messages.success(
                request,
                _("Incident #%(number)s is now: %(status)s.")
                % {"number": incident.pk, "status": IncidentStatus(status).label},
            )
            return redirect("command:incident", public_id=incident.public_id)
    incident.refresh_from_db()
    return _incident_page(request, summit, incident, status_form=form, status=400)


# --- Broadcasts -------------------------------------------------------------------------------
@command_page
def broadcasts(request: HttpRequest) -> HttpResponse:
    summit = page_summit(request)
    if request.method == "POST":
        form = BroadcastForm(request.POST, summit=summit)
        if form.is_valid():
            try:
                sent = services.broadcast(summit, **form.broadcast_data(), by=request.user)
            except services.CommandError as error:
                _refusal_to_form(form, error)
            else:
                messages.success(
                    request,
                    _("The message is sent to %(count)s volunteers on duty.")
                    % {"count": sent.recipients},
                )
                return redirect("command:broadcasts")
    else:
        form = BroadcastForm(summit=summit)
    sent = Broadcast.objects.filter(summit=summit).select_related("venue", "post", "sent_by")
    page = Paginator(sent, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2),
        "max_length": form.fields["text"].max_length,
    }
    status = 400 if form.is_bound and form.errors else 200
    return _render(request, "command/broadcasts.html", context, summit=summit, status=status)


# --- The volunteer's phone --------------------------------------------------------------------
def _own_application(request: HttpRequest) -> Application:
    application = volunteer_selectors.own_application(request.user, page_summit(request))
    if application is None:
        raise Http404(_("You have not applied to volunteer at this summit."))
    return application


@require_POST
@login_required(login_url=VOLUNTEER_LOGIN_URL)
def answer_task(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(Dispatch.objects.select_related("incident", "volunteer"), pk=pk)
    action = request.POST.get("action", "")
    try:
        services.answer(task, action, by=request.user)
    except services.CommandNotAllowed as error:
        raise PermissionDenied(error.message) from None
    except services.CommandError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, ANSWER_DONE[action])
    return redirect("volunteers:duty")


# A refused report's words, kept in the session for the phone page to show again (the photo
# cannot be kept: the volunteer takes it again).
REFUSED_REPORT = "command.refused_report"


@require_POST
@login_required(login_url=VOLUNTEER_LOGIN_URL)
def report_incident(request: HttpRequest) -> HttpResponse:
    application = _own_application(request)
    form = PhoneReportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            incident = services.report_from_phone(application, **form.report_data())
        except services.CommandError as error:
            problem = error.message
        else:
            messages.success(
                request,
                _("Thank you: the command centre has your report (#%(number)s).")
                % {"number": incident.pk},
            )
            return redirect("volunteers:duty")
    else:
        field, problems = next(iter(form.errors.items()))
        label = form.fields[field].label if field in form.fields else None
        problem = f"{label}: {problems[0]}" if label else problems[0]
    messages.error(request, problem)
    request.session[REFUSED_REPORT] = {
        "kind": request.POST.get("kind", "")[:40],
        "description": request.POST.get("description", "")[: services.MAX_DESCRIPTION],
    }
    return redirect("volunteers:duty")


def _phone_config() -> dict:
    """What ``phone.js`` needs: the volunteer's websocket, and its sentences in the page's
    language."""
    return {
        "socket": "/ws/volunteer/",
        "heartbeat_seconds": live.HEARTBEAT_SECONDS,
        "texts": {
            "left": _("%(time)s left"),
            "overdue": _("Answer now: the command centre is about to ask someone else."),
            "locating": _("Finding your position …"),
            "located": _("Your position is attached (± %(accuracy)s m)."),
            "no_position": _("Your position could not be found: say where you are in the text."),
            "from_you": _("About %(distance)s m from you (straight line)."),
            "connecting": _("Connecting…"),
            "live": _("Connected: tasks and messages arrive at once."),
            "reconnecting": _("Connection lost: reconnecting …"),
            "resynced": _("Connected again at %(time)s."),
            "refused": _("Sign in again to receive tasks."),
        },
    }


def _report_form(request: HttpRequest) -> PhoneReportForm:
    """The phone's report form: empty, or with the words of a report just refused (shown
    open, so that the volunteer corrects rather than types again)."""
    refused = request.session.pop(REFUSED_REPORT, None)
    form = PhoneReportForm(initial=refused or {})
    form.refused = refused is not None
    return form


def phone_panel(request: HttpRequest, application: Application, on_duty: bool) -> str:
    """The volunteer's side of the command centre on their duty page: the task given to them
    (with the answers valid now), the broadcasts that reached them, and, on duty, the form to
    report an incident. Empty for a volunteer with none of these."""
    task = selectors.active_tasks(application).first()
    duty = open_duty(application) if on_duty else None
    post = duty.assignment.post_shift.post if duty is not None else None
    broadcasts_ = list(
        selectors.broadcasts_for(
            application,
            venue_id=post.venue_id if post else None,
            post_id=post.pk if post else None,
        )[:BROADCASTS_SHOWN]
    )
    if task is None and not broadcasts_ and not on_duty:
        return ""
    context = {
        "application": application,
        "task": task,
        "answers": [(action, ANSWER_LABELS[action]) for action in services.answers_for(task)]
        if task
        else [],
        # Its own point, else its venue's, for the phone's maps app.
        "point": services.incident_point(task.incident) if task else None,
        "broadcasts": broadcasts_,
        "on_duty": on_duty,
        "report_form": _report_form(request) if on_duty else None,
        "now": timezone.now(),
        "config": _phone_config(),
        "panel_url": reverse("volunteers:duty"),
    }
    with timezone.override(application.summit.tz):
        return render_to_string("command/_phone_panel.html", context, request=request)
