"""The programme in the secretariat's admin: summits, venues, rooms, zones, forums, sessions.

Organisers see and change everything. A forum co-organiser sees only the forums its institutions
host or co-host, and their sessions; it edits their texts and agenda, while the place, the time,
the seats and the hosts stay the secretariat's decisions.
"""

import contextlib
import datetime as dt
import re

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import flatten_fieldsets
from django.db.models import Count, Prefetch, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from huiwu.core.admin import HuiwuModelAdmin, ParentScopedInline
from huiwu.core.models import Person
from huiwu.core.rules import is_organiser
from huiwu.core.services import DomainError
from huiwu.summit import services
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
from huiwu.summit.rules import can_set_forum_hosts, refused_forum_fields
from huiwu.summit.selectors import current_summit, managed_forums


def _moment(value: dt.datetime, summit: Summit, *, date: bool = True) -> str:
    """A time of the programme as read at the summit: ``2024-11-20 09:00``, or ``09:00``."""
    return date_format(timezone.localtime(value, summit.tz), "Y-m-d H:i" if date else "H:i")


def _same_day(start: dt.datetime, end: dt.datetime, summit: Summit) -> bool:
    return timezone.localtime(start, summit.tz).date() == timezone.localtime(end, summit.tz).date()


# --- Filters -----------------------------------------------------------------------------------


class DayListFilter(admin.SimpleListFilter):
    """The days of the summit chosen in the summit filter (else of the current one, among those
    of the user's forums), each day running from midnight to midnight at the summit."""

    title = _("day")
    parameter_name = "day"
    #: The parameter of the list's summit filter.
    summit_parameter = ""

    def lookups(self, request, model_admin):
        summits = Summit.objects.order_by("-is_current", "-start_date")
        if not is_organiser(request.user):
            summits = summits.filter(pk__in=managed_forums(request.user).values("summit_id"))
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


class ScopedListFilter(admin.RelatedOnlyFieldListFilter):
    """The secretariat chooses among every summit, venue or room; a co-organiser among those
    of its own forums, the rows the list shows it."""

    def field_choices(self, field, request, model_admin):
        if is_organiser(request.user):
            return admin.RelatedFieldListFilter.field_choices(self, field, request, model_admin)
        return super().field_choices(field, request, model_admin)


class RoomListFilter(ScopedListFilter):
    """Rooms named with their venue, read in one query rather than one per room."""

    def field_choices(self, field, request, model_admin):
        rooms = Room.objects.select_related("venue")
        if not is_organiser(request.user):
            used = model_admin.get_queryset(request).values(f"{self.field_path}__pk")
            rooms = rooms.filter(pk__in=used)
        return [(room.pk, str(room)) for room in rooms]


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


class ZoneForm(forms.ModelForm):
    """An access zone, whose rooms are chosen among those of its summit's venues."""

    class Meta:
        model = Zone
        fields = ["summit", "name", "kind", "venue", "rooms", "capacity", "stop_when_full"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        summit = self.instance.summit_id or self.initial.get("summit")
        if "rooms" in self.fields and not self.is_bound and summit:
            # Offered: the summit's rooms. Sent rooms of another summit are refused in clean(),
            # saying why, rather than as an unknown choice.
            self.fields["rooms"].queryset = Room.objects.filter(
                venue__summit=summit
            ).select_related("venue")

    def clean(self) -> dict:
        cleaned = super().clean()
        summit, rooms = cleaned.get("summit"), cleaned.get("rooms")
        if summit is not None and rooms:
            strangers = [room for room in rooms if room.venue.summit_id != summit.pk]
            if strangers:
                self.add_error(
                    "rooms",
                    ngettext(
                        "%(rooms)s belongs to another summit; choose rooms of %(summit)s.",
                        "%(rooms)s belong to another summit; choose rooms of %(summit)s.",
                        len(strangers),
                    )
                    % {"rooms": ", ".join(str(room) for room in strangers), "summit": summit},
                )
        if cleaned.get("stop_when_full") and cleaned.get("capacity") is None and not rooms:
            self.add_error(
                "stop_when_full",
                _("Give the zone a capacity or rooms, so that the gates know when it is full."),
            )
        return cleaned


@admin.register(Zone)
class ZoneAdmin(HuiwuModelAdmin):
    form = ZoneForm
    list_display = ["name", "summit", "kind", "venue", "capacity", "stop_when_full", "room_count"]
    list_filter = ["summit", "kind", "venue", "stop_when_full"]
    list_select_related = ["summit", "venue"]
    search_fields = ["name"]
    autocomplete_fields = ["venue"]
    filter_horizontal = ["rooms"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(room_count=Count("rooms"))

    def get_changeform_initial_data(self, request) -> dict:
        initial = super().get_changeform_initial_data(request)
        if "summit" not in initial and (current := current_summit()) is not None:
            initial["summit"] = current.pk
        return initial

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "rooms":
            kwargs["queryset"] = Room.objects.select_related("venue")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

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


# The time zone of the summit whose times a change page reads and writes, kept on the request
# for the form fields to name it; None when the page does not know the summit yet.
SUMMIT_ZONE = "summit_time_zone"


class SummitTimes:
    """Times typed and shown in the summit's own time zone, labelled with its name, whatever
    the server's zone: a forum in Hong Kong or Paris is entered as the programme prints it."""

    time_fields = ("starts_at", "ends_at")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and db_field.name in self.time_fields:
            zone = getattr(request, SUMMIT_ZONE, None)
            if zone:
                field.label = _("%(time)s (%(zone)s)") % {
                    "time": capfirst(db_field.verbose_name),
                    "zone": zone,
                }
            else:
                field.help_text = _("In the time zone of the summit.")
        return field


class SummitTimesAdmin(SummitTimes):
    """A change page read and written in the time zone of the summit it belongs to."""

    def summit_of(self, request, object_id: str | None) -> Summit | None:
        """The summit of the object, or the one chosen in the form (or offered first); the
        admins that use this say how to find it. Without one, the server's zone holds."""
        return None

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if object_id is not None and not str(object_id).isdigit():
            summit = None
        else:
            summit = self.summit_of(request, object_id)
        setattr(request, SUMMIT_ZONE, summit.time_zone if summit else None)
        with timezone.override(summit.tz) if summit else contextlib.nullcontext():
            response = super().changeform_view(request, object_id, form_url, extra_context)
            # Rendered here, while the zone is active, rather than later on the way out.
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
        return response


def _chosen(request, name: str) -> str:
    value = request.POST.get(name, request.GET.get(name, ""))
    return value if value.isdigit() else ""


class InstitutionsFormSet(forms.BaseInlineFormSet):
    """The host and co-host rows of a forum, which must name a host and each institution once."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        institutions = institutions_in(self)
        if institutions is not None:
            try:
                services.check_forum_institutions(*institutions)
            except DomainError as error:
                raise forms.ValidationError(error.message) from error


def _ordered_rows(formset, field: str) -> list[dict] | None:
    """The cleaned rows of a valid formset that name ``field`` and are not deleted, by their
    order (then their place on the page); ``None`` when the rows are unchanged."""
    if not formset.has_changed():
        return None
    forms = (getattr(form, "cleaned_data", {}) for form in formset.forms)
    rows = [
        (data.get("order") or 0, index, data)
        for index, data in enumerate(forms)
        if data.get(field) and not data.get("DELETE")
    ]
    rows.sort(key=lambda row: row[:2])
    return [data for *_place, data in rows]


def institutions_in(formset) -> tuple[list, list] | None:
    """The hosts and co-hosts the rows of a valid formset name, each by its order; ``None``
    when the rows are unchanged."""
    rows = _ordered_rows(formset, "organisation")
    if rows is None:
        return None
    return tuple(
        [row["organisation"] for row in rows if row["role"] == wanted]
        for wanted in (OrganiserRole.HOST, OrganiserRole.CO_HOST)
    )


class ForumOrganiserInline(ParentScopedInline, admin.TabularInline):
    """The host and co-host institutions. Their staff manage the forum, so only the
    secretariat names them."""

    model = ForumOrganiser
    formset = InstitutionsFormSet
    own_permissions = False
    fields = ["organisation", "role", "order"]
    autocomplete_fields = ["organisation"]

    def get_extra(self, request, obj=None, **kwargs) -> int:
        return 1 if obj is None else 0

    def has_add_permission(self, request, obj=None) -> bool:
        return can_set_forum_hosts(request.user) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return can_set_forum_hosts(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return can_set_forum_hosts(request.user) and super().has_delete_permission(request, obj)


class SessionInline(SummitTimes, ParentScopedInline, admin.TabularInline):
    model = Session
    fields = ["title", "kind", "starts_at", "ends_at"]
    extra = 0
    show_change_link = True


@admin.register(Forum)
class ForumAdmin(SummitTimesAdmin, HuiwuModelAdmin):
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
        ("summit", ScopedListFilter),
        ForumDayFilter,
        "track",
        "kind",
        ("room__venue", ScopedListFilter),
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
    logged_by_service = True
    change_labels = {"hosts": _("host institutions"), "co_hosts": _("co-host institutions")}

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
        # A co-organiser sees, but does not change, what the secretariat decides.
        return [*refused_forum_fields(request.user, flatten_fieldsets(self.fieldsets)), *readonly]

    def get_changeform_initial_data(self, request) -> dict:
        initial = super().get_changeform_initial_data(request)
        if "summit" not in initial and (current := current_summit()) is not None:
            initial["summit"] = current.pk
        return initial

    def summit_of(self, request, object_id: str | None) -> Summit | None:
        if object_id is not None:
            return Summit.objects.filter(forums__pk=object_id).first()
        if chosen := _chosen(request, "summit"):
            return Summit.objects.filter(pk=chosen).first()
        return current_summit()

    def save_model(self, request, obj, form, change) -> None:
        """Nothing yet: ``save_related`` writes the forum with its institutions, through the
        service, once the inline rows are known."""

    def save_related(self, request, form, formsets, change) -> None:
        institutions = None
        for formset in formsets:
            if formset.model is ForumOrganiser:
                institutions = institutions_in(formset)
        hosts, co_hosts = institutions or (None, None)
        services.save_forum(form.instance, by=request.user, hosts=hosts, co_hosts=co_hosts)
        form.save_m2m()
        for formset in formsets:
            if formset.model is ForumOrganiser:
                # The service wrote the rows; saving without committing only tells Django's
                # history which rows changed.
                formset.save(commit=False)
            else:
                self.save_formset(request, form, formset, change)

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is not Session:
            super().save_formset(request, form, formset, change)
            return
        sessions = formset.save(commit=False)
        for session in formset.deleted_objects:
            self._log(request, session, "deleted")
            session.delete()
        for session in sessions:
            services.save_session(session, by=request.user)

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
        return ", ".join(org.short_name or str(org) for org in forum.hosts())


# --- Sessions ----------------------------------------------------------------------------------


class SessionSpeakerInline(ParentScopedInline, admin.TabularInline):
    model = SessionSpeaker
    own_permissions = False
    fields = ["person", "role", "order"]
    autocomplete_fields = ["person"]
    extra = 0


def line_up_in(formset) -> list[tuple[Person, str]] | None:
    """The (person, role) pairs the speaker rows of a valid formset name, by their order;
    ``None`` when the rows are unchanged."""
    rows = _ordered_rows(formset, "person")
    return None if rows is None else [(row["person"], row["role"]) for row in rows]


@admin.register(Session)
class SessionAdmin(SummitTimesAdmin, HuiwuModelAdmin):
    list_display = ["title", "forum", "kind", "starts", "ends", "speaker_count"]
    list_filter = [
        ("forum__summit", ScopedListFilter),
        SessionDayFilter,
        "forum__track",
        "kind",
        ("forum", admin.RelatedOnlyFieldListFilter),
        ("forum__room__venue", ScopedListFilter),
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
    logged_by_service = True

    def summit_of(self, request, object_id: str | None) -> Summit | None:
        if object_id is not None:
            return Summit.objects.filter(forums__sessions__pk=object_id).first()
        if chosen := _chosen(request, "forum"):
            return Summit.objects.filter(forums__pk=chosen).first()
        return None

    def save_model(self, request, obj, form, change) -> None:
        """Nothing yet: ``save_related`` writes the session with its speakers, through the
        service, once the inline rows are known."""

    def save_related(self, request, form, formsets, change) -> None:
        speakers = None
        for formset in formsets:
            if formset.model is SessionSpeaker:
                speakers = line_up_in(formset)
        services.save_session(form.instance, by=request.user, speakers=speakers)
        form.save_m2m()
        for formset in formsets:
            if formset.model is SessionSpeaker:
                # The service wrote the rows; saving without committing only tells Django's
                # history which rows changed.
                formset.save(commit=False)
            else:
                self.save_formset(request, form, formset, change)

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
