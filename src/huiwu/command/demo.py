# ruff: noqa: RUF001  (Chinese punctuation in the texts)
"""The demo summit's command centre: an operator account, the walking paths of Wuzhen between
the venues, a few critical posts, and the summit's history of incidents, so that the map has
paths to walk and the after-action report has substance.

The paths are a graph drawn for Huiwu along the canal town's streets (the same streets as the
base map ``summit/wuzhen-base.geojson``: Xizha Old Street, the road from Xizha to the convention
centre, the footpaths and the walkway between the convention centre, the museum and the banquet
centre), with each of the summit's venues joined to its nearest junction, so that they follow
the venues wherever the summit puts them.

The history (about 60 incidents over the summit's days) is written as an import would write
it, with ``bulk_create``, and with its audit trail: the services act at the present moment and
on volunteers on duty now, while these happened in 2024. Its shape is that of a large
conference: crowding at the opening, lost badges and bags, guests feeling unwell, equipment
failing in forum rooms, ministers moving to the banquet; dispatch, acknowledgement and walking
times drawn from lognormal distributions; some offers timed out and handed on by the
escalation, some declined.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType

from huiwu.command.models import (
    Dispatch,
    DispatchStatus,
    Incident,
    IncidentSource,
    IncidentStatus,
    Priority,
    WalkingPaths,
)
from huiwu.core.models import ActionLog
from huiwu.core.roles import Role, grant_role
from huiwu.demo.generator import _checked
from huiwu.summit.models import Summit, Venue
from huiwu.volunteers import geo
from huiwu.volunteers import services as volunteer_services
from huiwu.volunteers.models import Assignment, Post, PostKind

SEED = 2014  # the year of the first World Internet Conference in Wuzhen
INCIDENTS = 60
DEMO_OPERATOR = "command"
ACCOUNTS = {
    DEMO_OPERATOR: "command centre operator: live picture, map, incidents, dispatch, report",
}
#: The offer times out unless acknowledged within this (the setting's default).
ACK_TIMEOUT = dt.timedelta(seconds=90)

# -- The walking paths --------------------------------------------------------------------------

# Junctions of the streets (lat, lon), drawn along the base map's streets and canals.
JUNCTIONS: dict[str, tuple[float, float]] = {
    # Xizha Old Street, west to east along the north bank of the Xishi River
    "x1": (30.7530, 120.4660),
    "x2": (30.7528, 120.4685),
    "x3": (30.7527, 120.4700),
    "x4": (30.7525, 120.4725),
    "x5": (30.7522, 120.4750),
    "x6": (30.7520, 120.4772),
    "x7": (30.7516, 120.4800),
    "x8": (30.7510, 120.4822),
    "x9": (30.7502, 120.4845),
    # the lane along the south bank
    "s1": (30.7514, 120.4688),
    "s2": (30.7510, 120.4712),
    "s3": (30.7508, 120.4740),
    "s4": (30.7505, 120.4770),
    "s5": (30.7499, 120.4800),
    "s6": (30.7494, 120.4818),
    # the north edge of the scenic area
    "w1": (30.7551, 120.4700),
    "w2": (30.7550, 120.4750),
    "n0": (30.7536, 120.4791),
    "n1": (30.7548, 120.4790),
    "n2": (30.7541, 120.4830),
    # Xizha entrance, the road to the convention centre, the road to the town
    "e0": (30.7484, 120.4850),
    "e1": (30.7488, 120.4836),
    "r1": (30.7502, 120.4854),
    "r2": (30.7520, 120.4858),
    "r3": (30.7540, 120.4857),
    "r4": (30.7560, 120.4856),
    "r5": (30.7585, 120.4850),
    "t1": (30.7468, 120.4880),
    "t2": (30.7425, 120.4930),
    "t3": (30.7408, 120.4990),
    # the footpath from the north gate, the ring round the convention centre
    "p1": (30.7565, 120.4792),
    "p2": (30.7587, 120.4795),
    "c1": (30.7586, 120.4768),
    "c2": (30.7600, 120.4766),
    "c3": (30.7614, 120.4768),
    "c4": (30.7615, 120.4790),
    "c5": (30.7614, 120.4810),
    "c6": (30.7600, 120.4812),
    "c7": (30.7588, 120.4810),
    # the walkway to the museum and the banquet centre, the lane south of the museum
    "m1": (30.7577, 120.4820),
    "m2": (30.7580, 120.4832),
    "m3": (30.7563, 120.4826),
    "b1": (30.7599, 120.4840),
    "b2": (30.7606, 120.4855),
    # the road north of the convention centre, the road east of the banquet centre
    "k1": (30.7640, 120.4745),
    "k2": (30.7632, 120.4800),
    "k3": (30.7628, 120.4880),
    "k4": (30.7625, 120.4930),
    "k5": (30.7611, 120.4868),
}
# Streets between junctions: (from, to, kind, Chinese name, English name).
OLD_STREET = ("西栅老街", "Xizha Old Street")
SOUTH_LANE = ("西栅南岸街", "South bank lane, Xizha")
BRIDGE = ("石桥", "Stone bridge")
ALLEY = ("弄堂", "Alley")
EDGE = ("景区北侧道路", "Road along the north edge of Xizha")
XIZHA_ROAD = ("西栅至会展中心道路", "Road from Xizha to the convention centre")
TOWN_ROAD = ("西栅至镇区道路", "Road from Xizha to the town centre")
NORTH_PATH = (
    "西栅北门至会展中心步道",
    "Footpath from the north gate of Xizha to the convention centre",
)
RING = ("会展中心环路", "Ring road of the convention centre")
WALKWAY = ("会展中心—科技馆—宴会中心连廊", "Walkway to the science museum and the banquet centre")
MUSEUM_LANE = ("科技馆南侧小路", "Lane south of the science museum")
NORTH_ROAD = ("会展中心北侧道路", "Road north of the convention centre")
EAST_ROAD = ("宴会中心东侧道路", "Road east of the banquet centre")
THEATRE_PATH = ("西栅入口至大剧院步道", "Footpath from the Xizha entrance to the Grand Theatre")


def _chain(names: str, kind: str, label: tuple[str, str]) -> list[tuple]:
    return [(a, b, kind, *label) for a, b in itertools.pairwise(names.split())]


STREETS: list[tuple] = [
    *_chain("x1 x2 x3 x4 x5 x6 x7 x8 x9 r1", "path", OLD_STREET),
    *_chain("s1 s2 s3 s4 s5 s6 e1 e0", "path", SOUTH_LANE),
    ("x2", "s1", "path", *BRIDGE),
    ("x4", "s2", "path", *BRIDGE),
    ("x6", "s4", "path", *BRIDGE),
    ("x8", "s6", "path", *BRIDGE),
    ("x3", "w1", "path", *ALLEY),
    ("x5", "w2", "path", *ALLEY),
    ("x7", "n0", "path", *ALLEY),
    *_chain("w1 w2 n1 n2 r3", "road", EDGE),
    *_chain("e0 r1 r2 r3 r4 r5 c7", "road", XIZHA_ROAD),
    *_chain("e0 t1 t2 t3", "road", TOWN_ROAD),
    *_chain("n0 n1 p1 p2", "path", NORTH_PATH),
    *_chain("p2 c1 c2 c3 c4 c5 c6 c7 p2", "road", RING),
    *_chain("c7 m1 m2 b1", "path", WALKWAY),
    *_chain("p1 m3 r4", "path", MUSEUM_LANE),
    *_chain("k1 c3", "road", NORTH_ROAD),
    *_chain("k1 k2 k3 k4", "road", NORTH_ROAD),
    ("c4", "k2", "road", *NORTH_ROAD),
    *_chain("k3 k5 r5", "road", EAST_ROAD),
    ("b1", "b2", "path", *WALKWAY),
    ("b2", "k5", "path", *WALKWAY),
]
# Closer than this to a junction, a venue needs no path of its own to reach it.
AT_JUNCTION_M = 15


def _feature(points: list[tuple[float, float]], kind: str, zh: str, en: str) -> dict:
    return {
        "type": "Feature",
        "properties": {"kind": kind, "name_zh": zh, "name_en": en},
        "geometry": {
            "type": "LineString",
            "coordinates": [[round(lon, 6), round(lat, 6)] for lat, lon in points],
        },
    }


def walking_paths(venues: list[Venue]) -> dict:
    """The streets of Wuzhen as a GeoJSON FeatureCollection of LineStrings, one per segment
    between junctions, with a footway from each venue to its nearest junction."""
    features = [
        _feature([JUNCTIONS[a], JUNCTIONS[b]], kind, zh, en) for a, b, kind, zh, en in STREETS
    ]
    for venue in venues:
        point = (float(venue.latitude), float(venue.longitude))
        nearest = min(JUNCTIONS.values(), key=lambda j: geo.haversine_m(*point, *j))
        if geo.haversine_m(*point, *nearest) > AT_JUNCTION_M:
            zh, en = venue.name.localize("zh-hans"), venue.name.localize("en")
            features.append(_feature([point, nearest], "footway", f"{zh}入口", f"To {en}"))
    return {"type": "FeatureCollection", "features": features}


# -- The history of incidents ---------------------------------------------------------------------


@dataclass(frozen=True)
class Script:
    """What kind of incident, how often, how urgent, what is needed, how long it takes."""

    kind: str
    weight: int
    priorities: tuple[int, ...]
    needs: tuple[str, ...]
    minutes_to_resolve: float  # median, once someone is on scene
    texts: tuple[tuple[str, str], ...]  # (Chinese, English) descriptions
    venues: tuple[str, ...] = ()  # preferred venues (slugs), else any


SCRIPTS = [
    Script(
        "medical",
        13,
        (Priority.HIGH, Priority.HIGH, Priority.CRITICAL),
        ("first_aid",),
        14,
        (
            ("嘉宾头晕，需要医疗协助", "A guest feels dizzy and needs first aid"),
            ("参会者在楼梯上扭伤脚踝", "An attendee twisted an ankle on the stairs"),
            ("嘉宾胸闷，已扶其坐下休息", "A guest reports chest tightness; seated and resting"),
            ("志愿者低血糖，需要糖水", "A volunteer has low blood sugar"),
            ("手指被门夹伤，需要包扎", "A finger caught in a door; needs a dressing"),
        ),
    ),
    Script(
        "lost_item",
        11,
        (Priority.NORMAL, Priority.LOW),
        (),
        22,
        (
            ("嘉宾遗失代表证", "A guest has lost their badge"),
            ("拾到黑色双肩包，内有笔记本电脑", "Found: a black backpack with a laptop"),
            ("外宾与翻译走散", "A foreign guest got separated from their interpreter"),
            ("手机遗落在分论坛会场", "A phone left behind in a forum room"),
        ),
    ),
    Script(
        "crowding",
        7,
        (Priority.HIGH,),
        (),
        20,
        (
            ("安检口排队超过200人", "The queue at the security check is over 200 people"),
            ("主会场入口拥挤", "Crowding at the entrance of the main hall"),
            ("午餐区人流密集", "Dense crowd at the lunch area"),
        ),
        ("wiicc",),
    ),
    Script(
        "equipment",
        9,
        (Priority.NORMAL, Priority.HIGH),
        ("it",),
        16,
        (
            ("同传接收器无信号", "Interpretation receivers have no signal"),
            ("投影仪无法显示", "The projector shows nothing"),
            ("注册台证件打印机卡纸", "The badge printer at the registration desk is jammed"),
            ("分论坛会场无线网络中断", "Wi-Fi is down in the forum room"),
        ),
        ("wiicc",),
    ),
    Script(
        "guest_help",
        9,
        (Priority.NORMAL, Priority.LOW),
        (),
        9,
        (
            ("外宾询问前往宴会中心的路线", "A foreign guest asks the way to the banquet centre"),
            ("嘉宾需要轮椅", "A guest needs a wheelchair"),
            ("嘉宾找不到分论坛会场", "A guest cannot find the forum room"),
            ("法国代表团需要法语协助", "The French delegation needs help in French"),
        ),
    ),
    Script(
        "security",
        4,
        (Priority.HIGH, Priority.CRITICAL),
        (),
        15,
        (
            ("发现无人看管的包", "An unattended bag"),
            ("无证人员试图进入贵宾区", "Someone without a badge tried to enter the VIP lounge"),
        ),
    ),
    Script(
        "vip_movement",
        5,
        (Priority.HIGH,),
        ("protocol",),
        28,
        (
            (
                "部长级嘉宾从会展中心前往宴会中心",
                "A minister moves from the convention centre to the banquet centre",
            ),
            ("贵宾车队抵达北门", "A VIP motorcade arrives at the north gate"),
        ),
        ("wiicc", "banquet"),
    ),
    Script(
        "staffing",
        3,
        (Priority.HIGH,),
        (),
        10,
        (("关键岗位无人签到", "Nobody signed in at a critical post"),),
    ),
    Script(
        "other",
        2,
        (Priority.NORMAL,),
        (),
        10,
        (("记者要求进入已满的会场", "A journalist asks to enter a full forum room"),),
    ),
]
# Where on each venue incidents happen, (Chinese, English).
PLACES = {
    "wiicc": [
        ("主会场东门", "Main hall, east door"),
        ("注册大厅", "Registration hall"),
        ("分论坛3号厅", "Forum room 3"),
        ("新闻中心", "Press centre"),
        ("展览区B馆", "Expo hall B"),
        ("北门安检口", "Security check, north gate"),
    ],
    "banquet": [("宴会厅入口", "Banquet hall entrance"), ("贵宾通道", "VIP corridor")],
    "museum": [("展厅一层", "Exhibition, ground floor"), ("科技馆正门", "Museum main door")],
    "theatre": [("大剧院前厅", "Theatre foyer")],
}
OTHER_PLACES = [("大堂", "Lobby"), ("正门", "Main entrance"), ("停车场", "Car park")]
VENUE_WEIGHTS = {
    "wiicc": 55,
    "banquet": 10,
    "museum": 10,
    "theatre": 5,
    "zhenshui": 8,
    "tongan": 6,
    "zhaoming": 6,
}
# Incidents per hour of the day (local time), within the volunteers' shifts.
HOUR_WEIGHTS = {8: 5, 9: 9, 10: 7, 11: 4, 12: 5, 13: 3, 14: 5, 15: 4, 16: 4, 17: 3, 18: 3}
HOUR_WEIGHTS |= {19: 3, 20: 2}
DAY_WEIGHTS = (45, 30, 25)


def _lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0, sigma))


@dataclass
class _Event:
    """An audit-trail line, written at the moment it happened."""

    at: dt.datetime
    action: str
    by: object
    data: dict = field(default_factory=dict)


@dataclass
class _Story:
    incident: Incident
    offers: list[Dispatch] = field(default_factory=list)
    events: list[_Event] = field(default_factory=list)
    offered_at: list[dt.datetime] = field(default_factory=list)


class _CommandBuilder:
    def __init__(self, summit: Summit, say: Callable[[str, object], None]) -> None:
        self.summit = summit
        self.say = say
        self.rng = random.Random(SEED)
        self.venues = list(Venue.objects.filter(summit=summit).order_by("pk"))
        # Lost offers the history must show at least once, whatever the roster left free.
        self.unshown = [DispatchStatus.TIMED_OUT, DispatchStatus.DECLINED]

    def build(self) -> None:
        self.operator = self.account()
        self.paths()
        self.critical_posts()
        self.history()

    def account(self):
        users = get_user_model()
        operator = users.objects.create_user(DEMO_OPERATOR, email="command@example.org")
        grant_role(operator, Role.COMMAND_OPERATOR)
        return operator

    def paths(self) -> None:
        collection = walking_paths(self.venues)
        WalkingPaths.objects.create(summit=self.summit, geojson=collection)
        self.say("walking paths", f"{len(collection['features'])} segments")

    def critical_posts(self) -> None:
        """VIP escorts and first-aid aides: a no-show there raises an incident at once."""
        posts = Post.objects.filter(
            summit=self.summit, kind__in=[PostKind.VIP_ESCORT, PostKind.MEDICAL_AIDE]
        ).order_by("pk")
        for post in posts:
            post.is_critical = True
            volunteer_services.save_post(post, by=None)
        self.say("critical posts", len(posts))

    # -- incidents ------------------------------------------------------------------------------

    def moment(self) -> dt.datetime:
        days = self.summit.days
        day = self.rng.choices(days, weights=DAY_WEIGHTS[: len(days)] or None)[0]
        hours = list(HOUR_WEIGHTS)
        hour = self.rng.choices(hours, weights=list(HOUR_WEIGHTS.values()))[0]
        minute, second = self.rng.randrange(60), self.rng.randrange(60)
        return dt.datetime.combine(day, dt.time(hour, minute, second), tzinfo=self.summit.tz)

    def venue_for(self, script: Script, moment: dt.datetime) -> Venue | None:
        if not self.venues:
            return None
        by_slug = {venue.slug: venue for venue in self.venues}
        if moment.hour >= 18 and "banquet" in by_slug and self.rng.random() < 0.6:
            return by_slug["banquet"]  # the evening is at the banquet
        preferred = [by_slug[slug] for slug in script.venues if slug in by_slug]
        if preferred and self.rng.random() < 0.8:
            return self.rng.choice(preferred)
        weights = [VENUE_WEIGHTS.get(venue.slug, 5) for venue in self.venues]
        return self.rng.choices(self.venues, weights=weights)[0]

    def spot(self, venue: Venue) -> tuple[float, float]:
        """A point inside the venue's outline (or near its point without one)."""
        if venue.outline:
            ring = venue.outline["coordinates"][0]
            lons, lats = [p[0] for p in ring], [p[1] for p in ring]
            for _attempt in range(50):
                lat = self.rng.uniform(min(lats), max(lats))
                lon = self.rng.uniform(min(lons), max(lons))
                if geo.inside(lat, lon, venue.outline):
                    return round(lat, 6), round(lon, 6)
        lat, lon = float(venue.latitude), float(venue.longitude)
        return round(lat + self.rng.uniform(-3e-4, 3e-4), 6), round(
            lon + self.rng.uniform(-3e-4, 3e-4), 6
        )

    def on_shift(self) -> dict:
        """The volunteers rostered on each shift: shift → [(start, end, venue, volunteer,
        user, tokens)], read once."""
        rows = defaultdict(list)
        assignments = (
            Assignment.objects.filter(post_shift__shift__summit=self.summit)
            .select_related("post_shift__shift", "post_shift__post", "application")
            .order_by("pk")
        )
        for assignment in assignments:
            shift = assignment.post_shift.shift
            application = assignment.application
            tokens = set(application.skills) | volunteer_services.language_tokens(
                application.languages
            )
            rows[shift.pk].append(
                (
                    shift.start,
                    shift.end,
                    assignment.post_shift.post.venue_id,
                    application,
                    tokens,
                    assignment.post_shift.post,
                )
            )
        return rows

    def history(self) -> None:
        rosters = self.on_shift()
        busy_until: dict[int, dt.datetime] = {}
        stories = []
        weights = [script.weight for script in SCRIPTS]
        for _number in range(INCIDENTS):
            script = self.rng.choices(SCRIPTS, weights=weights)[0]
            moment = self.moment()
            if script.kind == "crowding" and self.rng.random() < 0.6:
                # The opening ceremony's morning.
                first = self.summit.days[0]
                moment = dt.datetime.combine(
                    first, dt.time(8, 40), tzinfo=self.summit.tz
                ) + dt.timedelta(minutes=self.rng.uniform(0, 70))
            venue = self.venue_for(script, moment)
            working = [
                row for rows in rosters.values() for row in rows if row[0] <= moment < row[1]
            ]
            stories.append(self.story(script, moment, venue, working, busy_until))
        self.write(stories)

    def story(self, script, moment, venue, working, busy_until) -> _Story:
        rng = self.rng
        zh, en = rng.choice(script.texts)
        places = PLACES.get(venue.slug if venue else "", OTHER_PLACES)
        place_zh, place_en = rng.choice(places)
        lat, lon = self.spot(venue) if venue else (None, None)
        source = IncidentSource.STAFF
        if script.kind in ("crowding", "staffing") and rng.random() < 0.6:
            source = IncidentSource.AUTOMATIC
        elif rng.random() < 0.3:
            source = IncidentSource.VOLUNTEER
        here = [row for row in working if venue is not None and row[2] == venue.pk]
        reporter = self.operator if source == IncidentSource.STAFF else None
        if source == IncidentSource.VOLUNTEER and here:
            reporter = rng.choice(here)[3].user
        needs = list(script.needs)
        if "French" in en:
            needs.append("fr:2")
        elif "foreign guest" in en:
            needs.append("en:3")
        post = None
        if script.kind == "staffing":
            critical = [row[5] for row in here if row[5].is_critical]
            post = critical[0] if critical else None
        incident = Incident(
            summit=self.summit,
            kind=script.kind,
            priority=rng.choice(script.priorities),
            source=source,
            venue=venue,
            post=post,
            lat=lat,
            lon=lon,
            place=f"{place_zh} / {place_en}",
            description=f"{zh}。{en}.",
            needs=needs,
            reported_by=reporter,
            created_at=moment,
        )
        story = _Story(incident)
        story.events.append(
            _Event(
                moment,
                "command.reported",
                reporter,
                {"kind": script.kind, "priority": incident.priority, "source": source},
            )
        )
        if rng.random() < 0.06:
            self.close(
                story,
                moment + dt.timedelta(minutes=rng.uniform(1, 5)),
                "cancelled",
                "误报。False alarm.",
            )
            return story
        self.respond(story, script, moment, working, venue, busy_until)
        return story

    def candidates(self, script, working, venue, busy_until, moment, offered) -> list:
        """Who could go: free, with the needed skills, not offered it yet; those working at
        the incident's venue first."""
        needed = set(script.needs)
        fit = [
            row
            for row in working
            if needed <= row[4]
            and busy_until.get(row[3].pk, moment) <= moment
            and row[3].pk not in offered
        ]
        near = [row for row in fit if venue is not None and row[2] == venue.pk]
        return near or fit

    def respond(self, story, script, moment, working, venue, busy_until) -> None:
        rng = self.rng
        incident = story.incident
        clock = moment + dt.timedelta(minutes=_lognormal(rng, 1.2, 0.6))
        offered: set[int] = set()
        by = self.operator
        for _attempt in range(4):
            choices = self.candidates(script, working, venue, busy_until, clock, offered)
            if not choices:
                break
            _start, _end, _venue, volunteer, _tokens, _post = rng.choice(choices[:6])
            offered.add(volunteer.pk)
            distance = min(1500.0, max(20.0, _lognormal(rng, 180, 0.6)))
            offer = Dispatch(
                incident=incident,
                volunteer=volunteer,
                offered_by=by,
                respond_by=clock + ACK_TIMEOUT,
                distance_m=round(distance, 1),
                distance_method="walking",
                position_age_s=round(rng.uniform(5, 150), 1),
            )
            story.offers.append(offer)
            story.offered_at.append(clock)
            if incident.dispatched_at is None:
                incident.dispatched_at = clock
                incident.status = IncidentStatus.DISPATCHED
            story.events.append(
                _Event(
                    clock,
                    "command.dispatched",
                    by,
                    {"volunteer": volunteer.pk, "name": volunteer.name},
                )
            )
            draw = rng.random()
            if self.unshown and _attempt < 3 and len(choices) > 1:
                draw = 0.0 if self.unshown.pop(0) == DispatchStatus.TIMED_OUT else 0.15
            if draw < 0.12 and _attempt < 3:
                offer.status = DispatchStatus.TIMED_OUT
                offer.ended_at = clock = offer.respond_by
                story.events.append(
                    _Event(clock, "command.timed_out", None, {"volunteer": volunteer.pk})
                )
                by = None  # the escalation offers the next one
                continue
            if draw < 0.19 and _attempt < 3:
                offer.status = DispatchStatus.DECLINED
                offer.ended_at = clock = clock + dt.timedelta(minutes=rng.uniform(0.2, 1.2))
                story.events.append(
                    _Event(clock, "command.declined", volunteer.user, {"volunteer": volunteer.pk})
                )
                by = None
                continue
            self.accepted(story, script, offer, clock, busy_until)
            return
        # Nobody (more) could go: the information desk dealt with it.
        self.close(
            story,
            clock + dt.timedelta(minutes=_lognormal(rng, 12, 0.5)),
            "resolved",
            "由现场工作人员处理。Handled by the staff on site.",
        )

    def accepted(self, story, script, offer, clock, busy_until) -> None:
        rng = self.rng
        incident = story.incident
        user = offer.volunteer.user
        ack = clock + dt.timedelta(minutes=min(1.4, _lognormal(rng, 0.6, 0.5)))
        walk = offer.distance_m / 70 + _lognormal(rng, 1.0, 0.5)  # ~70 m a minute in a crowd
        scene = ack + dt.timedelta(minutes=walk)
        offer.status, offer.acknowledged_at = DispatchStatus.ACKNOWLEDGED, ack
        incident.status, incident.acknowledged_at = IncidentStatus.ACKNOWLEDGED, ack
        story.events.append(
            _Event(ack, "command.acknowledged", user, {"volunteer": offer.volunteer_id})
        )
        if rng.random() < 0.07:
            # Sorted out before anyone arrived (the guest found their way, the bag its owner).
            end = ack + dt.timedelta(minutes=walk * rng.uniform(0.3, 0.8))
            offer.status, offer.ended_at = DispatchStatus.WITHDRAWN, end
            busy_until[offer.volunteer_id] = end
            self.close(story, end, "cancelled", "已自行解决。Sorted out before anyone arrived.")
            return
        offer.status, offer.on_scene_at = DispatchStatus.ON_SCENE, scene
        incident.status, incident.on_scene_at = IncidentStatus.ON_SCENE, scene
        story.events.append(
            _Event(scene, "command.on_scene", user, {"volunteer": offer.volunteer_id})
        )
        done = scene + dt.timedelta(minutes=_lognormal(rng, script.minutes_to_resolve, 0.6))
        offer.status, offer.ended_at = DispatchStatus.DONE, done
        incident.status, incident.closed_at = IncidentStatus.RESOLVED, done
        busy_until[offer.volunteer_id] = done
        story.events.append(_Event(done, "command.done", user, {"volunteer": offer.volunteer_id}))
        story.events.append(_Event(done, "command.resolved", user, {}))

    def close(self, story: _Story, moment: dt.datetime, status: str, note: str) -> None:
        incident = story.incident
        previous = incident.status
        incident.status, incident.closed_at = status, moment
        if status == IncidentStatus.RESOLVED:
            incident.resolution = note
        story.events.append(
            _Event(moment, f"command.{status}", self.operator, {"from": previous, "note": note})
        )

    # -- writing --------------------------------------------------------------------------------

    def write(self, stories: list[_Story]) -> None:
        stories.sort(key=lambda story: story.incident.created_at)
        incidents = [_checked(story.incident) for story in stories]
        created = [incident.created_at for incident in incidents]
        Incident.objects.bulk_create(incidents)
        # auto_now_add stamped them now: put back when each was raised.
        for incident, moment in zip(incidents, created, strict=True):
            incident.created_at = moment
        Incident.objects.bulk_update(incidents, ["created_at"])
        offers = []
        for story in stories:
            for offer in story.offers:
                offer.incident = story.incident
                offers.append(_checked(offer))
        Dispatch.objects.bulk_create(offers)
        for offer, moment in zip(
            offers, [m for story in stories for m in story.offered_at], strict=True
        ):
            offer.offered_at = moment
        Dispatch.objects.bulk_update(offers, ["offered_at"])
        self.audit(stories)
        statuses = [incident.status for incident in incidents]
        self.say(
            "incidents (history)",
            f"{len(incidents)} ({statuses.count(IncidentStatus.RESOLVED)} resolved, "
            f"{statuses.count(IncidentStatus.CANCELLED)} cancelled), {len(offers)} offers "
            f"({sum(o.status == DispatchStatus.TIMED_OUT for o in offers)} timed out, "
            f"{sum(o.status == DispatchStatus.DECLINED for o in offers)} declined)",
        )

    def audit(self, stories: list[_Story]) -> None:
        content_type = ContentType.objects.get_for_model(Incident)
        lines, moments = [], []
        for story in stories:
            for event in sorted(story.events, key=lambda e: e.at):
                lines.append(
                    ActionLog(
                        actor=event.by,
                        action=event.action,
                        content_type=content_type,
                        object_id=str(story.incident.pk),
                        object_repr=str(story.incident)[:300],
                        data=event.data,
                    )
                )
                moments.append(event.at)
        ActionLog.objects.bulk_create(lines)
        for line, moment in zip(lines, moments, strict=True):
            line.timestamp = moment
        ActionLog.objects.bulk_update(lines, ["timestamp"], batch_size=500)


def build(summit, *, names, say) -> None:
    """Add the command centre's demo to ``summit``: the operator, the walking paths, the
    critical posts and the history of incidents; ``say(label, detail)`` reports progress."""
    _CommandBuilder(summit, say).build()
