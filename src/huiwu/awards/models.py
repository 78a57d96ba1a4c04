"""Awards and competitions: programmes, their calls and rounds, submissions, experts, conflicts,
review assignments, reviews and decisions (issue #7)."""

import uuid

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from i18nfield.fields import I18nCharField, I18nTextField

from huiwu.core.i18n import localized, validate_required_languages
from huiwu.core.models import Organisation
from huiwu.summit.models import Summit

required_text = [validate_required_languages]


class ProgrammeKind(models.TextChoices):
    AWARD = "award", _("Award (nominations)")
    COMPETITION = "competition", _("Competition (applications)")


class Programme(models.Model):
    """One evaluation of a summit: an award people are nominated for, or a competition people
    enter, from its call to its published winners."""

    summit = models.ForeignKey(
        Summit, verbose_name=_("summit"), on_delete=models.CASCADE, related_name="programmes"
    )
    slug = models.SlugField(_("short name in addresses"))
    kind = models.CharField(_("kind"), max_length=12, choices=ProgrammeKind.choices)
    name = I18nCharField(_("name"), validators=required_text)
    call = I18nTextField(_("call for submissions"), validators=required_text)
    eligibility = I18nTextField(_("eligibility"), blank=True, null=True)
    opens_at = models.DateTimeField(_("submissions open"))
    deadline = models.DateTimeField(_("deadline"))
    conflict_same_country = models.BooleanField(
        _("experts from the applicant's country are in conflict"),
        default=False,
        help_text=_("For programmes whose experts must judge only other countries' entries."),
    )
    results_published = models.BooleanField(_("results published"), default=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["summit", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["summit", "slug"], name="unique_programme_slug"),
            models.CheckConstraint(
                condition=Q(deadline__gt=models.F("opens_at")), name="programme_deadline_after_open"
            ),
        ]

    def __str__(self) -> str:
        return localized(self.name)


class Track(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="tracks")
    code = models.SlugField(_("code"))
    name = I18nCharField(_("name"), validators=required_text)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("track")
        verbose_name_plural = _("tracks")
        ordering = ["programme", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="unique_track_code")
        ]

    def __str__(self) -> str:
        return localized(self.name)


class FieldKind(models.TextChoices):
    TEXT = "text", _("Short text")
    LONG_TEXT = "long_text", _("Long text")
    URL = "url", _("Web address")
    FILE = "file", _("File")


class FileType(models.TextChoices):
    """File types an attachment field may accept, each recognised by its content."""

    PDF = "pdf", "PDF"
    PNG = "png", "PNG"
    JPEG = "jpeg", "JPEG"
    DOCX = "docx", "Word (.docx)"
    PPTX = "pptx", "PowerPoint (.pptx)"
    XLSX = "xlsx", "Excel (.xlsx)"
    MP4 = "mp4", "MP4"


class SubmissionField(models.Model):
    """A question of a programme's form, beyond title, abstract, track, organisation and
    country, which every submission has."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="fields")
    key = models.SlugField(_("key"))
    label = I18nCharField(_("label"), validators=required_text)
    help_text = I18nTextField(_("help text"), blank=True, null=True)
    kind = models.CharField(_("kind"), max_length=10, choices=FieldKind.choices)
    required = models.BooleanField(_("required"), default=False)
    accepted_types = models.JSONField(
        _("accepted file types"),
        default=list,
        blank=True,
        help_text=_("For files: a list among pdf, png, jpeg, docx, pptx, xlsx, mp4."),
    )
    max_size_mb = models.PositiveSmallIntegerField(
        _("largest file (MB)"), default=10, validators=[MinValueValidator(1)]
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("form field")
        verbose_name_plural = _("form fields")
        ordering = ["programme", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "key"], name="unique_field_key")
        ]

    def __str__(self) -> str:
        return localized(self.label)

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        known = set(FileType.values)
        if self.kind == FieldKind.FILE and (
            not isinstance(self.accepted_types, list)
            or not self.accepted_types
            or not set(self.accepted_types) <= known
        ):
            raise ValidationError(
                {
                    "accepted_types": _("Choose the accepted file types among: %(types)s.")
                    % {"types": ", ".join(sorted(known))}
                }
            )


class RoundKind(models.TextChoices):
    ONLINE_REVIEW = "online_review", _("Online review")
    PANEL = "panel", _("Panel")
    LIVE_PITCH = "live_pitch", _("Live pitch")


class Normalisation(models.TextChoices):
    NONE = "none", _("Raw scores")
    ZSCORE = "zscore", _("z-score per expert")
    BIAS = "bias", _("Fitted expert bias")


class Round(models.Model):
    """A stage of evaluation: experts review the submissions that reached it, by a rubric."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="rounds")
    order = models.PositiveSmallIntegerField(_("order"))
    name = I18nCharField(_("name"), validators=required_text)
    kind = models.CharField(_("kind"), max_length=14, choices=RoundKind.choices)
    reviewers_per_submission = models.PositiveSmallIntegerField(
        _("experts per submission"), default=3, validators=[MinValueValidator(1)]
    )
    min_load = models.PositiveSmallIntegerField(_("fewest submissions per expert"), default=0)
    max_load = models.PositiveSmallIntegerField(
        _("most submissions per expert"), default=20, validators=[MinValueValidator(1)]
    )
    fair_assignment = models.BooleanField(
        _("fair assignment"),
        default=False,
        help_text=_("Raise the worst-served submission's expertise first, then the total."),
    )
    experts = models.ManyToManyField(
        "Expert",
        verbose_name=_("experts"),
        blank=True,
        related_name="rounds",
        help_text=_("Leave empty for every expert of the programme."),
    )
    normalisation = models.CharField(
        _("score normalisation"),
        max_length=8,
        choices=Normalisation.choices,
        default=Normalisation.ZSCORE,
    )
    discussion_open = models.BooleanField(_("discussion open"), default=False)
    shortlist_top_n = models.PositiveIntegerField(
        _("shortlist: best N per track"), null=True, blank=True
    )
    shortlist_threshold = models.FloatField(_("shortlist: score at least"), null=True, blank=True)
    assignment_report = models.JSONField(default=dict, blank=True, editable=False)
    closed = models.BooleanField(_("closed"), default=False, editable=False)

    class Meta:
        verbose_name = _("round")
        verbose_name_plural = _("rounds")
        ordering = ["programme", "order"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "order"], name="unique_round_order"),
            models.CheckConstraint(
                condition=Q(max_load__gte=models.F("min_load")), name="round_max_load_at_least_min"
            ),
        ]

    def __str__(self) -> str:
        return localized(self.name)


class Criterion(models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="criteria")
    name = I18nCharField(_("name"), validators=required_text)
    description = I18nTextField(_("description"), blank=True, null=True)
    weight = models.FloatField(_("weight"), default=1.0, validators=[MinValueValidator(0.0)])
    min_score = models.PositiveSmallIntegerField(_("lowest score"), default=0)
    max_score = models.PositiveSmallIntegerField(_("highest score"), default=10)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["round", "order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_score__gt=models.F("min_score")), name="criterion_range"
            )
        ]

    def __str__(self) -> str:
        return localized(self.name)


class PrizeTier(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="tiers")
    code = models.SlugField(_("code"))
    name = I18nCharField(_("name"), validators=required_text)
    quota = models.PositiveIntegerField(_("quota"), validators=[MinValueValidator(1)])
    track = models.ForeignKey(
        Track,
        verbose_name=_("track"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tiers",
        help_text=_("A tier of one track only (individuals, companies); empty for every track."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("prize tier")
        verbose_name_plural = _("prize tiers")
        ordering = ["programme", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="unique_tier_code")
        ]

    def __str__(self) -> str:
        return localized(self.name)


class SubmissionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Submission(models.Model):
    """An application to a competition, or a nomination for an award."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="submissions"
    )
    track = models.ForeignKey(
        Track,
        verbose_name=_("track"),
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="submissions",
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("applicant"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="award_submissions",
    )
    nominee = models.CharField(
        _("nominee"),
        max_length=200,
        blank=True,
        help_text=_("For a nomination: the person or company nominated."),
    )
    organisation_name = models.CharField(_("organisation"), max_length=200)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="award_submissions",
    )
    country = CountryField(_("country or region"))
    title = models.CharField(_("title"), max_length=300)
    abstract = models.TextField(_("abstract"), max_length=5000)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=SubmissionStatus.choices,
        default=SubmissionStatus.DRAFT,
        db_index=True,
    )
    current_round = models.ForeignKey(
        Round,
        verbose_name=_("current round"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="submissions",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        ordering = ["programme", "submitted_at", "id"]
        indexes = [models.Index(fields=["programme", "status"])]

    def __str__(self) -> str:
        return self.title

    @property
    def text(self) -> str:
        """What an expert reads to judge their expertise: title, abstract, written answers."""
        answers = " ".join(str(value) for value in self.answers.values() if isinstance(value, str))
        return f"{self.title}\n{self.abstract}\n{answers}".strip()


class Attachment(models.Model):
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="attachments")
    field = models.ForeignKey(SubmissionField, on_delete=models.CASCADE, related_name="+")
    file = models.FileField(upload_to="awards/attachments/")
    file_type = models.CharField(max_length=8, choices=FileType.choices)
    original_name = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        constraints = [
            models.UniqueConstraint(fields=["submission", "field"], name="one_file_per_field")
        ]

    def __str__(self) -> str:
        return self.original_name


class Expert(models.Model):
    """A judge: who they are, where they work and what they know (which drives assignment)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expert"
    )
    name = models.CharField(_("name"), max_length=200)
    programmes = models.ManyToManyField(
        Programme, verbose_name=_("programmes"), related_name="experts"
    )
    tracks = models.ManyToManyField(
        Track,
        verbose_name=_("tracks"),
        blank=True,
        related_name="experts",
        help_text=_("Leave empty to review in every track."),
    )
    organisation_name = models.CharField(_("organisation"), max_length=200)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="experts",
    )
    country = CountryField(_("country or region"))
    expertise = models.TextField(_("expertise"), blank=True)
    keywords = models.CharField(_("keywords"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("expert")
        verbose_name_plural = _("experts")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def documents_text(self) -> list[str]:
        """The expert's own texts, one per document, for affinity: the profile first."""
        profile = f"{self.expertise}\n{self.keywords}".strip()
        texts = [f"{doc.title}\n{doc.abstract}" for doc in self.documents.all()]
        return [profile, *texts] if profile else texts


class ExpertDocument(models.Model):
    """A publication, past project or patent of an expert: a title and an abstract."""

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("title"), max_length=300)
    abstract = models.TextField(_("abstract"), blank=True, max_length=5000)
    url = models.URLField(_("link"), blank=True)

    class Meta:
        verbose_name = _("expert's document")
        verbose_name_plural = _("expert's documents")
        ordering = ["expert", "id"]

    def __str__(self) -> str:
        return self.title


class ConflictSource(models.TextChoices):
    DECLARED = "declared", _("Declared by the expert")
    ORGANISATION = "organisation", _("Same organisation")
    SELF = "self", _("Self-nomination")
    COUNTRY = "country", _("Same country")
    RELATIONSHIP = "relationship", _("Listed relationship")


#: Conflicts the platform derives and recomputes; the others are entered by people.
COMPUTED_SOURCES = (ConflictSource.ORGANISATION, ConflictSource.SELF, ConflictSource.COUNTRY)


class Conflict(models.Model):
    """A conflict of interest: with one submission, or (declared or listed by the organisers)
    with an organisation, which puts every submission from it out of the expert's reach."""

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="conflicts")
    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, null=True, blank=True, related_name="conflicts"
    )
    organisation_name = models.CharField(_("organisation"), max_length=200, blank=True)
    source = models.CharField(_("source"), max_length=14, choices=ConflictSource.choices)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("conflict of interest")
        verbose_name_plural = _("conflicts of interest")
        constraints = [
            models.CheckConstraint(
                condition=Q(submission__isnull=False) | ~Q(organisation_name=""),
                name="conflict_names_submission_or_organisation",
            ),
            models.UniqueConstraint(
                fields=["expert", "submission", "source"],
                condition=Q(submission__isnull=False),
                name="unique_submission_conflict",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.expert} / {self.submission or self.organisation_name}"


class AssignmentSource(models.TextChoices):
    SOLVER = "solver", _("Assignment run")
    MANUAL = "manual", _("Set by the organisers")


class ReviewAssignment(models.Model):
    """An expert asked to review a submission in a round; or, when ``forbidden``, a pair the
    organisers keep apart. A pinned pair survives every new assignment run."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="assignments")
    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="assignments")
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="assignments")
    pinned = models.BooleanField(_("pinned"), default=False)
    forbidden = models.BooleanField(_("forbidden"), default=False)
    source = models.CharField(max_length=8, choices=AssignmentSource.choices)
    affinity = models.FloatField(_("affinity"), default=0.0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("review assignment")
        verbose_name_plural = _("review assignments")
        ordering = ["round", "submission", "expert"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "expert", "submission"], name="unique_review_assignment"
            ),
            models.CheckConstraint(
                condition=~(Q(pinned=True) & Q(forbidden=True)), name="pinned_or_forbidden"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.expert} → {self.submission}"


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


class Review(models.Model):
    assignment = models.OneToOneField(
        ReviewAssignment, on_delete=models.CASCADE, related_name="review"
    )
    scores = models.JSONField(_("scores"), default=dict)
    comment = models.TextField(_("comment"), blank=True, max_length=5000)
    status = models.CharField(
        _("status"), max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT
    )
    total = models.FloatField(_("weighted total"), null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")

    def __str__(self) -> str:
        return f"{self.assignment} ({self.get_status_display()})"


class Outcome(models.TextChoices):
    ADVANCE = "advance", _("Advances to the next round")
    PRIZE = "prize", _("Prize")
    REJECT = "reject", _("Not selected")


class Decision(models.Model):
    """What the committee decided for a submission at the end of a round, and why."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="decisions")
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="decisions")
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices)
    tier = models.ForeignKey(
        PrizeTier,
        verbose_name=_("prize tier"),
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="decisions",
    )
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    reason = models.TextField(_("reason"), max_length=2000)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["round", "rank", "id"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "round"], name="one_decision_per_round"),
            models.CheckConstraint(
                condition=Q(outcome="prize", tier__isnull=False)
                | (~Q(outcome="prize") & Q(tier__isnull=True)),
                name="prize_decision_has_tier",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.submission}: {self.get_outcome_display()}"
