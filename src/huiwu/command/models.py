"""The command centre's records: incidents, the dispatches of volunteers to them, broadcasts to
volunteers, and the walking paths of the venue map.

Two invariants are the database's to keep, so that they hold under any concurrency:

- a volunteer has at most one open dispatch (offered, acknowledged or on scene) at a time;
- a volunteer is offered an incident at most once: who declined or let it time out is never
  offered the same incident again.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from huiwu.summit.models import Summit, Venue, Zone
from huiwu.volunteers.models import Application, Post


class IncidentKind(models.TextChoices):
    MEDICAL = "medical", _("Medical")
    SECURITY = "security", _("Security")
    CROWDING = "crowding", _("Crowding")
    LOST_ITEM = "lost_item", _("Lost item or person")
    EQUIPMENT = "equipment", _("Equipment failure")
    VIP_MOVEMENT = "vip_movement", _("VIP movement")
    STAFFING = "staffing", _("Post left unstaffed")
    GUEST_HELP = "guest_help", _("Guest needs help")
    OTHER = "other", pgettext_lazy("incident kind", "Other")


class Priority(models.IntegerChoices):
    CRITICAL = 1, _("Critical")
    HIGH = 2, _("High")
    NORMAL = 3, _("Normal")
    LOW = 4, _("Low")


class IncidentStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("incident status", "New")
    DISPATCHED = "dispatched", _("Dispatched")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    ON_SCENE = "on_scene", _("On scene")
    RESOLVED = "resolved", _("Resolved")
    CANCELLED = "cancelled", pgettext_lazy("incident status", "Cancelled")


OPEN_STATUSES = (
    IncidentStatus.NEW,
    IncidentStatus.DISPATCHED,
    IncidentStatus.ACKNOWLEDGED,
    IncidentStatus.ON_SCENE,
)


class IncidentSource(models.TextChoices):
    STAFF = "staff", _("Command staff")
    VOLUNTEER = "volunteer", _("A volunteer's phone")
    AUTOMATIC = "automatic", _("Raised automatically")


class Incident(models.Model):
    """Something on site that needs someone to go there."""

    summit = models.ForeignKey(Summit, on_delete=models.CASCADE, related_name="incidents")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("type"), max_length=20, choices=IncidentKind.choices)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=IncidentStatus.choices,
        default=IncidentStatus.NEW,
        db_index=True,
    )
    source = models.CharField(
        _("raised by"), max_length=10, choices=IncidentSource.choices, default=IncidentSource.STAFF
    )
    # Where: a venue (and zone) when known, a point when known, and words for the rest.
    venue = models.ForeignKey(
        Venue,
        verbose_name=_("venue"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="incidents",
    )
    zone = models.ForeignKey(
        Zone,
        verbose_name=_("zone"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="incidents",
    )
    post = models.ForeignKey(
        Post,
        verbose_name=_("post"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="incidents",
    )
    lat = models.FloatField(
        _("latitude"),
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    lon = models.FloatField(
        _("longitude"),
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    place = models.CharField(_("place"), max_length=200, blank=True)
    description = models.TextField(pgettext_lazy("incident", "description"), blank=True)
    photo = models.ImageField(_("photo"), upload_to="incidents/", blank=True)
    # What whoever goes must bring: skills ("first_aid") and languages ("fr:2" = French at
    # level 2 or better), in the tokens the dispatch index compares.
    needs = models.JSONField(_("needs"), default=list, blank=True)
    # Automatic incidents carry the condition that raised them ("zone:12:over"), so that one
    # condition raises one open incident, however often the watcher looks.
    auto_key = models.CharField(max_length=80, blank=True, editable=False)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    dispatched_at = models.DateTimeField(_("dispatched"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    on_scene_at = models.DateTimeField(_("on scene"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["summit", "auto_key"],
                condition=~Q(auto_key="") & Q(status__in=OPEN_STATUSES),
                name="one_open_incident_per_condition",
            ),
        ]
        indexes = [models.Index(fields=["summit", "status"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class DispatchStatus(models.TextChoices):
    OFFERED = "offered", _("Offered")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    ON_SCENE = "on_scene", _("On scene")
    DONE = "done", pgettext_lazy("dispatch status", "Done")
    DECLINED = "declined", _("Declined")
    TIMED_OUT = "timed_out", _("Timed out")
    WITHDRAWN = "withdrawn", _("Withdrawn")


ACTIVE_DISPATCH = (DispatchStatus.OFFERED, DispatchStatus.ACKNOWLEDGED, DispatchStatus.ON_SCENE)


class Dispatch(models.Model):
    """One volunteer sent to one incident: a task on their phone."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="dispatches")
    volunteer = models.ForeignKey(
        Application,
        verbose_name=_("volunteer"),
        on_delete=models.CASCADE,
        related_name="dispatches",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=DispatchStatus.choices, default=DispatchStatus.OFFERED
    )
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("dispatched by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the escalation offered it."),
    )
    offered_at = models.DateTimeField(_("offered"), auto_now_add=True)
    # When the offer times out unless acknowledged.
    respond_by = models.DateTimeField(_("answer due"))
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    on_scene_at = models.DateTimeField(_("on scene"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    # What the suggestion said when the dispatcher chose this volunteer.
    distance_m = models.FloatField(_("distance (m)"), null=True, blank=True)
    distance_method = models.CharField(max_length=10, blank=True)
    position_age_s = models.FloatField(null=True, blank=True)

    class Meta:
        verbose_name = _("dispatch")
        verbose_name_plural = _("dispatches")
        ordering = ["offered_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["volunteer"],
                condition=Q(status__in=ACTIVE_DISPATCH),
                name="one_open_dispatch_per_volunteer",
            ),
            models.UniqueConstraint(
                fields=["incident", "volunteer"], name="offered_each_incident_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.incident} → {self.volunteer}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_DISPATCH


class Audience(models.TextChoices):
    ALL = "all", _("Every volunteer on duty")
    VENUE = "venue", _("A venue")
    POST = "post", _("A post")
    LANGUAGE = "language", _("A language group")


class Broadcast(models.Model):
    """A message to the volunteers on duty at a venue or post, or who speak a language."""

    summit = models.ForeignKey(Summit, on_delete=models.CASCADE, related_name="broadcasts")
    audience = models.CharField(_("to"), max_length=10, choices=Audience.choices)
    venue = models.ForeignKey(
        Venue, verbose_name=_("venue"), on_delete=models.CASCADE, null=True, blank=True
    )
    post = models.ForeignKey(
        Post, verbose_name=_("post"), on_delete=models.CASCADE, null=True, blank=True
    )
    language = models.CharField(_("language"), max_length=8, blank=True)
    text = models.TextField(_("message"), max_length=500)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True, db_index=True)
    recipients = models.PositiveIntegerField(_("recipients"), default=0)

    class Meta:
        verbose_name = _("broadcast")
        verbose_name_plural = _("broadcasts")
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return self.text[:60]


class WalkingPaths(models.Model):
    """The footpaths and roads between the venues, as a GeoJSON FeatureCollection of
    LineStrings (``properties.kind``: path, road, walkway or footway): drawn on the map and
    walked by the dispatch suggestions."""

    summit = models.OneToOneField(Summit, on_delete=models.CASCADE, related_name="walking_paths")
    geojson = models.JSONField(_("paths (GeoJSON)"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("walking paths")
        verbose_name_plural = _("walking paths")

    def __str__(self) -> str:
        return str(self.summit)
