"""The secretariat's admin for gate devices: the token is shown once, revoking stops it."""

import re
from html import unescape

import pytest
from django.test import Client

from huiwu.checkin import services
from huiwu.checkin.models import GateDevice
from huiwu.core.models import ActionLog
from tests import factories

pytestmark = pytest.mark.django_db

ADD = "/en/admin/checkin/gatedevice/add/"
LIST = "/en/admin/checkin/gatedevice/"


@pytest.fixture
def secretariat(organiser) -> Client:
    client = Client()
    client.force_login(organiser)
    return client


def test_registering_a_device_shows_its_token_once(secretariat, site):
    response = secretariat.post(
        ADD,
        {"name": "North gate", "zone": site.main_hall.pk, "direction": "in", "mode": "verify"},
        follow=True,
    )

    assert response.status_code == 200
    token = re.search(r"The device's token is (\S+) —", unescape(response.content.decode()))[1]
    device = GateDevice.objects.get()
    assert (device.name, device.summit, device.zone) == ("North gate", site.summit, site.main_hall)
    device_client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert device_client.get("/api/v1/checkin/device").json()["name"] == "North gate"
    page = secretariat.get(f"{LIST}{device.pk}/change/").content.decode()
    assert token not in page
    assert ActionLog.objects.filter(action="gate_device.registered").count() == 1


def test_the_admin_refuses_a_face_only_gate_at_the_vip_lounge(secretariat, site):
    response = secretariat.post(
        ADD, {"name": "VIP", "zone": site.vip_lounge.pk, "direction": "in", "mode": "identify"}
    )
    assert response.status_code == 200
    assert "choose the verify mode" in unescape(response.content.decode())
    assert not GateDevice.objects.exists()


def test_revoking_devices_stops_their_tokens(secretariat, site):
    device, token = services.register_device(site.summit, name="East", zone=site.main_hall)

    response = secretariat.post(
        LIST, {"action": "revoke_selected", "_selected_action": [device.pk]}, follow=True
    )

    assert "1 device revoked" in response.content.decode()
    device.refresh_from_db()
    assert (device.active, device.revoked_at is not None) == (False, True)
    assert (
        Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/checkin/device").status_code
        == 401
    )


def test_gate_staff_cannot_manage_devices(site):
    client = Client()
    client.force_login(factories.UserFactory(roles=["gate_staff"], is_staff=True))
    assert client.get(ADD).status_code == 403
