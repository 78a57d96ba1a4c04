"""The guest's side of face check-in: the registration form checks the photo of a guest who
consents, the guest's page refuses consent with an unusable photo, submission enrols."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from huiwu.checkin.models import FaceDescriptor
from huiwu.registration.models import Registration
from tests.checkin.factories import NO_FACE, OBAMA, TWO_PEOPLE, first_photo, with_photo
from tests.registration.test_views import field_errors, form_data, url

pytestmark = pytest.mark.django_db


def upload(path) -> SimpleUploadedFile:
    return SimpleUploadedFile("me.jpg", path.read_bytes(), "image/jpeg")


@pytest.mark.parametrize(
    ("photo", "message"),
    [
        (TWO_PEOPLE, "There are several faces in the photo; send a photo of yourself alone."),
        (NO_FACE, "No face was found in the photo; send a photo where your face is clear."),
    ],
)
def test_a_consenting_guests_photo_without_one_usable_face_is_refused(client, site, photo, message):
    response = client.post(
        url("new", "business"), form_data(face_consent="yes", photo=upload(photo))
    )

    assert response.status_code == 400
    assert field_errors(response, "photo") == [message]
    assert not Registration.objects.exists()


def test_the_same_photo_is_kept_without_consent(client, site):
    response = client.post(
        url("new", "business"), form_data(face_consent="no", photo=upload(NO_FACE))
    )
    assert response.status_code == 302
    assert Registration.objects.get().face_consent is False


def test_a_submission_with_consent_and_a_good_photo_enrols_the_face(
    client, site, django_capture_on_commit_callbacks
):
    data = form_data(action="submit", face_consent="yes", photo=upload(first_photo(OBAMA)))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("new", "business"), data)
    assert response.status_code == 302
    assert FaceDescriptor.objects.get().registration == Registration.objects.get()


def test_consent_given_later_is_refused_while_the_photo_cannot_be_used(client, site):
    guest = with_photo(site.guest(), NO_FACE, consent=False)

    response = client.post(url("consent", guest.access_key), {"face_consent": "yes"}, follow=True)

    assert "No face was found in the photo" in response.content.decode()
    guest.refresh_from_db()
    assert guest.face_consent is False


def test_agreeing_in_the_form_checks_the_photo_already_stored(client, site):
    draft = with_photo(site.guest(status="draft", email="jean.dupont@example.org"), NO_FACE)
    Registration.objects.filter(pk=draft.pk).update(face_consent=None)

    response = client.post(url("edit", draft.access_key), form_data(face_consent="yes"))

    assert response.status_code == 400
    assert field_errors(response, "photo") == [
        "No face was found in the photo; send a photo where your face is clear."
    ]
    draft.refresh_from_db()
    assert draft.face_consent is None
