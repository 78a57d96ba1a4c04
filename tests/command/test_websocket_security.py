"""Who may listen on the live pages' websockets, beyond the check on connect: a page of another
site is refused the connection (the browser sends the operator's cookie with it), and an
operator who loses their role, their account or their session stops receiving the command
group's state at the next sync or, at the latest, at the next periodic check."""

import pytest
from asgiref.testing import ApplicationCommunicator
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from huiwu.asgi import application
from huiwu.command import consumers, live
from huiwu.command.consumers import CHECK_AGAIN, REFUSED, CommandConsumer
from tests.command.test_consumers import Socket, run

pytestmark = pytest.mark.django_db(transaction=True)


class BrowserSocket(Socket):
    """The dashboard's websocket as a browser opens it: through the whole ASGI application
    (origin check, cookies, session, user), with the session cookie of ``client``."""

    def __init__(self, client, origin: str | None):
        session = client.cookies[settings.SESSION_COOKIE_NAME]
        headers = [
            (b"host", b"localhost:8000"),
            (b"cookie", f"{session.key}={session.value}".encode()),
        ]
        if origin is not None:
            headers.append((b"origin", origin.encode()))
        scope = {
            "type": "websocket",
            "path": "/ws/command/",
            "headers": headers,
            "subprotocols": [],
        }
        # Not Socket's own: that one speaks to a single consumer, past the middleware.
        ApplicationCommunicator.__init__(self, application, scope)


@pytest.mark.parametrize("origin", ["https://evil.example", "http://localhost.evil.example", None])
def test_a_page_of_another_site_is_refused_the_command_socket(summit, operator, client, origin):
    client.force_login(operator)

    async def scenario():
        socket = BrowserSocket(client, origin)
        await socket.send_input({"type": "websocket.connect"})
        closed = await socket.receive_output(timeout=5)
        quiet = await socket.receive_nothing(timeout=0.2)
        await socket.disconnect()  # as the browser answers a close
        return closed, quiet

    # Closed before it is accepted: the browser's handshake fails with HTTP 403.
    assert run(scenario) == ({"type": "websocket.close"}, True)


def test_the_dashboard_of_this_site_is_sent_its_snapshot(summit, operator, client):
    client.force_login(operator)

    async def scenario():
        socket = BrowserSocket(client, "http://localhost:8000")
        connected = await socket.connect()
        message = await socket.receive_json_from()
        await socket.disconnect()
        return connected, message

    connected, message = run(scenario)
    assert (connected, message["type"]) == (True, "snapshot")


@pytest.mark.parametrize("change", ["role removed", "account deactivated"])
def test_an_operator_who_lost_their_access_is_refused_the_next_sync(summit, operator, change):
    def revoke():
        if change == "role removed":
            operator.groups.clear()
        else:
            operator.is_active = False
            operator.save(update_fields=["is_active"])

    def reread():
        user = get_user_model().objects.get(pk=operator.pk)
        return user if user.is_active else AnonymousUser()

    async def scenario():
        socket = Socket(CommandConsumer, "/ws/command/", operator)
        await socket.connect()
        await socket.receive_json_from()
        await database_sync_to_async(revoke)()
        await socket.send_json_to({"action": "sync"})
        closed = await socket.receive_output(timeout=5)
        await socket.disconnect()  # as the browser answers a close
        # The page connects again, as the same user read afresh from their session, and is
        # refused for good.
        fresh = await database_sync_to_async(reread)()
        again = Socket(CommandConsumer, "/ws/command/", fresh)
        await again.connect()
        refused = await again.receive_output(timeout=5)
        await again.disconnect()
        return closed, refused

    assert run(scenario) == (
        {"type": "websocket.close", "code": CHECK_AGAIN},
        {"type": "websocket.close", "code": REFUSED},
    )


@pytest.mark.parametrize("end", ["signed out", "password changed"])
def test_a_dashboard_whose_session_ended_is_closed_at_the_next_check(
    summit, operator, client, monkeypatch, end
):
    monkeypatch.setattr(live, "HEARTBEAT_SECONDS", 0.02)
    monkeypatch.setattr(consumers, "RECHECK_SECONDS", 0.05)
    client.force_login(operator)

    def end_session():
        if end == "signed out":
            client.logout()
        else:
            operator.set_password("another-secret-123")
            operator.save()

    async def scenario():
        socket = BrowserSocket(client, "http://localhost:8000")
        await socket.connect()
        await socket.receive_json_from()
        # Checked several times while the session lasts: the page stays.
        before = [(await socket.receive_json_from())["type"] for _ in range(10)]
        await database_sync_to_async(end_session)()
        for _ in range(50):  # a few heartbeats may leave before the next check
            message = await socket.receive_output(timeout=5)
            if message["type"] != "websocket.send":
                break
        await socket.disconnect()
        return before, message

    before, closed = run(scenario)
    assert before == ["heartbeat"] * 10
    assert closed == {"type": "websocket.close", "code": CHECK_AGAIN}
