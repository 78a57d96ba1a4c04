from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CheckinConfig(AppConfig):
    name = "huiwu.checkin"
    label = "checkin"
    verbose_name = _("Gate check-in")

    def ready(self) -> None:
        from django.db.models.signals import post_save, pre_delete

        from huiwu.checkin import jobs, receivers, selectors
        from huiwu.checkin.models import FaceDescriptor
        from huiwu.checkin.rules import can_check_in_manually
        from huiwu.core import figures, periodic, workspaces
        from huiwu.core.roles import Role, register_permissions
        from huiwu.registration.models import Registration

        register_permissions(
            Role.ORGANISER,
            [
                "checkin.add_gatedevice",
                "checkin.change_gatedevice",
                "checkin.view_gatedevice",
                "checkin.view_scanevent",
            ],
        )
        register_permissions(Role.GATE_STAFF, ["checkin.view_scanevent"])
        figures.register(selectors.checkin_figures)
        # Purge the face descriptors of summits that are over, daily.
        periodic.register("checkin.purge_biometrics", jobs.purge_ended_summits, jobs.PURGE_SECONDS)
        post_save.connect(
            receivers.follow_registration,
            sender=Registration,
            dispatch_uid="checkin.follow_registration",
        )
        pre_delete.connect(
            receivers.forget_descriptor,
            sender=FaceDescriptor,
            dispatch_uid="checkin.forget_descriptor",
        )

        workspaces.register(_("Manual check-in lane"), "checkin:manual", can_check_in_manually.test)
