"""The replay of a summit day, run for a few real seconds at a high speed on a small summit:
volunteers sign in on today's replay shift and report positions, guests pass the gates, and the
day's incidents are raised, dispatched, answered and resolved, all through the services."""

import datetime as dt
import io
import threading
from collections import deque

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from huiwu.checkin.models import Direction, ScanEvent
from huiwu.command import demo, replay
from huiwu.command.models import Dispatch, DispatchStatus, Incident, IncidentStatus, WalkingPaths
from huiwu.core.models import ActionLog
from huiwu.volunteers.models import DutyRecord, PositionPing, Shift
from tests import factories
from tests.checkin.factories import make_site
from tests.command.factories import IncidentFactory
from tests.factories import at
from tests.volunteers import factories as vf
from tests.volunteers.factories import INSIDE

pytestmark = pytest.mark.django_db


def past_incident(summit, venue, minute, offers):
    """An incident of the first day at 08:``minute``, resolved after ``offers`` (statuses of
    its offers, in order; the last one went there)."""
    created = at(0, 8, minute)
    incident = IncidentFactory(
        summit=summit, venue=venue, status=IncidentStatus.RESOLVED, needs=["first_aid"]
    )
    Incident.objects.filter(pk=incident.pk).update(
        created_at=created,
        dispatched_at=created + dt.timedelta(minutes=1),
        acknowledged_at=created + dt.timedelta(minutes=3),
        on_scene_at=created + dt.timedelta(minutes=6),
        closed_at=created + dt.timedelta(minutes=10),
    )
    for index, status in enumerate(offers):
        offered = created + dt.timedelta(minutes=1 + index)
        done = status == DispatchStatus.DONE
        Dispatch.objects.create(
            incident=incident,
            volunteer=vf.SelectedFactory(summit=summit),
            status=status,
            respond_by=offered + dt.timedelta(seconds=90),
            acknowledged_at=offered + dt.timedelta(minutes=1) if done else None,
            on_scene_at=offered + dt.timedelta(minutes=4) if done else None,
            ended_at=offered + dt.timedelta(minutes=8 if done else 1),
        )
    Dispatch.objects.filter(incident=incident).update(offered_at=created)
    return incident


@pytest.fixture
def day(summit):
    """A venue with the walking paths, a main hall with gates and guests, four first-aiders
    rostered on the first morning, two incidents of that morning and an operator."""
    site = make_site(summit)
    venue = site.main_hall.venue
    venue.outline = vf.OUTLINE
    venue.latitude, venue.longitude = INSIDE
    venue.save()
    WalkingPaths.objects.create(summit=summit, geojson=demo.walking_paths([venue]))
    site.gate()
    site.gate(direction=Direction.OUT)
    guests = [site.guest() for _ in range(30)]
    post = vf.PostFactory(summit=summit, venue=venue)
    slot = vf.PostShiftFactory(post=post, headcount=4)
    for _ in range(4):
        vf.AssignmentFactory(
            post_shift=slot, application=vf.SelectedFactory(summit=summit, skills=["first_aid"])
        )
    factories.UserFactory(username="command", roles=["command_operator"])
    past_incident(summit, venue, 1, [DispatchStatus.DONE])
    past_incident(summit, venue, 3, [DispatchStatus.DECLINED, DispatchStatus.DONE])
    return {"summit": summit, "guests": guests, "venue": venue}


def test_a_replay_plays_the_morning_through_the_services(day):
    summit = day["summit"]
    started = timezone.now()
    lines = []

    counts = replay.Replay(summit, speed=600, day=1, say=lines.append).run(minutes=0.12)

    # Volunteers: on today's replay shift, signed in, positions now.
    shift = Shift.objects.get(summit=summit, start__gte=started - dt.timedelta(minutes=11))
    duties = DutyRecord.objects.filter(assignment__post_shift__shift=shift)
    assert duties.count() == 4 and counts["sign_ins"] == 4
    assert all(d.signed_in_at >= started and d.signed_out_at is not None for d in duties)
    pings = PositionPing.objects.filter(at__gte=started)
    assert pings.count() >= 4 * 2 and counts["positions"] == pings.count() - 4  # + sign-ins
    # Guests: through the gates, at the present moment.
    scans = ScanEvent.objects.filter(captured_at__gte=started)
    assert scans.count() == counts["scans"] > 0
    assert scans.filter(decision="admit").exists()
    # Incidents: raised again now, dispatched, one declined and handed on, both resolved.
    replayed = Incident.objects.filter(summit=summit, created_at__gte=started).order_by("pk")
    assert counts["incidents"] == replayed.count() == 2
    assert [i.status for i in replayed] == [IncidentStatus.RESOLVED, IncidentStatus.RESOLVED]
    offers = Dispatch.objects.filter(incident__in=replayed)
    assert sorted(offers.values_list("status", flat=True)) == ["declined", "done", "done"]
    assert all(i.on_scene_at > i.acknowledged_at > i.dispatched_at for i in replayed)
    actions = set(
        ActionLog.objects.filter(object_id__in=[str(i.pk) for i in replayed]).values_list(
            "action", flat=True
        )
    )
    assert {"command.reported", "command.dispatched", "command.declined"} <= actions
    assert {"command.acknowledged", "command.on_scene", "command.done"} <= actions
    assert counts["refused"] == 0, lines
    assert lines[-1].startswith("replay over:")


def test_a_stopped_replay_signs_out_and_cancels_what_is_open(day, monkeypatch):
    summit = day["summit"]
    started = timezone.now()
    stop = threading.Event()
    run = replay.Replay(summit, speed=60, day=1, stop=stop)
    # Stopped as soon as the first incident is raised, whatever the machine's speed (the
    # second comes two summit minutes later).
    raise_incident = replay.Replay.raise_incident

    def raise_then_stop(self, plan):
        raise_incident(self, plan)
        stop.set()

    monkeypatch.setattr(replay.Replay, "raise_incident", raise_then_stop)

    run.run(minutes=0.5)

    replayed = Incident.objects.filter(summit=summit, created_at__gte=started)
    assert replayed.count() == 1
    assert replayed.get().status == IncidentStatus.CANCELLED
    assert not DutyRecord.objects.filter(
        signed_in_at__gte=started, signed_out_at__isnull=True
    ).exists()


def test_the_demo_command_refuses_a_day_the_summit_does_not_have(day):
    with pytest.raises(CommandError, match="3 days"):
        call_command("demo", no_serve=True, replay=True, replay_day=5, stdout=io.StringIO())


@pytest.mark.parametrize("outcome", [IncidentStatus.RESOLVED, IncidentStatus.CANCELLED])
def test_an_incident_nobody_was_sent_to_is_closed_with_the_note_the_services_ask_for(day, outcome):
    summit = day["summit"]
    incident = IncidentFactory(summit=summit)
    run = replay.Replay(summit)
    run.operator = factories.UserFactory(roles=["command_operator"])
    plan = replay.Plan(
        at=timezone.now(), fields={}, dispatch_after=None, answers=deque(), outcome=outcome
    )
    plan.incident = incident

    run.close(plan)

    incident.refresh_from_db()
    assert incident.status == outcome
    closed = ActionLog.objects.get(object_id=str(incident.pk), action=f"command.{outcome}")
    assert closed.data["note"] == replay.CLOSING_NOTES[outcome]
