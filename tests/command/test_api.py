"""The command centre's API: who may call what (staff, volunteers, anonymous callers), the
staff's incidents, dispatches and broadcasts, and a volunteer's own tasks."""

import json

import pytest

from huiwu.command.models import Broadcast, Dispatch, DispatchStatus, Incident, IncidentStatus
from huiwu.core.models import ActionLog
from tests.command.factories import IncidentFactory, on_duty, operator
from tests.volunteers import factories as vf
from tests.volunteers.factories import INSIDE

pytestmark = pytest.mark.django_db

API = "/api/v1/command"


def post(client, path, payload):
    return client.post(f"{API}{path}", json.dumps(payload), content_type="application/json")


def as_user(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def scene(summit):
    """An incident offered to one volunteer on duty; another volunteer on duty, free."""
    incident = IncidentFactory(summit=summit)
    sent, free = on_duty(summit, name="Sent"), on_duty(summit, name="Free")
    staff = operator()
    offer = Dispatch.objects.create(
        incident=incident, volunteer=sent, offered_by=staff, respond_by=incident.created_at
    )
    return {"incident": incident, "sent": sent, "free": free, "staff": staff, "offer": offer}


def staff_requests(scene) -> list[tuple[str, str, dict | None]]:
    incident = scene["incident"].public_id
    return [
        ("get", "/incidents", None),
        ("post", "/incidents", {"kind": "medical"}),
        ("get", f"/incidents/{incident}", None),
        ("get", f"/incidents/{incident}/suggestions", None),
        ("post", f"/incidents/{incident}/dispatches", {"volunteer": scene["free"].pk}),
        ("post", f"/incidents/{incident}/status", {"status": "cancelled", "note": "Duplicate."}),
        ("post", "/broadcasts", {"audience": "all", "text": "Hello"}),
    ]


def call(client, method, path, payload):
    if method == "get":
        return client.get(f"{API}{path}")
    return post(client, path, payload)


def state():
    return (
        Incident.objects.count(),
        list(Incident.objects.values_list("status", flat=True)),
        list(Dispatch.objects.values_list("status", flat=True)),
        Broadcast.objects.count(),
        ActionLog.objects.count(),
    )


def test_anonymous_callers_must_log_in(client, scene):
    for method, path, payload in [
        *staff_requests(scene),
        ("get", "/me/tasks", None),
        ("post", f"/me/tasks/{scene['offer'].pk}/answer", {"action": "acknowledge"}),
        ("post", "/me/incidents", {"kind": "medical"}),
    ]:
        response = call(client, method, path, payload)
        assert (response.status_code, response.json()) == (401, {"detail": "Log in to do this."})


def test_volunteers_are_refused_the_staffs_addresses_and_nothing_changes(client, scene):
    before = state()
    as_user(client, scene["sent"].user)

    for method, path, payload in staff_requests(scene):
        response = call(client, method, path, payload)
        assert (response.status_code, response.json()) == (
            403,
            {"detail": "Only command staff see and handle incidents."},
        ), path

    assert state() == before


def test_command_staff_use_every_staff_address(client, scene):
    as_user(client, scene["staff"])
    codes = [
        call(client, method, path, payload).status_code
        for method, path, payload in staff_requests(scene)
    ]
    assert codes == [200, 201, 200, 200, 201, 200, 201]


def test_staff_raise_an_incident_and_read_it_back(client, summit):
    as_user(client, operator())

    created = post(
        client,
        "/incidents",
        {
            "kind": "security",
            "priority": 2,
            "lat": INSIDE[0],
            "lon": INSIDE[1],
            "place": "North gate",
            "needs": ["first_aid", "en:3"],
        },
    )
    read = client.get(f"{API}/incidents/{created.json()['public_id']}")

    assert created.status_code == 201
    assert read.json() == created.json()
    body = read.json()
    assert (body["kind"], body["priority"], body["status"], body["source"]) == (
        "security",
        2,
        "new",
        "staff",
    )
    assert (body["needs"], body["dispatches"], body["place"]) == (
        ["first_aid", "en:3"],
        [],
        "North gate",
    )


@pytest.mark.parametrize(
    ("payload", "detail", "field"),
    [
        (
            {"kind": "ufo"},
            "“ufo” is not a type of incident; choose one of: medical, security, crowding, "
            "lost_item, equipment, vip_movement, staffing, guest_help, other.",
            "kind",
        ),
        (
            {"kind": "medical", "lat": 95, "lon": 120},
            "(95.0, 120.0) is not a position on Earth; click the map again.",
            "lat",
        ),
        (
            {"kind": "medical", "lat": 30.7},
            "Give both the latitude and the longitude, or neither.",
            "lat",
        ),
        ({"kind": "medical", "venue": 999999}, "There is no venue 999999.", "venue"),
    ],
)
def test_bad_incidents_are_refused_with_a_sentence(client, summit, payload, detail, field):
    as_user(client, operator())
    response = post(client, "/incidents", payload)
    assert response.status_code == 422
    assert (response.json()["detail"], response.json()["field"]) == (detail, field)
    assert Incident.objects.count() == 0


def test_the_list_filters_by_status_and_priority_most_urgent_first(client, summit):
    low = IncidentFactory(summit=summit, priority=4)
    critical = IncidentFactory(summit=summit, priority=1)
    resolved = IncidentFactory(summit=summit, priority=1, status=IncidentStatus.RESOLVED)
    IncidentFactory(priority=1)  # another summit's
    as_user(client, operator())

    everything = client.get(f"{API}/incidents").json()
    open_critical = client.get(f"{API}/incidents?status=new&priority=1").json()

    assert everything["count"] == 3
    assert [item["id"] for item in everything["items"]] == [critical.pk, resolved.pk, low.pk]
    assert [item["id"] for item in open_critical["items"]] == [critical.pk]


def test_suggestions_say_how_far_how_measured_and_how_old(client, summit):
    incident = IncidentFactory(summit=summit)
    volunteer = on_duty(summit, position=(INSIDE[0] + 0.001, INSIDE[1]), skills=["first_aid"])
    as_user(client, operator())

    [candidate] = client.get(f"{API}/incidents/{incident.public_id}/suggestions").json()

    assert candidate["volunteer"] == volunteer.pk
    assert candidate["method"] == "straight"
    assert 100 < candidate["distance_m"] < 120
    assert 15 <= candidate["age_seconds"] <= 30
    assert candidate["skills"] == ["first_aid"]
    assert candidate["phone"] == volunteer.phone


def test_dispatching_a_busy_volunteer_is_refused_with_a_sentence(client, scene):
    other = IncidentFactory(summit=scene["incident"].summit)
    as_user(client, scene["staff"])

    response = post(
        client, f"/incidents/{other.public_id}/dispatches", {"volunteer": scene["sent"].pk}
    )

    assert response.status_code == 422
    assert response.json() == {
        "detail": "Sent is already on another incident; send someone else, or wait until they "
        "are free.",
        "field": "volunteer",
    }
    assert Dispatch.objects.count() == 1


def test_a_skipping_transition_is_refused(client, scene):
    as_user(client, scene["staff"])
    response = post(
        client, f"/incidents/{scene['incident'].public_id}/status", {"status": "resolved"}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "note"
    assert Incident.objects.get().status == IncidentStatus.NEW


def test_an_incident_of_another_summit_is_found_only_under_that_summit(client, scene):
    elsewhere = IncidentFactory(priority=1)  # another summit's
    before = state()
    as_user(client, scene["staff"])
    incident = elsewhere.public_id
    requests = [
        ("get", f"/incidents/{incident}", None),
        ("get", f"/incidents/{incident}/suggestions", None),
        ("post", f"/incidents/{incident}/dispatches", {"volunteer": scene["free"].pk}),
        ("post", f"/incidents/{incident}/status", {"status": "cancelled"}),
    ]

    for method, path, payload in requests:
        response = call(client, method, path, payload)
        assert (response.status_code, response.json()) == (
            404,
            {"detail": f"There is no incident {incident}."},
        ), path
    assert state() == before
    named = client.get(f"{API}/incidents/{incident}?summit={elsewhere.summit.slug}")
    assert (named.status_code, named.json()["id"]) == (200, elsewhere.pk)


def test_a_broadcast_answers_how_many_it_reached(client, scene):
    as_user(client, scene["staff"])
    response = post(client, "/broadcasts", {"audience": "all", "text": "Rain at 3 pm."})
    assert response.status_code == 201
    assert (response.json()["recipients"], response.json()["text"]) == (2, "Rain at 3 pm.")


# --- The volunteer's phone -----------------------------------------------------------------------


def test_a_volunteer_sees_only_their_own_tasks(client, scene):
    mine = as_user(client, scene["sent"].user).get(f"{API}/me/tasks").json()
    assert [task["id"] for task in mine] == [scene["offer"].pk]
    assert mine[0]["incident"]["id"] == scene["incident"].pk
    assert "name" not in json.dumps(mine)

    client.force_login(scene["free"].user)
    assert client.get(f"{API}/me/tasks").json() == []


def test_a_volunteer_answers_their_own_task(client, scene):
    as_user(client, scene["sent"].user)
    response = post(client, f"/me/tasks/{scene['offer'].pk}/answer", {"action": "acknowledge"})
    assert response.status_code == 200
    assert response.json()["status"] == "acknowledged"
    assert Dispatch.objects.get().status == DispatchStatus.ACKNOWLEDGED


def test_answering_someone_elses_task_is_refused_and_changes_nothing(client, scene):
    before = state()
    as_user(client, scene["free"].user)

    for action in ("acknowledge", "decline", "done"):
        response = post(client, f"/me/tasks/{scene['offer'].pk}/answer", {"action": action})
        assert (response.status_code, response.json()) == (
            403,
            {"detail": "This task is not yours; answer only your own tasks."},
        )
    missing = post(client, "/me/tasks/999999/answer", {"action": "acknowledge"})

    assert missing.status_code == 404
    assert state() == before


def test_a_volunteer_on_duty_reports_from_the_phone(client, scene):
    as_user(client, scene["free"].user)
    response = post(
        client,
        "/me/incidents",
        {
            "kind": "lost_item",
            "description": "A passport on a bench.",
            "lat": INSIDE[0],
            "lon": INSIDE[1],
            "accuracy_m": 8,
        },
    )
    assert response.status_code == 201
    incident = Incident.objects.get(public_id=response.json()["public_id"])
    assert (incident.source, incident.reported_by) == ("volunteer", scene["free"].user)


def test_a_volunteer_off_duty_cannot_report(client, summit):
    volunteer = vf.SelectedFactory(summit=summit)
    as_user(client, volunteer.user)
    response = post(client, "/me/incidents", {"kind": "medical"})
    assert (response.status_code, response.json()["detail"]) == (
        422,
        "Only volunteers on duty can report an incident; sign in first.",
    )
    assert Incident.objects.count() == 0


def test_staff_have_no_tasks_of_their_own(client, summit):
    response = as_user(client, operator()).get(f"{API}/me/tasks")
    assert (response.status_code, response.json()["detail"]) == (
        404,
        "You have not applied to volunteer at this summit.",
    )
