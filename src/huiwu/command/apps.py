from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommandConfig(AppConfig):
    name = "huiwu.command"
    label = "command"
    verbose_name = _("Command centre")

    def ready(self) -> None:
        from django.conf import settings

        from huiwu.command import (
            receivers,  # noqa: F401 (connects the live updates)
            services,
        )
        from huiwu.command.report import command_figures
        from huiwu.command.rules import MODELS, can_command
        from huiwu.command.views.incidents import phone_panel
        from huiwu.core import figures, periodic, workspaces
        from huiwu.core.roles import Role, register_permissions
        from huiwu.volunteers.panels import register_duty_panel

        figures.register(command_figures)
        # Zones over capacity, gates gone silent, no-shows at critical posts.
        periodic.register("command.watch", services.watch, settings.COMMAND_WATCH_SECONDS)
        register_duty_panel(phone_panel)

        register_permissions(
            Role.COMMAND_OPERATOR,
            [
                f"command.{action}_{model}"
                for model in MODELS
                for action in ("add", "change", "view")
            ],
        )

        workspaces.register(_("Command centre"), "command:dashboard", can_command.test)
