"""The shared kernel: organisations, people, memberships and the action log."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from i18nfield.fields import I18nCharField, I18nTextField

from huiwu.core.i18n import localized, validate_required_languages


class OrganisationKind(models.TextChoices):
    GOVERNMENT = "government", _("Government")
    INTERNATIONAL = "international", _("International organisation")
    COMPANY = "company", _("Company")
    UNIVERSITY = "university", _("University")
    THINK_TANK = "think_tank", _("Think tank")
    MEDIA = "media", _("Media")
    ASSOCIATION = "association", _("Industry association")
    NGO = "ngo", _("Non-governmental organisation")


class Organisation(models.Model):
    name = I18nCharField(_("name"), validators=[validate_required_languages])
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    kind = models.CharField(_("type"), max_length=20, choices=OrganisationKind.choices)
    country = CountryField(_("country"))
    website = models.URLField(_("website"), blank=True)
    description = I18nTextField(_("description"), blank=True, null=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["short_name", "id"]

    def __str__(self) -> str:
        return localized(self.name)


class Person(models.Model):
    """Anyone the summit knows by name: a speaker, a guest, an expert, a volunteer."""

    name = models.CharField(
        _("name in own script"), max_length=200, help_text=_("As the person writes it.")
    )
    name_latin = models.CharField(
        _("name in Latin letters"), max_length=200, help_text=_("As in the passport.")
    )
    country = CountryField(_("country or region"))
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="people",
    )
    position = I18nCharField(_("position"), blank=True, null=True)
    biography = I18nTextField(_("biography"), blank=True, null=True)
    email = models.EmailField(_("e-mail"), blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="person",
    )

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["name_latin", "id"]

    def __str__(self) -> str:
        if self.name and self.name != self.name_latin:
            return f"{self.name} ({self.name_latin})"
        return self.name_latin

    def display_name(self, language: str) -> str:
        """The name a reader of ``language`` can read: own script for Chinese readers of
        Chinese names, Latin letters otherwise."""
        if language.startswith("zh") and self.name:
            return self.name
        return self.name_latin or self.name


class Membership(models.Model):
    """A user acting for an organisation (a co-organiser's staff, an exhibitor's team)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="unique_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.organisation}"


class ActionLog(models.Model):
    """Who did what, when, to which object: the audit trail of sensitive actions."""

    timestamp = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=100, db_index=True)
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("type of object"), on_delete=models.CASCADE, related_name="+"
    )
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(_("object"), max_length=300)
    subject = GenericForeignKey("content_type", "object_id")
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("action log entry")
        verbose_name_plural = _("action log")
        ordering = ["-timestamp", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.timestamp:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"
