"""The awards office configures programmes in the admin; nobody else does."""

import pytest

from tests.awards.test_access import client_for

pytestmark = pytest.mark.django_db


def test_office_configures_a_programme_with_its_tracks_rounds_and_tiers(competition):
    competition.office.is_staff = True
    competition.office.save()
    client = client_for(competition.office)
    page = client.get(f"/en/admin/awards/programme/{competition.programme.pk}/change/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "AI" in text and "gold" in text and "Internet Competition" in text
    assert client.get(f"/en/admin/awards/round/{competition.first.pk}/change/").status_code == 200


def test_an_expert_cannot_configure_programmes(competition):
    expert = competition.experts[0].user
    expert.is_staff = True
    expert.save()
    client = client_for(expert)
    assert client.get("/en/admin/awards/programme/").status_code == 403
    change = client.post(
        f"/en/admin/awards/programme/{competition.programme.pk}/delete/", {"post": "yes"}
    )
    assert change.status_code == 403
    competition.programme.refresh_from_db()
