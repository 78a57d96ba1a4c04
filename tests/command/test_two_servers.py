"""Several server processes sharing Redis show the same live picture: a check-in made through
one server process (a gate's HTTP scan) reaches a dashboard's websocket opened on another.

Two ``uvicorn huiwu.asgi:application`` processes run on free ports over one migrated SQLite
file of their own (pytest's test database is invisible to other processes) and one Redis,
under a key prefix of this run only. Skipped when Redis is not reachable.
"""

import contextlib
import http.cookiejar
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

REDIS_URL = os.environ.get("HUIWU_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ROOT = Path(__file__).resolve().parents[2]

# Run in a process of its own, on the servers' database: the data of the test.
SETUP = """
import json
import django

django.setup()
from django.core.management import call_command

call_command("migrate", verbosity=0)
from huiwu.checkin import services
from huiwu.registration.badges import badge_token
from tests import factories
from tests.checkin.factories import make_site

summit = factories.SummitFactory(is_current=True)
site = make_site(summit)
guest = site.guest()
_device, token = services.register_device(summit, name="East gate", zone=site.main_hall)
factories.UserFactory(username="operator", roles=["command_operator"])
print(json.dumps({"token": token, "badge": badge_token(guest), "zone": site.main_hall.pk}))
"""


def redis_or_skip():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.RedisError:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}.")
    return client


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"The server on port {port} stopped: {process.stderr.read()}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"The server on port {port} did not start.")


@pytest.fixture
def servers(tmp_path):
    """Two server processes, A and B, on one database and one Redis: their addresses and the
    test data (a gate's token, a guest's badge, the zone)."""
    client = redis_or_skip()
    prefix = f"huiwu-test-{uuid.uuid4().hex}"
    env = {
        **os.environ,
        "HUIWU_DATA_DIR": str(tmp_path),
        "HUIWU_REDIS_URL": REDIS_URL,
        "HUIWU_REDIS_PREFIX": prefix,
        "DJANGO_SETTINGS_MODULE": "huiwu.settings",
    }
    env.pop("HUIWU_DATABASE_URL", None)  # the servers' own file, not the test database
    setup = subprocess.run(
        [sys.executable, "-c", SETUP], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert setup.returncode == 0, setup.stderr
    data = json.loads(setup.stdout.strip().splitlines()[-1])
    processes, urls = [], []
    try:
        for _name in ("A", "B"):
            port = free_port()
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "huiwu.asgi:application",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--lifespan",
                    "off",
                    "--log-level",
                    "warning",
                ],
                env=env,
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            processes.append(process)
            wait_for_port(port, process)
            urls.append(f"127.0.0.1:{port}")
        yield {"a": urls[0], "b": urls[1], **data}
    finally:
        for name, process in zip("AB", processes, strict=False):
            process.terminate()
            process.wait(timeout=10)
            # Shown by pytest when the test fails: what the server said.
            print(f"server {name}:", process.stderr.read())
        for key in client.scan_iter(match=f"*{prefix}*"):
            client.delete(key)


def sign_in(host: str, username: str) -> str:
    """Sign in through the server's own form; the session cookie, as a header."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    address = f"http://{host}/en/volunteers/sign-in/"
    opener.open(address).read()
    token = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
    form = urllib.parse.urlencode(
        {"username": username, "password": "secret-pass-123", "csrfmiddlewaretoken": token}
    ).encode()
    opener.open(urllib.request.Request(address, data=form, headers={"Referer": address})).read()
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


def warm_up(address: str) -> None:
    with contextlib.suppress(urllib.error.HTTPError):
        urllib.request.urlopen(address).read()


def test_a_checkin_through_one_server_reaches_a_dashboard_on_the_other(servers):
    from websockets.sync.client import connect

    cookies = sign_in(servers["b"], "operator")
    assert "sessionid=" in cookies
    # A browser's Origin: the server refuses a websocket opened by another site's page.
    headers = {"Cookie": cookies, "Origin": f"http://{servers['b']}"}
    with connect(f"ws://{servers['b']}/ws/command/", additional_headers=headers) as ws:
        snapshot = json.loads(ws.recv(timeout=10))
        assert snapshot["type"] == "snapshot"
        assert snapshot["state"]["inside"] == 0
        # Quiet for longer than channels-redis's blocking pop (5 s): the page stays connected
        # (redis-py's default socket timeout used to close it here).
        time.sleep(6.5)

        scan = urllib.request.Request(
            f"http://{servers['a']}/api/v1/checkin/scan",
            data=urllib.parse.urlencode(
                {
                    "idempotency_key": uuid.uuid4().hex,
                    "captured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "qr_token": servers["badge"],
                }
            ).encode(),
            headers={"Authorization": f"Bearer {servers['token']}"},
        )
        # A's first request loads the API (a cold start is not the live layer's latency).
        warm_up(f"http://{servers['a']}/api/v1/checkin/device")
        sent = time.monotonic()
        answer = json.loads(urllib.request.urlopen(scan).read())
        answered = time.monotonic() - sent
        assert answer["decision"] == "admit"

        while True:  # gate scans leave in batches (live.send_soon)
            message = json.loads(ws.recv(timeout=5))
            if message["type"] == "batch" and message["events"][0]["kind"] == "checkin":
                break
        arrived = time.monotonic() - sent
    assert message["seq"] == snapshot["seq"] + 1
    event = message["events"][0]["data"]
    assert (event["zone"], event["zone_inside"], event["inside"]) == (servers["zone"], 1, 1)
    assert arrived < 2, f"answered in {answered:.2f} s, arrived after {arrived:.2f} s"
