"""The live pages' websockets: a snapshot on connect, events forwarded in order, a fresh
snapshot when the page asks after a gap, heartbeats; command staff only on ``ws/command/``,
and a volunteer only ever on their own group."""

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser

from huiwu.command import live, state
from huiwu.command.consumers import REFUSED, CommandConsumer, VolunteerConsumer
from tests import factories
from tests.command.factories import IncidentFactory, on_duty

pytestmark = pytest.mark.django_db(transaction=True)


class Socket(ApplicationCommunicator):
    """A websocket client of one consumer, as a browser speaks to it (channels' own
    ``WebsocketCommunicator`` needs daphne, which Huiwu does not use)."""

    def __init__(self, consumer, path: str, user):
        scope = {"type": "websocket", "path": path, "headers": [], "subprotocols": []}
        super().__init__(consumer.as_asgi(), {**scope, "user": user})

    async def connect(self, timeout=5):
        await self.send_input({"type": "websocket.connect"})
        return (await self.receive_output(timeout))["type"] == "websocket.accept"

    async def send_to(self, text_data: str):
        await self.send_input({"type": "websocket.receive", "text": text_data})

    async def send_json_to(self, data):
        await self.send_to(json.dumps(data))

    async def receive_json_from(self, timeout=5):
        message = await self.receive_output(timeout)
        assert message["type"] == "websocket.send", message
        return json.loads(message["text"])

    async def disconnect(self, code=1000):
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self.wait(5)


def communicator(consumer, path: str, user) -> Socket:
    return Socket(consumer, path, user)


def run(scenario):
    """Run an async scenario; its database reads run in this thread, on the test's
    database."""
    return async_to_sync(scenario)()


def send(group: str, kind: str, data: dict) -> int:
    """``live.send_now`` from a plain thread of the process, as a task worker would."""
    return live.send_now(group, kind, data)


async def in_plain_thread(function, *args):
    return await asyncio.get_running_loop().run_in_executor(None, function, *args)


def test_command_staff_get_a_snapshot_on_connect(summit, operator):
    incident = IncidentFactory(summit=summit)
    on_duty(summit)

    async def scenario():
        socket = communicator(CommandConsumer, "/ws/command/", operator)
        assert await socket.connect()
        message = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return message

    message = run(scenario)
    assert message["type"] == "snapshot"
    assert message["seq"] == live.current_seq(live.command_group(summit.pk))
    assert [item["id"] for item in message["state"]["incidents"]] == [incident.pk]
    assert message["state"]["on_duty"]["total"] == 1
    assert len(message["state"]["positions"]) == 1


def test_events_of_the_group_are_forwarded_in_order(summit, operator):
    group = live.command_group(summit.pk)

    async def scenario():
        socket = communicator(CommandConsumer, "/ws/command/", operator)
        await socket.connect()
        snapshot = await socket.receive_json_from(timeout=5)
        first = await in_plain_thread(send, group, "checkin", {"zone": 1, "zone_inside": 5})
        second = await in_plain_thread(send, group, "checkin", {"zone": 1, "zone_inside": 6})
        received = [await socket.receive_json_from(timeout=5) for _ in range(2)]
        await socket.disconnect()
        return snapshot, (first, second), received

    snapshot, seqs, received = run(scenario)
    assert seqs == (snapshot["seq"] + 1, snapshot["seq"] + 2)
    assert [(m["type"], m["seq"], m["kind"], m["data"]) for m in received] == [
        ("event", seqs[0], "checkin", {"zone": 1, "zone_inside": 5}),
        ("event", seqs[1], "checkin", {"zone": 1, "zone_inside": 6}),
    ]


def test_a_page_that_saw_a_gap_asks_sync_and_gets_the_whole_state_again(summit, operator):
    group = live.command_group(summit.pk)

    async def scenario():
        socket = communicator(CommandConsumer, "/ws/command/", operator)
        await socket.connect()
        await socket.receive_json_from(timeout=5)
        # An event the page never saw (dropped under load), then one it sees: a gap.
        await in_plain_thread(live.next_seq, group)
        await database_sync_to_async(IncidentFactory)(summit=summit)
        event_seq = await in_plain_thread(send, group, "duty", {"on_duty": 3})
        event = await socket.receive_json_from(timeout=5)
        await socket.send_json_to({"action": "sync"})
        snapshot = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return event_seq, event, snapshot

    event_seq, event, snapshot = run(scenario)
    assert event["seq"] == event_seq
    assert snapshot["type"] == "snapshot"
    assert snapshot["seq"] == event_seq
    assert len(snapshot["state"]["incidents"]) == 1


def test_dashboards_connecting_together_share_one_snapshot_until_an_event(
    summit, operator, monkeypatch
):
    group = live.command_group(summit.pk)
    reads = []
    dashboard = state.dashboard
    monkeypatch.setattr(state, "dashboard", lambda s: reads.append(s.pk) or dashboard(s))

    async def scenario():
        pages = [communicator(CommandConsumer, "/ws/command/", operator) for _ in range(5)]
        await asyncio.gather(*(page.connect() for page in pages))
        first = [await page.receive_json_from(timeout=5) for page in pages]
        # Something happened: the next page to connect is not sent the old state.
        await database_sync_to_async(IncidentFactory)(summit=summit)
        await in_plain_thread(send, group, "incident", {"id": 0})
        late = communicator(CommandConsumer, "/ws/command/", operator)
        await late.connect()
        after = await late.receive_json_from(timeout=5)
        for page in [*pages, late]:
            await page.disconnect()
        return first, after

    first, after = run(scenario)
    assert {json.dumps(message) for message in first} == {json.dumps(first[0])}
    assert first[0]["state"]["incidents"] == []
    assert (after["seq"], len(after["state"]["incidents"])) == (first[0]["seq"] + 1, 1)
    assert reads == [summit.pk, summit.pk]


def test_heartbeats_carry_the_groups_seq(summit, operator, monkeypatch):
    monkeypatch.setattr(live, "HEARTBEAT_SECONDS", 0.05)
    group = live.command_group(summit.pk)

    async def scenario():
        socket = communicator(CommandConsumer, "/ws/command/", operator)
        await socket.connect()
        await socket.receive_json_from(timeout=5)
        seq = await in_plain_thread(live.next_seq, group)  # sent, and lost
        while True:
            message = await socket.receive_json_from(timeout=5)
            if message["type"] == "heartbeat" and message["seq"] == seq:
                break
        await socket.disconnect()

    run(scenario)


def test_bad_messages_are_answered_not_fatal(summit, operator):
    async def scenario():
        socket = communicator(CommandConsumer, "/ws/command/", operator)
        await socket.connect()
        await socket.receive_json_from(timeout=5)
        await socket.send_to(text_data="not json")
        first = await socket.receive_json_from(timeout=5)
        await socket.send_json_to({"action": "launch"})
        second = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return first, second

    assert run(scenario) == (
        {"type": "error", "detail": "unknown action"},
        {"type": "error", "detail": "unknown action"},
    )


@pytest.mark.parametrize("who", ["anonymous", "volunteer", "gate_staff"])
def test_only_command_staff_may_follow_the_command_group(summit, who):
    if who == "anonymous":
        user = AnonymousUser()
    elif who == "volunteer":
        user = on_duty(summit).user
    else:
        user = factories.UserFactory(roles=["gate_staff"])

    async def scenario():
        socket = communicator(CommandConsumer, "/ws/command/", user)
        connected = await socket.connect()
        closed = await socket.receive_output(timeout=5)
        await socket.disconnect()  # as the browser answers a close
        return connected, closed

    connected, closed = run(scenario)
    assert connected
    assert (closed["type"], closed["code"]) == ("websocket.close", REFUSED)


def test_organisers_follow_the_command_group_too(summit):
    organiser = factories.UserFactory(roles=["organiser"])

    async def scenario():
        socket = communicator(CommandConsumer, "/ws/command/", organiser)
        await socket.connect()
        message = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return message

    assert run(scenario)["type"] == "snapshot"


def test_a_volunteer_gets_their_own_tasks_and_only_their_own_events(summit):
    mine, theirs = on_duty(summit), on_duty(summit)

    async def scenario():
        socket = communicator(VolunteerConsumer, "/ws/volunteer/", mine.user)
        other = communicator(VolunteerConsumer, "/ws/volunteer/", theirs.user)
        await socket.connect()
        await other.connect()
        snapshot = await socket.receive_json_from(timeout=5)
        await other.receive_json_from(timeout=5)
        await in_plain_thread(send, live.volunteer_group(theirs.pk), "task", {"id": 7})
        await in_plain_thread(send, live.volunteer_group(mine.pk), "task", {"id": 8})
        event = await socket.receive_json_from(timeout=5)
        others = await other.receive_json_from(timeout=5)
        quiet = await socket.receive_nothing(timeout=0.2)
        await socket.disconnect()
        await other.disconnect()
        return snapshot, event, others, quiet

    snapshot, event, others, quiet = run(scenario)
    assert snapshot == {
        "type": "snapshot",
        "seq": live.current_seq(live.volunteer_group(mine.pk)) - 1,
        "state": {"tasks": [], "broadcasts": []},
    }
    assert (event["kind"], event["data"]) == ("task", {"id": 8})
    assert (others["kind"], others["data"]) == ("task", {"id": 7})
    assert quiet


def test_someone_without_an_application_is_refused_the_volunteer_socket(summit, operator):
    async def scenario():
        socket = communicator(VolunteerConsumer, "/ws/volunteer/", operator)
        await socket.connect()
        closed = await socket.receive_output(timeout=5)
        await socket.disconnect()  # as the browser answers a close
        return closed

    assert run(scenario)["code"] == REFUSED
