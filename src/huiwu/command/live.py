"""The live layer's contract: who listens where, and how a change reaches them.

Every live page is a websocket on a *group*. A change is published to a group after its
transaction commits, as ``{"type": "event", "seq": n, "kind": …, "data": …, "at": …}``, where
``seq`` counts the group's messages (in the cache, shared through Redis between server
processes). Events carry absolute values (a zone's count, an incident's whole state), never
increments, so that an event seen twice, or after a snapshot that already holds it, is harmless.

Channel layers drop messages under load (channels-redis past a channel's capacity, silently),
so no page trusts the stream alone: on (re)connect the consumer sends ``{"type": "snapshot",
"seq": n, "state": …}`` (``seq`` read *before* the state, so the state holds every event up to
it), every ``HEARTBEAT_SECONDS`` it sends ``{"type": "heartbeat", "seq": n}``, and a page that
sees a ``seq`` jump, or a heartbeat ahead of what it has, asks ``{"action": "sync"}`` for a
fresh snapshot.

Frequent events (positions, gate scans) are gathered for :data:`COALESCE_SECONDS` and sent
as one ``{"type": "batch", "seq": n, "events": [{"kind", "data", "at"}, …]}`` per group
(:func:`send_soon`); a batch counts as one message in ``seq``.

The command group also keeps the last :data:`RECENT_EVENTS` of its check-ins, duties, incidents
and alerts in the cache (:func:`recent_events`), so that the dashboard's ticker is full from
the first snapshot on.

**Which event loop sends.** Channels' in-memory layer keeps its queues on the server's event
loop, and only coroutines on that loop may touch them. The first consumer that connects binds
that loop (:func:`bind_loop`); from then on :func:`send_now`, called from any other thread of
the server process (a request's thread, the task worker's, the periodic runner's), hands the
send to that loop. Without a bound loop (a management command, the Redis worker process)
it sends on a loop of its own, as ``async_to_sync`` does.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 10
#: How many events the dashboard's ticker starts with.
RECENT_EVENTS = 20
#: The kinds of the command group that the ticker shows (positions move too often to list).
TICKER_KINDS = frozenset({"checkin", "duty", "incident", "alert"})
# How long a sending thread waits for the server's loop to take a message.
_HANDOVER_SECONDS = 5

_server_loop: asyncio.AbstractEventLoop | None = None
_server_thread: int | None = None


def command_group(summit_id: int) -> str:
    """The command staff's dashboard and map of one summit."""
    return f"command.{summit_id}"


def volunteer_group(application_id: int) -> str:
    """One volunteer's phone: their tasks, and the broadcasts that reach them."""
    return f"volunteer.{application_id}"


def _seq_key(group: str) -> str:
    return f"live-seq:{group}"


def current_seq(group: str) -> int:
    return cache.get(_seq_key(group), 0)


async def acurrent_seq(group: str) -> int:
    """:func:`current_seq` for a consumer (the cache may be Redis: not on the event loop)."""
    return await cache.aget(_seq_key(group), 0)


def _recent_key(group: str) -> str:
    return f"live-recent:{group}"


def recent_events(group: str) -> list[dict[str, Any]]:
    """The group's last ticker events, oldest first, as they were sent."""
    return cache.get(_recent_key(group), [])


def _remember(group: str, events: list[dict[str, Any]]) -> None:
    # A read and a write, not atomic: two processes sending at the same instant may lose one
    # line of the ticker, never a count (counts travel in the events and the snapshot).
    ticker = [event for event in events if event["kind"] in TICKER_KINDS]
    if ticker and group.startswith("command."):
        key = _recent_key(group)
        cache.set(key, [*cache.get(key, []), *ticker][-RECENT_EVENTS:], timeout=None)


def bind_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Remember the event loop that serves the websockets of this process (called by each
    consumer as it connects: a test's new loop replaces the last one)."""
    global _server_loop, _server_thread
    _server_loop, _server_thread = loop, threading.get_ident()


def next_seq(group: str) -> int:
    key = _seq_key(group)
    try:
        return cache.incr(key)
    except ValueError:  # not there yet (or evicted): start it; another process may race us
        cache.add(key, 0, timeout=None)
        return cache.incr(key)


def send_now(group: str, kind: str, data: dict[str, Any]) -> int:
    """Send one event to a group at once; returns its ``seq``. Call :func:`publish` instead
    from inside a transaction."""
    seq = next_seq(group)
    event = {"seq": seq, "kind": kind, "data": data, "at": time.time()}
    _remember(group, [event])
    _deliver(group, {"type": "event", **event})
    return seq


def _deliver(group: str, payload: dict[str, Any]) -> None:
    # Encoded once here, not once per page: a dashboard group has hundreds of members, and the
    # in-memory layer copies each message for each of them (a string costs nothing to copy).
    message = {"type": "live.event", "text": json.dumps(payload, cls=DjangoJSONEncoder)}
    layer = get_channel_layer()
    send = async_to_sync(layer.group_send)
    loop = _server_loop
    if loop is not None and loop.is_running() and threading.get_ident() != _server_thread:
        handover = asyncio.run_coroutine_threadsafe(layer.group_send(group, message), loop)
        handover.result(timeout=_HANDOVER_SECONDS)
    elif _loop_in_this_thread():
        # Another event loop runs in this thread (a browser test's driver): sending here would
        # block it; a helper thread sends on a loop of its own.
        with ThreadPoolExecutor(max_workers=1) as helper:
            helper.submit(send, group, message).result(timeout=_HANDOVER_SECONDS)
    else:
        send(group, message)


# --- Coalesced events ------------------------------------------------------------------------
# Positions (1,260 phones every 30 s: 42 a second) and gate scans (a dozen a second at the
# opening) are too many to send one by one to every page: each costs every page's consumer a
# turn of the server's loop. They wait up to COALESCE_SECONDS and leave together as one
# ``{"type": "batch", "seq": n, "events": [...]}`` message per group, keeping only the latest
# event of each thing (a volunteer's position, a zone's count): the events carry absolute
# values, so nothing is lost but the positions in between.
COALESCE_SECONDS = 0.5

_pending: dict[str, dict[tuple[str, Any], dict[str, Any]]] = {}
_pending_lock = threading.Lock()
_flusher: threading.Thread | None = None


def send_soon(group: str, kind: str, key: Any, data: dict[str, Any]) -> None:
    """Send an event within :data:`COALESCE_SECONDS`, replacing any event of the same kind and
    ``key`` still waiting for the group (nothing while :func:`muted`)."""
    global _flusher
    if is_muted():
        return
    with _pending_lock:
        waiting = _pending.setdefault(group, {})
        waiting.pop((kind, key), None)  # the latest goes last, in the order things happened
        waiting[(kind, key)] = {"kind": kind, "data": data, "at": time.time()}
        if _flusher is None or not _flusher.is_alive():
            _flusher = threading.Thread(target=_flush_forever, name="live-flush", daemon=True)
            _flusher.start()


def flush() -> int:
    """Send what waits, one message per group; returns how many messages left."""
    with _pending_lock:
        waiting = {group: list(events.values()) for group, events in _pending.items() if events}
        _pending.clear()
    for group, events in waiting.items():
        seq = next_seq(group)
        _remember(group, [{"seq": seq, **event} for event in events])
        _deliver(group, {"type": "batch", "seq": seq, "events": events})
    return len(waiting)


def _flush_forever() -> None:
    while True:
        time.sleep(COALESCE_SECONDS)
        try:
            flush()
        except Exception:  # a layer down for a moment: the pages resync from their snapshot
            logger.exception("Live events could not be sent")


def _loop_in_this_thread() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def publish(group: str, kind: str, data: dict[str, Any]) -> None:
    """Send an event to a group once the current transaction commits (at once outside one);
    nothing is sent for a change that is rolled back, nor while :func:`muted`. A send that
    fails (the layer down a moment) is logged and skipped: the change is made, the callbacks
    after it still run, and the pages resync from their snapshot."""
    if not is_muted():
        transaction.on_commit(lambda: send_now(group, kind, data), robust=True)


_mute = threading.local()


@contextmanager
def muted():
    """Publish nothing from this thread meanwhile: a bulk build (the demo's history) is no
    live news, and a page that connects later reads it all in its snapshot."""
    before = getattr(_mute, "on", False)
    _mute.on = True
    try:
        yield
    finally:
        _mute.on = before


def is_muted() -> bool:
    return getattr(_mute, "on", False)
