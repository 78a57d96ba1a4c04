"""``huiwu bench command``: the command centre's two hot paths.

(a) **Nearest eligible volunteer**: ``PositionIndex.suggest`` over 1,000 / 10,000 / 100,000 last
positions spread over the Wuzhen venue cluster (a quarter of them older than the 5-minute
limit, 5 % busy, skills and languages drawn as the demo's volunteers have them), for 200
incident points each, half needing first aid: p50 and p95 per query, by straight line and by
walking over the demo's paths (``WalkingNetwork`` of ``command.demo.walking_paths``).

(b) **Live latency** and (c) **sustained events** (``bench/_command_live.py``): a served
summit with 200 dashboard websockets (``ws/command/``) on loopback; the time from a gate scan
(``POST /api/v1/checkin/scan``) or a new incident (``POST /api/v1/command/incidents``) to its
event arriving at every client, p50/p95, with the in-memory channel layer (one server) and with
Redis (two servers: the change through one, the clients on the other); then scans at rising
rates until the arrival delay passes 2 s.

``--sizes 1000 10000`` narrows (a); ``--no-live`` skips (b) and (c); ``--json`` prints one
object.
"""

import argparse
import json
import random
import time

from _common import median, percentile, table

from huiwu.command.dispatch import PositionIndex, WalkingNetwork

SIZES = (1_000, 10_000, 100_000)
QUERIES = 200
BOX = ((30.7460, 30.7640), (120.4660, 120.4900))  # lat, lon: Xizha to the convention centre
TOKENS = [
    ("first_aid", 0.25),
    ("it", 0.2),
    ("protocol", 0.3),
    ("interpreting", 0.18),
    ("guiding", 0.45),
    ("en:3", 0.6),
    ("en:4", 0.35),
    ("fr:2", 0.04),
    ("ja:3", 0.05),
]


def network() -> WalkingNetwork:
    from huiwu.command.demo import walking_paths

    return WalkingNetwork.from_geojson(walking_paths([]))


def positions(size: int, now: float, rng: random.Random) -> dict:
    """The last positions, as the command centre reads them from the database."""
    (lat0, lat1), (lon0, lon1) = BOX
    return {
        "keys": range(size),
        "lats": [rng.uniform(lat0, lat1) for _ in range(size)],
        "lons": [rng.uniform(lon0, lon1) for _ in range(size)],
        "seen_at": [now - rng.uniform(0, 400) for _ in range(size)],
        "skills": [{t for t, share in TOKENS if rng.random() < share} for _ in range(size)],
        "busy": [rng.random() < 0.05 for _ in range(size)],
    }


def nearest(sizes, seed: int) -> list[dict]:
    rng = random.Random(seed)
    paths = network()
    now = time.time()
    (lat0, lat1), (lon0, lon1) = BOX
    results = []
    for size in sizes:
        rows = positions(size, now, rng)
        began = time.perf_counter()
        index = PositionIndex(**rows)
        built = (time.perf_counter() - began) * 1000
        points = [(rng.uniform(lat0, lat1), rng.uniform(lon0, lon1)) for _ in range(QUERIES)]
        needs = [("first_aid",) if i % 2 else () for i in range(QUERIES)]
        for method, walk in (("straight line", None), ("walking network", paths)):
            times, walked, found = [], 0, 0
            for (lat, lon), need in zip(points, needs, strict=True):
                began = time.perf_counter()
                answer = index.suggest(lat, lon, now=now, n=5, needs=need, network=walk)
                times.append((time.perf_counter() - began) * 1000)
                found += len(answer)
                walked += sum(s.method == "walking" for s in answer)
            results.append(
                {
                    "positions": size,
                    "method": method,
                    "index_ms": built,
                    "p50_ms": median(times),
                    "p95_ms": percentile(times, 0.95),
                    "suggested_per_query": found / QUERIES,
                    "walking_share": walked / found if found else 0.0,
                }
            )
    return results


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="huiwu bench command")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--clients", type=int, default=200, help="dashboard websockets")
    parser.add_argument("--no-live", action="store_true", help="skip the live benchmarks")
    parser.add_argument("--no-redis", action="store_true", help="skip the Redis runs")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    result: dict = {"nearest": nearest(args.sizes, args.seed)}
    if not args.no_live:
        from _command_live import live_benchmark

        result["live"] = live_benchmark(args.clients, redis=not args.no_redis)
    if args.json:
        print(json.dumps(result, default=float))
        return
    table(
        "(a) Nearest eligible volunteers (n=5, half needing first aid), per query",
        ["positions", "distance", "p50 ms", "p95 ms", "index built ms", "found", "walking %"],
        [
            [
                f"{r['positions']:,}",
                r["method"],
                r["p50_ms"],
                r["p95_ms"],
                r["index_ms"],
                r["suggested_per_query"],
                100 * r["walking_share"],
            ]
            for r in result["nearest"]
        ],
    )
    if "live" in result:
        live = result["live"]
        table(
            f"(b) Change → event at {args.clients} dashboard websockets (loopback)",
            [
                "layer",
                "change",
                "events",
                "p50 ms",
                "p95 ms",
                "max ms",
                "lost",
                "clients failed",
                "all connected s",
            ],
            [
                [
                    r["layer"],
                    r["change"],
                    r["events"],
                    r["p50"],
                    r["p95"],
                    r["max"],
                    r["lost"],
                    r["client errors"],
                    r["connected in"],
                ]
                for r in live["latency"]
            ],
        )
        table(
            "(c) Gate scans per second before the arrival delay passes 2 s",
            ["layer", "offered /s", "done /s", "p50 delay ms", "p95 delay ms", "lagging"],
            [
                [r["layer"], r["rate"], r["achieved"], r["p50"], r["p95"], r["lagging"]]
                for r in live["ramp"]
            ],
        )
