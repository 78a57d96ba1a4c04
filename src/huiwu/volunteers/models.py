"""Volunteers of a summit: applications from universities, selection, posts and shifts, the
roster, training, duty records with sign-in positions, location pings and hours."""

import datetime as dt
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from i18nfield.fields import I18nCharField, I18nTextField

from huiwu.core.i18n import localized, validate_required_languages
from huiwu.summit.models import Room, Summit, Venue

required_text = [validate_required_languages]


class University(models.Model):
    """A university whose students apply; not tied to one summit, as they return every year."""

    name = I18nCharField(_("name"), validators=required_text)
    short_name = models.CharField(_("short name"), max_length=40, unique=True)
    city = I18nCharField(_("city"), blank=True, null=True)

    class Meta:
        verbose_name = _("university")
        verbose_name_plural = _("universities")
        ordering = ["short_name"]

    def __str__(self) -> str:
        return localized(self.name)


class Skill(models.TextChoices):
    INTERPRETING = "interpreting", _("Interpreting")
    FIRST_AID = "first_aid", _("First aid")
    DRIVING = "driving", _("Driving")
    IT = "it", _("IT support")
    PRESS = "press", _("Press and media")
    PROTOCOL = "protocol", _("Protocol and etiquette")
    GUIDING = "guiding", _("Guiding visitors")
    PHOTOGRAPHY = "photography", _("Photography")
    REGISTRATION = "registration", _("Registration and reception")


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")


class TShirtSize(models.TextChoices):
    XS = "XS", "XS"
    S = "S", "S"
    M = "M", "M"
    L = "L", "L"
    XL = "XL", "XL"
    XXL = "XXL", "XXL"
    XXXL = "XXXL", "XXXL"


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    SHORTLISTED = "shortlisted", _("Shortlisted")
    SELECTED = "selected", _("Selected")
    RESERVE = "reserve", _("On the reserve list")
    REJECTED = "rejected", _("Not selected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Application(models.Model):
    """A student's application to volunteer at a summit; once selected, the volunteer's record
    that shifts, duties, positions and hours hang on."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    summit = models.ForeignKey(
        Summit, verbose_name=_("summit"), on_delete=models.CASCADE, related_name="applications"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="volunteer_applications",
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.SUBMITTED,
        db_index=True,
    )
    # Who
    name = models.CharField(_("name"), max_length=100)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=40)
    email = models.EmailField(_("e-mail"))
    university = models.ForeignKey(
        University,
        verbose_name=_("university"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    student_number = models.CharField(_("student number"), max_length=40)
    # What they bring
    languages = models.JSONField(
        _("languages"),
        default=list,
        blank=True,
        help_text=_('A list of {"code": ISO 639-1 code, "level": 1 to 5}.'),
    )
    skills = models.JSONField(_("skills"), default=list, blank=True)
    experience = models.TextField(_("volunteering experience"), blank=True)
    availability = models.JSONField(
        _("availability"),
        default=list,
        blank=True,
        help_text=_('A list of {"date": "YYYY-MM-DD", "from": "HH:MM", "to": "HH:MM"}.'),
    )
    tshirt_size = models.CharField(
        _("T-shirt size"), max_length=4, choices=TShirtSize.choices, blank=True
    )
    emergency_name = models.CharField(_("emergency contact"), max_length=100)
    emergency_phone = models.CharField(_("emergency contact's phone"), max_length=40)
    photo = models.ImageField(_("photo"), upload_to="volunteers/", blank=True)
    # Positions are only ever recorded with this separate consent (PIPL: 行踪轨迹).
    location_consent = models.BooleanField(_("consent to location on duty"), default=False)
    location_consent_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Office's assessment
    rubric_score = models.DecimalField(
        _("rubric score"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    score = models.DecimalField(
        _("total score"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("The rubric and the interviews together; selection maximises it."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("volunteer application")
        verbose_name_plural = _("volunteer applications")
        ordering = ["summit", "-created_at", "-id"]
        indexes = [models.Index(fields=["summit", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["summit", "university", "student_number"],
                condition=~Q(status="withdrawn"),
                name="one_application_per_student",
                violation_error_message=_(
                    "This student number of this university has already applied to this summit."
                ),
            ),
            models.UniqueConstraint(
                fields=["summit", "user"],
                condition=~Q(status="withdrawn"),
                name="one_application_per_user",
                violation_error_message=_("You have already applied to this summit."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.university.short_name} {self.student_number})"


class InterviewRound(models.IntegerChoices):
    FIRST = 1, _("First interview")
    SECOND = 2, _("Second interview")


class Interview(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="interviews"
    )
    round = models.PositiveSmallIntegerField(_("round"), choices=InterviewRound.choices)
    score = models.DecimalField(
        _("score"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    notes = models.TextField(_("notes"), blank=True)
    interviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("interviewer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("interview")
        verbose_name_plural = _("interviews")
        ordering = ["application", "round"]
        constraints = [
            models.UniqueConstraint(fields=["application", "round"], name="one_interview_per_round")
        ]

    def __str__(self) -> str:
        return f"{self.application} · {self.get_round_display()}"


class SelectionRun(models.Model):
    """One run of the selection: N, quotas, who ran it, and an explanation per applicant."""

    summit = models.ForeignKey(Summit, on_delete=models.CASCADE, related_name="selection_runs")
    size = models.PositiveIntegerField(_("volunteers to select"))
    reserve_ratio = models.FloatField(_("reserve ratio"), default=0.2)
    quotas = models.JSONField(_("quotas"), default=list, blank=True)
    selected = models.PositiveIntegerField(_("selected"), default=0)
    reserve = models.PositiveIntegerField(_("reserve"), default=0)
    total_score = models.FloatField(_("total score"), default=0)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("time"), auto_now_add=True)
    applied = models.BooleanField(
        _("applied"), default=False, help_text=_("Its decisions were written to the applications.")
    )

    class Meta:
        verbose_name = _("selection run")
        verbose_name_plural = _("selection runs")
        ordering = ["summit", "-at", "-id"]

    def __str__(self) -> str:
        return f"{self.summit} · {self.at:%Y-%m-%d %H:%M} · {self.selected}/{self.size}"


class Decision(models.TextChoices):
    SELECTED = "selected", _("Selected")
    RESERVE = "reserve", _("Reserve")
    NOT_SELECTED = "not_selected", _("Not selected")


class SelectionExplanation(models.Model):
    """Why one applicant was (not) selected in a run: a machine code and its numbers, turned
    into a sentence in the reader's language when shown."""

    run = models.ForeignKey(SelectionRun, on_delete=models.CASCADE, related_name="explanations")
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="explanations"
    )
    decision = models.CharField(_("decision"), max_length=12, choices=Decision.choices)
    code = models.CharField(_("reason"), max_length=40)
    params = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("selection explanation")
        verbose_name_plural = _("selection explanations")
        constraints = [
            models.UniqueConstraint(fields=["run", "application"], name="one_explanation_per_run")
        ]

    def __str__(self) -> str:
        return f"{self.application}: {self.decision} ({self.code})"


class PostKind(models.TextChoices):
    REGISTRATION_DESK = "registration_desk", _("Registration desk")
    FORUM_STEWARD = "forum_steward", _("Forum-room steward")
    INTERPRETER = "interpreter", _("Interpreter")
    GUIDE = "guide", _("Guide")
    PRESS_AIDE = "press_aide", _("Press-centre aide")
    VIP_ESCORT = "vip_escort", _("VIP escort")
    EXPO_GUIDE = "expo_guide", _("Expo guide")
    INFORMATION_DESK = "information_desk", _("Information desk")
    MEDICAL_AIDE = "medical_aide", _("First-aid aide")
    DRIVER = "driver", _("Driver")
    IT_SUPPORT = "it_support", _("IT support")


class Post(models.Model):
    """A place of work at a venue (a desk, a forum room, the press centre) with what it needs."""

    summit = models.ForeignKey(Summit, on_delete=models.CASCADE, related_name="volunteer_posts")
    # RESTRICT, not PROTECT: deleting a whole summit takes its posts along; a venue alone
    # cannot go while posts are at it.
    venue = models.ForeignKey(
        Venue, verbose_name=_("venue"), on_delete=models.RESTRICT, related_name="volunteer_posts"
    )
    room = models.ForeignKey(
        Room,
        verbose_name=_("room"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="volunteer_posts",
    )
    name = I18nCharField(_("name"), validators=required_text)
    description = I18nTextField(_("description"), blank=True, null=True)
    kind = models.CharField(_("kind"), max_length=20, choices=PostKind.choices)
    required_skills = models.JSONField(_("required skills"), default=list, blank=True)
    required_languages = models.JSONField(
        _("required languages"),
        default=list,
        blank=True,
        help_text=_("ISO 639-1 codes; the volunteer needs every one at the minimum level."),
    )
    min_language_level = models.PositiveSmallIntegerField(
        _("minimum language level"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    needs_training = models.BooleanField(_("needs training"), default=False)
    is_critical = models.BooleanField(
        _("critical post"),
        default=False,
        help_text=_("A no-show here raises an incident in the command centre at once."),
    )

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["summit", "venue", "kind", "id"]

    def __str__(self) -> str:
        return localized(self.name)


class Shift(models.Model):
    summit = models.ForeignKey(Summit, on_delete=models.CASCADE, related_name="volunteer_shifts")
    name = I18nCharField(_("name"), validators=required_text)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ["summit", "start", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="shift_ends_after_start")
        ]

    def __str__(self) -> str:
        local = self.start.astimezone(self.summit.tz) if self.summit_id else self.start
        return f"{localized(self.name)} {local:%Y-%m-%d %H:%M}"

    @property
    def hours(self) -> float:
        return (self.end - self.start) / dt.timedelta(hours=1)


class PostShift(models.Model):
    """A post staffed during a shift by ``headcount`` volunteers: the slot the roster fills."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="post_shifts")
    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="post_shifts")
    headcount = models.PositiveSmallIntegerField(_("headcount"), validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("post in a shift")
        verbose_name_plural = _("posts in shifts")
        ordering = ["shift__start", "post", "id"]
        constraints = [
            models.UniqueConstraint(fields=["post", "shift"], name="one_slot_per_post_shift")
        ]

    def __str__(self) -> str:
        return f"{self.post} · {self.shift}"


class RosterRun(models.Model):
    """One run of the roster solver: its figures and what it left unfilled, and why."""

    summit = models.ForeignKey(Summit, on_delete=models.CASCADE, related_name="roster_runs")
    at = models.DateTimeField(_("time"), auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(_("solver status"), max_length=20)
    coverage = models.FloatField(_("coverage"), help_text=_("Share of the headcount filled."))
    assigned = models.PositiveIntegerField(_("assignments"), default=0)
    changed = models.PositiveIntegerField(
        _("changes"),
        default=0,
        help_text=_("Assignments added or removed against the last roster."),
    )
    seconds = models.FloatField(_("solving time (s)"), default=0)
    hours_spread = models.JSONField(_("hours per volunteer"), default=dict, blank=True)
    unfilled = models.JSONField(
        _("unfilled slots"),
        default=list,
        blank=True,
        help_text=_('A list of {"slot", "missing", "reason", "params"}.'),
    )

    class Meta:
        verbose_name = _("roster run")
        verbose_name_plural = _("roster runs")
        ordering = ["summit", "-at", "-id"]

    def __str__(self) -> str:
        return f"{self.summit} · {self.at:%Y-%m-%d %H:%M} · {self.coverage:.0%}"


class AssignmentSource(models.TextChoices):
    SOLVER = "solver", _("Roster")
    MANUAL = "manual", _("By hand")


class Assignment(models.Model):
    post_shift = models.ForeignKey(PostShift, on_delete=models.CASCADE, related_name="assignments")
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="assignments"
    )
    source = models.CharField(_("source"), max_length=8, choices=AssignmentSource.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["post_shift", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["post_shift", "application"], name="one_assignment_per_slot"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application.name} → {self.post_shift}"


class TrainingSession(models.Model):
    summit = models.ForeignKey(Summit, on_delete=models.CASCADE, related_name="volunteer_trainings")
    name = I18nCharField(_("name"), validators=required_text)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    posts = models.ManyToManyField(
        Post,
        verbose_name=_("qualifies for posts"),
        blank=True,
        related_name="training_sessions",
    )

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["summit", "start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")), name="training_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return localized(self.name)


class TrainingAttendance(models.Model):
    session = models.ForeignKey(
        TrainingSession, on_delete=models.CASCADE, related_name="attendances"
    )
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="trainings")
    attended = models.BooleanField(_("attended"), default=True)
    recorded_at = models.DateTimeField(auto_now=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("training attendance")
        verbose_name_plural = _("training attendance")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "application"], name="one_attendance_per_session"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application.name} · {self.session}"


class DutyRecord(models.Model):
    """What happened on one assignment: sign-in (where, inside the geofence or not), sign-out,
    closing at shift end without sign-out, or a no-show. One per assignment, so two sign-ins at
    once record one."""

    assignment = models.OneToOneField(Assignment, on_delete=models.CASCADE, related_name="duty")
    signed_in_at = models.DateTimeField(_("signed in"), null=True, blank=True)
    sign_in_lat = models.FloatField(null=True, blank=True)
    sign_in_lon = models.FloatField(null=True, blank=True)
    sign_in_accuracy_m = models.FloatField(null=True, blank=True)
    inside_geofence = models.BooleanField(_("inside the venue"), null=True, blank=True)
    distance_m = models.FloatField(
        _("distance from the venue (m)"), null=True, blank=True, help_text=_("0 inside.")
    )
    signed_out_at = models.DateTimeField(_("signed out"), null=True, blank=True)
    sign_out_lat = models.FloatField(null=True, blank=True)
    sign_out_lon = models.FloatField(null=True, blank=True)
    closed_at_shift_end = models.BooleanField(
        _("closed at shift end"),
        default=False,
        help_text=_("No sign-out: the duty was closed when the shift ended."),
    )
    no_show = models.BooleanField(_("no-show"), default=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("duty record")
        verbose_name_plural = _("duty records")
        ordering = ["-signed_in_at", "-id"]
        indexes = [models.Index(fields=["signed_out_at", "signed_in_at"])]

    def __str__(self) -> str:
        return f"{self.assignment}"

    @property
    def on_duty(self) -> bool:
        return self.signed_in_at is not None and self.signed_out_at is None

    @property
    def hours(self) -> float:
        if self.signed_in_at is None or self.signed_out_at is None:
            return 0.0
        return (self.signed_out_at - self.signed_in_at) / dt.timedelta(hours=1)


class PositionPing(models.Model):
    """A position the volunteer's phone sent while on duty. ``(application, at)`` is unique:
    a phone that resends a ping it is unsure about records it once."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="positions")
    duty = models.ForeignKey(DutyRecord, on_delete=models.CASCADE, related_name="positions")
    at = models.DateTimeField(_("time"))
    lat = models.FloatField(_("latitude"))
    lon = models.FloatField(_("longitude"))
    accuracy_m = models.FloatField(_("accuracy (m)"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        ordering = ["application", "at"]
        constraints = [
            models.UniqueConstraint(fields=["application", "at"], name="one_position_per_moment")
        ]
        indexes = [models.Index(fields=["duty", "at"]), models.Index(fields=["at"])]

    def __str__(self) -> str:
        return f"{self.application.name} {self.at:%H:%M:%S} ({self.lat:.5f}, {self.lon:.5f})"


class HoursCorrection(models.Model):
    """A correction of service hours by the office, kept apart from the hours that sign-in and
    sign-out record, with its reason and author."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="hours_corrections"
    )
    hours = models.DecimalField(
        _("hours"),
        max_digits=5,
        decimal_places=2,
        help_text=_("Added to the service hours; negative to take hours away."),
    )
    reason = models.TextField(_("reason"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("hours correction")
        verbose_name_plural = _("hours corrections")
        ordering = ["application", "-at"]

    def __str__(self) -> str:
        return f"{self.application.name} {self.hours:+} h"
