"""The demo's gates: real photos enrolled for fitting guests, fixed device tokens, a morning of
check-ins that leaves the enrolled guests outside for the kiosk."""

import pytest

from huiwu.checkin import demo, selectors, services
from huiwu.checkin.models import FaceDescriptor, Presence
from tests.checkin.factories import make_site

pytestmark = pytest.mark.django_db


def test_the_demo_enrols_fitting_guests_registers_its_gates_and_simulates_a_morning(summit):
    site = make_site(summit)
    american, chinese = site.guest(nationality="US"), site.guest(nationality="CN")
    crowd = [site.guest(nationality="KE") for _ in range(5)]
    lines = []

    demo.build(summit, names=None, say=lambda label, detail: lines.append(f"{label}: {detail}"))

    enrolled = set(FaceDescriptor.objects.values_list("registration", flat=True))
    assert enrolled == {american.pk, chinese.pk}
    american.refresh_from_db()
    assert american.face_consent is True and american.photo.name.startswith("portraits/")
    for _name, _direction, mode, token in demo.DEMO_GATES:
        device = services.device_for_token(token)
        assert (device.zone, device.mode) == (site.main_hall, mode)
        assert f"token {token}" in "\n".join(lines)
    inside = set(Presence.objects.filter(inside=True).values_list("registration", flat=True))
    assert inside and inside <= {guest.pk for guest in crowd}
    [hall] = [row for row in selectors.zone_occupancy(summit) if row.zone == site.main_hall]
    assert hall.inside == len(inside)


def test_without_the_face_sets_the_demo_skips_enrolment(summit, monkeypatch, tmp_path):
    site = make_site(summit)
    site.guest(nationality="US")
    monkeypatch.setattr(demo, "SHARED_DATA", tmp_path / "absent")
    lines = []

    demo.build(summit, names=None, say=lambda label, detail: lines.append(f"{label}: {detail}"))

    assert not FaceDescriptor.objects.exists()
    assert any("guests not enrolled" in line for line in lines)
