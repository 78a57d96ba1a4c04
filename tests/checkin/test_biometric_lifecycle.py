"""How long a face descriptor lives: a new portrait ends the old one at once, deleting a
registration drops it from every worker's gallery with an audit entry, and a daily job purges
the descriptors of summits that are over."""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from huiwu.checkin import galleries, jobs, services
from huiwu.checkin.models import Decision, FaceDescriptor, GalleryVersion, Method
from huiwu.core import periodic
from huiwu.core.models import ActionLog
from huiwu.core.services import actions_for
from huiwu.registration.badges import badge_token
from huiwu.registration.models import Registration
from tests import factories
from tests.checkin.factories import BIDEN, NO_FACE, OBAMA, enrolled, first_photo, make_site, moment

pytestmark = pytest.mark.django_db

OBAMA_PROBE = OBAMA / "obama2.jpg"


def face_log(guest) -> list[tuple[str, dict]]:
    return [
        (entry.action, entry.data)
        for entry in actions_for(guest).order_by("pk")
        if entry.action.startswith("face.")
    ]


def stamp(summit) -> str:
    return GalleryVersion.objects.get(summit=summit).stamp


# --- A new portrait ----------------------------------------------------------------------------
def test_a_new_portrait_deletes_the_old_descriptor_in_its_own_transaction(site):
    guest = enrolled(site, first_photo(OBAMA))
    before = stamp(site.summit)

    # No commit inside the test's transaction: the deletion cannot wait for one.
    guest.photo.save("new.jpg", ContentFile(first_photo(BIDEN).read_bytes()))

    assert not FaceDescriptor.objects.filter(registration=guest).exists()
    assert stamp(site.summit) != before
    assert face_log(guest)[-1] == ("face.deleted", {"reason": "photo_replaced"})


def test_an_unusable_new_portrait_leaves_no_face_that_opens_the_gate(
    site, django_capture_on_commit_callbacks
):
    guest = enrolled(site, first_photo(OBAMA))

    with django_capture_on_commit_callbacks(execute=True):
        guest.photo.save("new.jpg", ContentFile(NO_FACE.read_bytes()))

    assert not FaceDescriptor.objects.exists()
    assert [action for action, _data in face_log(guest)] == [
        "face.enrolled",
        "face.deleted",
        "face.enrolment_refused",
    ]
    gate, _token = site.gate()
    result = services.scan(
        gate,
        idempotency_key="after-new-photo",
        captured_at=moment(),
        qr_token=badge_token(guest),
        frame=OBAMA_PROBE.read_bytes(),
    )
    # The badge alone, as for any guest without face check-in; the old face plays no part.
    assert (result.decision, result.event.method) == (Decision.ADMIT, Method.QR)


def test_a_usable_new_portrait_is_enrolled_after_the_commit(
    site, django_capture_on_commit_callbacks
):
    guest = enrolled(site, first_photo(OBAMA))

    with django_capture_on_commit_callbacks(execute=True):
        guest.photo.save("new.jpg", ContentFile(first_photo(BIDEN).read_bytes()))

    guest.refresh_from_db()
    assert FaceDescriptor.objects.get(registration=guest).source == guest.photo.name
    assert [action for action, _data in face_log(guest)] == [
        "face.enrolled",
        "face.deleted",
        "face.enrolled",
    ]


def test_saving_a_guest_with_the_same_portrait_keeps_the_descriptor(site):
    guest = enrolled(site, first_photo(OBAMA))
    before = stamp(site.summit)
    guest.save()
    assert FaceDescriptor.objects.filter(registration=guest).exists()
    assert stamp(site.summit) == before


# --- Deleting a registration -------------------------------------------------------------------
def test_deleting_a_registration_drops_its_face_from_every_gallery_and_audits_it(site):
    guest = enrolled(site, first_photo(OBAMA))
    engine = services.engine()
    assert guest.pk in galleries.summit_gallery(site.summit.pk, engine)
    before, pk = stamp(site.summit), guest.pk

    guest.delete()

    assert not FaceDescriptor.objects.exists()
    assert stamp(site.summit) != before
    assert pk not in galleries.summit_gallery(site.summit.pk, engine)
    entry = ActionLog.objects.get(object_id=str(pk), action="face.deleted")
    assert entry.data == {"reason": "registration_deleted"}


def test_deleting_registrations_in_bulk_audits_each_of_their_descriptors(site):
    guests = [enrolled(site, first_photo(OBAMA)), enrolled(site, first_photo(BIDEN))]
    before = stamp(site.summit)
    Registration.objects.filter(summit=site.summit).delete()
    assert not FaceDescriptor.objects.exists()
    assert stamp(site.summit) != before
    for guest in guests:
        assert face_log(guest)[-1] == ("face.deleted", {"reason": "registration_deleted"})


def test_the_services_deletions_are_audited_once(site):
    guest = enrolled(site, first_photo(OBAMA))
    services.withdraw_face_consent(guest)
    assert [action for action, _data in face_log(guest)] == ["face.enrolled", "face.deleted"]


# --- The daily purge ---------------------------------------------------------------------------
def test_the_purge_of_ended_summits_runs_daily():
    job = {job.name: job for job in periodic.jobs()}["checkin.purge_biometrics"]
    assert (job.function, job.seconds) == (jobs.purge_ended_summits, 24 * 60 * 60)


def test_the_daily_purge_deletes_the_faces_of_an_ended_summit_and_keeps_a_current_ones(site):
    ended = [enrolled(site, first_photo(OBAMA)), enrolled(site, first_photo(BIDEN))]
    today = timezone.localdate(timezone=site.summit.tz)
    current = make_site(
        factories.SummitFactory(start_date=today - dt.timedelta(days=1), end_date=today)
    )
    kept = enrolled(current, first_photo(OBAMA))
    job = {job.name: job for job in periodic.jobs()}["checkin.purge_biometrics"]

    assert job.function() == {site.summit.slug: 2}

    assert list(FaceDescriptor.objects.values_list("registration", flat=True)) == [kept.pk]
    for guest in ended:
        assert face_log(guest)[-1] == ("face.deleted", {"reason": "purged"})
    assert job.function() == {}
