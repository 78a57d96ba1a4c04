"""The volunteers' pages: apply and follow the application; the phone page on duty (sign in
and out where the phone is, the "on duty" mode, my track, my hours, the certificate); and the
volunteer office's pages (applications, scoring and interviews, selection, posts and shifts, the
roster, training, who is on duty, no-shows and trajectories).

Thin: read through ``selectors``, write through ``services``, ask the ``rules`` predicates.
A volunteer has an account (created when they apply) and reaches only their own application,
duties and track: those pages start from ``request.user``.
"""

import datetime as dt
import uuid
from collections import Counter
from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, Q, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from huiwu.core.i18n import localized
from huiwu.core.services import DomainError, actions_for, log_action
from huiwu.core.views import SignInView
from huiwu.registration.imports import TableError, read_table
from huiwu.summit import selectors as summit_selectors
from huiwu.summit.models import Summit
from huiwu.volunteers import imports, panels, rules, selectors, services
from huiwu.volunteers.forms import (
    ApplicationForm,
    CorrectionForm,
    ImportForm,
    InterviewForm,
    ScoreForm,
    SelectionForm,
    TrajectoryForm,
)
from huiwu.volunteers.languages import ISO_639_1, LEVELS, language_choices, language_name
from huiwu.volunteers.models import (
    Application,
    ApplicationStatus,
    Assignment,
    Decision,
    DutyRecord,
    InterviewRound,
    Post,
    PostKind,
    PostShift,
    RosterRun,
    SelectionRun,
    Shift,
    Skill,
    TrainingSession,
)
from huiwu.volunteers.pdf import Certificate, render_certificate

LOGIN_URL = reverse_lazy("volunteers:login")


def _summit(request: HttpRequest) -> Summit:
    summit = summit_selectors.request_summit(request)
    if summit is None:
        raise Http404(_("No summit has been published yet."))
    return summit


def _render(request: HttpRequest, template: str, context: dict, *, summit: Summit, status=200):
    # Times on these pages are the summit's local times, as on the programme.
    with timezone.override(summit.tz):
        return render(request, template, {"summit": summit, **context}, status=status)


def _own_application(request: HttpRequest) -> Application:
    """The signed-in user's application to the current summit; 404 for anyone else."""
    application = selectors.own_application(request.user, _summit(request))
    if application is None:
        raise Http404(_("You have not applied to volunteer at this summit."))
    return application


def _form_errors(form, error: DomainError | ValidationError) -> None:
    """Put a service's refusal next to the field at fault (or above the form)."""
    if isinstance(error, DomainError):
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return
    for field, problems in error.message_dict.items():
        form.add_error(field if field in form.fields else None, problems)


# --- Applying ---------------------------------------------------------------------------------
class VolunteerSignInView(SignInView):
    """The site's sign-in form with the volunteers' texts; the office lands on its pages, the
    command centre on who is on duty, a student on their own application."""

    extra_context = {
        "base_template": "volunteers/base.html",
        "kicker": gettext_lazy("Volunteers"),
        "heading": gettext_lazy("Sign in"),
        "intro": gettext_lazy("With the e-mail address and the password of your application."),
        "username_label": gettext_lazy("E-mail"),
        "other_text": gettext_lazy("Not applied yet?"),
        "other_label": gettext_lazy("Apply to volunteer"),
        "other_link": reverse_lazy("volunteers:apply"),
    }

    def get_default_redirect_url(self):
        user = self.request.user
        if rules.can_manage_volunteers(user):
            return reverse("volunteers:office-applications")
        if rules.can_view_positions(user):
            return reverse("volunteers:office-on-duty")
        return reverse("volunteers:status")


@never_cache
def apply(request: HttpRequest) -> HttpResponse:
    summit = _summit(request)
    if request.user.is_authenticated and selectors.own_application(request.user, summit):
        return redirect("volunteers:status")
    # Someone signed in already (a guest, a returning student) applies with that account.
    account = request.user if request.user.is_authenticated else None
    if request.method == "POST":
        form = ApplicationForm(request.POST, request.FILES, summit=summit, account=account)
        if form.is_valid():
            try:
                application = services.apply(
                    summit,
                    form.application_data(),
                    location_consent=form.cleaned_data["location_consent"],
                    user=account,
                    password=form.cleaned_data.get("password"),
                )
            except (DomainError, ValidationError) as error:
                _form_errors(form, error)
            else:
                login(
                    request, application.user, backend="django.contrib.auth.backends.ModelBackend"
                )
                messages.success(
                    request,
                    _(
                        "Thank you for applying! Come back here with %(email)s and your "
                        "password to follow your application."
                    )
                    % {"email": application.email},
                )
                return redirect("volunteers:status")
    else:
        form = ApplicationForm(summit=summit, account=account)
    context = {
        "form": form,
        "ping_seconds": services.setting("VOLUNTEER_PING_SECONDS"),
        "photo_lost": bool(
            form.errors and request.FILES.get("photo") and not form.has_error("photo")
        ),
    }
    status = 400 if form.is_bound and form.errors else 200
    return _render(request, "volunteers/apply.html", context, summit=summit, status=status)


@dataclass
class LanguageShown:
    name: str
    level_label: str


@never_cache
@login_required(login_url=LOGIN_URL)
def status(request: HttpRequest) -> HttpResponse:
    application = _own_application(request)
    skills = dict(Skill.choices)
    context = {
        "application": application,
        "spoken": [
            LanguageShown(language_name(item["code"]), LEVELS.get(item["level"], ""))
            for item in application.languages
        ],
        "skills": [str(skills.get(code, code)) for code in application.skills],
        "availability": [
            {**slot, "date": dt.date.fromisoformat(slot["date"])}
            for slot in application.availability
        ],
        "can_withdraw": application.status
        not in {ApplicationStatus.WITHDRAWN, ApplicationStatus.REJECTED},
        "can_change_consent": application.status != ApplicationStatus.WITHDRAWN,
    }
    return _render(request, "volunteers/status.html", context, summit=application.summit)


@require_POST
@login_required(login_url=LOGIN_URL)
def withdraw(request: HttpRequest) -> HttpResponse:
    application = _own_application(request)
    try:
        services.withdraw(application, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your application is withdrawn. Thank you for telling us."))
    return redirect("volunteers:status")


@require_POST
@login_required(login_url=LOGIN_URL)
def consent(request: HttpRequest) -> HttpResponse:
    application = _own_application(request)
    answer = request.POST.get("consent")
    if answer not in {"yes", "no"}:
        messages.error(request, _("Choose whether you agree or not."))
        return redirect("volunteers:status")
    try:
        services.set_location_consent(application, answer == "yes", by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Thank you: your position will be recorded while you are signed in on duty.")
            if answer == "yes"
            else _("Your consent is withdrawn: no position of yours is recorded from now on."),
        )
    return redirect(
        (request.POST.get("next") == "duty" and "volunteers:duty") or "volunteers:status"
    )


# --- On duty ----------------------------------------------------------------------------------
STATE_LABELS = {
    "upcoming": lambda: _("To come"),
    "open": lambda: _("Sign in now"),
    "on_duty": lambda: _("On duty"),
    "done": lambda: _("Done"),
    "closed": lambda: _("Closed at shift end, no sign-out"),
    "no_show": lambda: _("No-show"),
    "missed": lambda: _("Not signed in"),
}


@dataclass
class ShiftRow:
    """One of the volunteer's shifts on the duty page, with where it stands now."""

    assignment: Assignment
    state: str
    opens_at: dt.datetime | None = None

    @property
    def post(self):
        return self.assignment.post_shift.post

    @property
    def shift(self):
        return self.assignment.post_shift.shift

    @property
    def duty(self):
        return getattr(self.assignment, "duty", None)

    @property
    def hours(self) -> float:
        return self.duty.hours if self.duty else 0.0

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]()


def _row(assignment: Assignment, now: dt.datetime, early: dt.timedelta) -> ShiftRow:
    shift = assignment.post_shift.shift
    duty = getattr(assignment, "duty", None)
    if duty is not None and duty.no_show:
        return ShiftRow(assignment, "no_show")
    if duty is not None and duty.on_duty:
        return ShiftRow(assignment, "on_duty")
    if duty is not None and duty.signed_out_at:
        return ShiftRow(assignment, "closed" if duty.closed_at_shift_end else "done")
    if shift.end <= now:
        return ShiftRow(assignment, "missed")
    if shift.start - early > now:
        return ShiftRow(assignment, "upcoming", opens_at=shift.start - early)
    return ShiftRow(assignment, "open")


def _shift_rows(application: Application) -> list[ShiftRow]:
    now = timezone.now()
    early = dt.timedelta(hours=services.setting("VOLUNTEER_EARLY_SIGN_IN_HOURS"))
    return [_row(assignment, now, early) for assignment in selectors.my_assignments(application)]


def _current(rows: list[ShiftRow]) -> ShiftRow | None:
    """The shift to act on: the one on duty, else the next one that has not ended."""
    for row in rows:
        if row.state == "on_duty":
            return row
    for row in rows:
        if row.state in {"open", "upcoming"}:
            return row
    return None


def _duty_texts() -> dict[str, str]:
    return {
        "locating": _("Finding your position …"),
        "denied": _(
            "Your phone refused to give your position. Allow location for this site in your "
            "browser's settings, then try again."
        ),
        "unavailable": _(
            "Your phone could not find its position. Go outside or near a window and try again."
        ),
        "unsupported": _(
            "This browser cannot give your position; please use your phone's browser."
        ),
        "sent": _("Position sent at %(time)s (%(count)s today)."),
        "refused": _("The position was not accepted."),
        "offline": _("No connection: the next position is sent when the network is back."),
    }


def _today(summit: Summit) -> tuple[dt.datetime, dt.datetime]:
    """The summit's local day of now, as a time range."""
    day = timezone.localdate(timezone=summit.tz)
    start = dt.datetime.combine(day, dt.time.min, tzinfo=summit.tz)
    return start, start + dt.timedelta(days=1)


@never_cache
@login_required(login_url=LOGIN_URL)
def duty(request: HttpRequest) -> HttpResponse:
    application = _own_application(request)
    summit = application.summit
    rows = _shift_rows(application)
    current = _current(rows)
    track = list(selectors.trajectory(application, *_today(summit)))
    hours = selectors.service_hours(application)
    context = {
        "application": application,
        "rows": rows,
        "current": current,
        "on_duty": current is not None and current.state == "on_duty",
        "track": [
            {
                "lat": ping.lat,
                "lon": ping.lon,
                "at": ping.at.isoformat(),
                "accuracy_m": ping.accuracy_m,
            }
            for ping in track
        ],
        "track_count": len(track),
        "hours": hours,
        "ping_seconds": services.setting("VOLUNTEER_PING_SECONDS"),
        "positions_url": reverse("api:post_position"),
        "texts": _duty_texts(),
        "now": timezone.now(),
    }
    context["panels"] = panels.duty_panels(request, application, context["on_duty"])
    return _render(request, "volunteers/duty.html", context, summit=summit)


# The hidden fields of the sign-in/out forms, and the services' names for them.
FORM_POSITION = {"latitude": "lat", "longitude": "lon", "accuracy": "accuracy"}


def _position(request: HttpRequest) -> dict:
    """The phone's position from the hidden fields of the sign-in/out form, as sent; the
    services refuse what is not a position with a sentence."""
    return {key: request.POST.get(name, "").strip() or None for name, key in FORM_POSITION.items()}


def _own_assignment(request: HttpRequest, application: Application) -> Assignment:
    key = request.POST.get("assignment", "")
    assignment = (
        Assignment.objects.select_related("post_shift__post__venue", "post_shift__shift")
        .filter(application=application, pk=int(key) if key.isdigit() else None)
        .first()
    )
    if assignment is None:
        raise DomainError(_("This shift is not yours."), field="assignment")
    return assignment


@require_POST
@login_required(login_url=LOGIN_URL)
def sign_in(request: HttpRequest) -> HttpResponse:
    application = _own_application(request)
    try:
        assignment = _own_assignment(request, application)
        record = services.sign_in(application, assignment, at=timezone.now(), **_position(request))
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("volunteers:duty")
    if record.inside_geofence is not False:
        # Outside the venue, the shift's card says so with the distance: no second message.
        messages.success(request, _("You are signed in. Have a good shift!"))
    return redirect("volunteers:duty")


@require_POST
@login_required(login_url=LOGIN_URL)
def sign_out(request: HttpRequest) -> HttpResponse:
    application = _own_application(request)
    try:
        record = services.sign_out(application, at=timezone.now(), **_position(request))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("You are signed out after %(hours)s hours. Your position is no longer sent.")
            % {"hours": f"{record.hours:.1f}"},
        )
    return redirect("volunteers:duty")


@login_required(login_url=LOGIN_URL)
def certificate(request: HttpRequest) -> HttpResponse:
    application = _own_application(request)
    hours = selectors.service_hours(application)
    if not hours["signed"] and not hours["corrections"]:
        raise Http404(_("There is no certificate yet: it comes with your first hours of service."))
    served = [row for row in _shift_rows(application) if row.hours]
    tz = application.summit.tz
    days = [row.duty.signed_in_at.astimezone(tz).date() for row in served]
    document = Certificate(
        application=application,
        service_hours=float(hours["signed"]),
        corrected_hours=float(hours["corrections"]),
        posts=[row.post for row in served],
        first_day=min(days, default=None),
        last_day=max(days, default=None),
        issued=timezone.localdate(timezone=tz),
    )
    response = HttpResponse(content_type="application/pdf")
    name = slugify(application.student_number) or "volunteer"
    response["Content-Disposition"] = f'attachment; filename="certificate-{name}.pdf"'
    response["Cache-Control"] = "private, no-store"
    render_certificate(document, response)
    return response


# === The volunteer office ========================================================================
# Applications, scoring and interviews, selection, posts and shifts, the roster, training, who
# is on duty, no-shows and trajectories. The office (and the secretariat) sees everything; the
# command centre sees who is on duty and their trajectories, nothing else.

PER_PAGE = 100
SEARCH_MAX_LENGTH = 100
CANDIDATES_SHOWN = 25
ORDERS = {
    "score": (gettext_lazy("Best score first"), [F("score").desc(nulls_last=True), "id"]),
    "newest": (gettext_lazy("Newest first"), ["-created_at", "-id"]),
    "name": (gettext_lazy("By name"), ["name", "id"]),
}
# What the history of an application shows for each entry of the action log.
ACTION_LABELS = {
    "volunteers.applied": gettext_lazy("Applied"),
    "volunteers.updated": gettext_lazy("Application changed"),
    "volunteers.withdrawn": gettext_lazy("Withdrawn"),
    "volunteers.location_consent": gettext_lazy("Consent to location given or withdrawn"),
    "volunteers.scored": gettext_lazy("Rubric scored"),
    "volunteers.interviewed": gettext_lazy("Interviewed"),
    "volunteers.shortlisted": gettext_lazy("Shortlisted"),
    "volunteers.training": gettext_lazy("Training attendance recorded"),
    "volunteers.unassigned": gettext_lazy("Taken off a slot"),
    "volunteers.no_show": gettext_lazy("Flagged as a no-show"),
    "volunteers.hours_corrected": gettext_lazy("Hours corrected"),
    "volunteers.trajectory_viewed": gettext_lazy("Trajectory viewed"),
}
SECTIONS = [
    ("office-applications", gettext_lazy("Applications"), rules.can_manage_volunteers),
    ("office-import", gettext_lazy("Import"), rules.can_manage_volunteers),
    ("office-selection", gettext_lazy("Selection"), rules.can_manage_volunteers),
    ("office-posts", gettext_lazy("Posts and shifts"), rules.can_manage_volunteers),
    ("office-roster", gettext_lazy("Roster"), rules.can_manage_volunteers),
    ("office-training", gettext_lazy("Training"), rules.can_manage_volunteers),
    ("office-on-duty", gettext_lazy("On duty now"), rules.can_view_positions),
    ("office-no-shows", gettext_lazy("No-shows"), rules.can_manage_volunteers),
]


def office_page(predicate):
    """Signed-in users for whom ``predicate(user)`` holds; others are sent to sign in, or
    refused."""

    def decorate(view):
        @login_required(login_url=LOGIN_URL)
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not predicate(request.user):
                raise PermissionDenied(_("These pages are for the volunteer office."))
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def _office(request: HttpRequest, template: str, summit: Summit, section: str, **context):
    sections = [
        {"label": label, "url": reverse(f"volunteers:{name}"), "current": name == section}
        for name, label, allowed in SECTIONS
        if allowed(request.user)
    ]
    fragment = context.pop("fragment", None)
    partial = fragment is not None and request.htmx and not request.htmx.history_restore_request
    status = context.pop("status", 200)
    with timezone.override(summit.tz):
        response = render(
            request,
            fragment if partial else template,
            {"summit": summit, "sections": sections, "now": timezone.now(), **context},
            status=status,
        )
    if fragment is not None:
        patch_vary_headers(response, ("HX-Request",))
    return response


def _application(summit: Summit, public_id) -> Application:
    return get_object_or_404(
        Application.objects.select_related("university", "user"), summit=summit, public_id=public_id
    )


def _page(request: HttpRequest, items) -> tuple:
    page = Paginator(items, PER_PAGE).get_page(request.GET.get("page"))
    return page, page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)


# --- Applications ------------------------------------------------------------------------------
@dataclass
class ApplicationFilters:
    """What the list shows, read from the query; unknown values are ignored."""

    status: str = ""
    university: str = ""
    language: str = ""
    level: int = 1
    skill: str = ""
    q: str = ""
    order: str = "score"

    NAMES = ("status", "university", "language", "level", "skill", "q", "order")

    @classmethod
    def read(cls, data) -> "ApplicationFilters":
        status, order, level = data.get("status", ""), data.get("order", ""), data.get("level", "")
        language = data.get("language", "")
        return cls(
            status=status if status in ApplicationStatus.values else "",
            university=data.get("university", "")[:40],
            language=language if language in ISO_639_1 else "",
            level=int(level) if level in {"1", "2", "3", "4", "5"} else 1,
            skill=data.get("skill", "") if data.get("skill", "") in Skill.values else "",
            q=data.get("q", "").strip()[:SEARCH_MAX_LENGTH],
            order=order if order in ORDERS else "score",
        )

    def query(self, **changes) -> str:
        values = {name: getattr(self, name) for name in self.NAMES} | changes
        if values["level"] == 1:
            values["level"] = ""
        return urlencode({key: value for key, value in values.items() if value})

    def apply(self, applications: QuerySet[Application]) -> QuerySet[Application]:
        """Every filter but the status."""
        if self.university:
            applications = applications.filter(university__short_name=self.university)
        for word in self.q.split():
            applications = applications.filter(
                Q(name__icontains=word)
                | Q(student_number__icontains=word)
                | Q(email__icontains=word)
                | Q(phone__icontains=word)
            )
        if self.language or self.skill:
            # Languages and skills are JSON lists; matched here so that SQLite and PostgreSQL
            # answer alike.
            keys = [
                pk
                for pk, languages, skills in applications.values_list("pk", "languages", "skills")
                if (not self.skill or self.skill in skills)
                and (
                    not self.language
                    or any(
                        item.get("code") == self.language and item.get("level", 0) >= self.level
                        for item in languages
                    )
                )
            ]
            applications = applications.filter(pk__in=keys)
        return applications


def _languages_text(languages: list[dict]) -> str:
    return ", ".join(f"{language_name(item['code'])} {item['level']}" for item in languages)


@office_page(rules.can_manage_volunteers)
def office_applications(request: HttpRequest) -> HttpResponse:
    summit = _summit(request)
    filters = ApplicationFilters.read(request.GET)
    matching = filters.apply(selectors.applications_for(request.user, summit))
    counts = dict(matching.order_by().values_list("status").annotate(count=Count("id")))
    shown = matching.filter(status=filters.status) if filters.status else matching
    page, page_range = _page(request, shown.order_by(*ORDERS[filters.order][1]))
    for application in page.object_list:
        application.languages_text = _languages_text(application.languages)
    status_tabs = [("", _("All"), sum(counts.values()))] + [
        (value, label, counts.get(value, 0)) for value, label in ApplicationStatus.choices
    ]
    return _office(
        request,
        "volunteers/office/applications.html",
        summit,
        "office-applications",
        fragment="volunteers/office/_application_results.html",
        filters=filters,
        page=page,
        page_range=page_range,
        page_query=f"?{filters.query()}&page=",
        status_tabs=status_tabs,
        universities=selectors.universities(),
        language_options=language_choices(),
        levels=LEVELS.items(),
        skills=Skill.choices,
        orders=[(name, label) for name, (label, _ordering) in ORDERS.items()],
        matching_count=page.paginator.count,
    )


@require_POST
@office_page(rules.can_manage_volunteers)
def office_shortlist(request: HttpRequest) -> HttpResponse:
    summit = _summit(request)
    chosen = [value for value in request.POST.getlist("ids") if _is_uuid(value)]
    applications = selectors.applications_for(request.user, summit).filter(public_id__in=chosen)
    count = services.shortlist(applications, by=request.user)
    if count:
        messages.success(
            request,
            ngettext(
                "%(count)d applicant moved to the shortlist.",
                "%(count)d applicants moved to the shortlist.",
                count,
            )
            % {"count": count},
        )
    else:
        messages.error(request, _("Tick the submitted applications to shortlist first."))
    back = request.POST.get("back", "")
    return redirect(reverse("volunteers:office-applications") + (f"?{back}" if back else ""))


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _application_context(request: HttpRequest, application: Application, **forms_) -> dict:
    interviews = {interview.round: interview for interview in application.interviews.all()}
    explanation = (
        application.explanations.select_related("run").order_by("-run__at", "-run_id").first()
    )
    skills = dict(Skill.choices)
    return {
        "application": application,
        "languages_text": _languages_text(application.languages),
        "skills": [str(skills.get(code, code)) for code in application.skills],
        "availability": [
            {**slot, "date": dt.date.fromisoformat(slot["date"])}
            for slot in application.availability
        ],
        "score_form": forms_.get("score_form")
        or ScoreForm(initial={"rubric_score": application.rubric_score}),
        "interview_forms": [
            (
                round_,
                label,
                interviews.get(round_),
                forms_.get(f"interview_{round_}")
                or InterviewForm(
                    prefix=f"round{round_}",
                    initial={
                        "round": round_,
                        "score": getattr(interviews.get(round_), "score", None),
                        "notes": getattr(interviews.get(round_), "notes", ""),
                    },
                ),
            )
            for round_, label in InterviewRound.choices
        ],
        "explanation": explanation,
        "explanation_text": explanation
        and selectors.explanation_text(explanation.code, explanation.params),
        "rows": [
            _row(a, timezone.now(), dt.timedelta(0)) for a in selectors.my_assignments(application)
        ],
        "hours": selectors.service_hours(application),
        "corrections": application.hours_corrections.select_related("by"),
        "correction_form": forms_.get("correction_form") or CorrectionForm(),
        "no_shows": selectors.no_show_count(application),
        "log": [
            (entry, ACTION_LABELS.get(entry.action, entry.action))
            for entry in actions_for(application)[:50]
        ],
    }


@office_page(rules.can_manage_volunteers)
def office_application(request: HttpRequest, public_id) -> HttpResponse:
    summit = _summit(request)
    application = _application(summit, public_id)
    forms_ = {}
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "score":
            form = forms_["score_form"] = ScoreForm(request.POST)
            call = lambda data: services.score_application(  # noqa: E731
                application, data["rubric_score"], by=request.user
            )
            done = _("The rubric score is saved.")
        elif action == "interview":
            round_ = request.POST.get("round")
            prefix = f"round{round_}" if round_ in {"1", "2"} else "round1"
            form = forms_[f"interview_{prefix[-1]}"] = InterviewForm(request.POST, prefix=prefix)
            call = lambda data: services.record_interview(  # noqa: E731
                application, data["round"], data["score"], data["notes"], by=request.user
            )
            done = _("The interview is recorded.")
        elif action == "correct":
            form = forms_["correction_form"] = CorrectionForm(request.POST)
            call = lambda data: services.correct_hours(  # noqa: E731
                application, data["hours"], data["reason"], by=request.user
            )
            done = _("The correction of hours is recorded.")
        else:
            raise Http404(_("There is no such action."))
        if form.is_valid():
            try:
                call(form.cleaned_data)
            except DomainError as error:
                _form_errors(form, error)
            else:
                messages.success(request, done)
                return redirect("volunteers:office-application", public_id)
    context = _application_context(request, application, **forms_)
    status = 400 if any(form.errors for form in forms_.values()) else 200
    return _office(
        request,
        "volunteers/office/application.html",
        summit,
        "office-applications",
        status=status,
        **context,
    )


@office_page(rules.can_manage_volunteers)
def office_import(request: HttpRequest) -> HttpResponse:
    """A university's list of applicants, row by row: checked, or imported."""
    summit = _summit(request)
    report, status = None, 200
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                report = imports.import_applications(
                    summit,
                    read_table(form.cleaned_data["file"]),
                    by=request.user,
                    default_university=form.cleaned_data["university"],
                    dry_run=not form.cleaned_data["write"],
                )
            except TableError as error:
                form.add_error("file", error.message)
            else:
                status = 200
    return _office(
        request,
        "volunteers/office/import.html",
        summit,
        "office-import",
        form=form,
        report=report,
        columns=imports.COLUMNS,
        status=status,
    )


# --- Selection -------------------------------------------------------------------------------
def _quota_values() -> dict[str, list[tuple[str, str]]]:
    return {
        "university": [(u.short_name, str(u)) for u in selectors.universities()],
        "language": language_choices(),
        "post_type": list(PostKind.choices),
    }


def _selection_page(request: HttpRequest, summit: Summit, form: SelectionForm, status=200):
    runs = list(SelectionRun.objects.filter(summit=summit).select_related("by")[:20])
    counts = dict(
        Application.objects.filter(summit=summit).values_list("status").annotate(n=Count("id"))
    )
    return _office(
        request,
        "volunteers/office/selection.html",
        summit,
        "office-selection",
        form=form,
        runs=runs,
        in_running=sum(counts.get(status_, 0) for status_ in services.IN_SELECTION),
        scored=Application.objects.filter(
            summit=summit, status__in=services.IN_SELECTION, score__isnull=False
        ).count(),
        counts=[(label, counts.get(value, 0)) for value, label in ApplicationStatus.choices],
        to_notify=Application.objects.filter(
            summit=summit, status__in=services.NOTIFY_STATUSES, notified_at__isnull=True
        ).count(),
        # Where the office tells them: the run in effect.
        applied_run=next((run for run in runs if run.applied), None),
        status=status,
    )


@office_page(rules.can_manage_volunteers)
def office_selection(request: HttpRequest) -> HttpResponse:
    summit = _summit(request)
    if request.method != "POST":
        return _selection_page(request, summit, SelectionForm(value_choices=_quota_values()))
    form = SelectionForm(request.POST, value_choices=_quota_values())
    if form.is_valid():
        data = form.cleaned_data
        try:
            run = services.run_selection(
                summit,
                data["size"],
                data["quotas"],
                reserve_ratio=float(data["reserve_ratio"]),
                by=request.user,
                apply=False,
            )
        except DomainError as error:
            fields = {"n": "size", "reserve_ratio": "reserve_ratio"}
            form.add_error(fields.get(error.field), error.message)
        else:
            messages.success(
                request,
                _(
                    "Selection computed: %(selected)d selected and %(reserve)d on the reserve "
                    "list. Check the explanations, then apply the decisions."
                )
                % {"selected": run.selected, "reserve": run.reserve},
            )
            return redirect("volunteers:office-selection-run", run.pk)
    return _selection_page(request, summit, form, status=400)


@office_page(rules.can_manage_volunteers)
def office_selection_run(request: HttpRequest, pk: int) -> HttpResponse:
    summit = _summit(request)
    run = get_object_or_404(SelectionRun.objects.select_related("by"), summit=summit, pk=pk)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "notify":
                told = services.notify_decisions(summit, by=request.user)
                messages.success(
                    request,
                    ngettext(
                        "%(count)d applicant told of the decision by e-mail.",
                        "%(count)d applicants told of the decision by e-mail.",
                        told,
                    )
                    % {"count": told},
                )
            else:
                services.apply_selection(run, by=request.user)
                messages.success(request, _("The decisions are applied to the applications."))
        except DomainError as error:
            messages.error(request, error.message)
        return redirect("volunteers:office-selection-run", run.pk)
    decision = request.GET.get("decision", "")
    decision = decision if decision in Decision.values else ""
    explanations = run.explanations.select_related("application__university").order_by(
        F("application__score").desc(nulls_last=True), "application_id"
    )
    if decision:
        explanations = explanations.filter(decision=decision)
    page, page_range = _page(request, explanations)
    for item in page.object_list:
        item.text = selectors.explanation_text(item.code, item.params)
    return _office(
        request,
        "volunteers/office/selection_run.html",
        summit,
        "office-selection",
        run=run,
        quotas=[{**quota, "label": selectors.quota_label(quota)} for quota in run.quotas],
        decision=decision,
        decisions=Decision.choices,
        page=page,
        page_range=page_range,
        page_query=f"?{urlencode({'decision': decision} if decision else {})}&page=",
        latest=not SelectionRun.objects.filter(summit=summit, at__gt=run.at).exists(),
        to_notify=Application.objects.filter(
            summit=summit, status__in=services.NOTIFY_STATUSES, notified_at__isnull=True
        ).count(),
    )


# --- Posts, shifts and the roster -----------------------------------------------------------------
@office_page(rules.can_manage_volunteers)
def office_posts(request: HttpRequest) -> HttpResponse:
    summit = _summit(request)
    posts = (
        Post.objects.filter(summit=summit)
        .select_related("venue", "room")
        .annotate(slots=Count("post_shifts"), headcount=Sum("post_shifts__headcount"))
        .order_by("venue__name", "kind", "id")
    )
    skills = dict(Skill.choices)
    for post in posts:
        post.skills_text = ", ".join(str(skills.get(code, code)) for code in post.required_skills)
        post.languages_text = ", ".join(language_name(code) for code in post.required_languages)
    shifts = (
        Shift.objects.filter(summit=summit)
        .annotate(slots=Count("post_shifts"), headcount=Sum("post_shifts__headcount"))
        .order_by("start")
    )
    return _office(
        request,
        "volunteers/office/posts.html",
        summit,
        "office-posts",
        posts=posts,
        shifts=shifts,
    )


@dataclass
class RosterCell:
    slot: PostShift | None

    @property
    def fill(self) -> str:
        if self.slot is None:
            return ""
        if self.slot.filled >= self.slot.headcount:
            return "full"
        return "part" if self.slot.filled else "empty"


def _roster_days(summit: Summit) -> list[dt.date]:
    starts = Shift.objects.filter(summit=summit).values_list("start", flat=True)
    return sorted({start.astimezone(summit.tz).date() for start in starts})


@office_page(rules.can_manage_volunteers)
def office_roster(request: HttpRequest) -> HttpResponse:
    summit = _summit(request)
    if request.method == "POST":
        try:
            run = services.run_roster(summit, by=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _(
                    "Roster done in %(seconds).1f s: %(coverage)s of the headcount filled, "
                    "%(changed)d assignments changed."
                )
                % {
                    "seconds": run.seconds,
                    "coverage": f"{run.coverage:.0%}",
                    "changed": run.changed,
                },
            )
        return redirect(reverse("volunteers:office-roster") + f"?day={request.POST.get('day', '')}")
    days = _roster_days(summit)
    chosen = request.GET.get("day", "")
    day = next((d for d in days if d.isoformat() == chosen), days[0] if days else None)
    slots = []
    if day is not None:
        start = dt.datetime.combine(day, dt.time.min, tzinfo=summit.tz)
        slots = list(
            selectors.roster(summit).filter(
                shift__start__gte=start, shift__start__lt=start + dt.timedelta(days=1)
            )
        )
    shifts = list({slot.shift_id: slot.shift for slot in slots}.values())
    posts = sorted(
        {slot.post_id: slot.post for slot in slots}.values(),
        key=lambda post: (localized(post.venue.name), post.kind, post.pk),
    )
    by_key = {(slot.post_id, slot.shift_id): slot for slot in slots}
    grid = [
        (post, [RosterCell(by_key.get((post.pk, shift.pk))) for shift in shifts]) for post in posts
    ]
    run = RosterRun.objects.filter(summit=summit).first()
    unfilled = []
    if run is not None:
        names = {
            slot.pk: slot
            for slot in PostShift.objects.filter(
                pk__in=[item["slot"] for item in run.unfilled[:200]]
            ).select_related("post", "shift")
        }
        unfilled = [
            {
                "slot": names.get(item["slot"]),
                "missing": item["missing"],
                "reason": selectors.unfilled_reason_text(item["reason"]),
            }
            for item in run.unfilled[:200]
        ]
    return _office(
        request,
        "volunteers/office/roster.html",
        summit,
        "office-roster",
        days=days,
        day=day,
        shifts=shifts,
        grid=grid,
        filled=sum(slot.filled for slot in slots),
        headcount=sum(slot.headcount for slot in slots),
        run=run,
        unfilled=unfilled,
        unfilled_more=len(run.unfilled) - len(unfilled) if run else 0,
    )


@office_page(rules.can_manage_volunteers)
def office_slot(request: HttpRequest, pk: int) -> HttpResponse:
    summit = _summit(request)
    slot = get_object_or_404(
        PostShift.objects.select_related("post__venue", "post__room", "shift"),
        shift__summit=summit,
        pk=pk,
    )
    if request.method == "POST":
        try:
            if request.POST.get("action") == "unassign":
                assignment = get_object_or_404(
                    Assignment.objects.select_related("application"),
                    post_shift=slot,
                    pk=_int_or_none(request.POST.get("assignment")),
                )
                services.unassign(assignment, by=request.user)
                messages.success(
                    request, _("%(name)s is off this slot.") % {"name": assignment.application.name}
                )
            else:
                application = get_object_or_404(
                    Application,
                    summit=summit,
                    public_id=_uuid_or_404(request.POST.get("volunteer")),
                )
                services.assign_manually(slot, application, by=request.user)
                messages.success(
                    request, _("%(name)s is on this slot.") % {"name": application.name}
                )
        except DomainError as error:
            messages.error(request, error.message)
        return redirect(reverse("volunteers:office-slot", args=[slot.pk]) + _keep_query(request))
    assigned = slot.assignments.select_related(
        "application__university", "duty", "created_by"
    ).order_by("application__name")
    q = request.GET.get("q", "").strip()[:SEARCH_MAX_LENGTH]
    candidates = []
    if q:
        found = Application.objects.filter(
            summit=summit, status=ApplicationStatus.SELECTED
        ).exclude(pk__in=assigned.values("application_id"))
        for word in q.split():
            found = found.filter(
                Q(name__icontains=word)
                | Q(student_number__icontains=word)
                | Q(phone__icontains=word)
            )
        candidates = list(found.select_related("university").order_by("name")[:CANDIDATES_SHOWN])
        for candidate in candidates:
            candidate.languages_text = _languages_text(candidate.languages)
    return _office(
        request,
        "volunteers/office/slot.html",
        summit,
        "office-roster",
        slot=slot,
        assigned=assigned,
        q=q,
        candidates=candidates,
        day=slot.shift.start.astimezone(summit.tz).date(),
    )


def _int_or_none(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None


def _uuid_or_404(value) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Http404(_("There is no such volunteer.")) from None


def _keep_query(request: HttpRequest) -> str:
    q = request.POST.get("q", "").strip()[:SEARCH_MAX_LENGTH]
    return f"?{urlencode({'q': q})}" if q else ""


# --- Training ----------------------------------------------------------------------------------
@office_page(rules.can_manage_volunteers)
def office_training(request: HttpRequest) -> HttpResponse:
    summit = _summit(request)
    sessions = list(
        TrainingSession.objects.filter(summit=summit)
        .prefetch_related("posts")
        .annotate(attended=Count("attendances", filter=Q(attendances__attended=True)))
    )
    for session in sessions:
        # Posts of one kind at several venues share a name: each name once.
        names = (localized(post.name) for post in session.posts.all())
        session.post_names = list(dict.fromkeys(names))
    return _office(
        request, "volunteers/office/training.html", summit, "office-training", sessions=sessions
    )


@office_page(rules.can_manage_volunteers)
def office_training_session(request: HttpRequest, pk: int) -> HttpResponse:
    """The attendance sheet of one session: the selected volunteers on its posts (everyone
    selected when it qualifies for no post in particular), ticked as they came."""
    summit = _summit(request)
    session = get_object_or_404(
        TrainingSession.objects.prefetch_related("posts"), summit=summit, pk=pk
    )
    volunteers = Application.objects.filter(
        summit=summit, status=ApplicationStatus.SELECTED
    ).select_related("university")
    posts = list(session.posts.all())
    if posts:
        volunteers = volunteers.filter(assignments__post_shift__post__in=posts).distinct()
    q = request.GET.get("q", request.POST.get("q", "")).strip()[:SEARCH_MAX_LENGTH]
    for word in q.split():
        volunteers = volunteers.filter(Q(name__icontains=word) | Q(student_number__icontains=word))
    page, page_range = _page(request, volunteers.order_by("name", "id"))
    attended = dict(
        session.attendances.filter(application__in=page.object_list).values_list(
            "application_id", "attended"
        )
    )
    if request.method == "POST":
        ticked = set(request.POST.getlist("attended"))
        shown = {str(a.public_id): a for a in page.object_list}
        changed = 0
        try:
            for public_id, application in shown.items():
                now_attended = public_id in ticked
                if attended.get(application.pk, False) != now_attended:
                    services.record_attendance(session, application, now_attended, by=request.user)
                    changed += 1
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)d attendance recorded.", "%(count)d attendances recorded.", changed
                )
                % {"count": changed},
            )
        query = urlencode({k: v for k, v in {"q": q, "page": page.number}.items() if v})
        return redirect(reverse("volunteers:office-training-session", args=[pk]) + f"?{query}")
    rows = [(application, attended.get(application.pk, False)) for application in page.object_list]
    return _office(
        request,
        "volunteers/office/training_session.html",
        summit,
        "office-training",
        session=session,
        posts=posts,
        rows=rows,
        page=page,
        page_range=page_range,
        page_query=f"?{urlencode({'q': q} if q else {})}&page=",
        q=q,
    )


# --- On duty, no-shows, trajectories --------------------------------------------------------------
def _point(ping, now: dt.datetime, **extra) -> dict:
    """A position for the maps and lists, with its age in seconds."""
    return {
        "lat": ping.lat,
        "lon": ping.lon,
        "at": ping.at.isoformat(),
        "accuracy_m": ping.accuracy_m,
        "age_seconds": max(0, round((now - ping.at).total_seconds())),
        **extra,
    }


@office_page(rules.can_view_positions)
def office_on_duty(request: HttpRequest) -> HttpResponse:
    summit = _summit(request)
    now = timezone.now()
    positions = {item["duty"]: item for item in selectors.current_positions(summit, now=now)}
    duties = list(selectors.on_duty(summit))
    rows = [(duty, positions.get(duty.pk)) for duty in duties]
    stale = services.setting("VOLUNTEER_PING_SECONDS") * 4
    with timezone.override(summit.tz):
        people = [
            {
                "lat": item["lat"],
                "lon": item["lon"],
                "at": item["at"].isoformat(),
                "age_seconds": item["age_seconds"],
                "accuracy_m": item["accuracy_m"],
                "inside": item["inside_geofence"],
                "label": f"{item['name']} · {localized(item['post'].name)}",
            }
            for item in positions.values()
        ]
    return _office(
        request,
        "volunteers/office/on_duty.html",
        summit,
        "office-on-duty",
        fragment="volunteers/office/_on_duty_results.html",
        rows=rows,
        people=people,
        stale_seconds=stale,
        refresh_seconds=services.setting("VOLUNTEER_PING_SECONDS"),
        outside=sum(1 for duty in duties if duty.inside_geofence is False),
    )


@office_page(rules.can_manage_volunteers)
def office_no_shows(request: HttpRequest) -> HttpResponse:
    summit = _summit(request)
    records = list(selectors.no_shows(summit)[:500])
    repeated = Counter(record.assignment.application_id for record in records)
    return _office(
        request,
        "volunteers/office/no_shows.html",
        summit,
        "office-no-shows",
        records=[(record, repeated[record.assignment.application_id]) for record in records],
        block=services.NO_SHOW_BLOCK,
        grace=services.setting("VOLUNTEER_NO_SHOW_GRACE_MINUTES"),
        volunteers=len(repeated),
    )


@office_page(rules.can_view_positions)
def office_trajectory(request: HttpRequest, public_id) -> HttpResponse:
    summit = _summit(request)
    application = _application(summit, public_id)
    if not rules.can_view_trajectory(request.user, application):
        raise PermissionDenied(_("You may not see this volunteer's trajectory."))
    with timezone.override(summit.tz):
        form = TrajectoryForm(
            request.GET if "start" in request.GET else TrajectoryForm.default_range(summit.tz)
        )
        valid = form.is_valid()
    now = timezone.now()
    points, duties = [], []
    if valid:
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        points = [_point(ping, now) for ping in selectors.trajectory(application, start, end)]
        duties = (
            DutyRecord.objects.filter(assignment__application=application, signed_in_at__lt=end)
            .filter(Q(signed_out_at__isnull=True) | Q(signed_out_at__gt=start))
            .select_related("assignment__post_shift__post__venue", "assignment__post_shift__shift")
            .order_by("signed_in_at")
        )
        log_action(
            application,
            "volunteers.trajectory_viewed",
            by=request.user,
            data={"from": start.isoformat(), "to": end.isoformat(), "points": len(points)},
        )
    venue = next((duty.assignment.post_shift.post.venue for duty in duties), None)
    return _office(
        request,
        "volunteers/office/trajectory.html",
        summit,
        "office-on-duty",
        application=application,
        form=form,
        points=points,
        rows=[{**point, "at": dt.datetime.fromisoformat(point["at"])} for point in points[-500:]],
        duties=duties,
        highlight=venue.slug if venue else "",
        status=200 if valid else 400,
        can_manage=rules.can_manage_volunteers(request.user),
    )
