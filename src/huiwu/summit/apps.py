from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SummitConfig(AppConfig):
    name = "huiwu.summit"
    label = "summit"
    verbose_name = _("Summit programme")

    def ready(self) -> None:
        from huiwu.core import figures
        from huiwu.summit import selectors

        figures.register(selectors.programme_figures, countries=selectors.programme_countries)
