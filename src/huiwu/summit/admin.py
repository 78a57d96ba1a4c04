"""The programme in the secretariat's admin: summits, venues, rooms, zones, forums, sessions.

Organisers see and change everything. A forum co-organiser sees only the forums its institutions
host or co-host, and their sessions; it edits their texts and agenda, while the place, the time,
the seats and the hosts stay the secretariat's decisions.
"""

import datetime as dt
import re

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import Count, Prefetch, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from huiwu.core.admin import HuiwuModelAdmin, ParentScopedInline
from huiwu.core.rules import is_organiser
from huiwu.summit.models import (
    Forum,
    ForumOrganiser,
    OrganiserRole,
    Room,
    Series,
    Session,
    SessionSpeaker,
    Summit,
    Venue,
    Zone,
)
from huiwu.summit.selectors import managed_forums


def _moment(value: dt.datetime, summit: Summit, *, date: bool = True) -> str:
    """A time of the programme as read at the summit: ``2024-11-20 09:00``, or ``09:00``."""
    return date_format(timezone.localtime(value, summit.tz), "Y-m-d H:i" if date else "H:i")


def _same_day(start: dt.datetime, end: dt.datetime, summit: Summit) -> bool:
    return timezone.localtime(start, summit.tz).date() == timezone.localtime(end, summit.tz).date()


# --- Filters -----------------------------------------------------------------------------------


class DayListFilter(admin.SimpleListFilter):
    """The days of the summit chosen in the summit filter (else of the current one), each day
    running from midnight to midnight at the summit."""

    title = _("day")
    parameter_name = "day"
    #: The parameter of the list's summit filter.
    summit_parameter = ""

    def lookups(self, request, model_admin):
        summits = Summit.objects.order_by("-is_current", "-start_date")
        chosen = request.GET.get(self.summit_parameter, "")
        if chosen.isdigit():
            summits = summits.filter(pk=chosen)
        self.summit = summits.first()
        if self.summit is None:
            return []
        return [
            (day.isoformat(), f"{date_format(day, 'MONTH_DAY_FORMAT')} ({date_format(day, 'D')})")
            for day in self.summit.days
        ]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            day = dt.date.fromisoformat(self.value())
        except ValueError as error:
            # The admin answers this by showing the whole list again, flagged as an error.
            raise IncorrectLookupParameters(error) from error
        tz = self.summit.tz if self.summit else timezone.get_current_timezone()
        start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
        return queryset.filter(starts_at__gte=start, starts_at__lt=start + dt.timedelta(days=1))


class ForumDayFilter(DayListFilter):
    summit_parameter = "summit__id__exact"


class SessionDayFilter(DayListFilter):
    summit_parameter = "forum__summit__id__exact"


class RoomListFilter(admin.RelatedFieldListFilter):
    """Rooms named with their venue, read in one query rather than one per room."""

    def field_choices(self, field, request, model_admin):
        return [(room.pk, str(room)) for room in Room.objects.select_related("venue")]


# --- Series, summits, venues, rooms, zones -----------------------------------------------------


@admin.register(Series)
class SeriesAdmin(HuiwuModelAdmin):
    list_display = ["name", "slug", "summit_count"]
    search_fields = ["name", "slug"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(summit_count=Count("summits"))

    @admin.display(description=_("editions"), ordering="summit_count")
    def summit_count(self, obj) -> int:
        return obj.summit_count


class SummitForm(forms.ModelForm):
    class Meta:
        model = Summit
        fields = [
            "series",
            "name",
            "slug",
            "theme",
            "city",
            "start_date",
            "end_date",
            "time_zone",
            "is_current",
            "is_public",
        ]

    def clean_is_current(self) -> bool:
        # The database allows one current edition; say which one is in the way.
        is_current = self.cleaned_data["is_current"]
        other = Summit.objects.filter(is_current=True).exclude(pk=self.instance.pk).first()
        if is_current and other is not None:
            raise forms.ValidationError(
                _(
                    "“%(summit)s” is the current edition. "
                    "Untick “current edition” on that summit first."
                )
                % {"summit": other}
            )
        return is_current


@admin.register(Summit)
class SummitAdmin(HuiwuModelAdmin):
    form = SummitForm
    list_display = [
        "name",
        "series",
        "city",
        "start_date",
        "end_date",
        "is_current",
        "is_public",
        "forum_count",
    ]
    list_filter = ["series", "is_current", "is_public"]
    list_select_related = ["series"]
    search_fields = ["name", "slug", "theme", "city"]
    fieldsets = [
        (None, {"fields": ["series", "name", "slug", "theme", "city"]}),
        (_("Dates"), {"fields": ["start_date", "end_date", "time_zone"]}),
        (_("Publication"), {"fields": ["is_current", "is_public"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(forum_count=Count("forums"))

    @admin.display(description=_("forums"), ordering="forum_count")
    def forum_count(self, obj) -> int:
        return obj.forum_count


class RoomInline(ParentScopedInline, admin.TabularInline):
    model = Room
    fields = ["name", "floor", "capacity", "press_seats", "has_interpretation", "has_stream"]
    extra = 0
    show_change_link = True


@admin.register(Venue)
class VenueAdmin(HuiwuModelAdmin):
    list_display = ["name", "summit", "kind", "room_count", "seat_count", "latitude", "longitude"]
    list_filter = ["summit", "kind"]
    search_fields = ["name", "slug", "address"]
    inlines = [RoomInline]
    fieldsets = [
        (None, {"fields": ["summit", "name", "slug", "kind"]}),
        (_("Where"), {"fields": ["address", "latitude", "longitude", "outline"]}),
        (_("Presentation"), {"fields": ["description"]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(room_count=Count("rooms"), seat_count=Coalesce(Sum("rooms__capacity"), 0))
        )

    @admin.display(description=_("rooms"), ordering="room_count")
    def room_count(self, obj) -> int:
        return obj.room_count

    @admin.display(description=_("seats"), ordering="seat_count")
    def seat_count(self, obj) -> int:
        return obj.seat_count


@admin.register(Room)
class RoomAdmin(HuiwuModelAdmin):
    list_display = [
        "name",
        "venue",
        "floor",
        "capacity",
        "press_seats",
        "has_interpretation",
        "has_stream",
        "forum_count",
    ]
    list_filter = ["venue__summit", "venue", "has_interpretation", "has_stream"]
    search_fields = ["name", "floor", "venue__name"]
    autocomplete_fields = ["venue"]

    def get_queryset(self, request):
        # The venue is part of a room's name, everywhere it is listed (autocomplete included).
        return (
            super()
            .get_queryset(request)
            .select_related("venue")
            .annotate(forum_count=Count("forums"))
        )

    @admin.display(description=_("forums"), ordering="forum_count")
    def forum_count(self, obj) -> int:
        return obj.forum_count


@admin.register(Zone)
class ZoneAdmin(HuiwuModelAdmin):
    list_display = ["name", "summit", "kind", "venue", "capacity", "room_count"]
    list_filter = ["summit", "kind", "venue"]
    list_select_related = ["summit", "venue"]
    search_fields = ["name"]
    autocomplete_fields = ["venue", "rooms"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(room_count=Count("rooms"))

    @admin.display(description=_("rooms"), ordering="room_count")
    def room_count(self, obj) -> int:
        return obj.room_count


# --- Forums ------------------------------------------------------------------------------------


class LanguageCodesField(forms.CharField):
    """Language codes typed as ``zh-hans, en, fr``, kept as a list."""

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value) -> list[str]:
        text = super().to_python(value)
        return [code.lower() for code in re.split(r"[,\s]+", text) if code]


class ForumForm(forms.ModelForm):
    languages = LanguageCodesField(
        label=capfirst(Forum._meta.get_field("languages").verbose_name),
        required=False,
        help_text=_("Language codes separated by commas, e.g. zh-hans, en, fr."),
    )

    class Meta:
        model = Forum
        fields = ["title", "theme", "description", "languages"]


class ForumOrganiserInline(ParentScopedInline, admin.TabularInline):
    """The host and co-host institutions. Their staff manage the forum, so only the
    secretariat names them."""

    model = ForumOrganiser
    own_permissions = False
    fields = ["organisation", "role", "order"]
    autocomplete_fields = ["organisation"]

    def get_extra(self, request, obj=None, **kwargs) -> int:
        return 1 if obj is None else 0

    def has_add_permission(self, request, obj=None) -> bool:
        return is_organiser(request.user) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return is_organiser(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return is_organiser(request.user) and super().has_delete_permission(request, obj)


class SessionInline(ParentScopedInline, admin.TabularInline):
    model = Session
    fields = ["title", "kind", "starts_at", "ends_at"]
    extra = 0
    show_change_link = True


@admin.register(Forum)
class ForumAdmin(HuiwuModelAdmin):
    form = ForumForm
    list_display = [
        "title",
        "track",
        "kind",
        "room",
        "starts",
        "ends",
        "seats",
        "session_count",
        "hosts",
    ]
    list_filter = [
        "summit",
        ForumDayFilter,
        "track",
        "kind",
        "room__venue",
        ("room", RoomListFilter),
        "is_public",
    ]
    list_select_related = ["summit", "room__venue"]
    search_fields = [
        "title",
        "theme",
        "slug",
        "forum_organisers__organisation__name",
        "forum_organisers__organisation__short_name",
    ]
    autocomplete_fields = ["room"]
    inlines = [ForumOrganiserInline, SessionInline]
    fieldsets = [
        (None, {"fields": ["summit", "slug", "kind", "track", "is_public"]}),
        (_("Texts"), {"fields": ["title", "theme", "description", "languages"]}),
        (_("Place and time"), {"fields": ["room", "starts_at", "ends_at", "capacity"]}),
    ]
    #: What a co-organiser may see but not change: the secretariat's decisions.
    secretariat_fields = [
        "summit",
        "slug",
        "kind",
        "track",
        "is_public",
        "room",
        "starts_at",
        "ends_at",
        "capacity",
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(pk__in=managed_forums(request.user).values("pk"))
            .annotate(
                # distinct: a search through the hosts joins them, which repeats each session.
                session_count=Count("sessions", distinct=True),
                seat_count=Coalesce("capacity", "room__capacity"),
            )
            .prefetch_related(
                Prefetch(
                    "forum_organisers",
                    queryset=ForumOrganiser.objects.select_related("organisation"),
                )
            )
        )

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if is_organiser(request.user):
            return readonly
        return [*self.secretariat_fields, *readonly]

    @admin.display(description=_("starts at"), ordering="starts_at")
    def starts(self, forum: Forum) -> str:
        return _moment(forum.starts_at, forum.summit)

    @admin.display(description=_("ends at"), ordering="ends_at")
    def ends(self, forum: Forum) -> str:
        same_day = _same_day(forum.starts_at, forum.ends_at, forum.summit)
        return _moment(forum.ends_at, forum.summit, date=not same_day)

    @admin.display(description=_("seats"), ordering="seat_count")
    def seats(self, forum: Forum) -> int:
        return forum.seat_count

    @admin.display(description=_("sessions"), ordering="session_count")
    def session_count(self, forum: Forum) -> int:
        return forum.session_count

    @admin.display(description=_("host institutions"))
    def hosts(self, forum: Forum) -> str:
        # Only the hosts: with the co-hosts the column grows too long to scan.
        return ", ".join(
            link.organisation.short_name or str(link.organisation)
            for link in forum.forum_organisers.all()
            if link.role == OrganiserRole.HOST
        )


# --- Sessions ----------------------------------------------------------------------------------


class SessionSpeakerInline(ParentScopedInline, admin.TabularInline):
    model = SessionSpeaker
    own_permissions = False
    fields = ["person", "role", "order"]
    autocomplete_fields = ["person"]
    extra = 0


@admin.register(Session)
class SessionAdmin(HuiwuModelAdmin):
    list_display = ["title", "forum", "kind", "starts", "ends", "speaker_count"]
    list_filter = [
        "forum__summit",
        SessionDayFilter,
        "forum__track",
        "kind",
        ("forum", admin.RelatedOnlyFieldListFilter),
        "forum__room__venue",
    ]
    list_select_related = ["forum__summit"]
    search_fields = ["title", "abstract", "forum__title", "speakers__name", "speakers__name_latin"]
    date_hierarchy = "starts_at"
    autocomplete_fields = ["forum"]
    inlines = [SessionSpeakerInline]
    fieldsets = [
        (None, {"fields": ["forum", "kind", "title", "abstract"]}),
        (_("Time"), {"fields": ["starts_at", "ends_at"]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(forum__in=managed_forums(request.user).values("pk"))
            .annotate(speaker_count=Count("appearances", distinct=True))
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "forum":
            kwargs["queryset"] = managed_forums(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("starts at"), ordering="starts_at")
    def starts(self, session: Session) -> str:
        return _moment(session.starts_at, session.forum.summit)

    @admin.display(description=_("ends at"), ordering="ends_at")
    def ends(self, session: Session) -> str:
        summit = session.forum.summit
        return _moment(
            session.ends_at, summit, date=not _same_day(session.starts_at, session.ends_at, summit)
        )

    @admin.display(description=_("speakers"), ordering="speaker_count")
    def speaker_count(self, session: Session) -> int:
        return session.speaker_count
