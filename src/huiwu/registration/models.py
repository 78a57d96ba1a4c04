"""Guests of a summit: categories, invitations, delegations, registrations and forum seats."""

import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from i18nfield.fields import I18nCharField, I18nTextField

from huiwu.core.i18n import localized, validate_required_languages
from huiwu.core.models import Organisation
from huiwu.summit.models import Forum, Summit, Zone


def new_access_key() -> str:
    """The secret of a personal link: 32 url-safe characters, about 190 bits."""
    return secrets.token_urlsafe(24)


class OptionalField(models.TextChoices):
    """Fields of the guest form that a category may make required."""

    ORGANISATION = "organisation", _("Organisation")
    POSITION = "position", _("Position")
    ID_DOCUMENT = "id_document", _("Identity document")
    PHOTO = "photo", _("Portrait photo")
    TRAVEL_DATES = "travel_dates", _("Arrival and departure dates")
    PHONE = "phone", _("Phone")


class GuestCategory(models.Model):
    """A kind of guest (government, business, media …) with its own form rules and badge."""

    summit = models.ForeignKey(
        Summit, verbose_name=_("summit"), on_delete=models.CASCADE, related_name="categories"
    )
    code = models.SlugField(_("code"))
    name = I18nCharField(_("name"), validators=[validate_required_languages])
    description = I18nTextField(_("description"), blank=True, null=True)
    badge_colour = models.CharField(
        _("badge colour"),
        max_length=7,
        default="#1f4e8c",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Give the colour as #RRGGBB."))],
    )
    required_fields = models.JSONField(
        _("required fields"),
        default=list,
        blank=True,
        help_text=_("Fields the guests of this category must fill in, besides name and e-mail."),
    )
    zones = models.ManyToManyField(
        Zone, verbose_name=_("access zones"), blank=True, related_name="categories"
    )
    public = models.BooleanField(
        _("open to the public form"),
        default=False,
        help_text=_("Guests may choose it themselves; otherwise only by invitation."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("guest category")
        verbose_name_plural = _("guest categories")
        ordering = ["summit", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["summit", "code"], name="unique_category_code")
        ]

    def __str__(self) -> str:
        return localized(self.name)

    def clean(self) -> None:
        known = set(OptionalField.values)
        if not isinstance(self.required_fields, list) or not set(self.required_fields) <= known:
            raise ValidationError(
                {
                    "required_fields": _("Choose required fields among: %(fields)s.")
                    % {"fields": ", ".join(sorted(known))}
                }
            )

    def requires(self, field: str) -> bool:
        return field in self.required_fields


class Delegation(models.Model):
    """Guests who come together (a ministerial delegation, a company team), with a leader who
    registers and follows them."""

    summit = models.ForeignKey(
        Summit, verbose_name=_("summit"), on_delete=models.CASCADE, related_name="delegations"
    )
    name = models.CharField(_("name"), max_length=200)
    country = CountryField(_("country or region"))
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("leader"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_delegations",
    )
    access_key = models.CharField(
        max_length=64, unique=True, default=new_access_key, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        ordering = ["summit", "name"]

    def __str__(self) -> str:
        return self.name


class Invitation(models.Model):
    """A personal, single-use link to the registration form, sent by e-mail."""

    summit = models.ForeignKey(
        Summit, verbose_name=_("summit"), on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("e-mail"))
    name = models.CharField(_("name"), max_length=200, blank=True)
    category = models.ForeignKey(
        GuestCategory, verbose_name=_("category"), on_delete=models.RESTRICT, related_name="+"
    )
    forum = models.ForeignKey(
        Forum,
        verbose_name=_("forum"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitations",
        help_text=_("Set when a forum's co-organiser invites the guest."),
    )
    delegation = models.ForeignKey(
        Delegation, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitations"
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    code = models.CharField(max_length=64, unique=True, default=new_access_key, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name or self.email} ({self.summit})"


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    INFO_REQUESTED = "info_requested", _("More information requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Participation(models.TextChoices):
    ON_SITE = "on_site", _("On site")
    ONLINE = "online", _("Online")


class IdType(models.TextChoices):
    PASSPORT = "passport", _("Passport")
    CN_ID = "cn_id", _("Resident identity card (mainland China)")
    HK_MO_PERMIT = "hk_mo_permit", _("Mainland travel permit for Hong Kong and Macao residents")
    TW_PERMIT = "tw_permit", _("Mainland travel permit for Taiwan residents")


class Registration(models.Model):
    """One guest's application to a summit, from draft to decision, and the badge it earns."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    summit = models.ForeignKey(
        Summit, verbose_name=_("summit"), on_delete=models.CASCADE, related_name="registrations"
    )
    category = models.ForeignKey(
        GuestCategory,
        verbose_name=_("category"),
        # RESTRICT, not PROTECT: deleting a whole summit takes its registrations along.
        on_delete=models.RESTRICT,
        related_name="registrations",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    # Who
    name = models.CharField(_("name in own script"), max_length=200)
    name_latin = models.CharField(_("name in Latin letters"), max_length=200)
    nationality = CountryField(_("nationality"))
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    organisation_name = models.CharField(_("organisation"), max_length=200, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="registrations",
    )
    position = models.CharField(_("position"), max_length=200, blank=True)
    id_type = models.CharField(
        _("identity document"), max_length=20, choices=IdType.choices, blank=True
    )
    id_number = models.CharField(_("document number"), max_length=40, blank=True)
    # How
    participation = models.CharField(
        _("participation"),
        max_length=10,
        choices=Participation.choices,
        default=Participation.ON_SITE,
    )
    arrival_date = models.DateField(_("arrival"), null=True, blank=True)
    departure_date = models.DateField(_("departure"), null=True, blank=True)
    dietary = models.CharField(_("dietary needs"), max_length=200, blank=True)
    accessibility = models.CharField(_("accessibility needs"), max_length=300, blank=True)
    language = models.CharField(
        _("language for messages"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    photo = models.ImageField(_("portrait photo"), upload_to="portraits/", blank=True)
    # Face check-in needs its own, explicit consent; None means not asked yet.
    face_consent = models.BooleanField(_("consent to face check-in"), null=True, blank=True)
    face_consent_at = models.DateTimeField(null=True, blank=True, editable=False)
    chosen_forums = models.ManyToManyField(
        Forum,
        verbose_name=_("forums chosen in the draft"),
        blank=True,
        related_name="+",
        help_text=_("Kept until submission, when they become seat requests."),
    )
    # Where it came from
    invitation = models.OneToOneField(
        Invitation, on_delete=models.SET_NULL, null=True, blank=True, related_name="registration"
    )
    delegation = models.ForeignKey(
        Delegation,
        verbose_name=_("delegation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="registrations",
    )
    access_key = models.CharField(
        max_length=64, unique=True, default=new_access_key, editable=False
    )
    # Decision and badge
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decision_reason = models.TextField(_("reason"), blank=True)
    # Bumped when a badge is revoked, so that every token issued before stops working.
    badge_version = models.PositiveIntegerField(default=1, editable=False)
    badge_revoked = models.BooleanField(_("badge revoked"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["summit", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["summit", "email"],
                condition=~Q(status="withdrawn"),
                name="one_registration_per_email",
                violation_error_message=_(
                    "There is already a registration with this e-mail address for this summit; "
                    "open the personal link we sent you instead."
                ),
            )
        ]

    def __str__(self) -> str:
        if self.name and self.name != self.name_latin:
            return f"{self.name} ({self.name_latin})"
        return self.name_latin or self.name


class SeatStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    WAITLISTED = "waitlisted", _("On the waitlist")
    CANCELLED = "cancelled", _("Cancelled")


class SeatHold(models.Model):
    """Seats of a forum kept back (VIP, press) from the guests' requests."""

    forum = models.ForeignKey(
        Forum, verbose_name=_("forum"), on_delete=models.CASCADE, related_name="seat_holds"
    )
    label = I18nCharField(_("for"), validators=[validate_required_languages])
    seats = models.PositiveIntegerField(_("seats"))

    class Meta:
        verbose_name = _("reserved seats")
        verbose_name_plural = _("reserved seats")

    def __str__(self) -> str:
        return f"{localized(self.label)}: {self.seats}"


class SeatRequest(models.Model):
    """A guest's request for a seat in a forum: confirmed, waitlisted (in order) or cancelled."""

    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="seat_requests"
    )
    forum = models.ForeignKey(
        Forum, verbose_name=_("forum"), on_delete=models.CASCADE, related_name="seat_requests"
    )
    status = models.CharField(_("status"), max_length=12, choices=SeatStatus.choices, db_index=True)
    hold = models.ForeignKey(
        SeatHold,
        verbose_name=_("from reserved seats"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="seat_requests",
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("seat request")
        verbose_name_plural = _("seat requests")
        ordering = ["forum", "requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "forum"],
                condition=~Q(status="cancelled"),
                name="one_active_seat_request",
                violation_error_message=_("This guest has already asked for a seat in this forum."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.registration} → {self.forum} ({self.get_status_display()})"
