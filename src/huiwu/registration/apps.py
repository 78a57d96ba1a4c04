from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistrationConfig(AppConfig):
    name = "huiwu.registration"
    label = "registration"
    verbose_name = _("Guest registration")

    def ready(self) -> None:
        from huiwu.core import figures
        from huiwu.registration import selectors

        figures.register(selectors.guest_figures, countries=selectors.guest_countries)
