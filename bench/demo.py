"""``huiwu bench demo``: from an empty folder to a served demo summit, and page latencies.

Builds the demo summit in a fresh data folder (``huiwu demo --reset --no-serve``) several times,
then serves it and times the public pages and API over loopback. The Foundation target: from
empty to serving in under 60 seconds on 2 cores.
"""

import argparse
import os
import platform
import tempfile
import time
import urllib.request
from pathlib import Path

from _common import huiwu, median, percentile, served, table

PAGES = [
    "/en/",
    "/zh-hans/",
    "/en/forums/",
    "/zh-hans/agenda/",
    "/en/agenda/agenda.ics",
    "/en/speakers/",
    "/en/venues/",
    "/api/v1/figures",
    "/api/v1/openapi.json",
]


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="huiwu bench demo")
    parser.add_argument("--builds", type=int, default=3, help="How many times to build the demo.")
    parser.add_argument("--requests", type=int, default=30, help="Requests per page.")
    args = parser.parse_args(argv)

    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory(prefix="huiwu-bench-") as tmp:
        data_dir = Path(tmp)
        builds = []
        for _ in range(args.builds):
            started = time.monotonic()
            huiwu("demo", "--reset", "--no-serve", data_dir=data_dir, capture_output=True)
            builds.append(time.monotonic() - started)
        with served(data_dir) as (base, startup):
            rows = []
            for page in PAGES:
                timings = []
                size = 0
                for _ in range(args.requests):
                    started = time.monotonic()
                    with urllib.request.urlopen(base + page, timeout=30) as response:
                        size = len(response.read())
                    timings.append((time.monotonic() - started) * 1000)
                rows.append(
                    [page, median(timings), percentile(timings, 0.95), f"{size / 1024:.0f}"]
                )
    table(
        "Demo summit: empty folder to serving",
        ["step", "median s", "min s", "max s"],
        [
            ["migrate + generate (huiwu demo --reset)", median(builds), min(builds), max(builds)],
            ["server start to first page", startup, startup, startup],
            ["total (median build + start)", median(builds) + startup, "", ""],
        ],
    )
    table(
        f"Page latency over loopback, {args.requests} sequential requests each",
        ["page", "p50 ms", "p95 ms", "KiB"],
        rows,
    )
