"""Small exposures closed: the manual lane serves no draft's portrait, and the gate API refuses
an oversized frame before reading it."""

import pytest

from huiwu.checkin import faces
from huiwu.checkin.models import Presence, ScanEvent
from huiwu.registration.badges import badge_token
from tests.checkin.factories import OBAMA, first_photo, with_photo
from tests.checkin.test_api import device_client, post_scan
from tests.checkin.test_pages import as_role, url

pytestmark = pytest.mark.django_db


def test_the_lane_serves_no_portrait_of_a_draft_as_if_the_guest_were_unknown(client, site):
    draft = with_photo(site.guest(status="draft"), first_photo(OBAMA))
    submitted = with_photo(site.guest(status="submitted"), first_photo(OBAMA))
    staff = as_role(client, "gate_staff")

    response = staff.get(url("checkin:manual_photo", draft.public_id))

    assert response.status_code == 404
    assert staff.get(url("checkin:manual_photo", submitted.public_id)).status_code == 200


def test_a_frame_over_the_size_limit_is_refused_before_anything_is_decided(site):
    # A guest without face check-in: the frame would otherwise never be looked at.
    guest = site.guest()
    _gate, token = site.gate()

    response = post_scan(
        device_client(token), qr_token=badge_token(guest), frame=bytes(faces.MAX_BYTES + 1)
    )

    assert response.status_code == 422
    assert response.json() == {
        "detail": "This picture is too large; send a smaller one.",
        "field": "frame",
    }
    assert not ScanEvent.objects.exists()
    assert not Presence.objects.exists()


def test_a_frame_at_the_size_limit_is_still_read(site):
    guest = site.guest()
    _gate, token = site.gate()
    response = post_scan(
        device_client(token), qr_token=badge_token(guest), frame=bytes(faces.MAX_BYTES)
    )
    assert response.status_code == 200
    assert response.json()["decision"] == "admit"
