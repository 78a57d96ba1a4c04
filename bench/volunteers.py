"""``huiwu bench volunteers``: selection and rostering at the 5th WIC's size, then ten times it.

Synthetic but shaped like the real recruitment: 12 Zhejiang universities (the language
university sends most interpreters), 7,000 applicants per unit of ``--scale`` with rubric
scores, English levels (CET-4 = 3, CET-6 = 4, TEM-8 = 5), a second foreign language for some,
skills (interpreting, first aid, driving, IT, press, protocol) and their available hours over
the three summit days. Selection takes 1,260 per unit under quotas per university, per language
level and per post type, with 20 % reserves. Rostering puts the selected on ~60 posts per unit
(registration desks, forum stewards, interpreters, VIP escorts who need training, expo guides,
...) over 3 days x 3 shifts.

Figures: wall time of each step, CP-SAT status, coverage (% of headcount filled), hard-rule
violations recomputed by :func:`huiwu.volunteers.rostering.violations` from the result alone
(must be 0), the spread of hours, why places stay open. Then the position ingest of the phone
page (``bench/_volunteer_pings.py``, written with the volunteers API): pings per second from
1,000 simulated phones on loopback with p95 latency, and one volunteer's trajectory query.

``--scale 1`` or ``--scale 10`` runs one size; by default both run. ``--json`` prints one object.
"""

import argparse
import json
import random
import time
import zoneinfo
from collections import Counter
from datetime import datetime, timedelta

from _common import table

from huiwu.volunteers.rostering import Slot, Volunteer, roster, violations
from huiwu.volunteers.selection import Candidate, Quota, select

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
FIRST_DAY = datetime(2018, 11, 7, tzinfo=SHANGHAI)
DAYS = 3
SHIFTS = [(7, 0, 11, 0), (11, 30, 15, 30), (16, 0, 20, 0)]  # start h, m, end h, m
MAX_HOURS_PER_DAY = 8
MIN_REST_HOURS = 1
# (short name, share of applicants, share of them with a second foreign language)
UNIVERSITIES = [
    ("ZJU", 0.14, 0.15),
    ("ZISU", 0.12, 0.60),  # Zhejiang International Studies University
    ("HZNU", 0.10, 0.15),
    ("ZJUT", 0.09, 0.08),
    ("ZJNU", 0.09, 0.12),
    ("ZJGSU", 0.08, 0.12),
    ("ZSTU", 0.07, 0.08),
    ("NBU", 0.07, 0.12),
    ("HDU", 0.06, 0.06),
    ("ZUFE", 0.05, 0.10),
    ("CJLU", 0.05, 0.06),
    ("ZJXU", 0.08, 0.08),  # Jiaxing University, next to Wuzhen
]
SECOND_LANGUAGES = ["fr", "ru", "es", "ar", "ja", "ko", "de"]
SKILLS = ["interpreting", "first_aid", "driving", "it", "press", "protocol"]
# Post kinds: (kind, share of posts, required skills, required languages, needs training,
# headcount range per shift)
POST_KINDS = [
    ("registration_desk", 0.15, (), ("en",), False, (8, 14)),
    ("forum_steward", 0.25, (), (), False, (4, 10)),
    ("guide", 0.15, (), ("en",), False, (3, 7)),
    ("interpreter", 0.12, ("interpreting",), None, False, (2, 4)),
    ("press_aide", 0.06, ("press",), ("en",), False, (2, 5)),
    ("vip_escort", 0.08, ("protocol",), ("en",), True, (2, 6)),
    ("expo_guide", 0.12, (), (), False, (4, 10)),
    ("medical_aide", 0.04, ("first_aid",), (), False, (1, 3)),
    ("driver_aide", 0.03, ("driving",), (), False, (1, 3)),
]


def applicants(scale: int, rng: random.Random) -> list[dict]:
    people = []
    weights = [share for _, share, _ in UNIVERSITIES]
    for key in range(7000 * scale):
        university, _, multilingual = rng.choices(UNIVERSITIES, weights)[0]
        english = rng.choices([2, 3, 4, 5], [0.1, 0.4, 0.4, 0.1])[0]
        languages = {"zh": 5, "en": english}
        if rng.random() < multilingual:
            languages[rng.choice(SECOND_LANGUAGES)] = rng.choice([3, 4, 4, 5])
        skills = set(rng.sample(SKILLS[1:], rng.choice([0, 1, 1, 2])))
        if max(level for code, level in languages.items() if code != "zh") >= 4 and (
            rng.random() < 0.5
        ):
            skills.add("interpreting")
        available = []
        for day in range(DAYS):
            if rng.random() < 0.85:
                first, last = rng.choice([(0, 2), (0, 2), (0, 1), (1, 2), (0, 0), (2, 2)])
                start = FIRST_DAY + timedelta(days=day, hours=SHIFTS[first][0])
                end = FIRST_DAY + timedelta(days=day, hours=SHIFTS[last][2])
                available.append((start, end))
        score = min(100.0, max(0.0, round(rng.gauss(68, 11), 1)))
        people.append(
            {
                "key": key,
                "university": university,
                "languages": languages,
                "skills": frozenset(skills),
                "available": tuple(available),
                "score": score,
            }
        )
    return people


def post_types(person: dict) -> frozenset[str]:
    """The post kinds an applicant fits, from skills and languages."""
    fits = {"forum_steward", "expo_guide"}
    if person["languages"]["en"] >= 3:
        fits |= {"registration_desk", "guide"}
    for kind, _, skills, languages, _, _ in POST_KINDS:
        if (
            skills
            and set(skills) <= person["skills"]
            and (languages is None or all(person["languages"].get(c, 0) >= 3 for c in languages))
        ):
            fits.add(kind)
    return frozenset(fits)


def quotas(n: int) -> list[Quota]:
    result = [
        Quota("university", short, minimum=round(n * 0.03), maximum=round(n * 0.16))
        for short, _, _ in UNIVERSITIES
    ]
    result.append(Quota("language", "en", minimum=round(n * 0.40), min_level=4))  # CET-6
    result += [
        Quota("language", code, minimum=round(n * 0.012), min_level=4) for code in SECOND_LANGUAGES
    ]
    result += [
        Quota("post_type", "interpreter", minimum=round(n * 0.10)),
        Quota("post_type", "vip_escort", minimum=round(n * 0.08)),
        Quota("post_type", "medical_aide", minimum=round(n * 0.03)),
        Quota("post_type", "driver_aide", maximum=round(n * 0.05)),
    ]
    return result


def posts_and_slots(scale: int, rng: random.Random) -> tuple[list[tuple], list[Slot]]:
    posts = []
    for kind, share, skills, languages, training, headcount in POST_KINDS:
        for _ in range(max(1, round(60 * scale * share))):
            wanted = (
                languages
                if languages is not None
                else (rng.choice(["en", "en", "fr", "ru", "es", "ar", "ja"]),)
            )
            posts.append(
                (len(posts), kind, frozenset(skills), frozenset(wanted), training, headcount)
            )
    slots = []
    for day in range(DAYS):
        for start_h, start_m, end_h, end_m in SHIFTS:
            start = FIRST_DAY + timedelta(days=day, hours=start_h, minutes=start_m)
            end = FIRST_DAY + timedelta(days=day, hours=end_h, minutes=end_m)
            for post, _, skills, languages, training, (low, high) in posts:
                slots.append(
                    Slot(
                        len(slots),
                        post,
                        start,
                        end,
                        rng.randint(low, high),
                        skills,
                        languages,
                        training,
                    )
                )
    return posts, slots


def volunteers_of(people: list[dict], posts: list[tuple], rng: random.Random) -> list[Volunteer]:
    """The selected as the roster sees them: languages at CET-4 or better count; VIP escorts are
    trained for a few of the VIP posts (training sessions are per post)."""
    escort_posts = [post for post, kind, *_ in posts if kind == "vip_escort"]
    result = []
    for person in people:
        trained = frozenset()
        if "protocol" in person["skills"]:
            trained = frozenset(rng.sample(escort_posts, min(len(escort_posts), 3)))
        result.append(
            Volunteer(
                person["key"],
                person["skills"],
                frozenset(code for code, level in person["languages"].items() if level >= 3),
                person["available"],
                trained,
            )
        )
    return result


def run(scale: int, time_limit: float, seed: int) -> dict:
    rng = random.Random(seed)
    people = applicants(scale, rng)
    n = 1260 * scale
    candidates = [
        Candidate(p["key"], p["score"], p["university"], p["languages"], post_types(p))
        for p in people
    ]
    started = time.monotonic()
    selection = select(candidates, n, quotas(n), reserve_ratio=0.2, time_limit=time_limit)
    selection_seconds = time.monotonic() - started

    by_key = {p["key"]: p for p in people}
    posts, slots = posts_and_slots(scale, rng)
    volunteers = volunteers_of([by_key[k] for k in selection.selected], posts, rng)
    started = time.monotonic()
    result = roster(
        volunteers,
        slots,
        max_hours_per_day=MAX_HOURS_PER_DAY,
        min_rest_hours=MIN_REST_HOURS,
        time_limit=time_limit,
    )
    roster_seconds = time.monotonic() - started
    broken = violations(
        volunteers,
        slots,
        result.assignments,
        max_hours_per_day=MAX_HOURS_PER_DAY,
        min_rest_hours=MIN_REST_HOURS,
    )
    return {
        "scale": scale,
        "applicants": len(people),
        "selected": len(selection.selected),
        "reserves": len(selection.reserve),
        "selection_seconds": selection_seconds,
        "selection_status": selection.status,
        "selection_total_score": selection.total_score,
        "selection_cutoff": selection.cutoff,
        "explanations": dict(Counter(e.code for e in selection.explanations.values())),
        "posts": len(posts),
        "slots": len(slots),
        "places": sum(s.headcount for s in slots),
        "roster_seconds": roster_seconds,
        "roster_time_limit": time_limit,
        "roster_status": result.status,
        "blocks": [
            {
                "day": str(b.day),
                "pairs": b.pairs,
                "status": b.status,
                "seconds": b.seconds,
                "greedy_places": b.greedy_places,
                "places": b.places,
            }
            for b in result.blocks
        ],
        "coverage_percent": 100 * result.coverage,
        "violations": len(broken),
        "hours_min": result.spread.minimum,
        "hours_max": result.spread.maximum,
        "hours_mean": result.spread.mean,
        "hours_stdev": result.spread.stdev,
        "unfilled": dict(Counter(u.reason for u in result.unfilled)),
        "missing_places": sum(u.missing for u in result.unfilled),
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="huiwu bench volunteers")
    parser.add_argument("--scale", type=int, choices=[1, 10], help="one size only (default both)")
    parser.add_argument(
        "--time-limit", type=float, help="seconds for each solver call (default 30 per scale unit)"
    )
    parser.add_argument("--phones", type=int, default=1000, help="simulated phones (0: skip)")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long the phones ping")
    parser.add_argument("--seed", type=int, default=2018)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    runs = [
        run(scale, args.time_limit or min(30.0 * scale, 180.0), args.seed)
        for scale in ([args.scale] if args.scale else [1, 10])
    ]
    result: dict = {"runs": runs}
    if args.phones:
        # Serves a demo-like summit and posts positions to it through the volunteers API.
        from _volunteer_pings import pings_benchmark

        result["pings"] = pings_benchmark(args.phones, args.seconds)

    if args.json:
        print(json.dumps(result, default=float))
        return
    table(
        "Selection (exact, CP-SAT after LP pricing)",
        ["scale", "applicants", "selected", "reserves", "seconds", "status", "cutoff score"],
        [
            [
                f"{r['scale']}x",
                r["applicants"],
                r["selected"],
                r["reserves"],
                r["selection_seconds"],
                r["selection_status"],
                r["selection_cutoff"],
            ]
            for r in runs
        ],
    )
    table(
        "Rostering (CP-SAT per day)",
        ["scale", "volunteers", "places", "seconds", "limit", "status", "coverage %", "violations"],
        [
            [
                f"{r['scale']}x",
                r["selected"],
                r["places"],
                r["roster_seconds"],
                r["roster_time_limit"],
                r["roster_status"],
                r["coverage_percent"],
                r["violations"],
            ]
            for r in runs
        ],
    )
    table(
        "Hours per volunteer",
        ["scale", "min", "mean", "max", "stdev"],
        [
            [f"{r['scale']}x", r["hours_min"], r["hours_mean"], r["hours_max"], r["hours_stdev"]]
            for r in runs
        ],
    )
    table(
        "Per day",
        ["scale", "day", "pairs", "status", "seconds", "greedy filled", "filled"],
        [
            [
                f"{r['scale']}x",
                *(
                    b[key]
                    for key in ("day", "pairs", "status", "seconds", "greedy_places", "places")
                ),
            ]
            for r in runs
            for b in r["blocks"]
        ],
    )
    table(
        "Places left open, by reason",
        ["scale", "missing places", "reasons"],
        [
            [
                f"{r['scale']}x",
                r["missing_places"],
                ", ".join(f"{k}: {v}" for k, v in r["unfilled"].items()) or "-",
            ]
            for r in runs
        ],
    )
    if "pings" in result:
        table("Position ingest", ["figure", "value"], [[k, v] for k, v in result["pings"].items()])
