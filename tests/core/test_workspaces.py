"""Staff find their working pages where they arrive: the admin's index lists those their role
reaches, and only those."""

import pytest
from django.test import Client

from tests import factories

pytestmark = pytest.mark.django_db

PAGES = {
    "Registrations and seats": "/en/secretariat/registrations/",
    "Manual check-in lane": "/en/checkin/manual/",
    "Volunteer office": "/en/volunteers/office/",
    "Awards office": "/en/awards/office/",
    "Command centre": "/en/command/",
}


def listed(user) -> dict[str, str]:
    client = Client()
    client.force_login(user)
    response = client.get("/en/admin/")
    assert response.status_code == 200
    return {label: address for label, address in response.context["workspaces"]()}


def test_the_secretariat_sees_every_working_page_it_may_open(summit):
    organiser = factories.UserFactory(roles=["organiser"], is_staff=True, is_superuser=True)
    assert listed(organiser) == PAGES


def test_a_forum_co_organiser_sees_only_the_registrations(summit):
    forum = factories.UserFactory(roles=["forum_organiser"], is_staff=True)
    assert listed(forum) == {"Registrations and seats": PAGES["Registrations and seats"]}


def test_the_index_links_them_in_chinese_too(summit):
    organiser = factories.UserFactory(roles=["organiser"], is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(organiser)
    body = client.get("/zh-hans/admin/").content.decode()
    assert "您的工作页面" in body
    assert 'href="/zh-hans/command/"' in body and "指挥中心" in body
