"""Enrolment from the registration photo, consent, deletion and purge; faces at the gates
(1:1 with the badge, 1:N among the guests allowed in the zone), with real photos."""

import datetime as dt

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from huiwu.checkin import galleries, messages, services
from huiwu.checkin.models import Decision, FaceDescriptor, GalleryVersion, Method, ScanEvent
from huiwu.core.models import ActionLog
from huiwu.core.services import actions_for
from huiwu.registration import services as registration_services
from huiwu.registration.badges import badge_token
from huiwu.registration.models import Registration
from tests import factories
from tests.checkin.factories import (
    BIDEN,
    NO_FACE,
    OBAMA,
    STRANGER,
    TWO_PEOPLE,
    enrolled,
    first_photo,
    make_site,
    moment,
    with_photo,
)

pytestmark = pytest.mark.django_db

OBAMA_PROBE = OBAMA / "obama2.jpg"
KIT = OBAMA.parent / "kit_harington"
KIT_PROBE = KIT / "johnsnow_test1.jpg"
BIDEN_PROBE = BIDEN / "biden2.jpg"


def stored_files(root) -> list:
    return sorted(path for path in root.rglob("*") if path.is_file())


def actions(guest, prefix="face.") -> list[str]:
    return list(
        actions_for(guest)
        .filter(action__startswith=prefix)
        .order_by("pk")
        .values_list("action", flat=True)
    )


# --- Enrolment -------------------------------------------------------------------------------
def test_enrolment_stores_the_descriptor_with_its_engine_and_no_copy_of_the_photo(site, media):
    guest = with_photo(site.guest(), first_photo(OBAMA))
    files = stored_files(media)

    descriptor = services.enrol_face(guest)

    engine = services.engine()
    assert (descriptor.engine, descriptor.model_hash) == (engine.name, engine.model_hash)
    vector = galleries.as_vector(descriptor.vector)
    assert vector.shape == (engine.dimension,)
    assert descriptor.source == guest.photo.name
    assert stored_files(media) == files
    assert actions(guest) == ["face.enrolled"]
    assert len(GalleryVersion.objects.get(summit=site.summit).stamp) == 32


def test_enrolment_needs_the_guests_consent(site):
    guest = with_photo(site.guest(), first_photo(OBAMA), consent=False)
    with pytest.raises(services.CheckinError) as refused:
        services.enrol_face(guest)
    assert refused.value.field == "face_consent"
    assert not FaceDescriptor.objects.exists()


@pytest.mark.parametrize(
    ("photo", "code", "message"),
    [
        (NO_FACE, "no_face", "No face was found in the photo"),
        (TWO_PEOPLE, "several_faces", "There are several faces in the photo"),
    ],
)
def test_a_photo_without_one_usable_face_is_refused_with_a_specific_message(
    site, photo, code, message
):
    guest = with_photo(site.guest(), photo)
    with pytest.raises(services.FaceRefused) as refused:
        services.enrol_face(guest)
    assert (refused.value.code, refused.value.field) == (code, "photo")
    assert refused.value.message.startswith(message)
    assert not FaceDescriptor.objects.exists()
    assert actions(guest) == []


def test_withdrawing_consent_deletes_the_descriptor_at_once(site):
    guest = enrolled(site, first_photo(OBAMA))

    services.withdraw_face_consent(guest)

    guest.refresh_from_db()
    assert guest.face_consent is False
    assert not FaceDescriptor.objects.exists()
    assert actions(guest) == ["face.enrolled", "face.deleted"]
    assert ActionLog.objects.get(action="face.deleted").data == {"reason": "consent_withdrawn"}


def test_consent_withdrawn_on_the_guests_own_page_deletes_the_descriptor(site, client):
    guest = enrolled(site, first_photo(OBAMA))

    response = client.post(
        f"/en/register/r/{guest.access_key}/consent/", {"face_consent": "no"}, follow=True
    )

    assert response.status_code == 200
    assert not FaceDescriptor.objects.exists()
    assert actions(guest) == ["face.enrolled", "face.deleted"]


def test_a_rejected_or_withdrawn_registration_loses_its_descriptor(site, organiser):
    guest = enrolled(site, first_photo(OBAMA))
    registration_services.reject(guest, by=organiser, reason="Security check.")
    assert not FaceDescriptor.objects.exists()
    assert ActionLog.objects.get(action="face.deleted").data == {"reason": "no_longer_needed"}


def test_submitting_with_consent_and_a_photo_enrols_after_the_commit(
    site, django_capture_on_commit_callbacks
):
    guest = with_photo(site.guest(status="draft"), first_photo(OBAMA))
    with django_capture_on_commit_callbacks(execute=True):
        registration_services.submit(guest)
    assert FaceDescriptor.objects.get().registration == guest
    # Saving again (nothing about the face changed) keeps the descriptor as it is.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        Registration.objects.get(pk=guest.pk).save()
    assert callbacks == []
    assert actions(guest) == ["face.enrolled"]


def test_an_unusable_photo_found_after_submission_is_logged_and_the_badge_remains(
    site, django_capture_on_commit_callbacks
):
    guest = with_photo(site.guest(status="draft"), NO_FACE)
    with django_capture_on_commit_callbacks(execute=True):
        registration_services.submit(guest)
    assert not FaceDescriptor.objects.exists()
    assert ActionLog.objects.get(action="face.enrolment_refused").data == {"code": "no_face"}


def test_purge_deletes_every_descriptor_of_the_summit_and_logs_each(site):
    guests = [enrolled(site, first_photo(OBAMA)), enrolled(site, first_photo(BIDEN))]
    elsewhere = make_site(factories.SummitFactory())
    kept = enrolled(elsewhere, first_photo(OBAMA))

    call_command("purge_biometrics", summit=site.summit.slug)

    assert list(FaceDescriptor.objects.values_list("registration", flat=True)) == [kept.pk]
    for guest in guests:
        assert actions(guest) == ["face.enrolled", "face.deleted"]


def test_a_purged_summit_gets_no_descriptor_again_when_a_guest_is_saved(
    site, django_capture_on_commit_callbacks
):
    guest = enrolled(site, first_photo(OBAMA))
    services.purge_biometrics(site.summit)

    with django_capture_on_commit_callbacks(execute=True):
        Registration.objects.get(pk=guest.pk).save()

    assert not FaceDescriptor.objects.exists()
    assert services.may_hold_descriptor(guest) is False
    with pytest.raises(services.CheckinError):
        services.enrol_face(guest)
    assert not FaceDescriptor.objects.exists()
    assert list(actions_for(site.summit).values_list("action", "data")) == [
        ("face.purged", {"count": 1})
    ]


def test_a_registration_rejected_while_its_face_was_computed_gets_no_descriptor(site, organiser):
    guest = with_photo(site.guest(), first_photo(OBAMA))
    # Rejected by the secretariat while the enrolment of the guest's last save is under way.
    registration_services.reject(Registration.objects.get(pk=guest.pk), by=organiser, reason="x")

    with pytest.raises(services.CheckinError):
        services.enrol_face(guest)

    assert not FaceDescriptor.objects.exists()
    assert actions(guest) == []


def test_purge_waits_for_the_end_of_the_summit_unless_forced(site):
    today = dt.date.today()
    site.summit.start_date, site.summit.end_date = today, today + dt.timedelta(days=1)
    site.summit.save()
    enrolled(site, first_photo(OBAMA))
    with pytest.raises(CommandError, match="ends on"):
        call_command("purge_biometrics", summit=site.summit.slug)
    assert FaceDescriptor.objects.count() == 1
    with pytest.raises(CommandError, match="No summit 'nowhere'"):
        call_command("purge_biometrics", summit="nowhere")
    call_command("purge_biometrics", summit=site.summit.slug, force=True)
    assert not FaceDescriptor.objects.exists()


# --- Faces at the gates ------------------------------------------------------------------------
def face_scan(gate, frame, guest=None, key="k1", **extra):
    return services.scan(
        gate,
        idempotency_key=key,
        captured_at=moment(),
        qr_token=badge_token(guest) if guest is not None else None,
        frame=frame.read_bytes(),
        now=moment(),
        **extra,
    )


def test_badge_and_own_face_admit_and_the_match_is_audited(site):
    guest = enrolled(site, first_photo(OBAMA))
    gate, _token = site.gate()

    result = face_scan(gate, OBAMA_PROBE, guest)

    assert (result.decision, result.event.method) == (Decision.ADMIT, Method.FACE)
    assert result.event.distance < services.engine().thresholds.verify
    assert actions(guest) == ["face.enrolled", "face.matched"]


def test_a_badge_shown_by_someone_else_is_refused(site):
    guest = enrolled(site, first_photo(OBAMA))
    gate, _token = site.gate()

    result = face_scan(gate, BIDEN_PROBE, guest)

    assert (result.decision, result.reason) == (Decision.DENY, messages.FACE_MISMATCH)
    assert result.registration == guest
    assert actions(guest) == ["face.enrolled", "face.mismatched"]


def test_a_guest_without_face_check_in_passes_on_the_badge(site):
    guest = site.guest()
    gate, _token = site.gate()
    result = face_scan(gate, BIDEN_PROBE, guest)
    assert (result.decision, result.event.method) == (Decision.ADMIT, Method.QR)


def test_a_typed_document_number_needs_a_matching_face(site):
    guest = enrolled(site, first_photo(OBAMA))
    gate, _token = site.gate()

    own = face_scan(gate, OBAMA_PROBE, id_number=guest.id_number.lower())
    assert (own.decision, own.registration) == (Decision.ADMIT, guest)

    other_gate, _token = site.gate()
    other = face_scan(other_gate, STRANGER, id_number=guest.id_number)
    assert (other.decision, other.event.reason) == (Decision.DENY, messages.FACE_MISMATCH)

    unknown = face_scan(other_gate, OBAMA_PROBE, key="k2", id_number="X0000000")
    assert (unknown.decision, unknown.event.reason) == (Decision.DENY, messages.UNKNOWN_ID)

    with pytest.raises(services.CheckinError) as refused:
        services.scan(gate, idempotency_key="k3", captured_at=moment(), id_number="X0000000")
    assert refused.value.field == "frame"


def test_the_gate_does_not_tell_whether_a_typed_document_number_belongs_to_a_guest(site):
    """Unknown number, a guest without face check-in, a guest with another face: the gate hears
    one answer; the staff see in the scan which it was."""
    enrolled_guest = enrolled(site, first_photo(BIDEN))
    plain_guest = site.guest()
    gate, _token = site.gate()

    results = [
        face_scan(gate, OBAMA_PROBE, key="unknown", id_number="X0000000"),
        face_scan(gate, OBAMA_PROBE, key="plain", id_number=plain_guest.id_number),
        face_scan(gate, OBAMA_PROBE, key="other-face", id_number=enrolled_guest.id_number),
        face_scan(gate, OBAMA_PROBE, key="plain", id_number=plain_guest.id_number),  # a retry
    ]

    assert {(r.decision, r.reason, r.message) for r in results} == {
        (
            Decision.DENY,
            messages.UNCERTAIN,
            "The face was not recognised with certainty; please show your QR badge.",
        )
    }
    assert [r.event.reason for r in results] == [
        messages.UNKNOWN_ID,
        messages.NOT_ENROLLED,
        messages.FACE_MISMATCH,
        messages.NOT_ENROLLED,
    ]
    # With the badge, the guest is known anyway: the gate says what went wrong.
    badge = face_scan(gate, OBAMA_PROBE, enrolled_guest, key="badge")
    assert badge.reason == messages.FACE_MISMATCH


def test_face_only_admits_an_enrolled_guest_allowed_in_the_zone(site):
    guest = enrolled(site, first_photo(OBAMA))
    enrolled(site, first_photo(BIDEN))
    gate, _token = site.gate(mode="identify")

    result = face_scan(gate, OBAMA_PROBE)

    assert (result.decision, result.registration) == (Decision.ADMIT, guest)


def test_face_only_never_admits_a_stranger(site):
    enrolled(site, first_photo(OBAMA))
    enrolled(site, first_photo(BIDEN))
    gate, _token = site.gate(mode="identify")

    result = face_scan(gate, STRANGER)

    assert (result.decision, result.reason, result.registration) == (
        Decision.NO_MATCH,
        messages.UNCERTAIN,
        None,
    )
    assert (
        result.message == "The face was not recognised with certainty; please show your QR badge."
    )


def test_face_only_searches_only_the_guests_allowed_in_the_zone_now(site):
    """A forum room searches its seat holders: an enrolled guest without a seat is not even a
    candidate there, though the same face opens the main hall."""
    seated = enrolled(site, first_photo(OBAMA))
    site.seat(seated)
    unseated = enrolled(site, first_photo(KIT))
    forum_gate, _token = site.gate(site.forum_room, mode="identify")
    hall_gate, _token = site.gate(mode="identify")

    assert face_scan(forum_gate, KIT_PROBE).decision == Decision.NO_MATCH
    assert face_scan(forum_gate, OBAMA_PROBE, key="k2").registration == seated
    assert face_scan(hall_gate, KIT_PROBE).registration == unseated


def test_a_face_only_search_at_a_badge_gate_is_refused(site):
    gate, _token = site.gate()
    with pytest.raises(services.CheckinError) as refused:
        face_scan(gate, OBAMA_PROBE)
    assert refused.value.field == "qr_token"


@pytest.mark.parametrize("mode", ["verify", "identify"])
def test_a_frame_without_a_face_is_refused_and_records_nothing(site, mode):
    guest = enrolled(site, first_photo(OBAMA))
    gate, _token = site.gate(mode=mode)
    with pytest.raises(services.FaceRefused) as refused:
        face_scan(gate, NO_FACE, guest if mode == "verify" else None)
    assert (refused.value.code, refused.value.field) == ("no_face", "frame")
    assert not ScanEvent.objects.exists()


def test_identify_mode_is_refused_for_a_vip_lounge(site):
    with pytest.raises(services.CheckinError) as refused:
        site.gate(site.vip_lounge, mode="identify")
    assert refused.value.field == "mode"


def test_the_gallery_follows_enrolments_and_deletions(site):
    engine = services.engine()
    first = enrolled(site, first_photo(OBAMA))
    gallery = galleries.summit_gallery(site.summit.pk, engine)
    assert len(gallery) == 1
    second = enrolled(site, first_photo(BIDEN))
    gallery = galleries.summit_gallery(site.summit.pk, engine)
    assert (first.pk in gallery, second.pk in gallery) == (True, True)
    services.withdraw_face_consent(first)
    gallery = galleries.summit_gallery(site.summit.pk, engine)
    assert (first.pk in gallery, len(gallery)) == (False, 1)
    stored = FaceDescriptor.objects.get().vector
    nearest = gallery.search(galleries.as_vector(stored), k=1)
    assert nearest[0][0] == second.pk and np.isclose(nearest[0][1], 0.0, atol=1e-5)


def test_a_face_only_exit_searches_the_guests_inside(site):
    guest = enrolled(site, first_photo(OBAMA))
    entry, _token = site.gate()
    exit_gate, _token = site.gate(direction="out", mode="identify")

    before = face_scan(exit_gate, OBAMA_PROBE)
    services.scan(entry, idempotency_key="in", captured_at=moment(), qr_token=badge_token(guest))
    after = face_scan(exit_gate, OBAMA_PROBE, key="k2")

    assert (before.decision, after.decision, after.registration) == (
        Decision.NO_MATCH,
        Decision.ADMIT,
        guest,
    )
    assert after.event.moved is True


@pytest.mark.parametrize("mode", ["verify", "identify"])
def test_settings_override_the_calibrated_thresholds_per_engine(site, settings, mode):
    """An event that wants stricter gates tightens them without a code change."""
    guest = enrolled(site, first_photo(OBAMA))
    gate, _token = site.gate(mode=mode)
    engine_name = services.engine().name
    settings.FACE_THRESHOLDS = {engine_name: {"verify": 0.0, "identify": 0.0}}
    scan = face_scan(gate, OBAMA_PROBE, guest if mode == "verify" else None)
    assert scan.decision != Decision.ADMIT
    settings.FACE_THRESHOLDS = {}
    scan = face_scan(gate, OBAMA_PROBE, guest if mode == "verify" else None, key="k2")
    assert scan.decision == Decision.ADMIT
