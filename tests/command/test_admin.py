"""The command centre in the admin: the secretariat corrects an incident's words there, but
what the services own (status, stamps, needs, places, dispatches) stays as they left it, and an
incident someone was sent to is never deleted."""

import pytest
from django.urls import reverse

from huiwu.command.models import Dispatch, Incident
from tests import factories
from tests.command.factories import IncidentFactory
from tests.volunteers import factories as vf

pytestmark = pytest.mark.django_db


def url(name: str, *args) -> str:
    return reverse(f"admin:command_{name}", args=args)


@pytest.fixture
def incident(summit):
    return IncidentFactory(summit=summit, venue=factories.VenueFactory(summit=summit))


def sent(incident) -> Dispatch:
    return Dispatch.objects.create(
        incident=incident,
        volunteer=vf.SelectedFactory(summit=incident.summit),
        respond_by=incident.created_at,
    )


def test_the_admin_corrects_the_words_and_leaves_what_the_services_own(organiser_client, incident):
    elsewhere = factories.VenueFactory()  # another summit's
    owned = ("status", "needs", "venue", "zone", "post", "lat", "lon", "dispatched_at")
    before = list(Incident.objects.values(*owned))

    response = organiser_client.post(
        url("incident_change", incident.pk),
        {
            "kind": "security",
            "priority": "2",
            "place": "Hall 2, west door",
            "description": "A bag left alone.",
            "resolution": "",
            "status": "resolved",
            "needs": '["fr:²", "juggling"]',
            "venue": str(elsewhere.pk),
            "lat": "0",
            "lon": "0",
            "dispatched_at_0": "2024-11-20",
            "dispatched_at_1": "09:00",
            "dispatches-TOTAL_FORMS": "0",
            "dispatches-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    incident.refresh_from_db()
    assert (incident.kind, incident.priority, incident.place, incident.description) == (
        "security",
        2,
        "Hall 2, west door",
        "A bag left alone.",
    )
    assert list(Incident.objects.values(*owned)) == before


def test_an_incident_someone_was_sent_to_is_not_deleted(organiser_client, incident):
    sent(incident)

    page = organiser_client.get(url("incident_change", incident.pk)).content.decode()
    assert url("incident_delete", incident.pk) not in page
    assert organiser_client.get(url("incident_delete", incident.pk)).status_code == 403
    deleted = organiser_client.post(url("incident_delete", incident.pk), {"post": "yes"})
    chosen = {"action": "delete_selected", "_selected_action": [incident.pk], "post": "yes"}
    deleted_from_the_list = organiser_client.post(url("incident_changelist"), chosen)

    assert (deleted.status_code, deleted_from_the_list.status_code) == (403, 403)
    assert (Incident.objects.count(), Dispatch.objects.count()) == (1, 1)


def test_a_dispatch_is_never_deleted_in_the_admin(organiser_client, incident):
    offer = sent(incident)

    assert organiser_client.get(url("dispatch_change", offer.pk)).status_code == 200
    response = organiser_client.post(url("dispatch_delete", offer.pk), {"post": "yes"})

    assert response.status_code == 403
    assert Dispatch.objects.count() == 1


def test_an_incident_raised_by_mistake_with_nobody_sent_may_be_deleted(organiser_client, incident):
    response = organiser_client.post(url("incident_delete", incident.pk), {"post": "yes"})

    assert response.status_code == 302
    assert Incident.objects.count() == 0
