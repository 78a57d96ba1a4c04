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
"""

from __future__ import annotations

import time
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import transaction

HEARTBEAT_SECONDS = 10


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
    message = {"type": "live.event", "seq": seq, "kind": kind, "data": data, "at": time.time()}
    async_to_sync(get_channel_layer().group_send)(group, message)
    return seq


def publish(group: str, kind: str, data: dict[str, Any]) -> None:
    """Send an event to a group once the current transaction commits (at once outside one);
    nothing is sent for a change that is rolled back."""
    transaction.on_commit(lambda: send_now(group, kind, data))
