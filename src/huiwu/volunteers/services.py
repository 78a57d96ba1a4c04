"""Every write of the volunteers app: one function per use case, each in its own transaction.

Two kinds of data must never go wrong here:

- **A slot's headcount.** ``assign_manually`` and the write phase of ``run_roster`` lock the
  ``PostShift`` rows first (``SELECT … FOR UPDATE``; on SQLite every write transaction starts
  with ``BEGIN IMMEDIATE`` and so runs alone), then count and write. A manual edit racing the
  solver waits for it and then sees its assignments.
- **A duty is recorded once.** ``sign_in`` locks the assignment's row and a duty record is unique
  per assignment, so two sign-ins at once (a double tap, two phones) record one.

Positions are personal data (行踪轨迹 under PIPL): they are recorded only with the volunteer's
separate consent, only while signed in, from the volunteer's own session, and purged after the
retention period.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from huiwu.core.i18n import localized
from huiwu.core.services import DomainError, log_action
from huiwu.summit.models import Summit
from huiwu.volunteers import geo, rostering, selection, signals
from huiwu.volunteers.languages import ISO_639_1, MAX_LEVEL, MIN_LEVEL, normalise_code
from huiwu.volunteers.models import (
    Application,
    ApplicationStatus,
    Assignment,
    AssignmentSource,
    Decision,
    DutyRecord,
    HoursCorrection,
    Interview,
    InterviewRound,
    PositionPing,
    Post,
    PostKind,
    PostShift,
    RosterRun,
    SelectionExplanation,
    SelectionRun,
    Shift,
    Skill,
    TrainingAttendance,
    TrainingSession,
    University,
)
from huiwu.volunteers.selectors import no_show_count, selection_error_text


class VolunteerError(DomainError):
    """A request of an applicant, a volunteer or the office that breaks a rule of the app."""


# --- Settings ------------------------------------------------------------------------------------

DEFAULTS = {
    "VOLUNTEER_PING_SECONDS": 30,
    "VOLUNTEER_POSITION_RETENTION_DAYS": 30,
    "VOLUNTEER_NO_SHOW_GRACE_MINUTES": 15,
    "VOLUNTEER_EARLY_SIGN_IN_HOURS": 2,
    "VOLUNTEER_MAX_HOURS_PER_DAY": 8,
    "VOLUNTEER_MIN_REST_HOURS": 1,
    # How far outside a venue's outline a sign-in still counts as inside (GPS error), and the
    # radius around a venue's point when it has no outline.
    "VOLUNTEER_GEOFENCE_TOLERANCE_M": 30,
    "VOLUNTEER_GEOFENCE_RADIUS_M": 150,
    # A phone may send a position it could not send at once (a dead spot), up to this late.
    "VOLUNTEER_POSITION_MAX_DELAY_MINUTES": 60,
}
#: A position stamped further ahead than this (or before the sign-in by more) is refused: the
#: phone's clock is wrong.
FUTURE_TOLERANCE = dt.timedelta(minutes=2)
#: No-shows from which a volunteer can no longer change their own application or shifts.
NO_SHOW_BLOCK = 2


def setting(name: str):
    """A volunteers setting from ``settings.py``, else its default above."""
    return getattr(settings, name, DEFAULTS[name])


# --- Applications --------------------------------------------------------------------------------

#: The fields an applicant fills in, in the order the form asks for them.
APPLICANT_FIELDS = (
    "name",
    "gender",
    "phone",
    "email",
    "university",
    "student_number",
    "languages",
    "skills",
    "experience",
    "availability",
    "tshirt_size",
    "emergency_name",
    "emergency_phone",
    "photo",
)
#: Statuses in which the applicant may still change the application.
EDITABLE = {ApplicationStatus.SUBMITTED, ApplicationStatus.SHORTLISTED}
#: Statuses that take part in selection.
IN_SELECTION = [
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.SHORTLISTED,
    ApplicationStatus.SELECTED,
    ApplicationStatus.RESERVE,
    ApplicationStatus.REJECTED,
]
PHONE = re.compile(r"^\+?[0-9][0-9 \-]{5,22}[0-9]$")
TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")
#: An applicant may offer days from a week before the summit (training) to its last day.
DAYS_BEFORE = 7


def clean_languages(value) -> list[dict]:
    """``[{"code": "EN", "level": "4"}]`` → ``[{"code": "en", "level": 4}]``; raises
    ``ValidationError`` naming unknown codes, bad levels and repeats."""
    if not isinstance(value, list) or not value:
        raise ValidationError(_("Give at least one language with its level."))
    cleaned: dict[str, int] = {}
    for item in value:
        if not isinstance(item, dict) or "code" not in item:
            raise ValidationError(_('Give each language as {"code": …, "level": 1 to 5}.'))
        code = normalise_code(item["code"])
        if code not in ISO_639_1:
            raise ValidationError(
                _("“%(code)s” is not a language code; use ISO 639-1 codes such as zh, en, fr.")
                % {"code": item["code"]}
            )
        try:
            level = int(item.get("level"))
        except (TypeError, ValueError):
            level = 0
        if not MIN_LEVEL <= level <= MAX_LEVEL:
            raise ValidationError(
                _("Give the level of %(code)s as a number from 1 to 5.") % {"code": code}
            )
        if code in cleaned:
            raise ValidationError(_("%(code)s is given twice.") % {"code": code})
        cleaned[code] = level
    return [{"code": code, "level": level} for code, level in cleaned.items()]


def clean_skills(value) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(skill, str) for skill in value):
        raise ValidationError(_("Give the skills as a list."))
    unknown = [skill for skill in value if skill not in Skill.values]
    if unknown:
        raise ValidationError(
            _("Unknown skill: %(skills)s. Choose among: %(choices)s.")
            % {"skills": ", ".join(unknown), "choices": ", ".join(Skill.values)}
        )
    return list(dict.fromkeys(value))


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def clean_availability(value, summit: Summit) -> list[dict]:
    """Days and hours on which the applicant can work, each on a day from a week before the
    summit to its last day, each ending after it starts."""
    if not isinstance(value, list) or not value:
        raise ValidationError(_("Give at least one day and the hours you are free on it."))
    first = summit.start_date - dt.timedelta(days=DAYS_BEFORE)
    cleaned = []
    for item in value:
        if not isinstance(item, dict):
            raise ValidationError(_('Give each period as {"date", "from", "to"}.'))
        try:
            day = dt.date.fromisoformat(str(item.get("date", "")))
        except ValueError:
            raise ValidationError(
                _("“%(value)s” is not a date; write it as YYYY-MM-DD.")
                % {"value": item.get("date", "")}
            ) from None
        if not first <= day <= summit.end_date:
            raise ValidationError(
                _("%(day)s is not a day of the summit; give days from %(first)s to %(last)s.")
                % {"day": day, "first": first, "last": summit.end_date}
            )
        start, end = str(item.get("from", "")), str(item.get("to", ""))
        if not TIME.match(start) or not TIME.match(end):
            raise ValidationError(_("Write the hours as HH:MM, for example 08:00 and 17:30."))
        if _minutes(end) <= _minutes(start):
            raise ValidationError(
                _(
                    "On %(day)s you are free from %(start)s to %(end)s: the end must come after "
                    "the start."
                )
                % {"day": day, "start": start, "end": end}
            )
        cleaned.append({"date": day.isoformat(), "from": start, "to": end})
    cleaned.sort(key=lambda period: (period["date"], period["from"]))
    for before, after in itertools.pairwise(cleaned):
        if before["date"] == after["date"] and _minutes(after["from"]) < _minutes(before["to"]):
            raise ValidationError(
                _("Two periods overlap on %(day)s; join them into one.") % {"day": before["date"]}
            )
    return cleaned


def check_application(application: Application) -> None:
    """Raise a ``ValidationError`` with every problem of an unsaved ``application`` at once (for
    forms and the import), normalising the JSON fields in place."""
    errors: dict[str, list] = {}
    cleaners = {
        "languages": clean_languages,
        "skills": clean_skills,
        "availability": lambda value: clean_availability(value, application.summit),
    }
    for field, clean in cleaners.items():
        try:
            setattr(application, field, clean(getattr(application, field)))
        except ValidationError as error:
            errors.setdefault(field, []).extend(error.messages)
    for field in ("phone", "emergency_phone"):
        value = getattr(application, field)
        if value and not PHONE.match(value.strip()):
            errors.setdefault(field, []).append(
                _("“%(value)s” is not a phone number; write digits, e.g. 13800138000.")
                % {"value": value}
            )
    application.student_number = (application.student_number or "").strip()
    application.email = (application.email or "").strip().lower()
    try:
        application.full_clean(exclude=["photo", "user", *errors])
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _as_error(error: ValidationError) -> VolunteerError:
    field, messages = next(iter(error.message_dict.items()))
    return VolunteerError(messages[0], field=None if field == "__all__" else field)


def _set_consent(application: Application, consent: bool) -> None:
    if application.location_consent != consent:
        application.location_consent = consent
        application.location_consent_at = timezone.now()


def _account(email: str, password: str | None):
    User = get_user_model()
    if User.objects.filter(username__iexact=email).exists():
        raise VolunteerError(
            _("An account with this e-mail address exists already; log in to apply with it."),
            field="email",
        )
    user = User(username=email, email=email)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user


@transaction.atomic
def apply(
    summit: Summit,
    data: dict,
    *,
    location_consent: bool = False,
    user=None,
    password: str | None = None,
    by=None,
) -> Application:
    """Submit an application. Without ``user``, an account is created for the applicant (login
    is the e-mail address; ``password``, else unusable until reset) to follow the status and
    later sign in on duty. Raises ``VolunteerError`` naming the first problem; nothing is
    written then."""
    unknown = set(data) - set(APPLICANT_FIELDS)
    if unknown:
        raise VolunteerError(_("Unknown fields: %(fields)s.") % {"fields": ", ".join(unknown)})
    application = Application(summit=summit, **data)
    _set_consent(application, bool(location_consent))
    try:
        check_application(application)
    except ValidationError as error:
        raise _as_error(error) from None
    if user is not None and (
        Application.objects.filter(summit=summit, user=user)
        .exclude(status=ApplicationStatus.WITHDRAWN)
        .exists()
    ):
        raise VolunteerError(_("You have already applied to this summit."))
    application.user = user or _account(application.email, password)
    application.save()
    log_action(application, "volunteers.applied", by=by or application.user)
    return application


def _check_self_service(application: Application, by) -> None:
    """Volunteers with repeated no-shows may no longer change things themselves (the office
    still may, for them)."""
    if (
        by is not None
        and by.pk == application.user_id
        and no_show_count(application) >= (NO_SHOW_BLOCK)
    ):
        raise VolunteerError(
            _(
                "You missed %(count)d shifts without signing in, so changes now go through the "
                "volunteer office; please contact them."
            )
            % {"count": no_show_count(application)}
        )


@transaction.atomic
def update_application(application: Application, data: dict, *, by=None) -> Application:
    """Change the applicant's own fields while the application is undecided."""
    _check_self_service(application, by)
    if application.status not in EDITABLE:
        raise VolunteerError(
            _(
                "This application has been decided and can no longer be changed; please write "
                "to the volunteer office."
            )
        )
    unknown = set(data) - set(APPLICANT_FIELDS)
    if unknown:
        raise VolunteerError(_("Unknown fields: %(fields)s.") % {"fields": ", ".join(unknown)})
    saved = Application.objects.get(pk=application.pk)
    for field, value in data.items():
        setattr(application, field, value)
    try:
        check_application(application)
    except ValidationError as error:
        for field in data:
            setattr(application, field, getattr(saved, field))
        raise _as_error(error) from None
    application.save()
    log_action(application, "volunteers.updated", by=by, data={"fields": sorted(data)})
    return application


@transaction.atomic
def set_location_consent(application: Application, consent: bool, *, by=None) -> Application:
    """Give or withdraw the consent to location on duty; always possible, always logged.
    Withdrawing it stops recording at once; what was recorded stays until the purge."""
    _set_consent(application, consent)
    application.save(update_fields=["location_consent", "location_consent_at", "updated_at"])
    log_action(application, "volunteers.location_consent", by=by, data={"consent": consent})
    return application


@transaction.atomic
def withdraw(application: Application, *, by=None) -> Application:
    """The applicant steps back. Assignments to shifts not yet begun are freed (re-roster to
    fill them); duties already done stay on record."""
    if application.status == ApplicationStatus.WITHDRAWN:
        raise VolunteerError(_("This application has already been withdrawn."))
    freed = Assignment.objects.filter(
        application=application, post_shift__shift__start__gt=timezone.now()
    ).exclude(duty__signed_in_at__isnull=False)
    count = freed.count()
    freed.delete()
    application.status = ApplicationStatus.WITHDRAWN
    application.save(update_fields=["status", "updated_at"])
    log_action(application, "volunteers.withdrawn", by=by, data={"freed_assignments": count})
    return application


# --- Assessment ----------------------------------------------------------------------------------

#: Share of the rubric in the total score when there are interviews; the interviews' mean
#: makes the rest.
RUBRIC_WEIGHT = Decimal("0.4")


def _score(value, field: str) -> Decimal:
    try:
        score = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise VolunteerError(_("Give the score as a number from 0 to 100."), field=field) from None
    if not Decimal(0) <= score <= Decimal(100):
        raise VolunteerError(_("Give the score as a number from 0 to 100."), field=field)
    return score


def _total(application: Application) -> Decimal | None:
    interviews = [interview.score for interview in application.interviews.all()]
    if application.rubric_score is None and not interviews:
        return None
    if not interviews:
        return application.rubric_score
    mean = sum(interviews) / len(interviews)
    if application.rubric_score is None:
        return mean.quantize(Decimal("0.01"))
    total = RUBRIC_WEIGHT * application.rubric_score + (1 - RUBRIC_WEIGHT) * mean
    return total.quantize(Decimal("0.01"))


def _active(application: Application) -> None:
    if application.status == ApplicationStatus.WITHDRAWN:
        raise VolunteerError(_("This application has been withdrawn."))


@transaction.atomic
def score_application(application: Application, rubric_score, *, by=None) -> Application:
    """The office's rubric score (0 to 100); the total score follows."""
    _active(application)
    application.rubric_score = _score(rubric_score, "rubric_score")
    application.score = _total(application)
    application.save(update_fields=["rubric_score", "score", "updated_at"])
    log_action(
        application, "volunteers.scored", by=by, data={"rubric": str(application.rubric_score)}
    )
    return application


@transaction.atomic
def record_interview(
    application: Application, round: int, score, notes: str = "", *, by=None
) -> Interview:
    """Record (or correct) the interview of ``round``; the second needs the first, and only
    shortlisted applicants get it."""
    _active(application)
    if round not in InterviewRound.values:
        raise VolunteerError(_("The interview round is 1 or 2."), field="round")
    if round == InterviewRound.SECOND:
        if not application.interviews.filter(round=InterviewRound.FIRST).exists():
            raise VolunteerError(_("Record the first interview first."), field="round")
        if application.status == ApplicationStatus.SUBMITTED:
            raise VolunteerError(
                _("Shortlist the applicant before the second interview."), field="round"
            )
    interview, _created = Interview.objects.update_or_create(
        application=application,
        round=round,
        defaults={"score": _score(score, "score"), "notes": notes.strip(), "interviewer": by},
    )
    application.score = _total(application)
    application.save(update_fields=["score", "updated_at"])
    log_action(
        application,
        "volunteers.interviewed",
        by=by,
        data={"round": round, "score": str(interview.score)},
    )
    return interview


@transaction.atomic
def shortlist(applications: QuerySet[Application], *, by=None) -> int:
    """Move submitted applicants to the shortlist (for the second interview)."""
    ids = list(applications.filter(status=ApplicationStatus.SUBMITTED).values_list("pk", flat=True))
    Application.objects.filter(pk__in=ids).update(
        status=ApplicationStatus.SHORTLISTED, updated_at=timezone.now()
    )
    for application in Application.objects.filter(pk__in=ids):
        log_action(application, "volunteers.shortlisted", by=by)
    return len(ids)


# --- Selection -----------------------------------------------------------------------------------

#: The skills each kind of post needs, so that selection can count candidates per post type.
POST_KIND_SKILLS: dict[str, frozenset[str]] = {
    PostKind.REGISTRATION_DESK: frozenset(),
    PostKind.FORUM_STEWARD: frozenset(),
    PostKind.INFORMATION_DESK: frozenset(),
    PostKind.GUIDE: frozenset(),
    PostKind.EXPO_GUIDE: frozenset(),
    PostKind.INTERPRETER: frozenset({Skill.INTERPRETING}),
    PostKind.PRESS_AIDE: frozenset({Skill.PRESS}),
    PostKind.VIP_ESCORT: frozenset({Skill.PROTOCOL}),
    PostKind.MEDICAL_AIDE: frozenset({Skill.FIRST_AID}),
    PostKind.DRIVER: frozenset({Skill.DRIVING}),
    PostKind.IT_SUPPORT: frozenset({Skill.IT}),
}
QUOTA_KINDS = ("university", "language", "post_type")


def post_types(skills) -> frozenset[str]:
    have = set(skills)
    return frozenset(kind for kind, needs in POST_KIND_SKILLS.items() if needs <= have)


def _int(value, field: str, *, minimum: int = 0) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = minimum - 1
    if number < minimum:
        raise VolunteerError(
            _("Give a whole number of at least %(minimum)d.") % {"minimum": minimum}, field=field
        )
    return number


def clean_quotas(quotas, summit: Summit) -> list[selection.Quota]:
    """Quotas as the office gives them (``{"kind", "value", "minimum", "maximum",
    "min_level"}``) → ``selection.Quota``; names the first bad one."""
    if not isinstance(quotas, list):
        raise VolunteerError(_("Give the quotas as a list."), field="quotas")
    universities = set(University.objects.values_list("short_name", flat=True))
    cleaned = []
    for number, quota in enumerate(quotas, start=1):
        field = f"quotas.{number}"
        if not isinstance(quota, dict) or quota.get("kind") not in QUOTA_KINDS:
            raise VolunteerError(
                _("Quota %(number)d: its kind is one of university, language, post_type.")
                % {"number": number},
                field=field,
            )
        kind, value = quota["kind"], str(quota.get("value", "")).strip()
        if kind == "language":
            value = normalise_code(value)
        known = {
            "university": universities,
            "language": ISO_639_1,
            "post_type": set(PostKind.values),
        }[kind]
        if value not in known:
            raise VolunteerError(
                _("Quota %(number)d: “%(value)s” is not a known %(kind)s.")
                % {"number": number, "value": value, "kind": kind},
                field=field,
            )
        minimum = _int(quota.get("minimum") or 0, field)
        maximum = quota.get("maximum")
        maximum = None if maximum in (None, "") else _int(maximum, field)
        if maximum is not None and maximum < minimum:
            raise VolunteerError(
                _("Quota %(number)d: the maximum is below the minimum.") % {"number": number},
                field=field,
            )
        level = _int(quota.get("min_level") or 1, field, minimum=MIN_LEVEL)
        if level > MAX_LEVEL:
            raise VolunteerError(_("Language levels go from 1 to 5."), field=field)
        cleaned.append(selection.Quota(kind, value, minimum, maximum, level))
    return cleaned


def candidates(summit: Summit) -> list[selection.Candidate]:
    """Every applicant still in the running, as the selection sees them (unscored count 0)."""
    rows = Application.objects.filter(summit=summit, status__in=IN_SELECTION).values_list(
        "pk", "score", "university__short_name", "languages", "skills"
    )
    return [
        selection.Candidate(
            key=pk,
            score=float(score or 0),
            university=university,
            languages={item["code"]: item["level"] for item in languages},
            post_types=post_types(skills),
        )
        for pk, score, university, languages, skills in rows
    ]


def run_selection(
    summit: Summit,
    n: int,
    quotas: list | None = None,
    *,
    reserve_ratio: float = 0.2,
    by=None,
    apply: bool = True,
) -> SelectionRun:
    """Select ``n`` applicants maximising the total score under ``quotas``, with a reserve list
    of ``round(n * reserve_ratio)`` (over-recruitment for drop-outs), and record an explanation
    for every applicant. With ``apply``, the decisions become the applications' statuses
    (selected, reserve, rejected) — not yet told to them: ``notify_decisions`` does."""
    n = _int(n, "n", minimum=1)
    if not 0 <= float(reserve_ratio) <= 1:
        raise VolunteerError(_("The reserve ratio is between 0 and 1."), field="reserve_ratio")
    quota_list = clean_quotas(quotas or [], summit)
    pool = candidates(summit)
    try:
        result = selection.select(pool, n, quota_list, reserve_ratio=float(reserve_ratio))
    except selection.SelectionError as error:
        field = "n" if error.code == "not_enough_candidates" else "quotas"
        raise VolunteerError(selection_error_text(error.code, error.params), field=field) from None
    decisions = result.explanations
    with transaction.atomic():
        run = SelectionRun.objects.create(
            summit=summit,
            size=n,
            reserve_ratio=float(reserve_ratio),
            quotas=quotas or [],
            selected=len(result.selected),
            reserve=len(result.reserve),
            total_score=result.total_score,
            by=by,
        )
        SelectionExplanation.objects.bulk_create(
            SelectionExplanation(
                run=run,
                application_id=key,
                decision=item.decision,
                code=item.code,
                params=item.params,
            )
            for key, item in decisions.items()
        )
        if apply:
            _apply_selection(run, decisions)
        log_action(run, "volunteers.selection_run", by=by, data={"n": n, "applied": apply})
    return run


STATUS_OF_DECISION = {
    Decision.SELECTED: ApplicationStatus.SELECTED,
    Decision.RESERVE: ApplicationStatus.RESERVE,
    Decision.NOT_SELECTED: ApplicationStatus.REJECTED,
}


def _apply_selection(run: SelectionRun, decisions: dict) -> None:
    now = timezone.now()
    for decision, status in STATUS_OF_DECISION.items():
        keys = [key for key, item in decisions.items() if item.decision == decision]
        changed = Application.objects.filter(pk__in=keys).exclude(status=status)
        changed.update(status=status, decided_at=now, notified_at=None, updated_at=now)
    # Volunteers no longer selected keep no future shifts.
    Assignment.objects.filter(
        post_shift__shift__summit=run.summit, post_shift__shift__start__gt=now
    ).exclude(application__status=ApplicationStatus.SELECTED).delete()
    run.applied = True
    run.save(update_fields=["applied"])


@transaction.atomic
def apply_selection(run: SelectionRun, *, by=None) -> SelectionRun:
    """Make a run that was only previewed the applications' decisions."""
    if run.applied:
        raise VolunteerError(_("This selection has already been applied."))
    newer = SelectionRun.objects.filter(summit=run.summit, at__gt=run.at).exists()
    if newer:
        raise VolunteerError(_("A newer selection exists; apply that one or run a new one."))
    decisions = {e.application_id: e for e in run.explanations.all()}
    _apply_selection(run, decisions)
    log_action(run, "volunteers.selection_applied", by=by)
    return run


NOTIFY_STATUSES = [
    ApplicationStatus.SELECTED,
    ApplicationStatus.RESERVE,
    ApplicationStatus.REJECTED,
]


def _decision_mail(application: Application) -> tuple[str, str]:
    summit = localized(application.summit.name)
    if application.status == ApplicationStatus.SELECTED:
        subject = _("You are a volunteer of %(summit)s") % {"summit": summit}
        body = _(
            "Dear %(name)s,\n\nCongratulations: you have been selected as a volunteer of "
            "%(summit)s. Log in with your e-mail address to see your training, posts and "
            "shifts.\n\nThe volunteer office"
        )
    elif application.status == ApplicationStatus.RESERVE:
        subject = _("You are on the reserve list of %(summit)s") % {"summit": summit}
        body = _(
            "Dear %(name)s,\n\nYou are on the reserve list of the volunteers of %(summit)s: we "
            "will write to you if a place frees up.\n\nThe volunteer office"
        )
    else:
        subject = _("Your volunteer application to %(summit)s") % {"summit": summit}
        body = _(
            "Dear %(name)s,\n\nThank you for applying to volunteer at %(summit)s. We could not "
            "offer you a place this time.\n\nThe volunteer office"
        )
    return subject, body % {"name": application.name, "summit": summit}


def notify_decisions(summit: Summit, *, by=None, language: str = "zh-hans") -> int:
    """E-mail every decided applicant not yet told; returns how many were told."""
    pending = Application.objects.filter(
        summit=summit, status__in=NOTIFY_STATUSES, notified_at__isnull=True
    ).select_related("summit")
    told = 0
    for application in pending.iterator():
        with translation.override(language):
            subject, body = _decision_mail(application)
        with transaction.atomic():
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [application.email])
            Application.objects.filter(pk=application.pk).update(notified_at=timezone.now())
        told += 1
    if told:
        log_action(summit, "volunteers.notified", by=by, data={"count": told})
    return told


# --- Posts, shifts, training ---------------------------------------------------------------------


def _save_checked(obj, name: str, *, by) -> None:
    """Check ``obj`` as the model does (a refusal as a domain error), save it and log it as
    ``volunteers.<name>_created`` or ``_changed``."""
    try:
        obj.full_clean()
    except ValidationError as error:
        raise _as_error(error) from None
    creating = obj.pk is None
    obj.save()
    log_action(obj, f"volunteers.{name}_{'created' if creating else 'changed'}", by=by)


def _clean_post_requirements(post: Post) -> None:
    try:
        post.required_skills = clean_skills(post.required_skills)
    except ValidationError as error:
        raise VolunteerError(error.messages[0], field="required_skills") from None
    if not isinstance(post.required_languages, list):
        raise VolunteerError(_("Give the languages as a list."), field="required_languages")
    codes = [normalise_code(code) for code in post.required_languages]
    unknown = [code for code in codes if code not in ISO_639_1]
    if unknown:
        raise VolunteerError(
            _("“%(code)s” is not a language code; use ISO 639-1 codes such as zh, en, fr.")
            % {"code": unknown[0]},
            field="required_languages",
        )
    post.required_languages = list(dict.fromkeys(codes))


@transaction.atomic
def save_post(post: Post, *, by=None) -> Post:
    """Create or change a post; its venue and room must be the summit's."""
    _clean_post_requirements(post)
    if post.venue.summit_id != post.summit_id:
        raise VolunteerError(_("The venue belongs to another summit."), field="venue")
    if post.room is not None and post.room.venue_id != post.venue_id:
        raise VolunteerError(_("The room is in another venue."), field="room")
    _save_checked(post, "post", by=by)
    return post


@transaction.atomic
def save_shift(shift: Shift, *, by=None) -> Shift:
    """Create or change a shift; it must lie on the summit's days (or the week before, for
    set-up) and end after it starts."""
    if shift.start is None or shift.end is None or shift.end <= shift.start:
        raise VolunteerError(_("The shift must end after it starts."), field="end")
    if shift.end - shift.start > dt.timedelta(hours=16):
        raise VolunteerError(_("A shift lasts at most 16 hours; split it."), field="end")
    summit = shift.summit
    first = summit.start_date - dt.timedelta(days=DAYS_BEFORE)
    local = shift.start.astimezone(summit.tz).date()
    if not first <= local <= summit.end_date:
        raise VolunteerError(
            _("The shift must start between %(first)s and %(last)s.")
            % {"first": first, "last": summit.end_date},
            field="start",
        )
    if (
        shift.pk
        and shift.post_shifts.filter(assignments__duty__signed_in_at__isnull=False).exists()
    ):
        raise VolunteerError(
            _("Volunteers have already signed in for this shift; it can no longer move."),
            field="start",
        )
    _save_checked(shift, "shift", by=by)
    return shift


@transaction.atomic
def set_headcount(post: Post, shift: Shift, headcount: int, *, by=None) -> PostShift | None:
    """How many volunteers ``post`` needs during ``shift``; 0 removes the slot. Never below the
    volunteers already assigned to it: unassign them first."""
    headcount = _int(headcount, "headcount")
    if post.summit_id != shift.summit_id:
        raise VolunteerError(_("The post and the shift belong to different summits."))
    slot = PostShift.objects.select_for_update().filter(post=post, shift=shift).first()
    assigned = slot.assignments.count() if slot else 0
    if headcount < assigned:
        raise VolunteerError(
            _("%(count)d volunteers are already assigned to this slot; unassign some first.")
            % {"count": assigned},
            field="headcount",
        )
    if headcount == 0:
        if slot is not None:
            slot.delete()
        return None
    if slot is None:
        slot = PostShift.objects.create(post=post, shift=shift, headcount=headcount)
    else:
        slot.headcount = headcount
        slot.save(update_fields=["headcount"])
    log_action(slot, "volunteers.headcount", by=by, data={"headcount": headcount})
    return slot


@transaction.atomic
def record_attendance(
    session: TrainingSession, application: Application, attended: bool = True, *, by=None
) -> TrainingAttendance:
    """Record whether a volunteer attended a training session (a second call corrects it)."""
    if application.summit_id != session.summit_id:
        raise VolunteerError(_("This volunteer applied to another summit."))
    if application.status != ApplicationStatus.SELECTED:
        raise VolunteerError(_("Only selected volunteers attend training."))
    record, _created = TrainingAttendance.objects.update_or_create(
        session=session,
        application=application,
        defaults={"attended": attended, "recorded_by": by},
    )
    log_action(
        application,
        "volunteers.training",
        by=by,
        data={"session": session.pk, "attended": attended},
    )
    return record


def trained_posts(application: Application) -> set[int]:
    return set(
        TrainingSession.posts.through.objects.filter(
            trainingsession__attendances__application=application,
            trainingsession__attendances__attended=True,
        ).values_list("post_id", flat=True)
    )


# --- Roster --------------------------------------------------------------------------------------


def language_tokens(languages) -> frozenset[str]:
    """A volunteer's languages as the roster compares them: ``en:1`` … ``en:4`` for English
    at level 4, so that a post asking ``en:3`` accepts levels 3 and up."""
    return frozenset(
        f"{item['code']}:{level}" for item in languages for level in range(1, item["level"] + 1)
    )


def availability_windows(availability, tz) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
    windows = []
    for period in availability:
        day = dt.date.fromisoformat(period["date"])
        start = dt.datetime.combine(day, dt.time.min, tzinfo=tz) + dt.timedelta(
            minutes=_minutes(period["from"])
        )
        end = dt.datetime.combine(day, dt.time.min, tzinfo=tz) + dt.timedelta(
            minutes=_minutes(period["to"])
        )
        windows.append((start, end))
    return tuple(windows)


def _roster_input(summit: Summit, now: dt.datetime):
    slots_qs = PostShift.objects.filter(shift__summit=summit, shift__end__gt=now).select_related(
        "post", "shift"
    )
    slots = [
        rostering.Slot(
            key=slot.pk,
            post=slot.post_id,
            # The solver counts hours per calendar day: the summit's local days.
            start=slot.shift.start.astimezone(summit.tz),
            end=slot.shift.end.astimezone(summit.tz),
            headcount=slot.headcount,
            skills=frozenset(slot.post.required_skills),
            languages=frozenset(
                f"{code}:{slot.post.min_language_level}" for code in slot.post.required_languages
            ),
            needs_training=slot.post.needs_training,
        )
        for slot in slots_qs
    ]
    trained: dict[int, set[int]] = {}
    for application_id, post_id in TrainingSession.posts.through.objects.filter(
        trainingsession__summit=summit,
        trainingsession__attendances__attended=True,
    ).values_list("trainingsession__attendances__application_id", "post_id"):
        trained.setdefault(application_id, set()).add(post_id)
    volunteers = [
        rostering.Volunteer(
            key=pk,
            skills=frozenset(skills),
            languages=language_tokens(languages),
            available=availability_windows(availability, summit.tz),
            trained_posts=frozenset(trained.get(pk, ())),
        )
        for pk, skills, languages, availability in Application.objects.filter(
            summit=summit, status=ApplicationStatus.SELECTED
        ).values_list("pk", "skills", "languages", "availability")
    ]
    return volunteers, slots


def run_roster(summit: Summit, *, by=None, time_limit: float = 30.0, now=None) -> RosterRun:
    """Assign the selected volunteers to the slots of shifts not yet over (``rostering.roster``).
    Manual assignments and those of shifts already begun are kept; the solver's earlier
    assignments are changed as little as possible (drop-outs). Slots are locked while the
    result is written, so a manual edit at the same moment never over-fills one."""
    now = now or timezone.now()
    volunteers, slots = _roster_input(summit, now)
    current = list(
        Assignment.objects.filter(post_shift__in=[slot.key for slot in slots]).values_list(
            "application_id", "post_shift_id", "source", "post_shift__shift__start"
        )
    )
    keep = {(a, s) for a, s, source, start in current if source == "manual" or start <= now}
    previous = {(a, s) for a, s, source, start in current if source == "solver"}
    selected = {volunteer.key for volunteer in volunteers}
    keep = {(a, s) for a, s in keep if a in selected}
    started = timezone.now()
    try:
        result = _solve(volunteers, slots, keep, previous, time_limit)
    except rostering.RosterError as error:
        if error.code != "keep_breaks_rule":
            raise
        # A manual assignment the office made against a rule (someone not available, over the
        # hours): it stays, but the solver plans around it instead of being bound by it.
        kept: dict[int, int] = {}
        for _application, slot_key in keep:
            kept[slot_key] = kept.get(slot_key, 0) + 1
        slots = [
            dataclasses.replace(slot, headcount=slot.headcount - kept.get(slot.key, 0))
            for slot in slots
        ]
        result = _solve(
            volunteers, [slot for slot in slots if slot.headcount > 0], (), previous, time_limit
        )
    seconds = (timezone.now() - started).total_seconds()
    with transaction.atomic():
        changed = _write_roster(
            summit, slots, {tuple(pair) for pair in result.assignments}, by=by, now=now
        )
        run = RosterRun.objects.create(
            summit=summit,
            by=by,
            status=str(result.status),
            coverage=float(result.coverage),
            assigned=len(result.assignments),
            changed=changed,
            seconds=seconds,
            hours_spread={
                "volunteers": len(result.hours),
                "min": round(result.spread.minimum, 2),
                "max": round(result.spread.maximum, 2),
                "mean": round(result.spread.mean, 2),
                "stdev": round(result.spread.stdev, 2),
            },
            unfilled=[
                {
                    "slot": item.slot,
                    "missing": item.missing,
                    "reason": item.reason,
                    "params": item.params,
                }
                for item in result.unfilled
            ],
        )
        log_action(run, "volunteers.rostered", by=by, data={"changed": changed})
    return run


def _solve(volunteers, slots, keep, previous, time_limit) -> rostering.Roster:
    return rostering.roster(
        volunteers,
        slots,
        max_hours_per_day=float(setting("VOLUNTEER_MAX_HOURS_PER_DAY")),
        min_rest_hours=float(setting("VOLUNTEER_MIN_REST_HOURS")),
        keep=keep,
        previous=previous,
        time_limit=time_limit,
    )


def _lock_slots(keys) -> dict[int, PostShift]:
    """Lock the slots in a fixed order (by key), so that two writers never wait on each other
    in a circle."""
    locked = PostShift.objects.select_for_update(of=("self",)).select_related("shift")
    return {slot.pk: slot for slot in locked.filter(pk__in=sorted(keys)).order_by("pk")}


def _write_roster(summit: Summit, slots, wanted: set[tuple[int, int]], *, by, now) -> int:
    locked = _lock_slots(slot.key for slot in slots)
    existing = Assignment.objects.filter(post_shift__in=locked).select_related("post_shift__shift")
    with_duty = set(
        DutyRecord.objects.filter(assignment__in=existing).values_list("assignment_id", flat=True)
    )
    stale = [
        assignment.pk
        for assignment in existing
        if assignment.source == AssignmentSource.SOLVER
        and (assignment.application_id, assignment.post_shift_id) not in wanted
        and assignment.post_shift.shift.start > now
        and assignment.pk not in with_duty
    ]
    Assignment.objects.filter(pk__in=stale).delete()
    # What is there now, after the removals and any manual edit that came in meanwhile.
    filled: dict[int, int] = {}
    busy: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    have = set()
    for application_id, slot_id, start, end in Assignment.objects.filter(
        application__summit=summit
    ).values_list(
        "application_id", "post_shift_id", "post_shift__shift__start", "post_shift__shift__end"
    ):
        filled[slot_id] = filled.get(slot_id, 0) + 1
        busy.setdefault(application_id, []).append((start, end))
        have.add((application_id, slot_id))
    selected = set(
        Application.objects.filter(summit=summit, status=ApplicationStatus.SELECTED).values_list(
            "pk", flat=True
        )
    )
    new = []
    for application_id, slot_id in sorted(wanted - have):
        slot = locked.get(slot_id)
        if slot is None or application_id not in selected:
            continue
        if filled.get(slot_id, 0) >= slot.headcount:
            continue
        window = (slot.shift.start, slot.shift.end)
        if any(s < window[1] and window[0] < e for s, e in busy.get(application_id, ())):
            continue
        new.append(
            Assignment(
                post_shift_id=slot_id,
                application_id=application_id,
                source=AssignmentSource.SOLVER,
                created_by=by,
            )
        )
        filled[slot_id] = filled.get(slot_id, 0) + 1
        busy.setdefault(application_id, []).append(window)
    Assignment.objects.bulk_create(new)
    return len(stale) + len(new)


@transaction.atomic
def assign_manually(post_shift: PostShift, application: Application, *, by=None) -> Assignment:
    """Put a volunteer on a slot by hand (kept by later roster runs). Refused when the slot is
    full, the volunteer is not selected or already busy at that time."""
    # Lock order: the volunteer, then the slot (the solver locks slots only). No key: the
    # solver, holding a slot, writes assignments whose foreign key reads the volunteer's row
    # (FOR KEY SHARE); a plain FOR UPDATE here made the two wait for each other.
    application = Application.objects.select_for_update(no_key=True).get(pk=application.pk)
    slot = _lock_slots([post_shift.pk]).get(post_shift.pk)
    if slot is None:
        raise VolunteerError(_("This slot no longer exists."))
    if application.summit_id != slot.shift.summit_id:
        raise VolunteerError(_("This volunteer applied to another summit."))
    if application.status != ApplicationStatus.SELECTED:
        raise VolunteerError(
            _("%(name)s is not a selected volunteer.") % {"name": application.name}
        )
    if slot.assignments.filter(application=application).exists():
        raise VolunteerError(_("%(name)s is already on this slot.") % {"name": application.name})
    if slot.assignments.count() >= slot.headcount:
        raise VolunteerError(
            _(
                "This slot is full (%(count)d of %(count)d); unassign someone first or raise its "
                "headcount."
            )
            % {"count": slot.headcount}
        )
    clash = (
        Assignment.objects.filter(
            application=application,
            post_shift__shift__start__lt=slot.shift.end,
            post_shift__shift__end__gt=slot.shift.start,
        )
        .select_related("post_shift__post", "post_shift__shift")
        .first()
    )
    if clash is not None:
        raise VolunteerError(
            _("%(name)s already works at that time: %(slot)s.")
            % {"name": application.name, "slot": clash.post_shift}
        )
    assignment = Assignment.objects.create(
        post_shift=slot, application=application, source=AssignmentSource.MANUAL, created_by=by
    )
    log_action(assignment, "volunteers.assigned", by=by, data={"slot": slot.pk})
    return assignment


@transaction.atomic
def unassign(assignment: Assignment, *, by=None) -> None:
    """Take a volunteer off a slot; not once they signed in for it. A volunteer doing it
    themselves must not have repeated no-shows."""
    _check_self_service(assignment.application, by)
    _lock_slots([assignment.post_shift_id])
    if DutyRecord.objects.filter(assignment=assignment, signed_in_at__isnull=False).exists():
        raise VolunteerError(_("The volunteer has signed in for this shift; it stays on record."))
    log_action(
        assignment.application,
        "volunteers.unassigned",
        by=by,
        data={"slot": assignment.post_shift_id},
    )
    assignment.delete()


# --- On duty -------------------------------------------------------------------------------------


def _position(lat, lon, accuracy) -> tuple[float, float, float | None]:
    try:
        lat, lon = float(lat), float(lon)
        accuracy = None if accuracy is None else float(accuracy)
    except (TypeError, ValueError):
        raise VolunteerError(_("The position is not a pair of numbers."), field="lat") from None
    if not geo.valid_position(lat, lon):
        raise VolunteerError(
            _("(%(lat)s, %(lon)s) is not a position on Earth; let the phone locate itself again.")
            % {"lat": lat, "lon": lon},
            field="lat",
        )
    if accuracy is not None and not 0 <= accuracy <= 100_000:
        raise VolunteerError(_("The accuracy must be a number of metres."), field="accuracy_m")
    return lat, lon, accuracy


@dataclass(frozen=True)
class Geofence:
    inside: bool
    distance_m: float


def geofence(venue, lat: float, lon: float) -> Geofence:
    """Whether a position is at ``venue``: inside its outline (with a GPS tolerance), or
    within a radius of its point when it has no outline."""
    if venue.outline:
        distance = geo.distance_to_polygon_m(lat, lon, venue.outline)
        tolerance = float(setting("VOLUNTEER_GEOFENCE_TOLERANCE_M"))
        return Geofence(distance <= tolerance, round(distance, 1))
    distance = geo.haversine_m(lat, lon, float(venue.latitude), float(venue.longitude))
    return Geofence(distance <= float(setting("VOLUNTEER_GEOFENCE_RADIUS_M")), round(distance, 1))


def _local(moment: dt.datetime, summit: Summit) -> str:
    return timezone.localtime(moment, summit.tz).strftime("%H:%M")


@transaction.atomic
def sign_in(
    application: Application,
    assignment: Assignment,
    lat=None,
    lon=None,
    accuracy=None,
    at: dt.datetime | None = None,
) -> DutyRecord:
    """Start the duty of ``assignment``. Refused, saying why: a shift not the volunteer's, too
    early (more than the configured hours before), already over, a post that needs training
    the volunteer lacks, another duty still open. With location consent the phone's position
    is required; outside the venue it is accepted but flagged with the distance. A second
    sign-in (a double tap, another phone) returns the first record."""
    at = at or timezone.now()
    assignment = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("post_shift__shift__summit", "post_shift__post__venue", "application")
        .filter(pk=assignment.pk)
        .first()
    )
    if assignment is None or assignment.application_id != application.pk:
        raise VolunteerError(_("This shift is not yours; sign in for one of your own shifts."))
    application = assignment.application
    if application.status != ApplicationStatus.SELECTED:
        raise VolunteerError(_("Only selected volunteers sign in for shifts."))
    duty = DutyRecord.objects.filter(assignment=assignment).first()
    if duty is not None and duty.signed_in_at is not None:
        return duty
    shift, post = assignment.post_shift.shift, assignment.post_shift.post
    summit = shift.summit
    opens = shift.start - dt.timedelta(hours=float(setting("VOLUNTEER_EARLY_SIGN_IN_HOURS")))
    if at < opens:
        raise VolunteerError(
            _(
                "Too early: sign-in for this shift opens at %(time)s, %(hours)s hours before it "
                "starts."
            )
            % {
                "time": _local(opens, summit),
                "hours": f"{float(setting('VOLUNTEER_EARLY_SIGN_IN_HOURS')):g}",
            }
        )
    if at >= shift.end:
        raise VolunteerError(
            _("This shift ended at %(time)s; ask the volunteer office to record your hours.")
            % {"time": _local(shift.end, summit)}
        )
    if post.needs_training and post.pk not in trained_posts(application):
        raise VolunteerError(
            _(
                "The post “%(post)s” needs training you have not attended; the volunteer office "
                "will tell you the next session."
            )
            % {"post": localized(post.name)}
        )
    open_duty = (
        DutyRecord.objects.filter(
            assignment__application=application,
            signed_in_at__isnull=False,
            signed_out_at__isnull=True,
        )
        .select_related("assignment__post_shift__post")
        .first()
    )
    if open_duty is not None:
        raise VolunteerError(
            _("You are still signed in at “%(post)s”; sign out there first.")
            % {"post": localized(open_duty.assignment.post_shift.post.name)}
        )
    fence = None
    if application.location_consent:
        if lat is None or lon is None:
            raise VolunteerError(
                _("Let the phone share its position to sign in (you agreed to location on duty)."),
                field="lat",
            )
        lat, lon, accuracy = _position(lat, lon, accuracy)
        fence = geofence(post.venue, lat, lon)
    else:
        # Without consent no position is kept, not even the sign-in's.
        lat = lon = accuracy = None
    duty = duty or DutyRecord(assignment=assignment)
    late = duty.no_show
    duty.signed_in_at = at
    duty.sign_in_lat, duty.sign_in_lon, duty.sign_in_accuracy_m = lat, lon, accuracy
    duty.inside_geofence = None if fence is None else fence.inside
    duty.distance_m = None if fence is None else fence.distance_m
    # Arriving after being flagged is a late arrival, not a no-show; the log keeps the flag.
    duty.no_show = False
    try:
        with transaction.atomic():
            duty.save()
    except IntegrityError:
        return DutyRecord.objects.get(assignment=assignment)
    if fence is not None:
        PositionPing.objects.create(
            application=application, duty=duty, at=at, lat=lat, lon=lon, accuracy_m=accuracy
        )
    log_action(
        duty,
        "volunteers.signed_in",
        by=application.user,
        data={
            "inside_geofence": duty.inside_geofence,
            "distance_m": duty.distance_m,
            "late_after_no_show": late,
        },
    )
    return duty


def open_duty(application: Application) -> DutyRecord | None:
    return (
        DutyRecord.objects.filter(
            assignment__application=application,
            signed_in_at__isnull=False,
            signed_out_at__isnull=True,
        )
        .select_related("assignment__post_shift__shift", "assignment__post_shift__post")
        .first()
    )


@transaction.atomic
def sign_out(
    application: Application,
    lat=None,
    lon=None,
    accuracy=None,
    at: dt.datetime | None = None,
) -> DutyRecord:
    """End the volunteer's open duty; the hours run from sign-in to now."""
    at = at or timezone.now()
    duty = open_duty(application)
    if duty is None:
        raise VolunteerError(_("You are not signed in for any shift."))
    duty = DutyRecord.objects.select_for_update().get(pk=duty.pk)
    if duty.signed_out_at is not None:
        return duty
    if application.location_consent and lat is not None and lon is not None:
        duty.sign_out_lat, duty.sign_out_lon, _accuracy = _position(lat, lon, accuracy)
    duty.signed_out_at = max(at, duty.signed_in_at)
    duty.save(update_fields=["signed_out_at", "sign_out_lat", "sign_out_lon"])
    log_action(duty, "volunteers.signed_out", by=application.user, data={"hours": duty.hours})
    return duty


def record_position(
    application: Application,
    lat,
    lon,
    accuracy=None,
    at: dt.datetime | None = None,
    *,
    now: dt.datetime | None = None,
    duty: DutyRecord | None = None,
) -> PositionPing:
    """Record where the volunteer's phone is, only while signed in and with location consent.
    Refused: impossible coordinates, a time more than 2 minutes ahead (a wrong clock), before
    the sign-in or older than the allowed delay. The same moment sent twice is recorded once.
    ``duty`` is the volunteer's open duty when the caller has just read it (the API does)."""
    now = now or timezone.now()
    at = at or now
    if not application.location_consent:
        raise VolunteerError(
            _("You have not agreed to location on duty, so no position is recorded.")
        )
    lat, lon, accuracy = _position(lat, lon, accuracy)
    if at > now + FUTURE_TOLERANCE:
        raise VolunteerError(
            _("This position is stamped in the future; set the phone's clock automatically."),
            field="at",
        )
    if at < now - dt.timedelta(minutes=float(setting("VOLUNTEER_POSITION_MAX_DELAY_MINUTES"))):
        raise VolunteerError(_("This position is too old to be recorded."), field="at")
    if duty is None or duty.signed_out_at is not None:
        duty = (
            DutyRecord.objects.filter(
                assignment__application_id=application.pk,
                signed_in_at__isnull=False,
                signed_out_at__isnull=True,
            )
            .only("pk", "signed_in_at", "signed_out_at")
            .first()
        )
    if duty is None:
        raise VolunteerError(_("You are not on duty; positions are recorded only while signed in."))
    # The phone's clock and the server's differ a little; the same tolerance both ways.
    if at < duty.signed_in_at - FUTURE_TOLERANCE:
        raise VolunteerError(_("This position is from before you signed in."), field="at")
    ping = PositionPing(
        application_id=application.pk,
        duty_id=duty.pk,
        at=at,
        lat=lat,
        lon=lon,
        accuracy_m=accuracy,
    )
    # One statement, no read first: positions come every few seconds from every phone. A
    # resent moment hits the unique constraint and is ignored (the first one stays).
    PositionPing.objects.bulk_create([ping], ignore_conflicts=True)
    # A listener's failure is logged; the phone's position is recorded all the same.
    transaction.on_commit(
        lambda: signals.position_recorded.send(PositionPing, ping=ping), robust=True
    )
    return ping


# --- Sweeps: shift ends and no-shows -------------------------------------------------------------


@transaction.atomic
def close_open_duties_at_shift_end(now: dt.datetime | None = None) -> int:
    """Close every duty still open after its shift ended, at the shift's end, flagged as not
    signed out; returns how many."""
    now = now or timezone.now()
    overdue = DutyRecord.objects.filter(
        signed_in_at__isnull=False,
        signed_out_at__isnull=True,
        assignment__post_shift__shift__end__lte=now,
    ).select_related("assignment__post_shift__shift")
    closed = 0
    for duty in overdue.select_for_update(of=("self",)):
        duty.signed_out_at = max(duty.assignment.post_shift.shift.end, duty.signed_in_at)
        duty.closed_at_shift_end = True
        duty.save(update_fields=["signed_out_at", "closed_at_shift_end"])
        log_action(duty, "volunteers.closed_at_shift_end")
        closed += 1
    return closed


#: How far back the sweep looks for no-shows: switching it on for a summit long over must not
#: flag every shift of it.
NO_SHOW_LOOKBACK = dt.timedelta(days=1)


@transaction.atomic
def flag_no_shows(grace_minutes: float | None = None, now: dt.datetime | None = None) -> int:
    """Flag the assignments nobody signed in for within ``grace_minutes`` of the shift's start
    (default: the setting), for shifts begun in the last day; returns how many were newly
    flagged."""
    now = now or timezone.now()
    if grace_minutes is None:
        grace_minutes = setting("VOLUNTEER_NO_SHOW_GRACE_MINUTES")
    late = now - dt.timedelta(minutes=float(grace_minutes))
    missing = Assignment.objects.filter(
        post_shift__shift__start__lte=late,
        post_shift__shift__start__gte=now - NO_SHOW_LOOKBACK,
        application__status=ApplicationStatus.SELECTED,
    ).filter(Q(duty__isnull=True) | Q(duty__signed_in_at__isnull=True, duty__no_show=False))
    flagged = 0
    for assignment in missing.select_related("application"):
        DutyRecord.objects.update_or_create(assignment=assignment, defaults={"no_show": True})
        log_action(assignment.application, "volunteers.no_show", data={"slot": assignment.pk})
        flagged += 1
    return flagged


def sweep(now: dt.datetime | None = None) -> dict[str, int]:
    """What the scheduled sweep does: close duties past their shift, flag no-shows."""
    return {"closed": close_open_duties_at_shift_end(now), "no_shows": flag_no_shows(now=now)}


# --- Hours and retention -------------------------------------------------------------------------

MAX_CORRECTION = Decimal(24)


@transaction.atomic
def correct_hours(application: Application, hours, reason: str, *, by=None) -> HoursCorrection:
    """An audited correction of service hours by the office, kept apart from the hours signed
    in and out (the volunteer's record shows both)."""
    try:
        delta = Decimal(str(hours)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise VolunteerError(
            _("Give the hours as a number, e.g. 1.5 or -2."), field="hours"
        ) from None
    if delta == 0 or abs(delta) > MAX_CORRECTION:
        raise VolunteerError(
            _("A correction is between -24 and 24 hours, and not zero."), field="hours"
        )
    if not (reason or "").strip():
        raise VolunteerError(_("Say why the hours are corrected."), field="reason")
    correction = HoursCorrection.objects.create(
        application=application, hours=delta, reason=reason.strip(), by=by
    )
    log_action(
        application,
        "volunteers.hours_corrected",
        by=by,
        data={"hours": str(delta), "reason": correction.reason},
    )
    return correction


@transaction.atomic
def purge_positions(
    summit: Summit | None = None, *, older_than_days: float | None = None, by=None
) -> int:
    """Delete location data: every position of ``summit`` (after the summit), or, without a
    summit, every position older than the retention (default: the setting). Sign-in positions
    of duty records go too; the duty times and the geofence flag stay. Returns how many
    positions were deleted."""
    pings = PositionPing.objects.all()
    duties = DutyRecord.objects.filter(sign_in_lat__isnull=False)
    if summit is not None:
        pings = pings.filter(application__summit=summit)
        duties = duties.filter(assignment__application__summit=summit)
    if summit is None or older_than_days is not None:
        days = setting("VOLUNTEER_POSITION_RETENTION_DAYS")
        cutoff = timezone.now() - dt.timedelta(days=float(older_than_days or days))
        pings = pings.filter(at__lt=cutoff)
        duties = duties.filter(signed_in_at__lt=cutoff)
    count, _detail = pings.delete()
    duties.update(
        sign_in_lat=None,
        sign_in_lon=None,
        sign_in_accuracy_m=None,
        sign_out_lat=None,
        sign_out_lon=None,
    )
    if summit is not None:
        log_action(summit, "volunteers.positions_purged", by=by, data={"count": count})
    return count
