"""The command centre's services: raising incidents, the lifecycle, dispatching, the volunteer's
answers and broadcasts. Every refusal changes nothing: counts and the audit log are checked."""

import datetime as dt
import io
import math

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from huiwu.command import live, services
from huiwu.command.models import (
    Dispatch,
    DispatchStatus,
    Incident,
    IncidentSource,
    IncidentStatus,
    Priority,
    WalkingPaths,
)
from huiwu.command.services import CommandError, CommandNotAllowed
from huiwu.core.models import ActionLog
from huiwu.core.services import NotAllowed, actions_for
from tests import factories
from tests.command.factories import (
    IncidentFactory,
    on_duty,
    tasks_in_database,
)
from tests.volunteers import factories as vf
from tests.volunteers.factories import INSIDE

pytestmark = pytest.mark.django_db

# About 110 m and 330 m north of the test venue's point.
NEAR = (INSIDE[0] + 0.001, INSIDE[1])
FAR = (INSIDE[0] + 0.003, INSIDE[1])


@pytest.fixture(autouse=True)
def queue(settings):
    tasks_in_database(settings)


@pytest.fixture
def venue(summit):
    return factories.VenueFactory(summit=summit, outline=vf.OUTLINE)


def image(size=(640, 480), fmt="JPEG") -> SimpleUploadedFile:
    data = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(data, fmt)
    return SimpleUploadedFile("photo.jpg", data.getvalue(), content_type="image/jpeg")


def nothing_recorded():
    assert Incident.objects.count() == 0
    assert ActionLog.objects.count() == 0


# --- Raising incidents ---------------------------------------------------------------------------


def test_staff_report_an_incident_with_its_place_and_needs(summit, venue, staff, events, committed):
    zone = factories.ZoneFactory(summit=summit, venue=venue)

    incident = committed(
        services.report_incident,
        summit,
        kind="medical",
        priority=Priority.HIGH,
        lat=INSIDE[0],
        lon=INSIDE[1],
        zone=zone,
        place=" Hall 1, east door ",
        description="A guest fainted.",
        needs=["first_aid", "FR:2", "first_aid"],
        by=staff,
    )

    incident.refresh_from_db()
    assert (incident.kind, incident.priority, incident.status, incident.source) == (
        "medical",
        Priority.HIGH,
        IncidentStatus.NEW,
        IncidentSource.STAFF,
    )
    assert (incident.venue, incident.zone, incident.place) == (venue, zone, "Hall 1, east door")
    assert incident.needs == ["first_aid", "fr:2"]
    assert incident.reported_by == staff
    assert [(a.action, a.actor) for a in actions_for(incident)] == [("command.reported", staff)]
    assert events == [(live.command_group(summit.pk), "incident", events.of("incident")[0][1])]
    assert events.of("incident")[0][1]["public_id"] == str(incident.public_id)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "alien_landing"}, "kind"),
        ({"priority": 7}, "priority"),
        ({"priority": "high"}, "priority"),
        ({"lat": INSIDE[0]}, "lat"),
        ({"lat": 91, "lon": 120}, "lat"),
        ({"lat": 30, "lon": 181}, "lat"),
        ({"lat": math.nan, "lon": 120}, "lat"),
        ({"lat": 30, "lon": math.inf}, "lat"),
        ({"lat": "north", "lon": 120}, "lat"),
        ({"lat": INSIDE[0] + 1, "lon": INSIDE[1]}, "lat"),  # 111 km away: a typo
        ({"needs": ["juggling"]}, "needs"),
        ({"needs": ["xx:2"]}, "needs"),
        ({"needs": ["fr:6"]}, "needs"),
        ({"needs": ["fr:²"]}, "needs"),
        ({"needs": "first_aid"}, "needs"),
        ({"description": "x" * 2001}, "description"),
    ],
)
def test_bad_input_raises_nothing_and_says_which_field(summit, venue, staff, fields, field):
    data = {"kind": "medical", **fields}
    with pytest.raises(CommandError) as refusal:
        services.report_incident(summit, by=staff, **data)
    assert refusal.value.field == field
    nothing_recorded()


@pytest.mark.parametrize("thing", ["venue", "zone", "post"])
def test_a_place_of_another_summit_is_refused(summit, staff, thing):
    other = factories.SummitFactory()
    places = {
        "venue": lambda: factories.VenueFactory(summit=other),
        "zone": lambda: factories.ZoneFactory(summit=other),
        "post": lambda: vf.PostFactory(summit=other),
    }
    with pytest.raises(CommandError) as refusal:
        services.report_incident(summit, kind="security", by=staff, **{thing: places[thing]()})
    assert (refusal.value.field, refusal.value.message) == (
        thing,
        f"This {thing} belongs to another summit.",
    )
    nothing_recorded()


def test_a_photo_is_checked_and_stored_under_a_name_of_ours(
    summit, venue, staff, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    incident = services.report_incident(summit, kind="lost_item", photo=image(), by=staff)
    assert incident.photo.name.startswith("incidents/")
    assert incident.photo.name.endswith(".jpg")
    assert "photo" not in incident.photo.name

    for bad in (
        SimpleUploadedFile("x.jpg", b"not an image at all", content_type="image/jpeg"),
        image(size=(50, 50)),
    ):
        with pytest.raises(CommandError) as refusal:
            services.report_incident(summit, kind="lost_item", photo=bad, by=staff)
        assert refusal.value.field == "photo"
    assert Incident.objects.count() == 1


def test_a_volunteer_on_duty_reports_from_the_phone_at_their_post(summit, events, committed):
    volunteer = on_duty(summit)
    post = volunteer.assignments.get().post_shift.post

    incident = committed(
        services.report_from_phone,
        volunteer,
        kind="guest_help",
        description="A guest cannot find the press centre.",
        lat=NEAR[0],
        lon=NEAR[1],
        accuracy=12,
    )

    assert (incident.source, incident.post, incident.venue) == (
        IncidentSource.VOLUNTEER,
        post,
        post.venue,
    )
    assert incident.reported_by == volunteer.user
    assert (incident.lat, incident.lon) == NEAR
    # Written by the platform, not the volunteer: in every language.
    assert incident.place == "手机定位，误差12米以内 / Position from the phone, within 12 m"  # noqa: RUF001
    assert len(events.of("incident")) == 1


def test_a_report_from_the_phone_with_a_nonsense_accuracy_is_refused(summit):
    volunteer = on_duty(summit)
    with pytest.raises(CommandError) as refusal:
        services.report_from_phone(volunteer, kind="medical", lat=NEAR[0], lon=NEAR[1], accuracy=-5)
    assert refusal.value.field == "accuracy"
    nothing_recorded()


def test_a_volunteer_off_duty_cannot_report(summit):
    volunteer = vf.SelectedFactory(summit=summit)
    with pytest.raises(CommandError) as refusal:
        services.report_from_phone(volunteer, kind="medical")
    assert refusal.value.message == "Only volunteers on duty can report an incident; sign in first."
    nothing_recorded()


# --- Dispatch ------------------------------------------------------------------------------------


def test_dispatch_offers_the_task_with_a_deadline_and_moves_the_incident(
    summit, staff, events, committed
):
    incident = IncidentFactory(summit=summit)
    volunteer = on_duty(summit, position=NEAR, seen_ago=dt.timedelta(seconds=40))
    on_duty(summit, position=INSIDE)  # nearer, but not the one sent
    now = timezone.now()

    offer = committed(services.dispatch, incident, volunteer, by=staff, now=now)

    incident.refresh_from_db()
    assert (offer.status, offer.offered_by, offer.volunteer) == (
        DispatchStatus.OFFERED,
        staff,
        volunteer,
    )
    assert offer.respond_by == now + dt.timedelta(seconds=90)
    assert offer.distance_method == "straight"
    assert 100 < offer.distance_m < 120
    assert 39 <= offer.position_age_s <= 45
    assert (incident.status, incident.dispatched_at) == (IncidentStatus.DISPATCHED, now)
    assert [a.action for a in actions_for(incident)] == ["command.dispatched"]
    assert [group for group, _data in events.of("task")] == [live.volunteer_group(volunteer.pk)]
    assert events.of("task")[0][1]["incident"]["status"] == IncidentStatus.DISPATCHED
    assert events.of("incident")[0][1]["dispatches"][0]["volunteer"] == volunteer.pk


def refused_dispatch(incident, volunteer, staff, message):
    dispatches, logs = Dispatch.objects.count(), ActionLog.objects.count()
    status = Incident.objects.get(pk=incident.pk).status
    with pytest.raises(CommandError) as refusal:
        services.dispatch(incident, volunteer, by=staff)
    assert refusal.value.message == message
    assert (Dispatch.objects.count(), ActionLog.objects.count()) == (dispatches, logs)
    assert Incident.objects.get(pk=incident.pk).status == status


def test_dispatch_refuses_a_closed_incident(summit, staff):
    incident = IncidentFactory(summit=summit, status=IncidentStatus.CANCELLED)
    refused_dispatch(
        incident, on_duty(summit), staff, "This incident is closed; nobody can be sent to it."
    )


def test_dispatch_refuses_a_volunteer_off_duty(summit, staff):
    volunteer = vf.SelectedFactory(summit=summit, name="Li Lei")
    refused_dispatch(
        IncidentFactory(summit=summit),
        volunteer,
        staff,
        "Li Lei is not on duty now; send someone who is.",
    )


def test_dispatch_refuses_a_volunteer_already_on_another_incident(summit, staff):
    volunteer = on_duty(summit, name="Han Meimei")
    services.dispatch(IncidentFactory(summit=summit), volunteer, by=staff)
    refused_dispatch(
        IncidentFactory(summit=summit),
        volunteer,
        staff,
        "Han Meimei is already on another incident; send someone else, or wait until they are "
        "free.",
    )


def test_dispatch_refuses_to_offer_the_same_incident_twice(summit, staff):
    incident = IncidentFactory(summit=summit)
    volunteer = on_duty(summit, name="Wang Fang")
    offer = services.dispatch(incident, volunteer, by=staff)
    services.answer(offer, "decline", by=volunteer.user)
    refused_dispatch(
        incident,
        volunteer,
        staff,
        "Wang Fang was already offered this incident; send someone else.",
    )


def test_only_command_staff_dispatch(summit):
    volunteer = on_duty(summit)
    with pytest.raises(CommandNotAllowed):
        services.dispatch(IncidentFactory(summit=summit), volunteer, by=volunteer.user)
    assert Dispatch.objects.count() == 0


# --- The volunteer's answers ---------------------------------------------------------------------


def test_acknowledge_on_scene_done_resolves_the_incident_with_every_stamp(
    summit, staff, events, committed
):
    incident = IncidentFactory(summit=summit)
    volunteer = on_duty(summit)
    start = timezone.now()
    offer = services.dispatch(incident, volunteer, by=staff, now=start)

    for minutes, action in enumerate(("acknowledge", "on_scene", "done"), start=1):
        committed(
            services.answer,
            offer,
            action,
            by=volunteer.user,
            now=start + dt.timedelta(minutes=minutes),
        )

    incident.refresh_from_db()
    offer.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    assert [
        incident.dispatched_at,
        incident.acknowledged_at,
        incident.on_scene_at,
        incident.closed_at,
    ] == [start + dt.timedelta(minutes=m) for m in range(4)]
    assert (offer.status, offer.acknowledged_at, offer.on_scene_at, offer.ended_at) == (
        DispatchStatus.DONE,
        start + dt.timedelta(minutes=1),
        start + dt.timedelta(minutes=2),
        start + dt.timedelta(minutes=3),
    )
    assert [(a.action, a.actor) for a in reversed(actions_for(incident))] == [
        ("command.dispatched", staff),
        ("command.acknowledged", volunteer.user),
        ("command.on_scene", volunteer.user),
        ("command.done", volunteer.user),
        ("command.resolved", volunteer.user),
    ]
    assert [data["status"] for _group, data in events.of("task")] == [
        "acknowledged",
        "on_scene",
        "done",
    ]
    assert events.of("incident")[-1][1]["status"] == "resolved"


def test_answering_someone_elses_task_is_refused_and_changes_nothing(summit, staff):
    incident = IncidentFactory(summit=summit)
    mine, theirs = on_duty(summit), on_duty(summit)
    offer = services.dispatch(incident, theirs, by=staff)
    logs = ActionLog.objects.count()

    for action in ("acknowledge", "decline"):
        with pytest.raises(NotAllowed) as refusal:
            services.answer(offer, action, by=mine.user)
        assert refusal.value.message == "This task is not yours; answer only your own tasks."

    offer.refresh_from_db()
    assert offer.status == DispatchStatus.OFFERED
    assert Incident.objects.get(pk=incident.pk).status == IncidentStatus.DISPATCHED
    assert ActionLog.objects.count() == logs


@pytest.mark.parametrize(
    ("steps", "action", "message"),
    [
        ([], "on_scene", "Acknowledge the task first, then report when you are on scene."),
        ([], "done", "Report that you are on scene first, then that you are done."),
        (["acknowledge"], "acknowledge", "You have already acknowledged this task."),
        (
            ["acknowledge", "on_scene"],
            "decline",
            "You are on scene; report when you are done instead of declining.",
        ),
        (["decline"], "acknowledge", "This task is over; nothing more to answer."),
        (
            [],
            "wave",
            "“wave” is not an answer; choose one of: acknowledge, on_scene, done, decline.",
        ),
    ],
)
def test_answers_follow_the_steps(summit, staff, steps, action, message):
    volunteer = on_duty(summit)
    offer = services.dispatch(IncidentFactory(summit=summit), volunteer, by=staff)
    for step in steps:
        services.answer(offer, step, by=volunteer.user)
    before = (Dispatch.objects.get(pk=offer.pk).status, ActionLog.objects.count())

    with pytest.raises(CommandError) as refusal:
        services.answer(offer, action, by=volunteer.user)

    assert refusal.value.message == message
    assert (Dispatch.objects.get(pk=offer.pk).status, ActionLog.objects.count()) == before


def test_acknowledging_after_the_deadline_but_before_the_escalation_is_taken(summit, staff):
    incident = IncidentFactory(summit=summit)
    volunteer, other = on_duty(summit), on_duty(summit)
    offer = services.dispatch(incident, volunteer, by=staff)
    late = offer.respond_by + dt.timedelta(seconds=5)

    services.answer(offer, "acknowledge", by=volunteer.user, now=late)
    assert services.escalate(offer.pk, now=late + dt.timedelta(seconds=1)) is None

    offer.refresh_from_db()
    assert offer.status == DispatchStatus.ACKNOWLEDGED
    assert Incident.objects.get(pk=incident.pk).status == IncidentStatus.ACKNOWLEDGED
    assert not Dispatch.objects.filter(volunteer=other).exists()


def test_a_decline_alerts_and_offers_the_next_nearest(summit, staff, events, committed):
    incident = IncidentFactory(summit=summit)
    first = on_duty(summit, position=NEAR)
    second = on_duty(summit, position=FAR)
    offer = services.dispatch(incident, first, by=staff)

    committed(services.answer, offer, "decline", by=first.user)

    offer.refresh_from_db()
    assert offer.status == DispatchStatus.DECLINED
    next_offer = Dispatch.objects.get(incident=incident, status=DispatchStatus.OFFERED)
    assert (next_offer.volunteer, next_offer.offered_by) == (second, None)
    assert Incident.objects.get(pk=incident.pk).status == IncidentStatus.DISPATCHED
    assert events.alerts() == [
        {"incident": incident.pk, "reason": "declined", "dispatch": offer.pk}
    ]
    assert {group for group, _data in events.of("task")} == {
        live.volunteer_group(first.pk),
        live.volunteer_group(second.pk),
    }


def test_a_decline_with_nobody_else_makes_the_incident_new_again(summit, staff, events, committed):
    incident = IncidentFactory(summit=summit)
    volunteer = on_duty(summit)
    offer = services.dispatch(incident, volunteer, by=staff)

    committed(services.answer, offer, "decline", by=volunteer.user)

    incident.refresh_from_db()
    assert incident.status == IncidentStatus.NEW
    assert incident.dispatched_at is not None  # the first dispatch stays stamped
    assert [alert["reason"] for alert in events.alerts()] == ["declined", "nobody_available"]


# --- Staff decisions: the lifecycle --------------------------------------------------------------

STATUSES = list(IncidentStatus.values)
ALLOWED = {
    ("new", "resolved"),
    ("new", "cancelled"),
    ("dispatched", "acknowledged"),
    ("dispatched", "resolved"),
    ("dispatched", "cancelled"),
    ("acknowledged", "on_scene"),
    ("acknowledged", "resolved"),
    ("acknowledged", "cancelled"),
    ("on_scene", "resolved"),
    ("on_scene", "cancelled"),
}


def incident_in(summit, status, staff) -> Incident:
    """An incident brought to ``status`` the way it gets there."""
    incident = IncidentFactory(summit=summit)
    if status in ("resolved", "cancelled"):
        return services.change_status(incident, status, by=staff, note="Sorted out by radio.")
    if status == "new":
        return incident
    volunteer = on_duty(summit)
    offer = services.dispatch(incident, volunteer, by=staff)
    steps = {"dispatched": [], "acknowledged": ["acknowledge"]}.get(
        status, ["acknowledge", "on_scene"]
    )
    for step in steps:
        services.answer(offer, step, by=volunteer.user)
    incident.refresh_from_db()
    return incident


@pytest.mark.parametrize("target", STATUSES)
@pytest.mark.parametrize("start", STATUSES)
def test_staff_move_an_incident_forward_only(summit, staff, start, target):
    incident = incident_in(summit, start, staff)
    assert incident.status == start
    logs = ActionLog.objects.count()

    if (start, target) in ALLOWED:
        services.change_status(incident, target, by=staff, note="Handled by the medical team.")
        assert Incident.objects.get(pk=incident.pk).status == target
        assert actions_for(incident).first().action == f"command.{target}"
    else:
        with pytest.raises(CommandError):
            services.change_status(incident, target, by=staff, note="Handled.")
        assert Incident.objects.get(pk=incident.pk).status == start
        assert ActionLog.objects.count() == logs


def test_refusals_say_why(summit, staff):
    new = IncidentFactory(summit=summit)
    closed = incident_in(summit, "cancelled", staff)
    cases = [
        (
            new,
            "on_scene",
            "An incident cannot skip from New to On scene; take the steps in between.",
        ),
        (new, "dispatched", "An incident is dispatched by sending a volunteer to it."),
        (new, "new", "The incident is already New."),
        (new, "resolved", "Say in a note how the incident was resolved without anyone on scene."),
        (
            new,
            "cancelled",
            "Say in a note why the incident is cancelled (a false alarm, a duplicate …).",
        ),
        (new, "closed", "“closed” is not a status of an incident."),
        (closed, "resolved", "This incident is closed (Cancelled); it cannot change any more."),
        (
            incident_in(summit, "acknowledged", staff),
            "dispatched",
            "An incident is dispatched by sending a volunteer to it.",
        ),
        (
            incident_in(summit, "on_scene", staff),
            "acknowledged",
            "An incident cannot go back from On scene to Acknowledged.",
        ),
    ]
    for incident, status, message in cases:
        with pytest.raises(CommandError) as refusal:
            services.change_status(incident, status, by=staff)
        assert refusal.value.message == message


def test_resolving_from_on_scene_needs_no_note(summit, staff):
    incident = incident_in(summit, "on_scene", staff)
    services.change_status(incident, "resolved", by=staff)
    offer = incident.dispatches.get()
    assert (offer.status, Incident.objects.get(pk=incident.pk).status) == ("done", "resolved")


def test_cancelling_withdraws_the_offers_and_frees_the_volunteers(summit, staff, events, committed):
    incident = IncidentFactory(summit=summit)
    volunteer = on_duty(summit)
    offer = services.dispatch(incident, volunteer, by=staff)

    committed(services.change_status, incident, "cancelled", by=staff, note="False alarm.")

    offer.refresh_from_db()
    assert offer.status == DispatchStatus.WITHDRAWN
    assert events.of("task") == [(live.volunteer_group(volunteer.pk), events.of("task")[0][1])]
    assert events.of("task")[0][1]["incident"]["status"] == "cancelled"
    # Free again: another incident may have them.
    services.dispatch(IncidentFactory(summit=summit), volunteer, by=staff)


def test_staff_record_an_acknowledgement_given_by_radio(summit, staff):
    incident = IncidentFactory(summit=summit)
    volunteer = on_duty(summit)
    offer = services.dispatch(incident, volunteer, by=staff)

    services.change_status(incident, "acknowledged", by=staff)

    offer.refresh_from_db()
    assert offer.status == DispatchStatus.ACKNOWLEDGED
    # The escalation finds nothing to do any more.
    assert services.escalate(offer.pk, now=offer.respond_by + dt.timedelta(minutes=1)) is None


def test_a_volunteer_cannot_change_an_incidents_status(summit):
    volunteer = on_duty(summit)
    incident = IncidentFactory(summit=summit)
    with pytest.raises(CommandNotAllowed):
        services.change_status(incident, "cancelled", by=volunteer.user)
    assert Incident.objects.get(pk=incident.pk).status == IncidentStatus.NEW


# --- Suggestions ---------------------------------------------------------------------------------


def test_suggestions_need_the_skills_asked(summit):
    incident = IncidentFactory(summit=summit, needs=["first_aid", "fr:3"])
    medic = on_duty(
        summit, position=FAR, skills=["first_aid"], languages=[{"code": "fr", "level": 4}]
    )
    on_duty(summit, position=NEAR, skills=["first_aid"], languages=[{"code": "fr", "level": 2}])
    on_duty(summit, position=NEAR, languages=[{"code": "fr", "level": 5}])

    assert [c.application for c in services.suggestions(incident)] == [medic]


def test_stale_positions_never_count_and_each_says_its_age(summit, settings):
    settings.COMMAND_POSITION_MAX_AGE_MINUTES = 5
    incident = IncidentFactory(summit=summit)
    on_duty(summit, position=NEAR, seen_ago=dt.timedelta(minutes=6))
    fresh = on_duty(summit, position=FAR, seen_ago=dt.timedelta(minutes=2))
    now = timezone.now()

    [candidate] = services.suggestions(incident, now=now)

    assert candidate.application == fresh
    assert 119 <= candidate.age_seconds <= 125
    assert candidate.post == fresh.assignments.get().post_shift.post


def test_suggestions_walk_the_paths_where_they_exist_else_run_straight(summit):
    incident = IncidentFactory(summit=summit)
    volunteer = on_duty(summit, position=FAR)
    [straight] = services.suggestions(incident)

    WalkingPaths.objects.create(
        summit=summit,
        geojson={
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"kind": "path"},
                    "geometry": {
                        "type": "LineString",
                        # West 200 m, north 330 m, back east: a detour around a pond.
                        "coordinates": [
                            [INSIDE[1], INSIDE[0]],
                            [INSIDE[1] - 0.002, INSIDE[0]],
                            [INSIDE[1] - 0.002, FAR[0]],
                            [FAR[1], FAR[0]],
                        ],
                    },
                }
            ],
        },
    )
    [walking] = services.suggestions(incident)

    assert (straight.application, straight.method) == (volunteer, "straight")
    assert (walking.application, walking.method) == (volunteer, "walking")
    assert 320 < straight.distance_m < 340
    assert walking.distance_m > straight.distance_m + 300


def test_who_declined_or_is_busy_is_not_suggested(summit, staff):
    incident = IncidentFactory(summit=summit)
    declined, busy, free = (on_duty(summit, position=NEAR) for _ in range(3))
    services.dispatch(IncidentFactory(summit=summit), busy, by=staff)
    services.answer(services.dispatch(incident, declined, by=staff), "decline", by=declined.user)
    # The decline offered the incident to the one free volunteer left.
    assert incident.dispatches.get(status="offered").volunteer == free

    assert services.suggestions(incident) == []
    other = IncidentFactory(summit=summit)
    assert [c.application for c in services.suggestions(other)] == [declined]


def test_an_incident_without_a_point_is_measured_from_its_venue(summit):
    post = vf.PostFactory(summit=summit)
    incident = IncidentFactory(summit=summit, lat=None, lon=None, venue=None, post=post)
    volunteer = on_duty(summit, position=NEAR)
    [candidate] = services.suggestions(incident)
    assert candidate.application == volunteer
    assert 100 < candidate.distance_m < 120
