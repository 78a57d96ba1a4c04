"""Read functions of the volunteers app, for pages, the API, figures and the command centre."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from huiwu.summit.models import Summit
from huiwu.volunteers.languages import language_name
from huiwu.volunteers.models import (
    Application,
    ApplicationStatus,
    Assignment,
    DutyRecord,
    HoursCorrection,
    PositionPing,
    PostKind,
    PostShift,
    University,
)
from huiwu.volunteers.rules import is_volunteer_office

# --- Applications --------------------------------------------------------------------------------


def applications_for(user, summit: Summit) -> QuerySet[Application]:
    """The applications ``user`` may see: every one for the volunteer office and the
    secretariat, else only the user's own."""
    applications = Application.objects.filter(summit=summit).select_related("university")
    if is_volunteer_office(user):
        return applications
    if not user.is_authenticated:
        return applications.none()
    return applications.filter(user=user)


def own_application(user, summit: Summit) -> Application | None:
    """The user's application to ``summit`` (the live one before a withdrawn one)."""
    if not user.is_authenticated:
        return None
    mine = Application.objects.filter(summit=summit, user=user).select_related("university")
    return mine.exclude(status=ApplicationStatus.WITHDRAWN).first() or mine.first()


def open_duty_of(user) -> DutyRecord | None:
    """The logged-in volunteer's duty open now, with its application, in one query."""
    if not user.is_authenticated:
        return None
    return (
        DutyRecord.objects.filter(
            assignment__application__user=user,
            assignment__application__status=ApplicationStatus.SELECTED,
            signed_in_at__isnull=False,
            signed_out_at__isnull=True,
        )
        .select_related("assignment__application")
        .first()
    )


def no_show_count(application: Application) -> int:
    return DutyRecord.objects.filter(
        assignment__application=application, no_show=True, signed_in_at__isnull=True
    ).count()


def volunteer_figures(summit: Summit) -> dict[str, int]:
    """The volunteers of the summit in figures, in one query."""
    live = Application.objects.filter(summit=summit).exclude(status=ApplicationStatus.WITHDRAWN)
    return live.aggregate(
        volunteer_applicants=Count("pk"),
        volunteers_selected=Count("pk", filter=Q(status=ApplicationStatus.SELECTED)),
        volunteer_universities=Count("university", distinct=True),
    )


def universities() -> QuerySet[University]:
    return University.objects.all()


# --- Texts of decisions --------------------------------------------------------------------------


def quota_label(params: dict) -> str:
    """A quota in words, in the reader's language: “English at level 4 or more”."""
    kind, value = params.get("kind"), params.get("value", "")
    if kind == "university":
        university = University.objects.filter(short_name=value).first()
        return str(university) if university else value
    if kind == "language":
        level = params.get("min_level") or 1
        if level > 1:
            return _("%(language)s at level %(level)s or more") % {
                "language": language_name(value),
                "level": level,
            }
        return language_name(value)
    if kind == "post_type" and value in PostKind.values:
        return str(PostKind(value).label)
    return str(value)


def explanation_text(code: str, params: dict) -> str:
    """The sentence for a selection decision's machine code and numbers."""
    values = {**params, "quota_name": quota_label(params) if "kind" in params else ""}
    texts = {
        "top_score": _("Ranked %(rank)s by score (%(score)s); the %(n)s best scores are selected."),
        "quota_minimum": _(
            "Ranked %(rank)s (score %(score)s), selected to meet the minimum of "
            "%(minimum)s for %(quota_name)s."
        ),
        "freed_by_quota_maximum": _(
            "Ranked %(rank)s (score %(score)s), selected in a place that a full quota left free."
        ),
        "quota_maximum": _(
            "Scored %(score)s, above the cutoff of %(cutoff)s, but %(quota_name)s is at its "
            "maximum of %(maximum)s."
        ),
        "displaced_by_quota_minimum": _(
            "Scored %(score)s, above the cutoff of %(cutoff)s, but the place went to meet a "
            "quota's minimum."
        ),
        "tie_at_cutoff": _(
            "Scored %(score)s, the same as the last one selected; the tie went to an earlier "
            "application."
        ),
        "below_cutoff": _(
            "Ranked %(rank)s with a score of %(score)s, below the cutoff of %(cutoff)s."
        ),
    }
    text = texts.get(code)
    if text is None:
        return code
    sentence = text % values
    if "reserve_rank" in params:
        sentence += " " + _("Number %(reserve_rank)s on the reserve list.") % params
    return sentence


def selection_error_text(code: str, params: dict) -> str:
    """Why a selection cannot be made, with the quota named."""
    values = {**params, "quota_name": quota_label(params) if "kind" in params else ""}
    texts = {
        "not_enough_candidates": _(
            "Only %(candidates)s applicants are in the running; select at most that many."
        ),
        "quota_minimum_unreachable": _(
            "The quota for %(quota_name)s asks for at least %(minimum)s, but only "
            "%(qualifying)s applicants qualify; lower it."
        ),
        "quota_minimum_above_n": _(
            "The quota for %(quota_name)s asks for at least %(minimum)s, more than the "
            "%(n)s to select; lower it."
        ),
        "invalid_quota": _(
            "The quota for %(quota_name)s has a maximum below its minimum; correct it."
        ),
        "quotas_conflict": _(
            "The quotas cannot all be met together with %(n)s volunteers; loosen one of them."
        ),
        "time_limit": _("No selection was found within %(seconds)s seconds; simplify the quotas."),
    }
    text = texts.get(code)
    if text is None:
        return _("The selection cannot be made as asked (%(code)s).") % {"code": code}
    return text % values


UNFILLED_REASONS = {
    "no_one_with_skill": lambda: _("nobody selected has the skills it needs"),
    "no_one_with_language": lambda: _("nobody selected speaks its languages well enough"),
    "no_one_trained": lambda: _("nobody who fits has attended its training"),
    "no_one_available": lambda: _("nobody who fits is available at that time"),
    "no_one_allowed": lambda: _("everyone who fits was kept off it by hand"),
    "all_eligible_busy": lambda: _("everyone who fits is already busy or at their hours limit"),
}


def unfilled_reason_text(code: str) -> str:
    text = UNFILLED_REASONS.get(code)
    return text() if text else code


# --- Roster and duties ---------------------------------------------------------------------------


def roster(summit: Summit) -> QuerySet[PostShift]:
    """Every slot of the summit with its post, venue, shift and how many are on it (``filled``),
    by shift and post."""
    return (
        PostShift.objects.filter(shift__summit=summit)
        .select_related("post__venue", "post__room", "shift")
        .annotate(filled=Count("assignments"))
        .order_by("shift__start", "post__venue", "post__kind", "post_id")
    )


def roster_volunteers(summit: Summit) -> dict[int, list[dict]]:
    """Who is on each slot of the summit (slot key → volunteers), in one query: a prefetch
    would list thousands of keys, beyond what SQLite parses."""
    rows = (
        Assignment.objects.filter(post_shift__shift__summit=summit)
        .order_by("post_shift_id", "pk")
        .values_list("post_shift_id", "application_id", "application__name", "source")
    )
    result: dict[int, list[dict]] = {}
    for slot, volunteer, name, source in rows:
        result.setdefault(slot, []).append({"volunteer": volunteer, "name": name, "source": source})
    return result


def my_assignments(application: Application) -> QuerySet[Assignment]:
    """The volunteer's assignments by time, with post, venue, shift and duty record."""
    return (
        Assignment.objects.filter(application=application)
        .select_related("post_shift__post__venue", "post_shift__post__room", "post_shift__shift")
        .select_related("duty")
        .order_by("post_shift__shift__start")
    )


def on_duty(summit: Summit) -> QuerySet[DutyRecord]:
    """The duties open now: signed in, not yet out."""
    return (
        DutyRecord.objects.filter(
            assignment__application__summit=summit,
            signed_in_at__isnull=False,
            signed_out_at__isnull=True,
        )
        .select_related(
            "assignment__application__university",
            "assignment__post_shift__post__venue",
            "assignment__post_shift__shift",
        )
        .order_by("assignment__post_shift__post__venue", "signed_in_at")
    )


def no_shows(summit: Summit) -> QuerySet[DutyRecord]:
    return (
        DutyRecord.objects.filter(
            assignment__application__summit=summit, no_show=True, signed_in_at__isnull=True
        )
        .select_related(
            "assignment__application__university",
            "assignment__post_shift__post__venue",
            "assignment__post_shift__shift",
        )
        .order_by("-assignment__post_shift__shift__start")
    )


def current_positions(
    summit: Summit, *, now: dt.datetime | None = None, volunteer: Application | None = None
) -> list[dict]:
    """The last position of every volunteer on duty now (or of ``volunteer`` only), each with
    its age in seconds, so that an old dot is never taken for a live one. Volunteers on duty
    who sent none have none."""
    now = now or timezone.now()
    last = PositionPing.objects.filter(duty=OuterRef("pk")).order_by("-at")
    duties = on_duty(summit)
    if volunteer is not None:
        duties = duties.filter(assignment__application_id=volunteer.pk)
    rows = duties.annotate(
        last_at=Subquery(last.values("at")[:1]),
        last_lat=Subquery(last.values("lat")[:1]),
        last_lon=Subquery(last.values("lon")[:1]),
        last_accuracy=Subquery(last.values("accuracy_m")[:1]),
    ).filter(last_at__isnull=False)
    return [
        {
            "volunteer": duty.assignment.application_id,
            "name": duty.assignment.application.name,
            "post": duty.assignment.post_shift.post,
            "duty": duty.pk,
            "at": duty.last_at,
            "lat": duty.last_lat,
            "lon": duty.last_lon,
            "accuracy_m": duty.last_accuracy,
            "age_seconds": max(0, round((now - duty.last_at).total_seconds())),
            "inside_geofence": duty.inside_geofence,
        }
        for duty in rows
    ]


def trajectory(
    application: Application, start: dt.datetime, end: dt.datetime
) -> QuerySet[PositionPing]:
    """The volunteer's positions between ``start`` and ``end``, oldest first."""
    return PositionPing.objects.filter(application=application, at__gte=start, at__lt=end).order_by(
        "at"
    )


def service_hours(application: Application) -> dict[str, Decimal]:
    """Hours from sign-in to sign-out, and the office's corrections, kept apart."""
    worked = DutyRecord.objects.filter(
        assignment__application=application,
        signed_in_at__isnull=False,
        signed_out_at__isnull=False,
    ).aggregate(
        total=Sum(
            ExpressionWrapper(F("signed_out_at") - F("signed_in_at"), output_field=DurationField())
        )
    )["total"] or dt.timedelta(0)
    corrections = HoursCorrection.objects.filter(application=application).aggregate(
        total=Sum("hours")
    )["total"] or Decimal(0)
    signed = Decimal(worked.total_seconds() / 3600).quantize(Decimal("0.01"))
    return {"signed": signed, "corrections": corrections, "total": signed + corrections}
