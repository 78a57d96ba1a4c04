"""The summit programme: series and editions, venues, rooms, zones, forums, sessions, speakers."""

import datetime as dt
import zoneinfo
from typing import Any

from django.conf import settings
from django.conf.locale import LANG_INFO
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from i18nfield.fields import I18nCharField, I18nTextField

from huiwu.core.i18n import localized, validate_required_languages
from huiwu.core.models import Organisation, Person

required_text = [validate_required_languages]


def validate_language_codes(value: Any) -> None:
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        raise ValidationError(_("Give the languages as a list of language codes."))
    unknown = [code for code in value if code.lower() not in LANG_INFO]
    if unknown:
        raise ValidationError(
            _("Unknown language code: %(codes)s. Use codes such as zh-hans, en, fr, ar, ru, es.")
            % {"codes": ", ".join(unknown)},
            code="unknown_language",
        )


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("Unknown time zone “%(zone)s”; use a name such as Asia/Shanghai.") % {"zone": value}
        )


def forum_languages_default() -> list[str]:
    return list(settings.REQUIRED_LANGUAGES)


class Series(models.Model):
    """A series of events (the World Internet Conference), each edition a ``Summit``."""

    name = I18nCharField(_("name"), validators=required_text)
    slug = models.SlugField(_("short name in addresses"), unique=True)

    class Meta:
        verbose_name = _("series")
        verbose_name_plural = _("series")
        ordering = ["slug"]

    def __str__(self) -> str:
        return localized(self.name)


class Summit(models.Model):
    series = models.ForeignKey(
        Series, verbose_name=_("series"), on_delete=models.PROTECT, related_name="summits"
    )
    name = I18nCharField(_("name"), validators=required_text)
    slug = models.SlugField(_("short name in addresses"), unique=True)
    theme = I18nCharField(_("theme"), blank=True, null=True)
    city = I18nCharField(_("city"), validators=required_text)
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Shanghai", validators=[validate_time_zone]
    )
    is_current = models.BooleanField(
        _("current edition"),
        default=False,
        help_text=_("The edition the public site shows. Only one can be current."),
    )
    is_public = models.BooleanField(_("published"), default=True)

    class Meta:
        verbose_name = _("summit")
        verbose_name_plural = _("summits")
        ordering = ["-start_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"], condition=Q(is_current=True), name="one_current_summit"
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")), name="summit_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return localized(self.name)

    def clean(self) -> None:
        if not (self.start_date and self.end_date):
            return
        if self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The last day cannot be before the first day.")})
        if self.pk is not None and self.time_zone in zoneinfo.available_timezones():
            self._refuse_stranding_forums()

    def _refuse_stranding_forums(self) -> None:
        """New dates (or a new time zone) must keep every forum on the summit's days."""
        first = dt.datetime.combine(self.start_date, dt.time.min, tzinfo=self.tz)
        after_last = dt.datetime.combine(
            self.end_date + dt.timedelta(days=1), dt.time.min, tzinfo=self.tz
        )
        # A forum ending at midnight ends on the next day, as Forum.clean counts it.
        for field, stranded in (
            ("start_date", self.forums.filter(starts_at__lt=first)),
            ("end_date", self.forums.filter(ends_at__gte=after_last)),
        ):
            count = stranded.count()
            if count:
                raise ValidationError(
                    {
                        field: ngettext(
                            "%(count)d forum of this summit would fall outside these dates; "
                            "move it first.",
                            "%(count)d forums of this summit would fall outside these dates; "
                            "move them first.",
                            count,
                        )
                        % {"count": count}
                    }
                )

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def days(self) -> list[dt.date]:
        count = (self.end_date - self.start_date).days + 1
        return [self.start_date + dt.timedelta(days=offset) for offset in range(count)]


class VenueKind(models.TextChoices):
    CONVENTION_CENTRE = "convention_centre", _("Convention centre")
    EXPO = "expo", _("Exhibition hall")
    BANQUET = "banquet", _("Banquet centre")
    THEATRE = "theatre", _("Theatre")
    HOTEL = "hotel", _("Hotel")
    MUSEUM = "museum", _("Museum")
    OTHER = "other", _("Other")


class Venue(models.Model):
    summit = models.ForeignKey(
        Summit, verbose_name=_("summit"), on_delete=models.CASCADE, related_name="venues"
    )
    slug = models.SlugField(_("short name in addresses"))
    name = I18nCharField(_("name"), validators=required_text)
    kind = models.CharField(
        _("type"), max_length=20, choices=VenueKind.choices, default=VenueKind.OTHER
    )
    address = I18nCharField(_("address"), blank=True, null=True)
    description = I18nTextField(_("description"), blank=True, null=True)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    outline = models.JSONField(
        _("outline"),
        null=True,
        blank=True,
        help_text=_("The building's footprint as a GeoJSON Polygon, drawn on the venue map."),
    )

    class Meta:
        verbose_name = _("venue")
        verbose_name_plural = _("venues")
        ordering = ["summit", "slug"]
        constraints = [
            models.UniqueConstraint(fields=["summit", "slug"], name="unique_venue_slug"),
        ]

    def __str__(self) -> str:
        return localized(self.name)

    def clean(self) -> None:
        if self.outline is not None:
            validate_polygon(self.outline)
        if (
            self.slug
            and self.summit_id
            and Venue.objects.filter(summit_id=self.summit_id, slug=self.slug)
            .exclude(pk=self.pk)
            .exists()
        ):
            # Said here, naming the field, rather than by the database's constraint, whose
            # message names neither the field nor what to do.
            raise ValidationError(
                {
                    "slug": _(
                        "Another venue of this summit already uses the short name “%(slug)s”; "
                        "choose another."
                    )
                    % {"slug": self.slug}
                }
            )


def validate_polygon(geometry: Any) -> None:
    """A GeoJSON Polygon: a list of closed rings of [longitude, latitude] pairs."""
    message = _("The outline must be a GeoJSON Polygon of [longitude, latitude] points.")
    if not isinstance(geometry, dict) or geometry.get("type") != "Polygon":
        raise ValidationError({"outline": message})
    rings = geometry.get("coordinates")
    if not isinstance(rings, list) or not rings:
        raise ValidationError({"outline": message})
    for ring in rings:
        if not isinstance(ring, list) or len(ring) < 4 or ring[0] != ring[-1]:
            raise ValidationError({"outline": message})
        for point in ring:
            if (
                not isinstance(point, list | tuple)
                or len(point) != 2
                or not all(isinstance(c, int | float) for c in point)
                or not (-180 <= point[0] <= 180 and -90 <= point[1] <= 90)
            ):
                raise ValidationError({"outline": message})


class Room(models.Model):
    venue = models.ForeignKey(
        Venue, verbose_name=_("venue"), on_delete=models.CASCADE, related_name="rooms"
    )
    name = I18nCharField(_("name"), validators=required_text)
    floor = models.CharField(_("floor"), max_length=20, blank=True)
    capacity = models.PositiveIntegerField(_("seats"), validators=[MinValueValidator(1)])
    press_seats = models.PositiveIntegerField(_("press seats"), default=0)
    has_interpretation = models.BooleanField(_("simultaneous interpretation"), default=False)
    has_stream = models.BooleanField(_("live stream"), default=False)

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        ordering = ["venue", "id"]

    def __str__(self) -> str:
        return f"{localized(self.venue.name)} · {localized(self.name)}"

    def clean(self) -> None:
        if self.capacity is None:
            return
        if self.press_seats and self.press_seats > self.capacity:
            raise ValidationError(
                {"press_seats": _("A room cannot have more press seats than seats.")}
            )
        if self.pk is not None:
            largest = (
                self.forums.filter(capacity__gt=self.capacity).order_by("-capacity", "id").first()
            )
            if largest is not None:
                raise ValidationError(
                    {
                        "capacity": _(
                            "The forum “%(forum)s” offers %(seats)d seats in this room; "
                            "lower its seats first."
                        )
                        % {"forum": largest, "seats": largest.capacity}
                    }
                )


class ZoneKind(models.TextChoices):
    MAIN_HALL = "main_hall", _("Main hall")
    FORUM_ROOM = "forum_room", _("Forum room")
    VIP_LOUNGE = "vip_lounge", _("VIP lounge")
    PRESS_CENTRE = "press_centre", _("Press centre")
    EXPO = "expo", _("Expo")
    BANQUET = "banquet", _("Banquet")
    OTHER = "other", _("Other")


class ZoneQuerySet(models.QuerySet):
    def with_places(self) -> "ZoneQuerySet":
        """Annotate ``places``: how many people the zone holds, its own capacity else the seats
        of its rooms (``None`` when neither is known). It sums over a join of the rooms: add no
        other aggregate over a relation to the same query."""
        return self.annotate(places=Coalesce("capacity", Sum("rooms__capacity")))


class Zone(models.Model):
    """An access zone: the area behind a set of gates, for which access rules hold."""

    summit = models.ForeignKey(
        Summit, verbose_name=_("summit"), on_delete=models.CASCADE, related_name="zones"
    )
    name = I18nCharField(_("name"), validators=required_text)
    kind = models.CharField(_("type"), max_length=20, choices=ZoneKind.choices)
    venue = models.ForeignKey(
        Venue,
        verbose_name=_("venue"),
        on_delete=models.CASCADE,
        related_name="zones",
        null=True,
        blank=True,
    )
    rooms = models.ManyToManyField(Room, verbose_name=_("rooms"), blank=True, related_name="zones")
    capacity = models.PositiveIntegerField(
        _("capacity"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("How many people may be inside at once; leave empty for the sum of its rooms."),
    )
    stop_when_full = models.BooleanField(
        _("stop entry when full"),
        default=False,
        help_text=_(
            "The gates and the staffed lane refuse entry while the zone holds its capacity; "
            "exits stay open. Gates working offline cannot know and let guests in."
        ),
    )

    objects = ZoneQuerySet.as_manager()

    class Meta:
        verbose_name = _("access zone")
        verbose_name_plural = _("access zones")
        ordering = ["summit", "kind", "id"]

    def __str__(self) -> str:
        return localized(self.name)

    def clean(self) -> None:
        if self.venue_id and self.summit_id and self.venue.summit_id != self.summit_id:
            raise ValidationError({"venue": _("The venue belongs to another summit.")})

    def places(self) -> int | None:
        """How many people the zone holds (see ``ZoneQuerySet.with_places``)."""
        if self.capacity is not None:
            return self.capacity
        if self.pk is None:
            return None
        return self.rooms.aggregate(seats=Sum("capacity"))["seats"]


class Track(models.TextChoices):
    """The four areas the 2024 summit's forums were grouped into."""

    DEVELOPMENT = "development", _("Cooperation and development")
    TECHNOLOGY = "technology", _("Technology and industry")
    GOVERNANCE = "governance", _("Governance and security")
    SOCIETY = "society", _("Humanities and society")


class ForumKind(models.TextChoices):
    CEREMONY = "ceremony", _("Ceremony")
    PLENARY = "plenary", _("Plenary")
    SUB_FORUM = "sub_forum", _("Sub-forum")
    MINISTERIAL = "ministerial", _("Ministerial meeting")
    RELEASE = "release", _("Release event")


class Forum(models.Model):
    summit = models.ForeignKey(
        Summit, verbose_name=_("summit"), on_delete=models.CASCADE, related_name="forums"
    )
    slug = models.SlugField(_("short name in addresses"))
    kind = models.CharField(
        _("type"), max_length=20, choices=ForumKind.choices, default=ForumKind.SUB_FORUM
    )
    track = models.CharField(_("track"), max_length=20, choices=Track.choices)
    title = I18nCharField(_("title"), validators=required_text)
    theme = I18nCharField(_("theme"), blank=True, null=True)
    description = I18nTextField(_("description"), blank=True, null=True)
    room = models.ForeignKey(
        Room, verbose_name=_("room"), on_delete=models.PROTECT, related_name="forums"
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveIntegerField(
        _("seats"),
        null=True,
        blank=True,
        help_text=_("Seats offered to guests; leave empty for every seat of the room."),
    )
    languages = models.JSONField(
        _("languages"),
        default=forum_languages_default,
        blank=True,
        validators=[validate_language_codes],
        help_text=_('Language codes of the forum, e.g. ["zh-hans", "en"].'),
    )
    organisers = models.ManyToManyField(
        Organisation,
        through="ForumOrganiser",
        verbose_name=_("host and co-host institutions"),
        related_name="forums",
    )
    is_public = models.BooleanField(_("published"), default=True)

    class Meta:
        verbose_name = _("forum")
        verbose_name_plural = _("forums")
        ordering = ["summit", "starts_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["summit", "slug"], name="unique_forum_slug"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="forum_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return localized(self.title)

    @property
    def seats(self) -> int:
        return self.capacity if self.capacity is not None else self.room.capacity

    def hosts(self) -> list[Organisation]:
        """The host institutions in their order."""
        return self._institutions(OrganiserRole.HOST)

    def co_hosts(self) -> list[Organisation]:
        """The co-host institutions in their order."""
        return self._institutions(OrganiserRole.CO_HOST)

    def _institutions(self, role: str) -> list[Organisation]:
        # Lists read the links once for every forum (prefetched); a single forum asks for its own.
        if "forum_organisers" in getattr(self, "_prefetched_objects_cache", {}):
            links = self.forum_organisers.all()
        elif self.pk is None:
            return []
        else:
            links = self.forum_organisers.select_related("organisation")
        return [link.organisation for link in links if link.role == role]

    def clean(self) -> None:
        if isinstance(self.languages, list):
            # Stored as Django writes them (zh-hans, not zh-Hans), each once.
            codes = [code.lower() if isinstance(code, str) else code for code in self.languages]
            self.languages = list(dict.fromkeys(codes))
        errors: dict[str, list] = {}
        if self.slug and self.summit_id and self._slug_taken():
            errors.setdefault("slug", []).append(
                _(
                    "Another forum of this summit already uses the short name “%(slug)s”; "
                    "choose another."
                )
                % {"slug": self.slug}
            )
        timed = bool(self.starts_at and self.ends_at)
        if timed:
            if self.ends_at <= self.starts_at:
                timed = False
                errors.setdefault("ends_at", []).append(_("A forum must end after it starts."))
            elif self.summit_id:
                tz = self.summit.tz
                first, last = (
                    self.starts_at.astimezone(tz).date(),
                    self.ends_at.astimezone(tz).date(),
                )
                if first < self.summit.start_date or last > self.summit.end_date:
                    errors.setdefault("starts_at", []).append(
                        _(
                            "A forum must take place on the summit's days, "
                            "from %(start)s to %(end)s."
                        )
                        % {"start": self.summit.start_date, "end": self.summit.end_date}
                    )
            if timed and self.pk is not None:
                outside = self.sessions.filter(
                    Q(starts_at__lt=self.starts_at) | Q(ends_at__gt=self.ends_at)
                ).count()
                if outside:
                    errors.setdefault("starts_at", []).append(
                        ngettext(
                            "%(count)d session of this forum would lie outside the new time; "
                            "move it first (widen the forum's time meanwhile if need be).",
                            "%(count)d sessions of this forum would lie outside the new time; "
                            "move them first (widen the forum's time meanwhile if need be).",
                            outside,
                        )
                        % {"count": outside}
                    )
        if self.room_id:
            if self.summit_id and self.room.venue.summit_id != self.summit_id:
                errors.setdefault("room", []).append(_("The room belongs to another summit."))
            elif timed and (clash := self._clash()) is not None:
                errors.setdefault("room", []).append(
                    _(
                        "The room is booked for “%(forum)s” from %(start)s to %(end)s; "
                        "choose another room or time."
                    )
                    % {
                        "forum": clash,
                        "start": _local_moment(clash.starts_at, clash.summit),
                        "end": _local_moment(clash.ends_at, clash.summit),
                    }
                )
            if self.capacity is not None and self.capacity > self.room.capacity:
                errors.setdefault("capacity", []).append(
                    _("The room %(room)s has only %(seats)d seats; offer at most that many.")
                    % {"room": localized(self.room.name), "seats": self.room.capacity}
                )
        if errors:
            raise ValidationError(errors)

    def _slug_taken(self) -> bool:
        return (
            Forum.objects.filter(summit_id=self.summit_id, slug=self.slug)
            .exclude(pk=self.pk)
            .exists()
        )

    def _clash(self) -> "Forum | None":
        """The first other forum of the summit in the same room at an overlapping time."""
        return (
            Forum.objects.filter(
                summit_id=self.summit_id,
                room_id=self.room_id,
                starts_at__lt=self.ends_at,
                ends_at__gt=self.starts_at,
            )
            .exclude(pk=self.pk)
            .select_related("summit")
            .order_by("starts_at", "id")
            .first()
        )


def _local_moment(moment: dt.datetime, summit: Summit) -> str:
    """``2024-11-20 09:00``, read at the summit."""
    return timezone.localtime(moment, summit.tz).strftime("%Y-%m-%d %H:%M")


class OrganiserRole(models.TextChoices):
    HOST = "host", _("Host")
    CO_HOST = "co_host", _("Co-host")


class ForumOrganiser(models.Model):
    forum = models.ForeignKey(Forum, on_delete=models.CASCADE, related_name="forum_organisers")
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("institution"),
        on_delete=models.PROTECT,
        related_name="forum_roles",
    )
    role = models.CharField(
        _("role"), max_length=10, choices=OrganiserRole.choices, default=OrganiserRole.CO_HOST
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("host or co-host")
        verbose_name_plural = _("hosts and co-hosts")
        # "host" sorts after "co_host": descending puts the hosts first.
        ordering = ["forum", "-role", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["forum", "organisation"], name="unique_forum_organiser")
        ]

    def __str__(self) -> str:
        return f"{self.organisation} ({self.get_role_display()})"


class SessionKind(models.TextChoices):
    OPENING = "opening", _("Opening")
    KEYNOTE = "keynote", _("Keynote")
    PANEL = "panel", _("Panel discussion")
    DIALOGUE = "dialogue", _("Dialogue")
    RELEASE = "release", _("Release")
    SIGNING = "signing", _("Signing ceremony")
    CLOSING = "closing", _("Closing")


class Session(models.Model):
    forum = models.ForeignKey(
        Forum, verbose_name=_("forum"), on_delete=models.CASCADE, related_name="sessions"
    )
    title = I18nCharField(_("title"), validators=required_text)
    abstract = I18nTextField(_("abstract"), blank=True, null=True)
    kind = models.CharField(
        _("type"), max_length=20, choices=SessionKind.choices, default=SessionKind.KEYNOTE
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    speakers = models.ManyToManyField(
        Person, through="SessionSpeaker", verbose_name=_("speakers"), related_name="sessions"
    )

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="session_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return localized(self.title)

    def clean(self) -> None:
        if not (self.starts_at and self.ends_at):
            return
        if self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("A session must end after it starts.")})
        if self.forum_id and (
            self.starts_at < self.forum.starts_at or self.ends_at > self.forum.ends_at
        ):
            tz = self.forum.summit.tz
            raise ValidationError(
                {
                    "starts_at": _(
                        "A session must lie within its forum's time, %(start)s to %(end)s."
                    )
                    % {
                        "start": _local_moment(self.forum.starts_at, self.forum.summit),
                        "end": self.forum.ends_at.astimezone(tz).strftime("%H:%M"),
                    }
                }
            )


class SpeakerRole(models.TextChoices):
    SPEAKER = "speaker", _("Speaker")
    MODERATOR = "moderator", _("Moderator")
    PANELLIST = "panellist", _("Panellist")


class SessionSpeaker(models.Model):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="appearances")
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="appearances"
    )
    role = models.CharField(
        _("role"), max_length=10, choices=SpeakerRole.choices, default=SpeakerRole.SPEAKER
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("speaker")
        verbose_name_plural = _("speakers")
        ordering = ["session", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "person"], name="unique_session_speaker")
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_role_display()})"
