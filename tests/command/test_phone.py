"""The command centre on the volunteer's phone page: the task given to them with only the answers
valid now, the answers themselves, the broadcasts that reached them, and reporting an incident
with a photo and the phone's position. A volunteer sees and answers only their own tasks."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image

from huiwu.command import services
from huiwu.command.models import (
    Dispatch,
    DispatchStatus,
    Incident,
    IncidentSource,
    IncidentStatus,
)
from huiwu.core.models import ActionLog
from tests import factories
from tests.command.factories import IncidentFactory, on_duty
from tests.volunteers import factories as vf
from tests.volunteers.factories import INSIDE

pytestmark = pytest.mark.django_db

NEAR = (INSIDE[0] + 0.001, INSIDE[1])
ANSWERS = ("acknowledge", "on_scene", "done", "decline")


def duty_url(language: str = "en") -> str:
    with translation.override(language):
        return reverse("volunteers:duty")


def answer_url(task, language: str = "en") -> str:
    with translation.override(language):
        return reverse("command:task-answer", kwargs={"pk": task.pk})


def report_url(language: str = "en") -> str:
    with translation.override(language):
        return reverse("command:report-incident")


def jpeg(size=(800, 600)) -> SimpleUploadedFile:
    data = io.BytesIO()
    Image.new("RGB", size, (220, 60, 40)).save(data, "JPEG")
    return SimpleUploadedFile("camera.jpg", data.getvalue(), content_type="image/jpeg")


@pytest.fixture
def venue(summit):
    return factories.VenueFactory(summit=summit, outline=vf.OUTLINE)


@pytest.fixture
def volunteer(summit, venue):
    post = vf.PostFactory(summit=summit, venue=venue)
    return on_duty(summit, position=NEAR, post=post, name="张伟")


@pytest.fixture
def task(summit, venue, volunteer, staff):
    incident = IncidentFactory(
        summit=summit, venue=venue, place="Hall 1, east door", description="A guest fainted."
    )
    return services.dispatch(incident, volunteer, by=staff)


def buttons(page: str) -> list[str]:
    return [action for action in ANSWERS if f'data-answer="{action}"' in page]


# --- The task on the phone -------------------------------------------------------------------


@pytest.mark.parametrize(
    "steps,valid",
    [
        ((), ["acknowledge", "decline"]),
        (("acknowledge",), ["on_scene", "decline"]),
        (("acknowledge", "on_scene"), ["done"]),
    ],
)
def test_the_phone_shows_the_task_with_only_the_answers_valid_now(
    client, volunteer, task, steps, valid
):
    for step in steps:
        services.answer(task, step, by=volunteer.user)
    client.force_login(volunteer.user)

    page = client.get(duty_url()).content.decode()

    assert f'data-task-card="{task.pk}"' in page
    assert "Medical" in page
    assert "Hall 1, east door" in page
    assert "A guest fainted." in page
    assert f"geo:{INSIDE[0]:.6f},{INSIDE[1]:.6f}" in page
    assert buttons(page) == valid
    assert ("Answer by" in page) == (not steps)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_volunteer_acknowledges_on_scene_and_done(client, volunteer, task, language):
    client.force_login(volunteer.user)

    for action, status in [
        ("acknowledge", DispatchStatus.ACKNOWLEDGED),
        ("on_scene", DispatchStatus.ON_SCENE),
        ("done", DispatchStatus.DONE),
    ]:
        response = client.post(answer_url(task, language), {"action": action})
        assert response.status_code == 302
        assert response["Location"] == duty_url(language)
        task.refresh_from_db()
        assert task.status == status

    task.incident.refresh_from_db()
    assert task.incident.status == IncidentStatus.RESOLVED
    page = client.get(duty_url(language)).content.decode()
    assert "data-task-card" not in page


def test_the_answer_is_confirmed_in_the_volunteers_language(client, volunteer, task):
    client.force_login(volunteer.user)
    response = client.post(answer_url(task), {"action": "acknowledge"}, follow=True)
    assert "Thank you: the command centre knows you are on your way." in (response.content.decode())


def test_answering_someone_elses_task_is_refused_and_changes_nothing(
    client, summit, volunteer, task, staff
):
    other = on_duty(summit, position=NEAR)
    for user in (other.user, staff):
        client.force_login(user)
        response = client.post(answer_url(task), {"action": "acknowledge"})
        assert response.status_code == 403
    task.refresh_from_db()
    assert task.status == DispatchStatus.OFFERED
    assert not ActionLog.objects.filter(action="command.acknowledged").exists()


def test_an_anonymous_answer_is_sent_to_sign_in(client, task):
    response = client.post(answer_url(task), {"action": "acknowledge"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("volunteers:login"))
    task.refresh_from_db()
    assert task.status == DispatchStatus.OFFERED


@pytest.mark.parametrize(
    "action,sentence",
    [
        ("done", "Report that you are on scene first"),
        ("on_scene", "Acknowledge the task first"),
        ("shrug", "is not an answer"),
        ("", "is not an answer"),
    ],
)
def test_an_answer_that_skips_a_step_is_refused_with_its_sentence(
    client, volunteer, task, action, sentence
):
    client.force_login(volunteer.user)

    response = client.post(answer_url(task), {"action": action}, follow=True)

    assert sentence in response.content.decode().replace("&quot;", '"')
    task.refresh_from_db()
    assert task.status == DispatchStatus.OFFERED


def test_an_unknown_task_is_not_found(client, volunteer):
    client.force_login(volunteer.user)
    response = client.post(reverse("command:task-answer", kwargs={"pk": 999}), {"action": "done"})
    assert response.status_code == 404


def test_a_volunteer_sees_only_their_own_task(client, summit, venue, volunteer, task, staff):
    other = on_duty(summit, position=NEAR)
    client.force_login(other.user)

    page = client.get(duty_url()).content.decode()

    assert "data-task-card" not in page
    assert "A guest fainted." not in page


# --- Broadcasts -------------------------------------------------------------------------------


def test_the_broadcasts_that_reach_the_volunteer_are_shown_newest_first(
    client, summit, venue, volunteer, staff
):
    elsewhere = factories.VenueFactory(summit=summit)
    services.broadcast(summit, audience="all", text="Lunch at 12:30.", by=staff)
    services.broadcast(summit, audience="venue", venue=venue, text="Hall 1 opens.", by=staff)
    services.broadcast(summit, audience="venue", venue=elsewhere, text="Not for you.", by=staff)
    client.force_login(volunteer.user)

    page = client.get(duty_url()).content.decode()

    assert page.index("Hall 1 opens.") < page.index("Lunch at 12:30.")
    assert "Not for you." not in page


def test_a_volunteer_with_no_task_no_message_and_off_duty_sees_no_panel(client, summit):
    applicant = vf.SelectedFactory(summit=summit)
    client.force_login(applicant.user)

    page = client.get(duty_url()).content.decode()

    assert "data-phone-panel" not in page
    assert "Report an incident" not in page


# --- Reporting from the phone -------------------------------------------------------------------


def test_on_duty_the_phone_offers_the_report_form_with_the_camera(client, volunteer):
    client.force_login(volunteer.user)
    page = client.get(duty_url()).content.decode()
    assert "Report an incident" in page
    assert 'accept="image/*"' in page
    assert 'capture="environment"' in page
    assert 'name="latitude"' in page


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_volunteer_reports_an_incident_with_photo_and_position(
    client, volunteer, venue, language
):
    client.force_login(volunteer.user)

    response = client.post(
        report_url(language),
        {
            "kind": "security",
            "description": "An unattended bag by the east door.",
            "photo": jpeg(),
            "latitude": str(INSIDE[0]),
            "longitude": str(INSIDE[1]),
            "accuracy": "12",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == duty_url(language)
    incident = Incident.objects.get()
    assert (incident.kind, incident.source, incident.reported_by) == (
        "security",
        IncidentSource.VOLUNTEER,
        volunteer.user,
    )
    assert (incident.lat, incident.lon) == INSIDE
    assert incident.venue == venue
    assert incident.description == "An unattended bag by the east door."
    assert incident.photo.name.startswith("incidents/")
    with incident.photo.open("rb") as stored, Image.open(stored) as image:
        assert image.size == (800, 600)


def test_a_report_without_position_goes_to_the_post(client, volunteer, venue):
    client.force_login(volunteer.user)
    client.post(report_url(), {"kind": "guest_help", "latitude": "", "longitude": ""})
    incident = Incident.objects.get()
    assert (incident.lat, incident.lon, incident.venue) == (None, None, venue)


@pytest.mark.parametrize(
    "fields,sentence",
    [
        ({"kind": "alien"}, "Select a valid choice"),
        ({"kind": ""}, "This field is required"),
        ({"kind": "medical", "latitude": "200", "longitude": "120"}, "is not a position on Earth"),
        ({"kind": "medical", "latitude": "abc"}, "Enter a number"),
        ({"kind": "medical", "photo": "not a file"}, None),
    ],
)
def test_a_bad_report_is_refused_with_its_sentence(client, volunteer, fields, sentence):
    client.force_login(volunteer.user)
    data = dict(fields)
    if data.get("photo") == "not a file":
        data["photo"] = SimpleUploadedFile("x.jpg", b"garbage", content_type="image/jpeg")
        sentence = "Upload a valid image"

    data["description"] = "A man fell near the east stairs"

    response = client.post(report_url(), data, follow=True)

    page = response.content.decode()
    assert sentence in page
    assert Incident.objects.count() == 0
    # The words typed come back, in the form shown open; once.
    assert "A man fell near the east stairs</textarea>" in page
    assert '<details class="phone-report panel" open>' in page
    if fields["kind"] == "medical":
        assert '<option value="medical" selected>' in page
    again = client.get(reverse("volunteers:duty")).content.decode()
    assert "A man fell" not in again and '<details class="phone-report panel">' in again


def test_off_duty_a_volunteer_cannot_report(client, summit):
    applicant = vf.SelectedFactory(summit=summit)
    client.force_login(applicant.user)

    response = client.post(report_url(), {"kind": "medical"}, follow=True)

    assert "Only volunteers on duty can report an incident" in response.content.decode()
    assert Incident.objects.count() == 0


def test_someone_who_never_applied_cannot_report(client, summit, staff):
    client.force_login(staff)
    assert client.post(report_url(), {"kind": "medical"}).status_code == 404
    assert Incident.objects.count() == 0


def test_the_panel_after_the_task_ended_shows_nothing_to_answer(client, volunteer, task, staff):
    services.change_status(task.incident, IncidentStatus.CANCELLED, by=staff, note="Duplicate")
    client.force_login(volunteer.user)

    page = client.get(duty_url()).content.decode()

    assert buttons(page) == []
    assert Dispatch.objects.get().status == DispatchStatus.WITHDRAWN


def test_a_task_without_a_point_opens_its_venue_in_the_maps(
    client, summit, venue, volunteer, staff
):
    incident = IncidentFactory(summit=summit, venue=venue, lat=None, lon=None)
    services.dispatch(incident, volunteer, by=staff)
    client.force_login(volunteer.user)

    page = client.get(duty_url()).content.decode()

    point = f"{float(venue.latitude):.6f},{float(venue.longitude):.6f}"
    assert f'href="geo:{point}?q={point}"' in page
