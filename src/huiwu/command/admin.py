"""The command centre in the admin: for fixing data, not for running operations.

An incident's words (type, priority, place, description, photo, resolution) may be corrected
here; its status, time stamps, needs, venue, zone, post, point and dispatches move only through
the services (the pages, the API, the escalation), which check them, tell the dashboards and log
them, so that the lifecycle and its audit trail stay whole. Dispatches and broadcasts are read
only; the walking paths of the map are edited here.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from huiwu.command.models import Broadcast, Dispatch, Incident, WalkingPaths
from huiwu.core.admin import HuiwuModelAdmin


class ReadOnlyMixin:
    """Records only the services write: read here, never added or changed."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class DispatchInline(ReadOnlyMixin, admin.TabularInline):
    model = Dispatch
    extra = 0
    fields = [
        "volunteer",
        "status",
        "offered_by",
        "offered_at",
        "respond_by",
        "acknowledged_at",
        "on_scene_at",
        "ended_at",
        "distance_m",
    ]
    readonly_fields = fields
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("volunteer__university", "offered_by")


@admin.register(Incident)
class IncidentAdmin(HuiwuModelAdmin):
    list_display = ["__str__", "kind", "priority", "status", "source", "venue", "created_at"]
    list_filter = ["summit", "status", "kind", "priority", "source"]
    list_select_related = ["venue"]
    search_fields = ["place", "description"]
    date_hierarchy = "created_at"
    inlines = [DispatchInline]
    readonly_fields = [
        "summit",
        "public_id",
        "status",
        "source",
        "venue",
        "zone",
        "post",
        "lat",
        "lon",
        "needs",
        "auto_key",
        "reported_by",
        "created_at",
        "dispatched_at",
        "acknowledged_at",
        "on_scene_at",
        "closed_at",
    ]
    fieldsets = [
        (None, {"fields": ["summit", "public_id", "kind", "priority", "status", "source"]}),
        (_("Where"), {"fields": ["venue", "zone", "post", "lat", "lon", "place"]}),
        (_("What"), {"fields": ["description", "photo", "needs", "resolution", "auto_key"]}),
        (
            _("Lifecycle"),
            {
                "fields": [
                    "reported_by",
                    "created_at",
                    "dispatched_at",
                    "acknowledged_at",
                    "on_scene_at",
                    "closed_at",
                ]
            },
        ),
    ]

    def has_add_permission(self, request) -> bool:
        return False  # raised through the command centre, which checks and announces it

    def has_delete_permission(self, request, obj=None) -> bool:
        # Once someone was sent, the incident is part of the summit's record (the report counts
        # it, the volunteer's task points to it): it is cancelled on its page, which says why.
        # One raised by mistake, with nobody sent, may still be removed here.
        if obj is not None and obj.dispatches.exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Dispatch)
class DispatchAdmin(ReadOnlyMixin, HuiwuModelAdmin):
    list_display = ["incident", "volunteer", "status", "offered_at", "respond_by", "ended_at"]
    list_filter = ["status", "incident__summit"]
    list_select_related = ["incident", "volunteer__university"]
    search_fields = ["volunteer__name"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # its incident's lifecycle and the report rest on it


@admin.register(Broadcast)
class BroadcastAdmin(ReadOnlyMixin, HuiwuModelAdmin):
    list_display = ["__str__", "audience", "venue", "post", "language", "recipients", "sent_at"]
    list_filter = ["summit", "audience"]
    list_select_related = ["venue", "post"]
    search_fields = ["text"]


@admin.register(WalkingPaths)
class WalkingPathsAdmin(HuiwuModelAdmin):
    list_display = ["summit", "updated_at"]
    readonly_fields = ["updated_at"]
