"""The volunteers API: the phone's sign-in, sign-out and positions from the volunteer's own
session, and who may read positions, trajectories and the roster."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from huiwu.volunteers import services
from huiwu.volunteers.models import DutyRecord, PositionPing
from tests import factories
from tests.volunteers import factories as vf
from tests.volunteers.factories import INSIDE, OUTSIDE

pytestmark = pytest.mark.django_db

API = "/api/v1/volunteers"


def now_shift(summit, **kwargs):
    """A slot whose shift runs now (from an hour ago to three hours ahead)."""
    start = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)
    return vf.PostShiftFactory(
        post__summit=summit, shift__start=start, shift__end=start + dt.timedelta(hours=4), **kwargs
    )


@pytest.fixture
def duty(summit):
    """The volunteer's assignment on a shift running now, and another volunteer's."""
    slot = now_shift(summit)
    mine = vf.AssignmentFactory(post_shift=slot)
    theirs = vf.AssignmentFactory(post_shift=slot)
    return {"mine": mine, "theirs": theirs, "volunteer": mine.application}


def post(client, path, payload):
    return client.post(f"{API}{path}", json.dumps(payload), content_type="application/json")


def as_user(client, user):
    client.force_login(user)
    return client


def test_anonymous_callers_must_log_in(client, duty):
    for path in ("/me/shifts", "/positions/current", "/roster", "/me/trajectory"):
        response = client.get(f"{API}{path}")
        assert (response.status_code, response.json()) == (401, {"detail": "Log in to do this."})
    assert post(client, "/positions", {"lat": 30, "lon": 120}).status_code == 401


def test_my_shifts_lists_the_volunteers_own_assignments(client, duty):
    response = as_user(client, duty["volunteer"].user).get(f"{API}/me/shifts")

    assert response.status_code == 200
    shifts = response.json()
    assert [shift["assignment"] for shift in shifts] == [duty["mine"].pk]
    assert shifts[0]["post"]["venue"]["outline"]["type"] == "Polygon"
    assert shifts[0]["duty"] is None


def test_an_applicant_not_selected_has_no_shifts(client, summit):
    applicant = vf.ApplicationFactory(summit=summit)
    response = as_user(client, applicant.user).get(f"{API}/me/shifts")
    assert (response.status_code, response.json()["detail"]) == (
        403,
        "Only selected volunteers have shifts.",
    )


def test_sign_in_then_positions_then_sign_out_over_the_api(client, duty):
    as_user(client, duty["volunteer"].user)

    response = post(
        client,
        "/sign-in",
        {"assignment": duty["mine"].pk, "lat": OUTSIDE[0], "lon": OUTSIDE[1], "accuracy_m": 12},
    )
    assert response.status_code == 200
    assert response.json()["inside_geofence"] is False
    assert response.json()["distance_m"] > 300

    moment = (timezone.now() + dt.timedelta(seconds=1)).isoformat()
    response = post(client, "/positions", {"lat": INSIDE[0], "lon": INSIDE[1], "at": moment})
    assert response.status_code == 201
    assert response.json()["next_in_seconds"] == 30

    trajectory = client.get(f"{API}/me/trajectory").json()
    assert [(p["lat"], p["lon"]) for p in trajectory["points"]] == [OUTSIDE, INSIDE]
    assert all(point["age_seconds"] >= 0 for point in trajectory["points"])

    response = post(client, "/sign-out", {})
    assert response.status_code == 200
    assert response.json()["signed_out_at"] is not None
    response = post(client, "/positions", {"lat": INSIDE[0], "lon": INSIDE[1]})
    assert response.status_code == 422
    assert response.json()["detail"] == (
        "You are not on duty; positions are recorded only while signed in."
    )


def test_sign_in_for_another_volunteers_shift_is_refused(client, duty):
    as_user(client, duty["volunteer"].user)
    response = post(
        client, "/sign-in", {"assignment": duty["theirs"].pk, "lat": INSIDE[0], "lon": INSIDE[1]}
    )
    assert (response.status_code, response.json()["detail"]) == (
        422,
        "This shift is not yours; sign in for one of your own shifts.",
    )
    assert DutyRecord.objects.count() == 0


@pytest.mark.parametrize(
    "payload",
    [
        {"lat": 91, "lon": 120},
        {"lat": 30, "lon": "east"},
        {"lat": 30},
        {"lat": 30, "lon": 120, "at": "2099-01-01T00:00:00+00:00"},
    ],
)
def test_bad_positions_get_a_422_and_store_nothing(client, duty, payload):
    services.sign_in(duty["volunteer"], duty["mine"], *INSIDE)
    response = post(as_user(client, duty["volunteer"].user), "/positions", payload)

    assert response.status_code == 422
    assert response.json()["detail"]
    assert PositionPing.objects.count() == 1  # the sign-in's


def test_a_volunteer_sees_only_their_own_trajectory(client, duty):
    theirs = duty["theirs"].application
    as_user(client, duty["volunteer"].user)

    response = client.get(f"{API}/volunteers/{theirs.pk}/trajectory")
    assert (response.status_code, response.json()["detail"]) == (
        403,
        "You may see only your own trajectory.",
    )
    own = client.get(f"{API}/volunteers/{duty['volunteer'].pk}/trajectory")
    assert own.status_code == 200


@pytest.mark.parametrize("role", ["volunteer_office", "command_operator", "organiser"])
def test_office_and_command_read_positions_trajectories_and_roster(client, duty, role):
    services.sign_in(duty["volunteer"], duty["mine"], *INSIDE)
    as_user(client, factories.UserFactory(roles=[role]))

    current = client.get(f"{API}/positions/current")
    assert current.status_code == 200
    rows = current.json()
    assert [(row["volunteer"], row["lat"], row["lon"]) for row in rows] == [
        (duty["volunteer"].pk, *INSIDE)
    ]
    assert 0 <= rows[0]["age_seconds"] < 60

    trajectory = client.get(f"{API}/volunteers/{duty['volunteer'].pk}/trajectory")
    assert len(trajectory.json()["points"]) == 1

    roster = client.get(f"{API}/roster").json()
    assert [(slot["headcount"], slot["filled"]) for slot in roster] == [(2, 2)]
    assert sorted(v["volunteer"] for v in roster[0]["volunteers"]) == sorted(
        [duty["volunteer"].pk, duty["theirs"].application_id]
    )


@pytest.mark.parametrize("role", ["volunteer", "forum_organiser", "guest"])
def test_other_roles_read_no_positions_nor_roster(client, duty, role):
    user = duty["volunteer"].user if role == "volunteer" else factories.UserFactory(roles=[role])
    as_user(client, user)

    assert client.get(f"{API}/positions/current").status_code == 403
    assert client.get(f"{API}/roster").status_code == 403
    theirs = duty["theirs"].application_id
    assert client.get(f"{API}/volunteers/{theirs}/trajectory").status_code == 403


def test_trajectory_range_is_checked(client, duty):
    as_user(client, factories.UserFactory(roles=["volunteer_office"]))
    path = f"{API}/volunteers/{duty['volunteer'].pk}/trajectory"

    backwards = client.get(path, {"from": "2024-11-20T12:00+08:00", "to": "2024-11-20T08:00+08:00"})
    assert backwards.status_code == 422
    assert backwards.json()["detail"] == "The end of the time range must come after its start."
    too_long = client.get(path, {"from": "2024-11-01T00:00+08:00", "to": "2024-11-20T00:00+08:00"})
    assert too_long.json()["detail"] == "Ask for at most 7 days at a time."
    assert client.get(f"{API}/volunteers/999999/trajectory").status_code == 404


def test_positions_without_consent_are_refused_with_the_reason(client, duty):
    volunteer = duty["volunteer"]
    services.sign_in(volunteer, duty["mine"], *INSIDE)
    services.set_location_consent(volunteer, False)
    response = post(as_user(client, volunteer.user), "/positions", {"lat": 30.7, "lon": 120.4})

    assert (response.status_code, response.json()["detail"]) == (
        422,
        "You have not agreed to location on duty, so no position is recorded.",
    )


def test_the_openapi_document_describes_the_volunteers_api(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert sorted(path for path in paths if path.startswith(API)) == [
        f"{API}/me/shifts",
        f"{API}/me/trajectory",
        f"{API}/positions",
        f"{API}/positions/current",
        f"{API}/roster",
        f"{API}/sign-in",
        f"{API}/sign-out",
        f"{API}/volunteers/{{volunteer}}/trajectory",
    ]
    parameters = paths[f"{API}/me/trajectory"]["get"]["parameters"]
    assert {parameter["name"] for parameter in parameters} >= {"from", "to"}


def test_the_roster_of_a_large_summit_is_read_in_few_queries(
    client, summit, django_assert_max_num_queries
):
    """Over a thousand volunteers: more keys than SQLite takes in one list."""
    from huiwu.volunteers.models import Application, Assignment

    slot = vf.PostShiftFactory(post__summit=summit, headcount=1100)
    university = vf.UniversityFactory()
    volunteers = Application.objects.bulk_create(
        vf.SelectedFactory.build(
            summit=summit, user=None, university=university, student_number=f"S{index}"
        )
        for index in range(1100)
    )
    Assignment.objects.bulk_create(
        Assignment(post_shift=slot, application=volunteer, source="solver")
        for volunteer in volunteers
    )
    as_user(client, factories.UserFactory(roles=["volunteer_office"]))
    with django_assert_max_num_queries(8):
        roster = client.get(f"{API}/roster").json()
    assert [(row["filled"], len(row["volunteers"])) for row in roster] == [(1100, 1100)]
