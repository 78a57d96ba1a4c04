from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AwardsConfig(AppConfig):
    name = "huiwu.awards"
    label = "awards"
    verbose_name = _("Awards and competitions")

    def ready(self) -> None:
        from huiwu.awards import rules, selectors
        from huiwu.core import figures, workspaces
        from huiwu.core.roles import Role, register_permissions

        register_permissions(Role.AWARDS_OFFICE, rules.OFFICE_PERMISSIONS)
        register_permissions(Role.ORGANISER, rules.OFFICE_PERMISSIONS)
        figures.register(selectors.award_figures, countries=selectors.award_countries)

        workspaces.register(_("Awards office"), "awards:office", rules.can_manage_awards.test)
