from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistrationConfig(AppConfig):
    name = "huiwu.registration"
    label = "registration"
    verbose_name = _("Guest registration")

    def ready(self) -> None:
        from huiwu.core import figures, workspaces
        from huiwu.registration import selectors
        from huiwu.registration.rules import can_use_secretariat

        figures.register(selectors.guest_figures, countries=selectors.guest_countries)

        workspaces.register(
            _("Registrations and seats"), "secretariat:queue", can_use_secretariat.test
        )
