"""``huiwu bench registration``: concurrent guests registering over HTTP, on SQLite and PostgreSQL.

For each database: build the demo summit in a fresh data folder, serve it, and let N client
threads (50 by default) POST 2,000 registrations to ``/api/v1/registrations`` over loopback, as
fast as the server answers, each asking for seats in one to three of the eight sub-forums with
the fewest seats left, so that those fill up while the clients race. Prints requests per second
and latency percentiles, then checks in the database that no forum has more confirmed seats than
it offers, that waitlists exist only where no seat is free, and that every accepted submission
is stored exactly once. Finally times printing the badges of 2,000 approved guests as one PDF.
"""

import argparse
import http.client
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from _common import huiwu, percentile, served, table

DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/huiwu_bench"
DOMAIN = "bench.example"
NATIONALITIES = ["CN", "FR", "BR", "KE", "IN", "US", "DE", "EG", "TH", "RU", "MX", "NG", "JP"]
# The demo's categories open to the public form (the others are by invitation).
PUBLIC_CATEGORIES = ["business", "academia", "think-tank", "media"]

# Run inside the served data folder after the clients are done: what the database holds.
CHECK = """
import json
from django.db.models import Count, Sum
from huiwu.registration.models import Registration, SeatHold, SeatRequest
from huiwu.registration.services import seats_free
from huiwu.summit.models import Forum
forums = []
for forum in Forum.objects.filter(summit__is_current=True).select_related("room"):
    seats = SeatRequest.objects.filter(forum=forum)
    held = SeatHold.objects.filter(forum=forum).aggregate(total=Sum("seats"))["total"] or 0
    forums.append({
        "slug": forum.slug,
        "kind": forum.kind,
        "seats": forum.seats,
        "held": held,
        "public": seats.filter(status="confirmed", hold__isnull=True).count(),
        "confirmed": seats.filter(status="confirmed").count(),
        "waitlisted": seats.filter(status="waitlisted").count(),
        "free": seats_free(forum),
    })
stored = Registration.objects.filter(email__endswith="@DOMAIN").values("email")
counts = {row["email"]: row["n"] for row in stored.annotate(n=Count("id"))}
print(json.dumps({"forums": forums, "stored": counts}))
""".replace("DOMAIN", DOMAIN)

# Time the badge PDF of 2,000 guests: the benchmark's guests are approved first, so that there
# are 2,000 different approved guests to print.
BADGES = """
import io, json, time
from huiwu.registration.badges_pdf import render_badges
from huiwu.registration.models import Registration
Registration.objects.filter(email__endswith="@DOMAIN").update(status="approved")
guests = list(
    Registration.objects.filter(status="approved", badge_revoked=False)
    .select_related("category", "summit").order_by("category__order", "name_latin")[:2000]
)
stream = io.BytesIO()
started = time.monotonic()
pages = render_badges(guests, stream)
print(json.dumps({"pages": pages, "seconds": time.monotonic() - started, "bytes": stream.tell()}))
""".replace("DOMAIN", DOMAIN)


def payloads(count: int, forums: list[str], seed: int = 2024) -> list[dict]:
    """``count`` complete registrations, each asking for one to three of ``forums``."""
    rng = random.Random(seed)
    made = []
    for index in range(count):
        nationality = rng.choice(NATIONALITIES)
        made.append(
            {
                "category": rng.choice(PUBLIC_CATEGORIES),
                "name": f"Bench Guest {index}",
                "name_latin": f"Bench Guest {index}",
                "nationality": nationality,
                "email": f"guest{index}@{DOMAIN}",
                "phone": "+86 571 0000 0000",
                "organisation_name": "Benchmark Institute",
                "position": "Researcher",
                "id_type": "passport",
                "id_number": f"B{index:08d}",
                "arrival_date": "2024-11-19",
                "departure_date": "2024-11-22",
                "language": rng.choice(["en", "zh-hans"]),
                "face_consent": rng.random() < 0.7,
                "forums": rng.sample(forums, rng.choice([1, 2, 2, 3])),
            }
        )
    return made


def contested(state: dict, count: int) -> list[str]:
    """The ``count`` sub-forums with the fewest seats left that still have some: the clients'
    requests fill them up while they run."""
    open_forums = [f for f in state["forums"] if f["kind"] == "sub_forum" and f["free"] > 0]
    return [f["slug"] for f in sorted(open_forums, key=lambda f: (f["free"], f["slug"]))[:count]]


def post_all(base: str, bodies: list[dict], clients: int):
    """Every body POSTed once by ``clients`` threads on kept-alive connections; returns the
    latencies in ms, the answers per status code, the e-mails accepted, seats and seconds."""
    host = urlsplit(base)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    accepted: list[str] = []
    seats: dict[str, int] = {}
    lock = threading.Lock()
    queue = iter(range(len(bodies)))
    barrier = threading.Barrier(clients + 1)

    def client() -> None:
        connection = http.client.HTTPConnection(host.hostname, host.port, timeout=120)
        barrier.wait()
        while True:
            with lock:
                index = next(queue, None)
            if index is None:
                break
            body = json.dumps(bodies[index])
            started = time.perf_counter()
            try:
                connection.request(
                    "POST",
                    "/api/v1/registrations",
                    body=body,
                    headers={"Content-Type": "application/json", "Accept-Language": "en"},
                )
                response = connection.getresponse()
                answer = response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection(host.hostname, host.port, timeout=120)
                status, answer = 0, b""
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1
                if status == 201:
                    accepted.append(bodies[index]["email"])
                    for seat in json.loads(answer)["seats"]:
                        seats[seat["status"]] = seats.get(seat["status"], 0) + 1
        connection.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.monotonic()
    for thread in threads:
        thread.join()
    return latencies, statuses, accepted, seats, time.monotonic() - started


@contextmanager
def database(url: str | None):
    """The environment for a fresh PostgreSQL database at ``url`` (created, and dropped
    afterwards), or for the data folder's SQLite file when ``url`` is None."""
    if url is None:
        yield {}
        return
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {"HUIWU_DATABASE_URL": url}
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def shell(code: str, data_dir: Path, env: dict) -> dict:
    done = huiwu("shell", "-c", code, data_dir=data_dir, env=env, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(label: str, url: str | None, args) -> tuple[list, list]:
    """Build, serve, post, check one database; returns a result row and the check rows."""
    with tempfile.TemporaryDirectory(prefix="huiwu-bench-") as tmp, database(url) as env:
        data_dir = Path(tmp)
        console_print(f"{label}: building the demo summit …")
        huiwu(
            "demo",
            "--reset",
            "--no-serve",
            data_dir=data_dir,
            env=env,
            capture_output=True,
            text=True,
        )
        before = shell(CHECK, data_dir, env)
        full_before = {f["slug"] for f in before["forums"] if f["free"] == 0}
        bodies = payloads(args.registrations, contested(before, args.forums))
        with served(data_dir, env=env) as (base, _startup):
            console_print(f"{label}: {len(bodies)} registrations from {args.clients} clients …")
            latencies, statuses, accepted, seats, seconds = post_all(base, bodies, args.clients)
        state = shell(CHECK, data_dir, env)
        badges = shell(BADGES, data_dir, env) if label == "SQLite" and badges_available() else None
    errors = sum(count for status, count in statuses.items() if status != 201)
    stored = state["stored"]
    once = sorted(stored) == sorted(accepted) and set(stored.values()) <= {1}
    over = [
        f["slug"]
        for f in state["forums"]
        if f["public"] > f["seats"] - f["held"] or f["confirmed"] > f["seats"]
    ]
    waiting_with_seats = [f["slug"] for f in state["forums"] if f["waitlisted"] and f["free"]]
    row = [
        label,
        len(latencies),
        args.clients,
        seconds,
        len(latencies) / seconds,
        percentile(latencies, 0.50),
        percentile(latencies, 0.95),
        percentile(latencies, 0.99),
        errors,
        seats.get("confirmed", 0),
        seats.get("waitlisted", 0),
    ]
    full = {f["slug"] for f in state["forums"] if f["free"] == 0}
    checks = [
        [
            label,
            "confirmed seats ≤ capacity in every forum",
            "yes" if not over else f"NO: {', '.join(over)}",
            f"{len(state['forums'])} forums, {len(full)} full "
            f"({len(full - full_before)} filled up during the run)",
        ],
        [
            label,
            "waitlists only where no seat is free",
            "yes" if not waiting_with_seats else f"NO: {', '.join(waiting_with_seats)}",
            f"{sum(f['waitlisted'] for f in state['forums'])} waiting",
        ],
        [
            label,
            "every accepted submission stored exactly once",
            "yes" if once else "NO",
            f"{len(accepted)} accepted, {len(stored)} stored, "
            f"answers {dict(sorted(statuses.items()))}",
        ],
    ]
    if badges is not None:
        checks.append(
            [
                label,
                f"badge PDF of {badges['pages']} approved guests, one file",
                f"{badges['seconds']:.1f} s",
                f"{badges['bytes'] / 1024 / 1024:.1f} MiB, "
                f"{badges['seconds'] / badges['pages'] * 1000:.1f} ms a badge",
            ]
        )
    return row, checks


def badges_available() -> bool:
    try:
        from huiwu.registration.badges_pdf import render_badges  # noqa: F401
    except ImportError:
        return False
    return True


def console_print(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="huiwu bench registration")
    parser.add_argument("--clients", type=int, default=50, help="Concurrent client threads.")
    parser.add_argument("--registrations", type=int, default=2000, help="Registrations to submit.")
    parser.add_argument(
        "--postgres",
        default=DEFAULT_POSTGRES,
        help="PostgreSQL database to create (dropped first if it exists), use and drop.",
    )
    parser.add_argument(
        "--forums", type=int, default=8, help="Forums the guests ask for (those nearly full)."
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only.")
    args = parser.parse_args(argv)

    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    targets = [("SQLite", None)] + ([] if args.no_postgres else [("PostgreSQL", args.postgres)])
    rows, checks = [], []
    for label, url in targets:
        try:
            row, more = run(label, url, args)
        except subprocess.CalledProcessError as error:
            raise SystemExit(
                f"{label}: {' '.join(error.cmd[2:])} failed:\n{error.stderr}"
            ) from None
        rows.append(row)
        checks += more
    table(
        "POST /api/v1/registrations with seat requests over loopback, one uvicorn process; "
        "latencies in ms, seats as the answers gave them",
        [
            "database",
            "requests",
            "clients",
            "s",
            "req/s",
            "p50",
            "p95",
            "p99",
            "errors",
            "confirmed",
            "waitlisted",
        ],
        rows,
    )
    table("Checks, in the database after the run", ["database", "check", "holds", "detail"], checks)
