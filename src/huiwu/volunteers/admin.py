"""The volunteer office's admin: to fix data the office pages do not reach (a university's
name, a post's requirements, a wrong duty time). The office and the secretariat only
(``volunteers.rules`` gives the model permissions).

Positions are read and deleted here, never typed in; sign-ins are made by volunteers, and
hours are corrected through a correction, which the volunteer's record shows apart.
"""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from huiwu.core.admin import HuiwuModelAdmin
from huiwu.volunteers.models import (
    Application,
    Assignment,
    DutyRecord,
    HoursCorrection,
    Interview,
    PositionPing,
    Post,
    PostShift,
    RosterRun,
    SelectionExplanation,
    SelectionRun,
    Shift,
    TrainingAttendance,
    TrainingSession,
    University,
)
from huiwu.volunteers.rules import is_volunteer_office


class OfficeAdmin(HuiwuModelAdmin):
    def has_module_permission(self, request) -> bool:
        return is_volunteer_office(request.user)


class ReadOnlyMixin:
    """Records the platform writes (positions, runs, explanations): read, or delete, only."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(University)
class UniversityAdmin(OfficeAdmin):
    list_display = ["short_name", "name", "city", "application_count"]
    search_fields = ["short_name", "name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(application_count=Count("applications"))

    @admin.display(description=_("applications"), ordering="application_count")
    def application_count(self, university: University) -> int:
        return university.application_count


class InterviewInline(admin.TabularInline):
    model = Interview
    extra = 0
    fields = ["round", "score", "notes", "interviewer"]
    autocomplete_fields = []


class HoursCorrectionInline(admin.TabularInline):
    model = HoursCorrection
    extra = 0
    fields = ["hours", "reason", "by", "at"]
    readonly_fields = ["by", "at"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Application)
class ApplicationAdmin(OfficeAdmin):
    list_display = ["name", "university", "student_number", "status", "score", "summit"]
    list_filter = ["summit", "status", "university"]
    list_select_related = ["university", "summit"]
    search_fields = ["name", "student_number", "email", "phone"]
    readonly_fields = ["public_id", "location_consent_at", "created_at", "decided_at"]
    raw_id_fields = ["user"]
    inlines = [InterviewInline, HoursCorrectionInline]
    fieldsets = [
        (None, {"fields": ["summit", "status", "user", "public_id"]}),
        (
            _("Applicant"),
            {
                "fields": [
                    "name",
                    "gender",
                    "phone",
                    "email",
                    "university",
                    "student_number",
                    "photo",
                    "tshirt_size",
                    "emergency_name",
                    "emergency_phone",
                ]
            },
        ),
        (_("Abilities"), {"fields": ["languages", "skills", "experience", "availability"]}),
        (_("Location on duty"), {"fields": ["location_consent", "location_consent_at"]}),
        (_("Assessment"), {"fields": ["rubric_score", "score", "created_at", "decided_at"]}),
    ]


@admin.register(Post)
class PostAdmin(OfficeAdmin):
    list_display = ["name", "kind", "venue", "room", "needs_training", "summit"]
    list_filter = ["summit", "kind", "venue", "needs_training"]
    list_select_related = ["venue", "room", "summit"]
    search_fields = ["name"]


class PostShiftInline(admin.TabularInline):
    model = PostShift
    extra = 0
    fields = ["post", "headcount"]


@admin.register(Shift)
class ShiftAdmin(OfficeAdmin):
    list_display = ["name", "start", "end", "summit"]
    list_filter = ["summit"]
    inlines = [PostShiftInline]


@admin.register(Assignment)
class AssignmentAdmin(OfficeAdmin):
    list_display = ["application", "post_shift", "source", "created_at"]
    list_filter = ["source", "post_shift__shift__summit"]
    list_select_related = ["application__university", "post_shift__post", "post_shift__shift"]
    search_fields = ["application__name", "application__student_number"]
    raw_id_fields = ["application", "post_shift", "created_by"]


@admin.register(TrainingSession)
class TrainingSessionAdmin(OfficeAdmin):
    list_display = ["name", "start", "end", "place", "summit"]
    list_filter = ["summit"]
    filter_horizontal = ["posts"]


@admin.register(TrainingAttendance)
class TrainingAttendanceAdmin(OfficeAdmin):
    list_display = ["application", "session", "attended", "recorded_at"]
    list_filter = ["session", "attended"]
    raw_id_fields = ["application", "recorded_by"]


@admin.register(DutyRecord)
class DutyRecordAdmin(OfficeAdmin):
    list_display = [
        "assignment",
        "signed_in_at",
        "signed_out_at",
        "inside_geofence",
        "distance_m",
        "closed_at_shift_end",
        "no_show",
    ]
    list_filter = ["no_show", "closed_at_shift_end", "inside_geofence"]
    list_select_related = [
        "assignment__application__university",
        "assignment__post_shift__post",
        "assignment__post_shift__shift",
    ]
    search_fields = ["assignment__application__name"]
    raw_id_fields = ["assignment"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(PositionPing)
class PositionPingAdmin(ReadOnlyMixin, OfficeAdmin):
    list_display = ["application", "at", "lat", "lon", "accuracy_m", "received_at"]
    list_select_related = ["application__university"]
    search_fields = ["application__name"]
    date_hierarchy = "at"
    show_action_log = False


@admin.register(HoursCorrection)
class HoursCorrectionAdmin(ReadOnlyMixin, OfficeAdmin):
    list_display = ["application", "hours", "reason", "by", "at"]
    list_select_related = ["application__university", "by"]
    search_fields = ["application__name", "reason"]


class ExplanationInline(ReadOnlyMixin, admin.TabularInline):
    model = SelectionExplanation
    extra = 0
    fields = ["application", "decision", "code", "params"]
    readonly_fields = fields
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("application__university")


@admin.register(SelectionRun)
class SelectionRunAdmin(ReadOnlyMixin, OfficeAdmin):
    list_display = ["at", "summit", "size", "selected", "reserve", "total_score", "applied"]
    list_filter = ["summit", "applied"]


@admin.register(RosterRun)
class RosterRunAdmin(ReadOnlyMixin, OfficeAdmin):
    list_display = ["at", "summit", "status", "coverage", "assigned", "changed", "seconds"]
    list_filter = ["summit"]
