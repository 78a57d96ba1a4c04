from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VolunteersConfig(AppConfig):
    name = "huiwu.volunteers"
    label = "volunteers"
    verbose_name = _("Volunteers")

    def ready(self) -> None:
        from huiwu.core import figures, periodic, workspaces
        from huiwu.core.roles import Role, register_permissions
        from huiwu.volunteers import selectors, services
        from huiwu.volunteers.rules import MODELS, can_manage_volunteers

        figures.register(selectors.volunteer_figures)
        # Close duties past their shift's end and flag no-shows, every minute.
        periodic.register("volunteers.sweep", services.sweep, 60)
        register_permissions(
            Role.VOLUNTEER_OFFICE,
            [
                f"volunteers.{action}_{model}"
                for model in MODELS
                for action in ("add", "change", "delete", "view")
            ],
        )
        register_permissions(
            Role.COMMAND_OPERATOR,
            ["volunteers.view_positionping", "volunteers.view_dutyrecord"],
        )

        workspaces.register(
            _("Volunteer office"), "volunteers:office-applications", can_manage_volunteers.test
        )
