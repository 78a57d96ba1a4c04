"""The secretariat's admin for the gates: register a device (its token is shown once),
revoke it, and read the scans. Devices are written only through ``services``, which keep just
the token's hash and log every registration and revocation."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from huiwu.checkin import services
from huiwu.checkin.models import GateDevice, ScanEvent
from huiwu.core.admin import HuiwuModelAdmin
from huiwu.core.services import DomainError


class GateDeviceForm(forms.ModelForm):
    class Meta:
        model = GateDevice
        fields = ["name", "zone", "direction", "mode"]

    def _post_clean(self):
        super()._post_clean()
        zone = self.cleaned_data.get("zone")
        if zone is None or self.errors:
            return
        # The service's own check, so that the admin refuses exactly what the service would.
        self.instance.summit = zone.summit
        try:
            services.check_device(self.instance)
        except DomainError as error:
            self.add_error(error.field if error.field in self.fields else None, error.message)


@admin.register(GateDevice)
class GateDeviceAdmin(HuiwuModelAdmin):
    form = GateDeviceForm
    logged_by_service = True
    list_display = ["name", "zone", "direction", "mode", "active", "last_seen_at"]
    list_filter = ["summit", "active", "direction", "mode"]
    search_fields = ["name"]
    actions = ["revoke_selected"]

    def has_change_permission(self, request, obj=None) -> bool:
        # A device is registered and revoked, never edited: its token stays with its settings.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoked, so that its scans keep their device

    def save_model(self, request, obj, form, change):
        device, token = services.register_device(
            obj.summit,
            name=obj.name,
            zone=obj.zone,
            direction=obj.direction,
            mode=obj.mode,
            by=request.user,
        )
        obj.pk = device.pk
        self.message_user(
            request,
            _(
                "The device's token is %(token)s — type or paste it into the gate's kiosk now. "
                "It is not shown again; revoke the device and register a new one if it is lost."
            )
            % {"token": token},
            messages.WARNING,
        )

    @admin.action(description=_("Revoke the selected devices"), permissions=["add"])
    def revoke_selected(self, request, queryset):
        revoked = 0
        for device in queryset.filter(active=True):
            services.revoke_device(device, by=request.user)
            revoked += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d device revoked: its token no longer works.",
                "%(count)d devices revoked: their tokens no longer work.",
                revoked,
            )
            % {"count": revoked},
        )


@admin.register(ScanEvent)
class ScanEventAdmin(HuiwuModelAdmin):
    show_action_log = False
    list_display = [
        "captured_at",
        "zone",
        "direction",
        "registration",
        "method",
        "decision",
        "reason",
        "review",
        "device",
    ]
    list_filter = ["decision", "method", "direction", "zone__summit"]
    list_select_related = ["zone", "registration", "device"]
    search_fields = ["registration__name", "registration__name_latin"]
    date_hierarchy = "captured_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
