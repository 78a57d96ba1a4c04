"""Position ingest of the volunteers' phone page, over HTTP on loopback.

A fresh data folder gets a demo-like summit (the demo's Wuzhen convention centre with its
outline, one post, a shift running now) and ``phones`` selected volunteers who agreed to
location on duty and signed in through ``services.sign_in``; each has a logged-in session. Then
client threads send positions for ``seconds`` to ``POST /api/v1/volunteers/positions`` as fast as
the server answers, each position from one of the phones, walking around the venue. The figures:
positions accepted per second, p50 and p95 latency, and the time to read one volunteer's
trajectory over a day (~3,000 points, one every 30 s for 24 h) through
``GET /api/v1/volunteers/volunteers/{id}/trajectory`` as the volunteer office does, and straight
from the database.
"""

import http.client
import json
import math
import random
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from _common import huiwu, median, percentile, served

CLIENTS = 32
TRAJECTORY_POINTS = 2880
CENTRE = (30.7600, 120.4790)

# Run inside the data folder: the summit, the volunteers on duty now, their sessions.
SETUP = """
import datetime as dt, json, secrets, time
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from huiwu.core.i18n import i18n
from huiwu.core.roles import Role, grant_role
from huiwu.summit.models import Series, Summit, Venue
from huiwu.volunteers import services
from huiwu.volunteers.models import (
    Application, Assignment, Post, PostShift, PositionPing, Shift, University,
)
PHONES = {phones}
now = timezone.now()
series = Series.objects.create(slug="wic", name=i18n(zh_hans="世界互联网大会", en="WIC"))
summit = Summit.objects.create(
    series=series, slug="bench", name=i18n(zh_hans="基准", en="Bench"),
    city=i18n(zh_hans="乌镇", en="Wuzhen"), start_date=(now - dt.timedelta(days=1)).date(),
    end_date=(now + dt.timedelta(days=1)).date(), is_current=True,
)
lat, lon = {centre}
outline = {{"type": "Polygon", "coordinates": [[
    [lon - 0.002, lat - 0.0015], [lon + 0.002, lat - 0.0015], [lon + 0.002, lat + 0.0015],
    [lon - 0.002, lat + 0.0015], [lon - 0.002, lat - 0.0015]]]}}
venue = Venue.objects.create(
    summit=summit, slug="wiicc", name=i18n(zh_hans="会展中心", en="Convention centre"),
    latitude=lat, longitude=lon, outline=outline,
)
post = Post.objects.create(summit=summit, venue=venue, kind="guide",
                           name=i18n(zh_hans="引导", en="Guide"))
shift = Shift.objects.create(summit=summit, name=i18n(zh_hans="班", en="Shift"),
                             start=now - dt.timedelta(hours=1), end=now + dt.timedelta(hours=6))
yesterday = Shift.objects.create(summit=summit, name=i18n(zh_hans="昨日", en="Yesterday"),
                                 start=now - dt.timedelta(days=1, hours=1),
                                 end=now - dt.timedelta(hours=1, minutes=1))
slot = PostShift.objects.create(post=post, shift=shift, headcount=PHONES)
earlier = PostShift.objects.create(post=post, shift=yesterday, headcount=1)
university = University.objects.create(short_name="ZJU", name=i18n(zh_hans="浙江大学", en="ZJU"))
users = get_user_model()
unusable = make_password(None)
users.objects.bulk_create(
    users(username=f"phone{{i}}@bench.example", email=f"phone{{i}}@bench.example",
          password=unusable) for i in range(PHONES))
people = list(users.objects.filter(email__endswith="@bench.example").order_by("pk"))
availability = [{{"date": day.isoformat(), "from": "00:00", "to": "24:00"}} for day in summit.days]
applications = Application.objects.bulk_create(
    Application(summit=summit, user=user, status="selected", name=f"志愿者{{i}}",
                phone="13800000000", email=user.email, university=university,
                student_number=str(i), languages=[{{"code": "zh", "level": 5}}],
                availability=availability, emergency_name="家长",
                emergency_phone="13900000000", location_consent=True, location_consent_at=now)
    for i, user in enumerate(people))
applications = list(Application.objects.filter(summit=summit).order_by("pk"))
Assignment.objects.bulk_create(
    Assignment(post_shift=slot, application=a, source="manual") for a in applications)
# A day of positions of the first volunteer, for the trajectory query.
first = applications[0]
old = Assignment.objects.create(post_shift=earlier, application=first, source="manual")
duty = services.sign_in(first, old, lat, lon, 10, at=yesterday.start)
PositionPing.objects.bulk_create(
    PositionPing(application=first, duty=duty, at=yesterday.start + dt.timedelta(seconds=30 * k),
                 lat=lat + 0.0001 * (k % 10), lon=lon, accuracy_m=8)
    for k in range(1, {points} + 1))
services.sign_out(first, at=yesterday.end)
sessions = []
for application, assignment in zip(
    applications, Assignment.objects.filter(post_shift=slot).order_by("application_id")
):
    services.sign_in(application, assignment, lat, lon, 10)
    store = SessionStore()
    store["_auth_user_id"] = str(application.user_id)
    store["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    store["_auth_user_hash"] = application.user.get_session_auth_hash()
    store.create()
    sessions.append(store.session_key)
office = users.objects.create_user("office", email="office@bench.example")
grant_role(office, Role.VOLUNTEER_OFFICE)
store = SessionStore()
store["_auth_user_id"] = str(office.pk)
store["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
store["_auth_user_hash"] = office.get_session_auth_hash()
store.create()
print(json.dumps({{
    "sessions": sessions, "office": store.session_key, "volunteer": first.pk,
    "from": yesterday.start.isoformat(), "to": yesterday.end.isoformat(),
}}))
"""

# The trajectory query straight from the database, median of five.
QUERY = """
import datetime as dt, json, statistics, time
from huiwu.volunteers import selectors
from huiwu.volunteers.models import Application
application = Application.objects.get(pk={volunteer})
start, end = dt.datetime.fromisoformat("{start}"), dt.datetime.fromisoformat("{end}")
times, count = [], 0
for _ in range(5):
    began = time.perf_counter()
    count = len(list(selectors.trajectory(application, start, end).values("at", "lat", "lon")))
    times.append((time.perf_counter() - began) * 1000)
print(json.dumps({{"points": count, "ms": statistics.median(times)}}))
"""


def _shell(code: str, data_dir: Path) -> dict:
    done = huiwu("shell", "-c", code, data_dir=data_dir, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _headers(session: str) -> dict:
    # Any 32-letter secret serves as the CSRF cookie and its header alike.
    token = "b" * 32
    return {
        "Content-Type": "application/json",
        "Cookie": f"sessionid={session}; csrftoken={token}",
        "X-CSRFToken": token,
        "Accept-Language": "en",
    }


def _send(base: str, sessions: list[str], seconds: float, clients: int) -> dict:
    host = urlsplit(base)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    stop = threading.Event()
    clients = min(clients, len(sessions))
    barrier = threading.Barrier(clients + 1)

    def client(number: int) -> None:
        rng = random.Random(number)
        mine = sessions[number::clients]
        connection = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
        barrier.wait()
        sent = 0
        while not stop.is_set():
            session = mine[sent % len(mine)]
            sent += 1
            angle = rng.uniform(0, 2 * math.pi)
            body = json.dumps(
                {
                    "lat": CENTRE[0] + 0.0008 * math.sin(angle),
                    "lon": CENTRE[1] + 0.0008 * math.cos(angle),
                    "accuracy_m": round(rng.uniform(4, 20), 1),
                }
            )
            began = time.perf_counter()
            try:
                connection.request(
                    "POST", "/api/v1/volunteers/positions", body=body, headers=_headers(session)
                )
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
                status = 0
            elapsed = (time.perf_counter() - began) * 1000
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1
        connection.close()

    threads = [
        threading.Thread(target=client, args=(number,), daemon=True) for number in range(clients)
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    began = time.monotonic()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    return {"latencies": latencies, "statuses": statuses, "seconds": time.monotonic() - began}


def _trajectory_over_http(base: str, setup: dict, runs: int = 5) -> tuple[int, float]:
    host = urlsplit(base)
    path = f"/api/v1/volunteers/volunteers/{setup['volunteer']}/trajectory"
    query = f"?from={setup['from'].replace('+', '%2B')}&to={setup['to'].replace('+', '%2B')}"
    times, points = [], 0
    for _ in range(runs):
        connection = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
        began = time.perf_counter()
        connection.request("GET", path + query, headers=_headers(setup["office"]))
        response = connection.getresponse()
        answer = json.loads(response.read())
        times.append((time.perf_counter() - began) * 1000)
        connection.close()
        if response.status != 200:
            raise RuntimeError(f"trajectory answered {response.status}: {answer}")
        points = len(answer["points"])
    return points, median(times)


def pings_benchmark(phones: int = 1000, seconds: float = 10.0) -> dict:
    """Serve a fresh demo-like summit with ``phones`` volunteers on duty and send positions for
    ``seconds``; returns the figures (see the module's docstring)."""
    with tempfile.TemporaryDirectory(prefix="huiwu-bench-pings-") as tmp:
        data_dir = Path(tmp)
        huiwu("migrate", "--no-input", data_dir=data_dir, capture_output=True)
        setup = _shell(
            SETUP.format(phones=phones, centre=CENTRE, points=TRAJECTORY_POINTS), data_dir
        )
        with served(data_dir) as (base, _startup):
            sent = _send(base, setup["sessions"], seconds, CLIENTS)
            points, http_ms = _trajectory_over_http(base, setup)
        query = _shell(
            QUERY.format(volunteer=setup["volunteer"], start=setup["from"], end=setup["to"]),
            data_dir,
        )
    accepted = sent["statuses"].get(201, 0)
    return {
        "phones": phones,
        "client threads": min(CLIENTS, phones),
        "seconds": round(sent["seconds"], 1),
        "positions sent": len(sent["latencies"]),
        "positions accepted": accepted,
        "refused or failed": len(sent["latencies"]) - accepted,
        "accepted per second": round(accepted / sent["seconds"], 1),
        "p50 latency (ms)": round(median(sent["latencies"]), 1),
        "p95 latency (ms)": round(percentile(sent["latencies"], 0.95), 1),
        "trajectory points": points,
        "trajectory over HTTP (ms)": round(http_ms, 1),
        "trajectory query (ms)": round(query["ms"], 1),
    }
