"""The QR-gates part of ``huiwu bench checkin``: N gates scanning badges at once against a
served demo summit, over loopback.

Builds the demo in a fresh data folder (without face enrolment: QR scans need none), registers
N gate devices at the main hall, serves it with one uvicorn process, and lets N client threads,
one per gate, POST the badges of the guests allowed in the main hall to
``/api/v1/checkin/scan`` as fast as the server answers. Then counts in the database that every
scan sent is stored exactly once.
"""

import http.client
import json
import subprocess
import tempfile
import threading
import time
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

from _common import huiwu, median, percentile, served

DEVICE_PREFIX = "Bench gate"

# Run inside the data folder: register the gates and list the badges of the main hall's guests.
PREPARE = """
import json
from django.utils import timezone
from huiwu.checkin import access, services
from huiwu.registration.badges import badge_token
from huiwu.summit.models import Summit, Zone, ZoneKind
summit = Summit.objects.get(is_current=True)
zone = Zone.objects.get(summit=summit, kind=ZoneKind.MAIN_HALL)
tokens = [
    services.register_device(summit, name=f"PREFIX {number}", zone=zone)[1]
    for number in range(GATES)
]
guests = access.admissible(zone, timezone.now()).select_related("summit").order_by("pk")
print(json.dumps({"devices": tokens, "badges": [badge_token(guest) for guest in guests]}))
"""

# Run inside the data folder after the gates are done: what the database holds.
COUNT = """
import json
from django.db.models import Count
from huiwu.checkin.models import ScanEvent
events = ScanEvent.objects.filter(device__name__startswith="PREFIX")
keys = events.values("device", "idempotency_key").annotate(n=Count("pk")).filter(n__gt=1)
print(json.dumps({
    "events": events.count(),
    "duplicates": keys.count(),
    "decisions": dict(events.values_list("decision").annotate(n=Count("pk"))),
}))
"""


def _shell(code: str, data_dir: Path) -> dict:
    done = huiwu("shell", "-c", code, data_dir=data_dir, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _fire(base: str, devices: list[str], badges: list[str], scans: int):
    """``scans`` QR scans shared by one client thread per device; returns the latencies in ms,
    the answers per status code and the seconds the whole run took."""
    host = urllib.parse.urlsplit(base)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    queue = iter(range(scans))
    barrier = threading.Barrier(len(devices) + 1)
    now = datetime.now(UTC).isoformat()

    def gate(token: str) -> None:
        connection = http.client.HTTPConnection(host.hostname, host.port, timeout=120)
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept-Language": "en",
        }
        barrier.wait()
        while True:
            with lock:
                index = next(queue, None)
            if index is None:
                break
            body = urllib.parse.urlencode(
                {
                    "idempotency_key": f"bench-{index}",
                    "captured_at": now,
                    "qr_token": badges[index % len(badges)],
                }
            )
            started = time.perf_counter()
            try:
                connection.request("POST", "/api/v1/checkin/scan", body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection(host.hostname, host.port, timeout=120)
                status = 0
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1
        connection.close()

    threads = [threading.Thread(target=gate, args=(token,), daemon=True) for token in devices]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.monotonic()
    for thread in threads:
        thread.join()
    return latencies, statuses, time.monotonic() - started


def gates_benchmark(gates: int, scans: int) -> dict:
    """Scans per second, p50/p95 latency and whether the stored events equal the scans sent,
    for ``gates`` concurrent QR gates sending ``scans`` scans in all, on SQLite."""
    with tempfile.TemporaryDirectory(prefix="huiwu-bench-gates-") as tmp:
        data_dir = Path(tmp)
        # No face sets: the QR path needs no enrolment, and the build stays quick.
        env = {"HUIWU_SHARED_DATA": str(data_dir / "no-faces")}
        try:
            huiwu(
                "demo",
                "--reset",
                "--no-serve",
                data_dir=data_dir,
                env=env,
                capture_output=True,
                text=True,
            )
        except subprocess.CalledProcessError as error:
            raise SystemExit(f"The demo could not be built:\n{error.stderr[-3000:]}") from None
        prepared = _shell(
            PREPARE.replace("PREFIX", DEVICE_PREFIX).replace("GATES", str(gates)), data_dir
        )
        with served(data_dir) as (base, _started):
            latencies, statuses, seconds = _fire(
                base, prepared["devices"], prepared["badges"], scans
            )
        stored = _shell(COUNT.replace("PREFIX", DEVICE_PREFIX), data_dir)
    answered = statuses.get(200, 0)
    return {
        "gates": gates,
        "scans": scans,
        "database": "SQLite",
        "seconds": round(seconds, 2),
        "scans_per_s": round(scans / seconds, 1) if seconds else None,
        "p50_ms": round(median(latencies), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "answers": dict(sorted(statuses.items())),
        "decisions": stored["decisions"],
        "events_stored": stored["events"],
        "events_match": stored["events"] == scans == answered and stored["duplicates"] == 0,
    }
