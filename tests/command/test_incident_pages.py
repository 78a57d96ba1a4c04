"""The incidents pages of command staff: who reaches them, the list and its filters, a new
incident, one incident with its suggestions, dispatch and closing, and the broadcasts. Every
refusal shows its sentence and changes nothing."""

import io
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image

from huiwu.command import services
from huiwu.command.models import Broadcast, Dispatch, DispatchStatus, Incident, IncidentStatus
from huiwu.core.models import ActionLog
from tests import factories
from tests.command.factories import IncidentFactory, on_duty, operator
from tests.volunteers import factories as vf
from tests.volunteers.factories import INSIDE

pytestmark = pytest.mark.django_db

LANGUAGES = ["en", "zh-hans"]
# About 110 m north of the test venue's point.
NEAR = (INSIDE[0] + 0.001, INSIDE[1])


def url(name: str, language: str = "en", **kwargs) -> str:
    with translation.override(language):
        return reverse(f"command:{name}", kwargs=kwargs or None)


def jpeg(size=(640, 480)) -> SimpleUploadedFile:
    data = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(data, "JPEG")
    return SimpleUploadedFile("scene.jpg", data.getvalue(), content_type="image/jpeg")


@pytest.fixture
def venue(summit):
    return factories.VenueFactory(summit=summit, outline=vf.OUTLINE, slug="centre")


@pytest.fixture
def incident(summit, venue):
    return IncidentFactory(summit=summit, venue=venue)


def users(summit) -> dict:
    return {
        "anonymous": None,
        "volunteer": on_duty(summit).user,
        "operator": operator("op"),
        "organiser": factories.UserFactory(roles=["organiser"]),
    }


def sign_in(client, user) -> None:
    if user is not None:
        client.force_login(user)


# --- Who reaches what ------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "role,expected",
    [("anonymous", 302), ("volunteer", 403), ("operator", 200), ("organiser", 200)],
)
def test_only_command_staff_open_the_incidents_pages(
    client, summit, incident, role, expected, language
):
    sign_in(client, users(summit)[role])
    pages = [
        url("incidents", language),
        url("incident-new", language),
        url("incident", language, public_id=incident.public_id),
        url("broadcasts", language),
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == expected, page
        if expected == 302:
            assert response["Location"].startswith(
                reverse("command:login").replace("/en/", f"/{language}/")
            )
        if expected == 200:
            assert response.headers["Content-Language"] == language


@pytest.mark.parametrize("role", ["anonymous", "volunteer"])
def test_others_cannot_dispatch_close_or_broadcast(client, summit, incident, role):
    volunteer = on_duty(summit, position=NEAR)
    sign_in(client, users(summit)[role])

    client.post(url("dispatch", public_id=incident.public_id), {"volunteer": volunteer.pk})
    client.post(
        url("incident-status", public_id=incident.public_id),
        {"status": "cancelled", "note": "x"},
    )
    client.post(url("broadcasts"), {"audience": "all", "text": "Hello"})
    client.post(url("incident-new"), {"kind": "medical", "priority": "3", "place": "Hall 1"})

    incident.refresh_from_db()
    assert incident.status == IncidentStatus.NEW
    assert Dispatch.objects.count() == 0
    assert Broadcast.objects.count() == 0
    assert Incident.objects.count() == 1


# --- The list ----------------------------------------------------------------------------------


def test_the_list_shows_open_incidents_first_most_urgent_first_and_filters(
    client, summit, venue, staff
):
    other = factories.VenueFactory(summit=summit)
    low = IncidentFactory(summit=summit, venue=venue, priority=4, kind="lost_item")
    critical = IncidentFactory(summit=summit, venue=other, priority=1, kind="medical")
    closed = IncidentFactory(summit=summit, venue=venue, kind="security")
    services.change_status(closed, IncidentStatus.CANCELLED, by=staff, note="False alarm")
    client.force_login(staff)

    page = client.get(url("incidents")).content.decode()
    assert page.index(f"#{critical.pk} ") < page.index(f"#{low.pk} ") < page.index(f"#{closed.pk} ")
    assert "2 open incidents" in page

    filtered = client.get(url("incidents"), {"venue": venue.pk, "priority": "4"})
    shown = [row.pk for row in filtered.context["open_incidents"]]
    assert shown == [low.pk]
    assert list(filtered.context["closed_page"].object_list) == []
    # A change refreshes the list as filtered.
    assert (
        filtered.context["live_config"]["page"] == f"{url('incidents')}?venue={venue.pk}&priority=4"
    )

    closed_only = client.get(url("incidents"), {"status": "cancelled"})
    assert closed_only.context["open_incidents"] == []
    assert [i.pk for i in closed_only.context["closed_page"].object_list] == [closed.pk]

    # Unknown filter values are ignored, never an error.
    assert client.get(url("incidents"), {"status": "lost", "venue": "x"}).status_code == 200


def test_the_list_says_who_is_on_an_incident(client, summit, incident, staff):
    volunteer = on_duty(summit, position=NEAR, name="王小明")
    services.dispatch(incident, volunteer, by=staff)
    client.force_login(staff)

    page = client.get(url("incidents")).content.decode()
    assert "王小明" in page


# --- A new incident ---------------------------------------------------------------------------


def test_staff_record_a_new_incident_with_point_needs_and_photo(client, summit, venue, staff):
    client.force_login(staff)
    assert client.get(url("incident-new")).status_code == 200

    response = client.post(
        url("incident-new"),
        {
            "kind": "medical",
            "priority": "2",
            "venue": venue.pk,
            "place": "Hall 1, east door",
            "description": "A guest fainted.",
            "skills": ["first_aid"],
            "language": "fr",
            "level": "2",
            "lat": str(INSIDE[0]),
            "lon": str(INSIDE[1]),
            "photo": jpeg(),
        },
    )

    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("incident", public_id=incident.public_id)
    assert (incident.kind, incident.priority, incident.venue, incident.source) == (
        "medical",
        2,
        venue,
        "staff",
    )
    assert incident.needs == ["first_aid", "fr:2"]
    assert (incident.lat, incident.lon) == INSIDE
    assert incident.reported_by == staff
    assert incident.photo.name.startswith("incidents/")


@pytest.mark.parametrize(
    "fields,field,sentence",
    [
        ({"kind": "alien"}, "kind", "Select a valid choice"),
        ({"lat": "200", "lon": "120"}, "lat", "is not a position on Earth"),
        ({"lat": "30.7"}, "lat", "Give both the latitude and the longitude"),
        ({"lat": "48.85", "lon": "2.35"}, "lat", "from the nearest venue"),
        ({"priority": "9"}, "priority", "Select a valid choice"),
        ({"language": "xx"}, "language", "Select a valid choice"),
    ],
)
def test_bad_input_shows_the_form_again_with_the_sentence_on_its_field(
    client, summit, venue, staff, fields, field, sentence
):
    client.force_login(staff)
    data = {"kind": "medical", "priority": "3", **fields}

    response = client.post(url("incident-new"), data)

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert sentence in errors[field][0]
    assert sentence in response.content.decode().replace("&quot;", '"')
    assert Incident.objects.count() == 0
    assert ActionLog.objects.count() == 0


def test_a_photo_that_is_not_an_image_is_refused(client, summit, venue, staff):
    client.force_login(staff)
    fake = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")

    response = client.post(url("incident-new"), {"kind": "medical", "priority": "3", "photo": fake})

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["photo"]
    assert Incident.objects.count() == 0


# --- One incident -------------------------------------------------------------------------------


def test_the_incident_page_suggests_the_nearest_with_distance_and_age(
    client, summit, incident, staff
):
    near = on_duty(summit, position=NEAR, skills=["first_aid"], name="近的")
    far = on_duty(summit, position=(INSIDE[0] + 0.004, INSIDE[1]), name="远的")
    client.force_login(staff)

    response = client.get(url("incident", public_id=incident.public_id))

    page = response.content.decode()
    names = [row["candidate"].application for row in response.context["candidates"]]
    assert names == [near, far]
    assert page.index("近的") < page.index("远的")
    assert "m straight line" in page
    assert "s ago" in page
    assert f'data-dispatch="{near.pk}"' in page
    assert [step.state for step in response.context["steps"]] == [
        "current",
        "todo",
        "todo",
        "todo",
        "todo",
    ]


def test_dispatch_from_the_page_offers_the_task(client, summit, incident, staff):
    volunteer = on_duty(summit, position=NEAR, name="李雷")
    client.force_login(staff)

    response = client.post(
        url("dispatch", public_id=incident.public_id), {"volunteer": volunteer.pk}, follow=True
    )

    offer = Dispatch.objects.get()
    assert (offer.volunteer, offer.status, offer.offered_by) == (
        volunteer,
        DispatchStatus.OFFERED,
        staff,
    )
    page = response.content.decode()
    assert "李雷 is dispatched and has until" in page
    assert response.context["incident"].status == IncidentStatus.DISPATCHED
    assert "due in" in page
    assert "Volunteer dispatched" in page  # the record


def test_dispatching_a_busy_volunteer_is_refused_and_changes_nothing(
    client, summit, venue, incident, staff
):
    volunteer = on_duty(summit, position=NEAR, name="韩梅梅")
    other = IncidentFactory(summit=summit, venue=venue)
    services.dispatch(other, volunteer, by=operator("someone"))
    client.force_login(staff)

    response = client.post(
        url("dispatch", public_id=incident.public_id), {"volunteer": volunteer.pk}, follow=True
    )

    assert "韩梅梅 is already on another incident" in response.content.decode()
    assert Dispatch.objects.count() == 1
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.NEW


@pytest.mark.parametrize("volunteer", ["", "abc", "999999", "²"])
def test_dispatching_nobody_known_says_so(client, summit, incident, staff, volunteer):
    client.force_login(staff)
    response = client.post(
        url("dispatch", public_id=incident.public_id), {"volunteer": volunteer}, follow=True
    )
    assert "Choose a volunteer of this summit" in response.content.decode()
    assert Dispatch.objects.count() == 0


def test_a_closed_incident_takes_no_dispatch(client, summit, incident, staff):
    volunteer = on_duty(summit, position=NEAR)
    services.change_status(incident, IncidentStatus.CANCELLED, by=staff, note="Duplicate")
    client.force_login(staff)

    page = client.get(url("incident", public_id=incident.public_id)).content.decode()
    assert "data-dispatch=" not in page
    response = client.post(
        url("dispatch", public_id=incident.public_id), {"volunteer": volunteer.pk}, follow=True
    )
    assert "This incident is closed" in response.content.decode()
    assert Dispatch.objects.count() == 0


def test_skipping_the_lifecycle_is_refused_with_its_sentence(client, summit, incident, staff):
    client.force_login(staff)

    response = client.post(
        url("incident-status", public_id=incident.public_id), {"status": "on_scene"}
    )

    assert response.status_code == 400
    assert "cannot skip from New to On scene" in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.NEW
    assert ActionLog.objects.count() == 0


def test_a_refused_status_page_follows_the_incident_from_the_incidents_own_address(
    client, summit, incident, staff
):
    client.force_login(staff)
    own = url("incident", public_id=incident.public_id)

    refused = client.post(url("incident-status", public_id=incident.public_id), {"status": "x"})

    assert refused.status_code == 400
    config = re.search(
        r'<script id="incidents-live" type="application/json">(.*?)</script>',
        refused.content.decode(),
    )
    assert json.loads(config.group(1))["page"] == own
    # What the page fetches when the incident changes.
    assert client.get(own).status_code == 200


def test_resolving_without_anyone_on_scene_needs_a_note(client, summit, incident, staff):
    client.force_login(staff)
    page = url("incident-status", public_id=incident.public_id)

    refused = client.post(page, {"status": "resolved"})
    assert refused.status_code == 400
    assert "Say in a note how the incident was resolved" in refused.content.decode()
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.NEW

    done = client.post(page, {"status": "resolved", "note": "The guest felt better."}, follow=True)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    assert incident.resolution == "The guest felt better."
    page_text = done.content.decode()
    assert "The guest felt better." in page_text
    assert [step.state for step in done.context["steps"]] == [
        "done",
        "skipped",
        "skipped",
        "skipped",
        "current",
    ]


def test_the_page_shows_the_escalation(client, summit, incident, staff, settings):
    first = on_duty(summit, position=NEAR, name="第一")
    second = on_duty(summit, position=(INSIDE[0] + 0.002, INSIDE[1]), name="第二")
    offer = services.dispatch(incident, first, by=staff)
    services.escalate(offer.pk, now=offer.respond_by)
    client.force_login(staff)

    response = client.get(url("incident", public_id=incident.public_id))

    page = response.content.decode()
    assert "Escalated" in page
    assert "第一 did not acknowledge by" in page
    statuses = {
        row.dispatch.volunteer: row.dispatch.status for row in response.context["dispatch_rows"]
    }
    assert statuses == {first: DispatchStatus.TIMED_OUT, second: DispatchStatus.OFFERED}
    assert "No acknowledgement in time: escalated" in page

    # The next one acknowledges: the escalation is over, its banner goes; the trail names the
    # volunteer as they applied, not by their account's e-mail.
    nxt = Dispatch.objects.get(volunteer=second)
    services.answer(nxt, "acknowledge", by=second.user)
    page = client.get(url("incident", public_id=incident.public_id)).content.decode()
    assert "Escalated" not in page
    assert '<span class="log-who">第二</span>' in page
    assert second.user.get_username() not in page


def test_an_incident_of_another_summit_is_not_found(client, summit, staff):
    elsewhere = IncidentFactory()
    client.force_login(staff)
    assert client.get(url("incident", public_id=elsewhere.public_id)).status_code == 404


# --- Broadcasts ---------------------------------------------------------------------------------


def test_a_broadcast_reaches_the_venue_and_is_listed(client, summit, venue, staff):
    post = vf.PostFactory(summit=summit, venue=venue)
    on_duty(summit, post=post)
    on_duty(summit, post=post)
    on_duty(summit)  # at another venue
    client.force_login(staff)

    response = client.post(
        url("broadcasts"),
        {"audience": "venue", "venue": venue.pk, "text": "Doors close at 18:00."},
        follow=True,
    )

    sent = Broadcast.objects.get()
    assert (sent.audience, sent.venue, sent.recipients, sent.sent_by) == ("venue", venue, 2, staff)
    page = response.content.decode()
    assert "The message is sent to 2 volunteers on duty." in page
    assert "Doors close at 18:00." in page


@pytest.mark.parametrize(
    "fields,field",
    [
        ({"audience": "venue"}, "venue"),
        ({"audience": "post"}, "post"),
        ({"audience": "language"}, "language"),
        ({"audience": "all", "text": "x" * 501}, "text"),
        ({"audience": "all", "text": ""}, "text"),
        ({"audience": "everyone"}, "audience"),
    ],
)
def test_a_bad_broadcast_is_refused_on_its_field(client, summit, venue, staff, fields, field):
    client.force_login(staff)
    response = client.post(url("broadcasts"), {"text": "Hello", **fields})

    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert Broadcast.objects.count() == 0


def test_staff_record_an_acknowledgement_given_by_radio(client, summit, incident, staff):
    volunteer = on_duty(summit, position=NEAR)
    offer = services.dispatch(incident, volunteer, by=staff)
    client.force_login(staff)
    page = url("incident", public_id=incident.public_id)
    assert 'value="acknowledged"' in client.get(page).content.decode()

    response = client.post(
        url("incident-status", public_id=incident.public_id), {"status": "acknowledged"}
    )

    assert response.status_code == 302
    offer.refresh_from_db()
    incident.refresh_from_db()
    assert (incident.status, offer.status) == (
        IncidentStatus.ACKNOWLEDGED,
        DispatchStatus.ACKNOWLEDGED,
    )
    after = client.get(page).content.decode()
    assert 'value="acknowledged"' not in after
    assert 'value="on_scene"' in after
