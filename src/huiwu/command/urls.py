"""The command centre's pages, mounted at ``/<language>/command/``."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from huiwu.command.views import incidents, live, report
from huiwu.core.views import SignInView

sign_in = SignInView.as_view(
    landing="command:dashboard",
    extra_context={
        "kicker": _("Command centre"),
        "heading": _("Command staff sign-in"),
        "intro": _("Sign in with the account the secretariat gave you for the command centre."),
    },
)

app_name = "command"
urlpatterns = [
    path("login/", sign_in, name="login"),
    # Command staff
    path("", live.dashboard, name="dashboard"),
    path("map/", live.map_page, name="map"),
    path("incidents/", incidents.incident_list, name="incidents"),
    path("incidents/new/", incidents.incident_new, name="incident-new"),
    path("incidents/<uuid:public_id>/", incidents.incident_detail, name="incident"),
    path("incidents/<uuid:public_id>/dispatch/", incidents.dispatch, name="dispatch"),
    path("incidents/<uuid:public_id>/status/", incidents.change_status, name="incident-status"),
    path("broadcasts/", incidents.broadcasts, name="broadcasts"),
    path("report/", report.report, name="report"),
    path("report.xlsx", report.report_excel, name="report-excel"),
    # A volunteer's phone
    path("tasks/<int:pk>/answer/", incidents.answer_task, name="task-answer"),
    path("report-incident/", incidents.report_incident, name="report-incident"),
]
