"""The live pipeline: check-ins, duties and positions published to the command group with
absolute values after their transaction commits; the dashboard's snapshot; sending from any
thread of the server process; the periodic jobs and the server's background work."""

import asyncio
import datetime as dt
import json
import threading

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from huiwu.checkin import services as checkin
from huiwu.checkin.models import Direction
from huiwu.command import live, state
from huiwu.command.consumers import CommandConsumer
from huiwu.core import periodic
from huiwu.volunteers import services as volunteer_services
from huiwu.volunteers.models import DutyRecord
from tests import factories
from tests.checkin.factories import make_site
from tests.command.factories import IncidentFactory, on_duty
from tests.command.test_consumers import Socket
from tests.registration.factories import GuestCategoryFactory
from tests.volunteers import factories as vf


class Listener:
    """A channel joined to a group of the in-memory layer, as a page's consumer is."""

    def __init__(self, group: str):
        self.layer = get_channel_layer()
        self.channel = async_to_sync(self.layer.new_channel)()
        async_to_sync(self.layer.group_add)(group, self.channel)
        self.waiting: list[dict] = []

    def message(self, timeout: float = 2) -> dict:
        """The next message, as the page receives it."""

        async def receive():
            return await asyncio.wait_for(self.layer.receive(self.channel), timeout)

        return json.loads(async_to_sync(receive)()["text"])

    def next(self, timeout: float = 2) -> dict:
        """The next event, alone or out of a batch (``flush`` first for a batched kind)."""
        if not self.waiting:
            message = self.message(timeout)
            self.waiting = message["events"] if message["type"] == "batch" else [message]
        return self.waiting.pop(0)

    def nothing(self) -> bool:
        try:
            self.next(timeout=0.1)
        except TimeoutError:
            return True
        return False


@pytest.fixture
def site(summit, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_site(summit)


@pytest.fixture
def gate_staff(db):
    return factories.UserFactory(roles=["gate_staff"])


@pytest.fixture
def flush(monkeypatch):
    """Send the coalesced events now, from the test's thread: the only flush during the test.
    The layer's own flushing thread would hand a batch to the listener's loop without waking
    it (the listener then sits out its timeout), or split a batch the test gathers."""
    send = live.flush
    send()  # what earlier tests left waiting leaves before this one listens
    monkeypatch.setattr(live, "flush", lambda: 0)
    return send


# --- Check-ins ------------------------------------------------------------------------------------


def test_a_checkin_publishes_the_zones_new_count_after_commit(
    site, gate_staff, django_capture_on_commit_callbacks, flush
):
    listener = Listener(live.command_group(site.summit.pk))
    first, second = site.guest(), site.guest()
    with django_capture_on_commit_callbacks(execute=True):
        earlier = checkin.manual_checkin(gate_staff, first, site.main_hall, Direction.IN)
    flush()
    listener.next()
    with django_capture_on_commit_callbacks(execute=False) as pending:
        result = checkin.manual_checkin(gate_staff, second, site.main_hall, Direction.IN)
    flush()
    assert listener.nothing()  # nothing before the commit

    for callback in pending:
        callback()
    flush()
    message = listener.next()

    scan = result.event
    assert message["kind"] == "checkin"
    assert message["data"] == {
        "scan": scan.pk,
        "zone": site.main_hall.pk,
        "venue": site.main_hall.venue_id,
        "direction": "in",
        "moved": True,
        "method": "manual",
        "category": "business",
        "zone_inside": 2,
        "zone_capacity": 300,  # no capacity of its own: the seats of its room
        "venue_inside": 2,
        "inside": 2,
        "minute": state.minute_of(scan.captured_at),
        # the arrivals of the scan's minute: the first counts unless a minute began between
        "arrivals": 1
        + (state.minute_of(earlier.event.captured_at) == state.minute_of(scan.captured_at)),
        "at": scan.captured_at.isoformat(),
    }

    with django_capture_on_commit_callbacks(execute=True):
        checkin.manual_checkin(gate_staff, first, site.main_hall, Direction.OUT)
    flush()
    left = listener.next()["data"]
    assert (left["direction"], left["zone_inside"], left["inside"]) == ("out", 1, 1)


def test_a_refused_scan_publishes_nothing(
    site, gate_staff, django_capture_on_commit_callbacks, flush
):
    listener = Listener(live.command_group(site.summit.pk))
    stranger = site.guest(category=GuestCategoryFactory(summit=site.summit, code="press"))
    with django_capture_on_commit_callbacks(execute=True):
        result = checkin.manual_checkin(gate_staff, stranger, site.main_hall, Direction.IN)
    assert result.decision == "deny"
    flush()
    assert listener.nothing()


# --- Duties and positions -------------------------------------------------------------------------


def test_signing_in_and_a_no_show_publish_the_on_duty_and_no_show_counts(
    summit, django_capture_on_commit_callbacks
):
    listener = Listener(live.command_group(summit.pk))
    post = vf.PostFactory(summit=summit)
    with django_capture_on_commit_callbacks(execute=True):
        volunteer = on_duty(summit, post=post, position=None)
    signed_in = listener.next()["data"]
    assert {key: signed_in[key] for key in ("volunteer", "status", "post", "venue")} == {
        "volunteer": volunteer.pk,
        "status": "on",
        "post": post.pk,
        "venue": post.venue_id,
    }
    assert (signed_in["post_on_duty"], signed_in["venue_on_duty"], signed_in["on_duty"]) == (
        1,
        1,
        1,
    )

    now = timezone.now()
    # Begun now: no-shows count by their shift's Shanghai day, and a start a minute ago would
    # be yesterday's in the first minute after midnight.
    shift = vf.ShiftFactory(summit=summit, start=now, end=now + dt.timedelta(minutes=1))
    missing = vf.AssignmentFactory(post_shift=vf.PostShiftFactory(post=post, shift=shift))
    with django_capture_on_commit_callbacks(execute=True):
        DutyRecord.objects.create(assignment=missing, no_show=True)
    no_show = listener.next()["data"]
    assert (no_show["volunteer"], no_show["status"], no_show["no_shows"]) == (
        missing.application_id,
        "no_show",
        1,
    )
    assert no_show["on_duty"] == 1


def test_a_position_is_published_and_costs_no_query_after_the_first_of_a_duty(
    summit, django_capture_on_commit_callbacks, flush
):
    volunteer = on_duty(summit)
    listener = Listener(live.command_group(summit.pk))
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        ping = volunteer_services.record_position(volunteer, 30.7440, 120.4870, 8, now)
    flush()
    message = listener.next()
    duty = DutyRecord.objects.get(assignment__application=volunteer)
    post = duty.assignment.post_shift.post
    assert (message["kind"], message["data"]) == (
        "position",
        {
            "volunteer": volunteer.pk,
            "name": volunteer.name,
            "phone": volunteer.phone,
            "post": post.pk,
            "kind": post.kind,
            "venue": post.venue_id,
            "lat": 30.744,
            "lon": 120.487,
            "accuracy_m": 8.0,
            "at": ping.at.isoformat(),
        },
    )
    with CaptureQueriesContext(connection) as queries:
        state.position_event(ping)
    assert len(queries) == 0


# --- Sending from any thread ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_send_now_from_a_plain_thread_of_the_server_reaches_a_consumer(summit):
    """The task worker and the periodic runner are plain threads of the server process: what
    they send must be handed to the loop that serves the websockets."""
    operator = factories.UserFactory(roles=["command_operator"])
    group = live.command_group(summit.pk)
    sent = []

    async def scenario():
        socket = Socket(CommandConsumer, "/ws/command/", operator)
        await socket.connect()
        await socket.receive_json_from()
        worker = threading.Thread(
            target=lambda: sent.append(live.send_now(group, "alert", {"incident": 1}))
        )
        worker.start()
        await asyncio.get_running_loop().run_in_executor(None, worker.join)
        message = await socket.receive_json_from()
        await socket.disconnect()
        return message

    message = async_to_sync(scenario)()
    assert (message["seq"], message["kind"], message["data"]) == (
        sent[0],
        "alert",
        {"incident": 1},
    )


def test_positions_and_scans_leave_together_keeping_each_ones_latest(summit, flush):
    group = live.command_group(summit.pk)
    listener = Listener(group)
    for lat in (30.1, 30.2, 30.3):
        live.send_soon(group, "position", 7, {"volunteer": 7, "lat": lat})
    live.send_soon(group, "position", 8, {"volunteer": 8, "lat": 31.0})
    live.send_soon(group, "checkin", 3, {"zone": 3, "zone_inside": 5})
    assert flush() == 1

    message = listener.message()

    assert message["type"] == "batch"
    assert [(event["kind"], event["data"]) for event in message["events"]] == [
        ("position", {"volunteer": 7, "lat": 30.3}),
        ("position", {"volunteer": 8, "lat": 31.0}),
        ("checkin", {"zone": 3, "zone_inside": 5}),
    ]
    assert message["seq"] == live.current_seq(group)
    assert live.recent_events(group)[-1]["data"] == {"zone": 3, "zone_inside": 5}


def test_the_dashboards_counter_outlives_a_counter_for_every_phone():
    """Beside the dashboard's counter the cache keeps one per phone (1,260 at Wuzhen): none
    pushes the dashboard's out, which would restart it at 1 and make every page take the new
    events for old ones."""
    group = live.command_group(10**9)
    first = live.next_seq(group)
    for application_id in range(1300):
        live.next_seq(live.volunteer_group(10**9 + application_id))
    assert live.next_seq(group) == first + 1


def test_the_ticker_keeps_the_last_events_but_no_positions(summit):
    group = live.command_group(summit.pk)
    for index in range(live.RECENT_EVENTS + 5):
        live.send_now(group, "checkin", {"n": index})
    live.send_now(group, "position", {"volunteer": 1})
    recent = live.recent_events(group)
    assert [event["data"]["n"] for event in recent] == list(range(5, live.RECENT_EVENTS + 5))


# --- The snapshot ---------------------------------------------------------------------------------


def _snapshot_queries(summit) -> int:
    with CaptureQueriesContext(connection) as queries:
        state.dashboard(summit)
    return len(queries)


def test_the_dashboard_snapshot_reads_a_bounded_number_of_queries(site, gate_staff):
    summit = site.summit
    on_duty(summit)
    IncidentFactory(summit=summit)
    few = _snapshot_queries(summit)
    for _ in range(5):
        guest = site.guest()
        checkin.manual_checkin(gate_staff, guest, site.main_hall, Direction.IN)
        on_duty(summit)
        IncidentFactory(summit=summit, venue=site.main_hall.venue)
    factories.ZoneFactory(summit=summit, venue=site.main_hall.venue, capacity=10)
    assert _snapshot_queries(summit) == few <= 15


def test_the_dashboard_snapshot_counts_against_capacity(site, gate_staff, settings):
    settings.COMMAND_CAPACITY_WARNING = 0.5
    lounge = site.vip_lounge
    lounge.capacity = 2
    lounge.save()
    site.category.zones.add(lounge)
    for _ in range(2):
        checkin.manual_checkin(gate_staff, site.guest(), lounge, Direction.IN)
    checkin.manual_checkin(gate_staff, site.guest(), site.main_hall, Direction.IN)
    incident = IncidentFactory(summit=site.summit, priority=1)

    snapshot = state.dashboard(site.summit)

    zones = {zone["id"]: zone for zone in snapshot["zones"]}
    assert zones[lounge.pk] == {
        "id": lounge.pk,
        "venue": lounge.venue_id,
        "inside": 2,
        "capacity": 2,
        "level": "alarm",
    }
    assert (zones[site.main_hall.pk]["inside"], zones[site.main_hall.pk]["level"]) == (1, "ok")
    assert snapshot["venues"] == [
        {"id": lounge.venue_id, "inside": 3, "capacity": 2 + 300 + 300, "level": "ok"}
    ]
    assert snapshot["inside"] == 3
    assert sum(count for _minute, count in snapshot["arrivals"]) == 3
    assert snapshot["incidents_by_priority"] == {"1": 1}
    assert [item["id"] for item in snapshot["incidents"]] == [incident.pk]


def test_capacity_levels():
    assert [state.level(n, 100) for n in (0, 89, 90, 99, 100, 130)] == [
        "ok",
        "ok",
        "warning",
        "warning",
        "alarm",
        "alarm",
    ]
    assert state.level(5000, None) == "ok"


# --- Background work ------------------------------------------------------------------------------


def test_the_periodic_runner_runs_each_job_every_period_and_survives_a_failure(monkeypatch):
    monkeypatch.setattr(periodic, "_jobs", {})
    ran = []

    def broken():
        ran.append("broken")
        raise RuntimeError("boom")

    periodic.register("test.often", lambda: ran.append("often"), 1)
    periodic.register("test.broken", broken, 1)
    periodic.register("test.seldom", lambda: ran.append("seldom"), 600)
    runner = periodic.Runner()
    first = runner.run_due(1000.0)
    second = runner.run_due(1000.5)
    periodic.cache.delete_many(["periodic:test.often", "periodic:test.broken"])
    third = runner.run_due(1001.0)

    assert first == ["test.often", "test.broken", "test.seldom"]
    assert second == []
    assert third == ["test.often", "test.broken"]
    assert ran == ["often", "broken", "seldom", "often", "broken"]


def test_a_job_that_another_process_ran_within_its_period_is_skipped(monkeypatch):
    ran = []
    job = periodic.Job("test.shared", lambda: ran.append(1), 60)
    periodic.cache.delete("periodic:test.shared")
    assert periodic.run_job(job) is True
    assert periodic.run_job(job) is False
    assert ran == [1]


def test_the_volunteers_sweep_is_a_periodic_job():
    assert {job.name: job.seconds for job in periodic.jobs()}["volunteers.sweep"] == 60


def test_serve_refuses_several_processes_without_redis(settings):
    settings.REDIS_URL = None
    with pytest.raises(CommandError, match="Redis"):
        call_command("serve", workers=2)
