"""The live pipeline of the command centre, measured end to end on loopback.

A fresh data folder gets a summit of today with a main hall, two gates (in and out) with known
tokens, 10,000 approved guests allowed in and a command operator with a session. Dashboard
clients (``websockets``) connect to ``ws/command/`` with that session; changes are made over
HTTP as a gate and an operator make them: ``POST /api/v1/checkin/scan`` (the event carries
the scan's id) and ``POST /api/v1/command/incidents`` (the event carries the incident's id).
The delay of an event is from the moment its request was sent to its arrival at a client.

- in-memory layer: one server (``huiwu serve``), changes and clients on it;
- Redis: two servers sharing Redis (a prefix of this run's own), changes through the first,
  clients on the second — the update crosses processes as the issue requires.

The ramp sends scans at rising rates (each for ``STEP_SECONDS``) until the p95 delay passes
2 s or the server completes fewer than 80 % of the scans offered. The clients run in this one
process; at the highest rates it is their CPU, as much as the server's, that is measured.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import http.client
import json
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import websockets
from _common import huiwu, median, percentile, served

GUESTS = 10_000
LATENCY_CHANGES = 30
RATES = (10, 25, 50, 100, 200, 400)
STEP_SECONDS = 5.0
LAG_MS = 2000.0
SENDERS = 16
REDIS_URL = "redis://127.0.0.1:6379/0"

SETUP = """
import datetime as dt, json
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from huiwu.checkin import services
from huiwu.core.i18n import i18n
from huiwu.core.roles import Role, grant_role
from huiwu.registration.badges import badge_token
from huiwu.registration.models import GuestCategory, Registration
from huiwu.summit.models import Series, Summit, Venue, Zone
now = timezone.now()
series = Series.objects.create(slug="wic", name=i18n(zh_hans="世界互联网大会", en="WIC"))
summit = Summit.objects.create(
    series=series, slug="bench", name=i18n(zh_hans="基准", en="Bench"),
    city=i18n(zh_hans="乌镇", en="Wuzhen"), start_date=(now - dt.timedelta(days=1)).date(),
    end_date=(now + dt.timedelta(days=1)).date(), is_current=True, is_public=True,
)
venue = Venue.objects.create(summit=summit, slug="wiicc", name=i18n(zh_hans="会展中心",
    en="Convention centre"), latitude=30.76, longitude=120.479)
hall = Zone.objects.create(summit=summit, name=i18n(zh_hans="主会场", en="Main hall"),
    kind="main_hall", venue=venue, capacity=100000)
category = GuestCategory.objects.create(summit=summit, code="guest",
    name=i18n(zh_hans="嘉宾", en="Guest"), badge_colour="#1f4e8c", required_fields=[])
category.zones.set([hall])
Registration.objects.bulk_create(
    Registration(summit=summit, category=category, status="approved", name=f"Guest {{i}}",
        name_latin=f"Guest {{i}}", nationality="FR", email=f"g{{i}}@bench.example",
        phone="+33 1 23 45 67 89", organisation_name="Bench", position="Guest",
        id_type="passport", id_number=f"E{{i:08d}}", participation="on_site",
        arrival_date=summit.start_date, departure_date=summit.end_date, language="en",
        face_consent=False, submitted_at=now)
    for i in range({guests}))
services.register_device(summit, name="Bench in", zone=hall, token="bench-gate-in")
operator = get_user_model().objects.create_user("operator", email="operator@bench.example")
grant_role(operator, Role.COMMAND_OPERATOR)
store = SessionStore()
store["_auth_user_id"] = str(operator.pk)
store["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
store["_auth_user_hash"] = operator.get_session_auth_hash()
store.create()
tokens = [badge_token(g) for g in Registration.objects.filter(summit=summit).order_by("pk")]
print(json.dumps({{"session": store.session_key, "tokens": tokens}}))
"""


class Listeners:
    """``count`` dashboard websockets in a thread of their own, noting when each event (by
    kind and id) arrives at each client."""

    def __init__(self, url: str, session: str, count: int) -> None:
        self.url, self.session, self.count = url, session, count
        self.arrivals: dict[tuple[str, object], list[float]] = {}
        self.lock = threading.Lock()
        self.ready = threading.Event()
        self.failed: list[str] = []
        # Clients that got their snapshot: the ones an event can reach (a client that could
        # not connect is counted apart, as a client error, not as events lost).
        self.listening = 0
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Listeners:
        self.thread.start()
        if not self.ready.wait(300):
            raise RuntimeError(f"the dashboard clients did not connect: {self.failed[:3]}")
        return self

    def __exit__(self, *exc) -> None:
        self.loop.call_soon_threadsafe(self.stopping.set)
        self.thread.join(timeout=30)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._main())

    async def _main(self) -> None:
        self.stopping = asyncio.Event()
        connected = asyncio.Semaphore(0)
        # All at once, as the pages come back after a server restart.
        began = time.monotonic()
        tasks = [asyncio.ensure_future(self._client(connected)) for _ in range(self.count)]
        for _ in range(self.count):
            await connected.acquire()
        self.connected_in = time.monotonic() - began
        self.ready.set()
        await self.stopping.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _client(self, connected: asyncio.Semaphore) -> None:
        # The Origin a browser sends: the server refuses a websocket without one of its own.
        origin = "http://" + urllib.parse.urlsplit(self.url).netloc
        headers = {"Cookie": f"sessionid={self.session}", "Origin": origin}
        for attempt in range(3):
            try:
                socket = await websockets.connect(
                    self.url, additional_headers=headers, max_size=None, open_timeout=60
                )
                first = json.loads(await socket.recv())
                break
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if attempt == 2:
                    self.failed.append(repr(error))
                    connected.release()
                    return
                await asyncio.sleep(1)
        if first.get("type") != "snapshot":
            self.failed.append(f"first message {first.get('type')}")
        else:
            with self.lock:
                self.listening += 1
        connected.release()
        # Gate scans come in batches keeping each zone's latest scan (live.send_soon): a scan
        # has reached the page when a later one of its zone has (the counts are absolute).
        seen_scan = None
        try:
            async for text in socket:
                now = time.monotonic()
                message = json.loads(text)
                if message.get("type") == "batch":
                    events = message["events"]
                elif message.get("type") == "event":
                    events = [message]
                else:
                    continue
                keys = []
                for event in events:
                    data = event.get("data") or {}
                    if event["kind"] == "checkin":
                        scan = data["scan"]
                        first = scan if seen_scan is None else seen_scan + 1
                        keys += [("checkin", number) for number in range(first, scan + 1)]
                        seen_scan = max(scan, seen_scan or scan)
                    else:
                        keys.append((event["kind"], data.get("id")))
                with self.lock:
                    for key in keys:
                        self.arrivals.setdefault(key, []).append(now)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a dropped connection: say so in the figures
            self.failed.append(repr(error))
        finally:
            await socket.close()


class Gate:
    """Scans and incidents over keep-alive HTTP connections (one per thread)."""

    def __init__(self, base: str, session: str) -> None:
        self.host = urllib.parse.urlsplit(base)
        self.session = session
        self.local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        if getattr(self.local, "connection", None) is None:
            self.local.connection = http.client.HTTPConnection(
                self.host.hostname, self.host.port, timeout=60
            )
        return self.local.connection

    def _request(self, method: str, path: str, body: str, headers: dict) -> tuple[int, dict]:
        connection = self._connection()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, json.loads(response.read() or b"{}")
        except (OSError, http.client.HTTPException, ValueError):
            connection.close()
            self.local.connection = None
            return 0, {}

    def scan(self, token: str) -> tuple[str, object]:
        body = urllib.parse.urlencode(
            {
                "idempotency_key": uuid.uuid4().hex,
                "captured_at": dt.datetime.now(dt.UTC).isoformat(),
                "qr_token": token,
            }
        )
        status, answer = self._request(
            "POST",
            "/api/v1/checkin/scan",
            body,
            {
                "Authorization": "Bearer bench-gate-in",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        return ("checkin", answer.get("event_id")) if status == 200 else ("failed", None)

    def incident(self, number: int) -> tuple[str, object]:
        token = "c" * 32
        body = json.dumps(
            {
                "kind": "medical",
                "priority": 2,
                "lat": 30.7600,
                "lon": 120.4790,
                "place": f"Bench {number}",
                "description": "A guest feels faint.",
            }
        )
        status, answer = self._request(
            "POST",
            "/api/v1/command/incidents",
            body,
            {
                "Content-Type": "application/json",
                "Cookie": f"sessionid={self.session}; csrftoken={token}",
                "X-CSRFToken": token,
            },
        )
        return ("incident", answer.get("id")) if status == 201 else ("failed", None)


def _delays(listeners: Listeners, sent: list[tuple[float, tuple]]) -> tuple[list[float], int]:
    """Every (change, client) delay in ms, and how many arrivals were missing."""
    time.sleep(3)  # the last events on their way
    delays, lost = [], 0
    with listeners.lock:
        for began, key in sent:
            arrived = listeners.arrivals.get(key, [])
            delays += [(moment - began) * 1000 for moment in arrived]
            lost += listeners.listening - len(arrived)
    return delays, lost


def _latency(layer: str, gate: Gate, listeners: Listeners, tokens: list[str]) -> list[dict]:
    rows = []
    # A first scan, not counted, tells each client where the scans start: the next ones may
    # share a batch (live.send_soon) and are counted by the latest scan of each batch.
    gate.scan(tokens.pop())
    time.sleep(1.0)
    for change in ("check-in", "incident"):
        sent = []
        for number in range(LATENCY_CHANGES):
            began = time.monotonic()
            key = gate.scan(tokens.pop()) if change == "check-in" else gate.incident(number)
            if key[0] != "failed":
                sent.append((began, key))
            time.sleep(0.2)
        delays, lost = _delays(listeners, sent)
        rows.append(
            {
                "layer": layer,
                "change": change,
                "events": len(sent),
                "p50": median(delays),
                "p95": percentile(delays, 0.95),
                "max": max(delays, default=float("nan")),
                "lost": lost,
            }
        )
    return rows


def _ramp(layer: str, gate: Gate, listeners: Listeners, tokens: list[str]) -> list[dict]:
    rows = []
    with ThreadPoolExecutor(SENDERS) as pool:
        for rate in RATES:
            count = int(rate * STEP_SECONDS)
            if len(tokens) < count:
                break
            batch = [tokens.pop() for _ in range(count)]
            start = time.monotonic()
            schedule = [start + index / rate for index in range(count)]

            def send(due: float, token: str):
                time.sleep(max(0.0, due - time.monotonic()))
                return due, gate.scan(token)

            results = list(pool.map(send, schedule, batch))
            elapsed = time.monotonic() - start
            sent = [(due, key) for due, key in results if key[0] != "failed"]
            delays, lost = _delays(listeners, sent)
            p95 = percentile(delays, 0.95)
            achieved = len(sent) / elapsed
            lagging = p95 > LAG_MS or achieved < 0.8 * rate or lost > 0.01 * len(delays)
            rows.append(
                {
                    "layer": layer,
                    "rate": rate,
                    "achieved": round(achieved, 1),
                    "p50": median(delays),
                    "p95": p95,
                    "lost": lost,
                    "lagging": "yes" if lagging else "no",
                }
            )
            if lagging:
                break
    return rows


def _run(layer: str, data_dir: Path, clients: int, setup: dict, tokens: list[str], env=None):
    with served(data_dir, env=env) as (writer, _started):
        if env is None:
            return _measure(layer, writer, writer, clients, setup, tokens)
        with served(data_dir, env=env) as (reader, _started):
            return _measure(layer, writer, reader, clients, setup, tokens)


def _measure(layer, writer, reader, clients, setup, tokens):
    url = reader.replace("http://", "ws://") + "/ws/command/"
    gate = Gate(writer, setup["session"])
    with Listeners(url, setup["session"], clients) as listeners:
        latency = _latency(layer, gate, listeners, tokens)
        ramp = _ramp(layer, gate, listeners, tokens)
        failed = len(listeners.failed)
    for row in latency:
        row["client errors"] = failed
        row["connected in"] = listeners.connected_in
    return latency, ramp


def _redis_up() -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def live_benchmark(clients: int = 200, *, redis: bool = True) -> dict:
    with tempfile.TemporaryDirectory(prefix="huiwu-bench-command-") as tmp:
        data_dir = Path(tmp)
        huiwu("migrate", "--no-input", data_dir=data_dir, capture_output=True)
        done = huiwu(
            "shell",
            "-c",
            SETUP.format(guests=GUESTS),
            data_dir=data_dir,
            capture_output=True,
            text=True,
        )
        setup = json.loads(done.stdout.strip().splitlines()[-1])
        tokens = setup["tokens"]
        half = len(tokens) // 2
        latency, ramp = _run("in-memory", data_dir, clients, setup, tokens[:half])
        if redis and _redis_up():
            env = {"HUIWU_REDIS_URL": REDIS_URL, "HUIWU_REDIS_PREFIX": f"bench-{uuid.uuid4().hex}"}
            more_latency, more_ramp = _run(
                "Redis (2 servers)", data_dir, clients, setup, tokens[half:], env=env
            )
            latency += more_latency
            ramp += more_ramp
    return {"latency": latency, "ramp": ramp}
