"""The websockets of the live pages: the command centre's dashboard and map (``ws/command/``)
and a volunteer's phone (``ws/volunteer/``).

Both speak the protocol of :mod:`huiwu.command.live`: a snapshot on connect, the group's
events as they come, a heartbeat with the group's ``seq``, and a fresh snapshot whenever the
page asks ``{"action": "sync"}``. Who may listen is decided on connect: whoever may not is
told so with the close code :data:`REFUSED` (so that the page stops reconnecting). It is
checked again before every sync and every :data:`RECHECK_SECONDS` (a role removed, an account
deactivated, a session ended, another summit made current); a page that fails it is closed
with :data:`CHECK_AGAIN`, and reconnects: the browser may hold a new session by then (signed
in again in another tab), and the connection's check decides.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import threading
import time
from abc import ABCMeta, abstractmethod
from collections import defaultdict
from importlib import import_module
from types import SimpleNamespace

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib.auth import get_user, get_user_model
from django.contrib.auth.models import AnonymousUser

from huiwu.command import live, state
from huiwu.command.rules import is_command_staff
from huiwu.summit.selectors import current_summit
from huiwu.volunteers.selectors import own_application

#: The close code of a refused websocket (HTTP's 403, in the range for applications).
REFUSED = 4403
#: The close code of a page whose user no longer passed a check while connected.
CHECK_AGAIN = 4001
#: How often a connected page's user is checked again between syncs: once a minute keeps the
#: reads of hundreds of open dashboards cheap.
RECHECK_SECONDS = 60.0

# The last snapshot message of each group whose pages share theirs (group → (seq, read at,
# text)), and a lock per group so that pages connecting together wait for one read.
_shared: dict[str, tuple[int, float, str]] = {}
_reading: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)


class LiveConsumer(AsyncJsonWebsocketConsumer, metaclass=ABCMeta):
    """A page that follows one group: subclasses say which group the user may follow
    (:meth:`authorise`) and what its snapshot is (:meth:`snapshot`); both run in a thread,
    since they read the database."""

    group: str | None = None
    _heartbeat: asyncio.Task | None = None
    #: Pages of one group connecting within this many seconds of each other, with no event
    #: between them, are sent the same snapshot, read and encoded once: after a server
    #: restart every dashboard reconnects at once. 0 for a group of one page.
    share_snapshot_seconds = 0.0

    @abstractmethod
    def authorise(self, user) -> str | None:
        """The group ``user`` follows, or ``None`` to refuse them."""

    @abstractmethod
    def snapshot(self) -> dict:
        """The group's whole state now."""

    async def connect(self) -> None:
        live.bind_loop(asyncio.get_running_loop())
        group = await database_sync_to_async(self.authorise)(self.scope["user"])
        await self.accept()
        if group is None:
            await self.close(code=REFUSED)
            return
        # Join first, then read: an event sent meanwhile arrives after the snapshot, with a
        # seq the snapshot already holds, and the page skips it.
        self.group = group
        await self.channel_layer.group_add(group, self.channel_name)
        await self.send_snapshot()
        self._heartbeat = asyncio.ensure_future(self._beat())

    async def disconnect(self, code) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    @classmethod
    async def decode_json(cls, text_data):
        try:
            return json.loads(text_data)
        except ValueError:
            return None

    async def receive_json(self, content, **kwargs) -> None:
        if self.group is None:
            return
        if isinstance(content, dict) and content.get("action") == "sync":
            if await self.still_allowed():
                await self.send_snapshot()
        else:
            await self.send_json({"type": "error", "detail": "unknown action"})

    async def still_allowed(self) -> bool:
        """Whether the page's user may still follow its group, read again from the database;
        a page whose user may not is closed, to connect again."""
        group = self.group
        if group is not None and await database_sync_to_async(self._authorise_again)() == group:
            return self.group is not None  # not refused meanwhile by the other task
        if self.group is not None:
            self.group = None
            await self.channel_layer.group_discard(group, self.channel_name)
            await self.close(code=CHECK_AGAIN)
        return False

    def _authorise_again(self) -> str | None:
        session = self.scope.get("session")
        if session is not None:
            # A fresh read of the session: anonymous once it was deleted (signed out, expired),
            # its password hash is stale (password changed) or the account is inactive.
            store = import_module(settings.SESSION_ENGINE).SessionStore(session.session_key)
            user = get_user(SimpleNamespace(session=store))
        else:
            # A user put in the scope without a session (not by AuthMiddlewareStack).
            users = get_user_model()._default_manager.filter(is_active=True)
            user = users.filter(pk=self.scope["user"].pk).first() or AnonymousUser()
        return self.authorise(user)

    async def _send_while_following(self, text: str) -> None:
        # The heartbeat and the page's messages run in two tasks, and either may refuse the
        # page while the other waits for a read: nothing is sent after the close (the server
        # would raise).
        if self.group is not None:
            await self.send(text_data=text)

    async def send_snapshot(self) -> None:
        group = self.group
        # The seq before the state: the state holds every event up to it.
        seq = await live.acurrent_seq(group)
        text = await database_sync_to_async(self._snapshot_message)(group, seq)
        await self._send_while_following(text)

    def _snapshot_message(self, group: str, seq: int) -> str:
        if not self.share_snapshot_seconds:
            return json.dumps({"type": "snapshot", "seq": seq, "state": self.snapshot()})
        with _reading[group]:
            shared = _shared.get(group)
            # An event after ``seq`` reaches every page sent this snapshot: a page joining at
            # the same seq a moment later misses nothing by being sent it too.
            if (
                shared
                and shared[0] == seq
                and time.monotonic() - shared[1] < (self.share_snapshot_seconds)
            ):
                return shared[2]
            started = time.monotonic()
            text = json.dumps({"type": "snapshot", "seq": seq, "state": self.snapshot()})
            _shared[group] = (seq, started, text)
            return text

    async def live_event(self, message: dict) -> None:
        # Events already on their way when the page was refused are not sent.
        await self._send_while_following(message["text"])

    async def _beat(self) -> None:
        # The first check at a random moment: pages that connected together (after a restart)
        # are not all checked in the same heartbeat.
        checked = time.monotonic() - random.uniform(0, RECHECK_SECONDS)
        while True:
            await asyncio.sleep(live.HEARTBEAT_SECONDS)
            if time.monotonic() - checked >= RECHECK_SECONDS:
                checked = time.monotonic()
                await self.still_allowed()
            group = self.group
            if group is None:  # refused, at this check or at a sync
                return
            heartbeat = {"type": "heartbeat", "seq": await live.acurrent_seq(group)}
            await self._send_while_following(json.dumps(heartbeat))


class CommandConsumer(LiveConsumer):
    """The dashboard and the map of the current summit, for command staff."""

    share_snapshot_seconds = 2.0

    def authorise(self, user) -> str | None:
        summit = current_summit()
        if summit is None or not is_command_staff(user):
            return None
        self.summit = summit
        return live.command_group(summit.pk)

    def snapshot(self) -> dict:
        return state.dashboard(self.summit)


class VolunteerConsumer(LiveConsumer):
    """A volunteer's phone: their own tasks and the broadcasts that reach them, never anyone
    else's."""

    def authorise(self, user) -> str | None:
        summit = current_summit()
        application = own_application(user, summit) if summit else None
        if application is None:
            return None
        self.application = application
        return live.volunteer_group(application.pk)

    def snapshot(self) -> dict:
        return state.volunteer(self.application)
