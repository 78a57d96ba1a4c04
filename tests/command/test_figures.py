"""The summit in figures gains the command centre's: incidents, and those resolved."""

import pytest
from django.test import Client

from huiwu.command.models import IncidentStatus
from tests import factories
from tests.command.factories import IncidentFactory

pytestmark = pytest.mark.django_db


def test_the_figures_api_counts_the_current_summits_incidents_and_those_resolved(summit):
    IncidentFactory.create_batch(2, summit=summit, status=IncidentStatus.RESOLVED)
    IncidentFactory(summit=summit, status=IncidentStatus.CANCELLED)
    IncidentFactory(summit=summit)
    IncidentFactory(summit=factories.SummitFactory(), status=IncidentStatus.RESOLVED)

    figures = Client().get("/api/v1/figures").json()

    assert (figures["summit"], figures["incidents"], figures["incidents_resolved"]) == (
        summit.slug,
        4,
        2,
    )


def test_a_summit_without_incidents_counts_none(summit):
    figures = Client().get("/api/v1/figures").json()

    assert (figures["incidents"], figures["incidents_resolved"]) == (0, 0)
