from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommandConfig(AppConfig):
    name = "huiwu.command"
    label = "command"
    verbose_name = _("Command centre")

    def ready(self) -> None:
        from huiwu.command import receivers  # noqa: F401 (connects the live updates)
        from huiwu.command.rules import MODELS
        from huiwu.core.roles import Role, register_permissions

        register_permissions(
            Role.COMMAND_OPERATOR,
            [
                f"command.{action}_{model}"
                for model in MODELS
                for action in ("add", "change", "view")
            ],
        )
