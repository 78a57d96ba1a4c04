# ruff: noqa: RUF001  (Chinese names and punctuation)
"""The demo summit's volunteers, as the 5th WIC had them: 7,000 applicants from 12 Zhejiang
universities, 1,260 selected under quotas, ~60 posts at the Wuzhen venues staffed over three
shifts a day by the roster solver, and the first morning on duty with sign-ins and the tracks
of a few hundred volunteers walking around the real venues.

Selection, rostering and sign-in go through ``services`` (the same rules as the office's
pages); the bulk of applicants and positions is written with ``bulk_create``, as an import
would, to keep the demo quick.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter
from collections.abc import Callable
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from huiwu.core.i18n import i18n
from huiwu.core.roles import Role, grant_role
from huiwu.demo.names import NameMaker
from huiwu.summit.models import Room, Summit, Venue
from huiwu.volunteers import geo, services
from huiwu.volunteers.models import (
    Application,
    ApplicationStatus,
    Assignment,
    PositionPing,
    Post,
    PostKind,
    PostShift,
    Shift,
    Skill,
    TrainingAttendance,
    TrainingSession,
    University,
)

SEED = 2018
APPLICANTS = 7000
SELECTED = 1260
#: Volunteers whose first-morning track the demo draws (every 90 s over the shift).
TRACKED = 200
PING_SECONDS = 90
#: The posts' headcounts below are per shift at a small summit; the demo's is larger.
HEADCOUNT_SCALE = 1.5
DEMO_VOLUNTEER = "volunteer"
DEMO_OFFICE = "office"
#: What the demo command should list among its accounts.
ACCOUNTS = {
    DEMO_VOLUNTEER: "a selected volunteer with shifts, sign-ins and a track on the first day",
    DEMO_OFFICE: "the volunteer office: applications, selection, roster, on duty, trajectories",
}

# (short name, Chinese name, English name, city zh, city en, share of applicants)
UNIVERSITIES = [
    ("ZJU", "浙江大学", "Zhejiang University", "杭州", "Hangzhou", 14),
    ("ZJUT", "浙江工业大学", "Zhejiang University of Technology", "杭州", "Hangzhou", 10),
    ("ZJNU", "浙江师范大学", "Zhejiang Normal University", "金华", "Jinhua", 9),
    ("NBU", "宁波大学", "Ningbo University", "宁波", "Ningbo", 8),
    ("HDU", "杭州电子科技大学", "Hangzhou Dianzi University", "杭州", "Hangzhou", 9),
    ("ZJGSU", "浙江工商大学", "Zhejiang Gongshang University", "杭州", "Hangzhou", 9),
    ("ZSTU", "浙江理工大学", "Zhejiang Sci-Tech University", "杭州", "Hangzhou", 8),
    ("ZUFE", "浙江财经大学", "Zhejiang University of Finance and Economics", "杭州", "Hangzhou", 7),
    ("CAA", "中国美术学院", "China Academy of Art", "杭州", "Hangzhou", 5),
    ("CUZ", "浙江传媒学院", "Communication University of Zhejiang", "杭州", "Hangzhou", 7),
    ("ZISU", "浙江外国语学院", "Zhejiang International Studies University", "杭州", "Hangzhou", 8),
    ("ZJXU", "嘉兴大学", "Jiaxing University", "嘉兴", "Jiaxing", 6),
]
# Foreign languages students bring besides Chinese, with how often.
FOREIGN = [("en", 90), ("ja", 6), ("ko", 5), ("fr", 4), ("de", 3), ("es", 3), ("ru", 3)]
FOREIGN += [("ar", 2), ("pt", 2), ("it", 1), ("th", 1)]
SKILL_SHARE = {
    Skill.INTERPRETING: 0.18,
    Skill.FIRST_AID: 0.25,
    Skill.DRIVING: 0.12,
    Skill.IT: 0.2,
    Skill.PRESS: 0.15,
    Skill.PROTOCOL: 0.3,
    Skill.GUIDING: 0.45,
    Skill.PHOTOGRAPHY: 0.15,
    Skill.REGISTRATION: 0.4,
}
# Per venue: (kind, headcount per shift, required skills, languages, minimum level).
POSTS = {
    "wiicc": [
        (PostKind.REGISTRATION_DESK, 10, [Skill.REGISTRATION], [], 1),
        (PostKind.REGISTRATION_DESK, 8, [Skill.REGISTRATION], ["en"], 3),
        (PostKind.INFORMATION_DESK, 6, [], ["en"], 3),
        (PostKind.VIP_ESCORT, 8, [Skill.PROTOCOL], ["en"], 4),
        (PostKind.INTERPRETER, 6, [Skill.INTERPRETING], ["en"], 5),
        (PostKind.PRESS_AIDE, 6, [Skill.PRESS], ["en"], 3),
        (PostKind.PRESS_AIDE, 3, [Skill.PHOTOGRAPHY], [], 1),
        (PostKind.EXPO_GUIDE, 10, [Skill.GUIDING], ["en"], 3),
        (PostKind.EXPO_GUIDE, 8, [Skill.GUIDING], [], 1),
        (PostKind.MEDICAL_AIDE, 3, [Skill.FIRST_AID], [], 1),
        (PostKind.IT_SUPPORT, 4, [Skill.IT], [], 1),
        (PostKind.DRIVER, 4, [Skill.DRIVING], [], 1),
        (PostKind.GUIDE, 6, [], [], 1),
        (PostKind.GUIDE, 6, [], ["en"], 3),
        (PostKind.INFORMATION_DESK, 4, [], ["ja"], 3),
        (PostKind.PRESS_AIDE, 4, [Skill.PRESS], [], 1),
        (PostKind.IT_SUPPORT, 3, [Skill.IT], ["en"], 3),
        (PostKind.REGISTRATION_DESK, 8, [], [], 1),
    ],
    "banquet": [
        (PostKind.INFORMATION_DESK, 3, [], ["en"], 3),
        (PostKind.VIP_ESCORT, 6, [Skill.PROTOCOL], ["en"], 4),
        (PostKind.GUIDE, 4, [], [], 1),
        (PostKind.MEDICAL_AIDE, 1, [Skill.FIRST_AID], [], 1),
    ],
    "theatre": [
        (PostKind.INFORMATION_DESK, 2, [], ["en"], 3),
        (PostKind.GUIDE, 4, [], [], 1),
        (PostKind.MEDICAL_AIDE, 1, [Skill.FIRST_AID], [], 1),
    ],
    "museum": [
        (PostKind.EXPO_GUIDE, 6, [Skill.GUIDING], ["en"], 3),
        (PostKind.INFORMATION_DESK, 2, [], [], 1),
    ],
    "zhenshui": [
        (PostKind.INFORMATION_DESK, 3, [], ["en"], 3),
        (PostKind.GUIDE, 3, [], [], 1),
        (PostKind.DRIVER, 2, [Skill.DRIVING], [], 1),
    ],
    "tongan": [
        (PostKind.INFORMATION_DESK, 2, [], ["en"], 3),
        (PostKind.GUIDE, 2, [], [], 1),
    ],
    "zhaoming": [(PostKind.GUIDE, 2, [], [], 1)],
}
FORUM_STEWARDS = 3  # per forum room, besides the posts above
INTERPRETER_LANGUAGES = ["ja", "ko", "fr", "ru", "ar", "es"]
SHIFTS = [
    ("上午班", "Morning", "07:30", "12:30"),
    ("下午班", "Afternoon", "12:30", "17:30"),
    ("晚班", "Evening", "17:30", "21:30"),
]
POST_NAMES = {
    PostKind.REGISTRATION_DESK: ("注册台", "Registration desk"),
    PostKind.FORUM_STEWARD: ("会场引导", "Forum-room steward"),
    PostKind.INTERPRETER: ("翻译", "Interpreter"),
    PostKind.GUIDE: ("引导", "Guide"),
    PostKind.PRESS_AIDE: ("新闻中心", "Press centre"),
    PostKind.VIP_ESCORT: ("贵宾陪同", "VIP escort"),
    PostKind.EXPO_GUIDE: ("展览讲解", "Expo guide"),
    PostKind.INFORMATION_DESK: ("咨询台", "Information desk"),
    PostKind.MEDICAL_AIDE: ("医疗协助", "First-aid aide"),
    PostKind.DRIVER: ("车辆保障", "Driver"),
    PostKind.IT_SUPPORT: ("技术保障", "IT support"),
}


class _VolunteerBuilder:
    def __init__(self, summit: Summit, names: NameMaker, say: Callable[[str, object], None]):
        self.summit = summit
        self.names = names
        self.say = say
        self.rng = random.Random(SEED)

    def build(self) -> None:
        universities = self.universities()
        office = self.accounts()
        self.applicants(universities)
        self.select(office)
        posts = self.posts()
        shifts = self.shifts(posts)
        self.training(posts)
        run = services.run_roster(self.summit, by=office, time_limit=10, now=self.before())
        self.say(
            "volunteer roster",
            f"{run.assigned} assignments, coverage {run.coverage:.0%}, "
            f"{len(run.unfilled)} slots short",
        )
        self.demo_volunteer_on(shifts[0], office)
        self.first_morning(shifts[0])

    def before(self) -> dt.datetime:
        """A moment before the summit, when the office plans it."""
        start = dt.datetime.combine(self.summit.start_date, dt.time.min, tzinfo=self.summit.tz)
        return start - dt.timedelta(days=5)

    # -- people ---------------------------------------------------------------------------------

    def universities(self) -> list[tuple[University, int]]:
        result = []
        for short, zh, en, city_zh, city_en, share in UNIVERSITIES:
            university, _created = University.objects.get_or_create(
                short_name=short,
                defaults={
                    "name": i18n(zh_hans=zh, en=en),
                    "city": i18n(zh_hans=city_zh, en=city_en),
                },
            )
            result.append((university, share))
        return result

    def accounts(self):
        users = get_user_model()
        office = users.objects.create_user(DEMO_OFFICE, email="office@example.org", is_staff=True)
        grant_role(office, Role.VOLUNTEER_OFFICE)
        return office

    def languages(self) -> list[dict]:
        languages = [{"code": "zh", "level": 5}]
        codes, weights = zip(*FOREIGN, strict=True)
        chosen = {self.rng.choices(codes, weights)[0]}
        if self.rng.random() < 0.2:
            chosen.add(self.rng.choices(codes, weights)[0])
        for code in sorted(chosen):
            if code == "en":
                level = self.rng.choices([2, 3, 4, 5], [15, 40, 35, 10])[0]
            else:
                level = self.rng.choices([2, 3, 4, 5], [30, 35, 25, 10])[0]
            languages.append({"code": code, "level": level})
        return languages

    def availability(self) -> list[dict]:
        days = self.summit.days
        if self.rng.random() < 0.2:
            days = sorted(self.rng.sample(days, k=max(1, len(days) - 1)))
        start, end = self.rng.choice(
            [("07:00", "22:00")] * 6 + [("07:00", "18:00"), ("12:00", "22:00")]
        )
        return [{"date": day.isoformat(), "from": start, "to": end} for day in days]

    def applicants(self, universities) -> None:
        users = get_user_model()
        unusable = make_password(None)
        weights = [share for _university, share in universities]
        numbers: set[tuple[int, str]] = set()
        people, applications = [], []
        for index in range(APPLICANTS):
            university = self.rng.choices(universities, weights)[0][0]
            number = f"{self.rng.choice([2021, 2022, 2023, 2024])}{self.rng.randrange(10**6):06d}"
            while (university.pk, number) in numbers:
                number = f"{int(number) + 1}"
            numbers.add((university.pk, number))
            name, _latin, female = self.names.person([("zh", 1)])
            email = f"{number}@{university.short_name.lower()}.edu.example"
            username = DEMO_VOLUNTEER if index == 0 else email
            people.append(users(username=username, email=email, password=unusable))
            skills = [skill for skill, share in SKILL_SHARE.items() if self.rng.random() < share]
            rubric = Decimal(f"{min(100, max(40, self.rng.gauss(72, 11))):.2f}")
            applications.append(
                Application(
                    summit=self.summit,
                    name=name,
                    gender="female" if female else "male",
                    phone=f"1{self.rng.choice('3578')}{self.rng.randrange(10**9):09d}",
                    email=email,
                    university=university,
                    student_number=number,
                    languages=self.languages(),
                    skills=skills,
                    experience="",
                    availability=self.availability(),
                    tshirt_size=self.rng.choice(["S", "M", "M", "L", "L", "XL"]),
                    emergency_name=self.names.person([("zh", 1)])[0],
                    emergency_phone=f"1{self.rng.choice('3578')}{self.rng.randrange(10**9):09d}",
                    location_consent=self.rng.random() < 0.9,
                    rubric_score=rubric,
                    score=rubric,
                )
            )
        users.objects.bulk_create(people, batch_size=1000)
        by_name = dict(
            users.objects.filter(email__endswith=".edu.example").values_list("email", "pk")
        )
        for application in applications:
            application.user_id = by_name[application.email]
            application.location_consent_at = (
                self.before() if application.location_consent else None
            )
        # The demo volunteer is sure to be chosen, and to agree to location on duty.
        applications[0].score = applications[0].rubric_score = Decimal("98.50")
        applications[0].location_consent = True
        applications[0].location_consent_at = self.before()
        Application.objects.bulk_create(applications, batch_size=1000)
        grant_role(users.objects.get(username=DEMO_VOLUNTEER), Role.VOLUNTEER)
        self.say("volunteer applicants", f"{APPLICANTS} from {len(universities)} universities")

    def select(self, office) -> None:
        # The 2018 shape: every university represented, CET-6 English for one in three, enough
        # interpreters, escorts, first-aiders and drivers (as shares of those selected).
        quotas = [
            {"kind": "university", "value": short, "minimum": round(SELECTED * 0.04)}
            for short, *_rest in UNIVERSITIES
        ]
        quotas += [
            {"kind": "language", "value": "en", "minimum": round(SELECTED * 0.4), "min_level": 4},
            {"kind": "post_type", "value": PostKind.INTERPRETER, "minimum": round(SELECTED * 0.12)},
            {"kind": "post_type", "value": PostKind.VIP_ESCORT, "minimum": round(SELECTED * 0.2)},
            {
                "kind": "post_type",
                "value": PostKind.MEDICAL_AIDE,
                "minimum": round(SELECTED * 0.06),
            },
            {"kind": "post_type", "value": PostKind.DRIVER, "minimum": round(SELECTED * 0.05)},
        ]
        run = services.run_selection(self.summit, SELECTED, quotas, reserve_ratio=0.2, by=office)
        self.say("volunteer selection", f"{run.selected} selected, {run.reserve} on reserve")

    # -- posts and shifts -----------------------------------------------------------------------

    def posts(self) -> list[tuple[Post, int]]:
        venues = {venue.slug: venue for venue in Venue.objects.filter(summit=self.summit)}
        posts: list[tuple[Post, int]] = []

        def add(venue, kind, room, headcount, skills, languages, level, label=None):
            # The post's venue is shown beside its name everywhere: the name says what and,
            # among several alike at one venue, which.
            zh, en = POST_NAMES[kind]
            if room is not None:
                zh, en = f"{room.name.localize('zh-hans')}{zh}", f"{en}, {room.name.localize('en')}"
            if label:
                zh, en = f"{zh}（{label[0]}）", f"{en} ({label[1]})"
            post = Post(
                summit=self.summit,
                venue=venue,
                room=room,
                kind=kind,
                name=i18n(zh_hans=zh, en=en),
                required_skills=list(skills),
                required_languages=list(languages),
                min_language_level=level,
                needs_training=kind in (PostKind.VIP_ESCORT, PostKind.INTERPRETER),
            )
            posts.append((post, headcount))

        rooms = {room.pk: room for room in Room.objects.filter(venue__summit=self.summit)}
        for slug, specs in POSTS.items():
            venue = venues.get(slug)
            if venue is None:
                continue
            alike = Counter(kind for kind, *_rest in specs)
            numbered = Counter()
            for kind, headcount, skills, languages, level in specs:
                numbered[kind] += 1
                number = numbered[kind]
                label = (f"{number}号", f"no. {number}") if alike[kind] > 1 else None
                add(venue, kind, None, headcount, skills, languages, level, label)
        for room in sorted(rooms.values(), key=lambda r: r.pk):
            if room.capacity >= 100:
                add(room.venue, PostKind.FORUM_STEWARD, room, FORUM_STEWARDS, [], [], 1)
        wiicc = venues["wiicc"]
        for code in INTERPRETER_LANGUAGES:
            label = {"ja": ("日语", "Japanese"), "ko": ("韩语", "Korean"), "fr": ("法语", "French")}
            label |= {"ru": ("俄语", "Russian"), "ar": ("阿拉伯语", "Arabic")}
            label |= {"es": ("西班牙语", "Spanish")}
            add(wiicc, PostKind.INTERPRETER, None, 2, [Skill.INTERPRETING], [code], 3, label[code])
        for post, _headcount in posts:
            services.save_post(post, by=None)
        return posts

    def shifts(self, posts) -> list[Shift]:
        shifts = []
        for day in self.summit.days:
            for zh, en, start, end in SHIFTS:
                shifts.append(
                    services.save_shift(
                        Shift(
                            summit=self.summit,
                            name=i18n(zh_hans=zh, en=en),
                            start=self.at(day, start),
                            end=self.at(day, end),
                        )
                    )
                )
        PostShift.objects.bulk_create(
            PostShift(post=post, shift=shift, headcount=math.ceil(headcount * HEADCOUNT_SCALE))
            for shift in shifts
            for post, headcount in posts
        )
        self.say("volunteer posts and shifts", f"{len(posts)} posts × {len(shifts)} shifts")
        return shifts

    def at(self, day: dt.date, clock: str) -> dt.datetime:
        hours, minutes = (int(part) for part in clock.split(":"))
        return dt.datetime.combine(day, dt.time(hours, minutes), tzinfo=self.summit.tz)

    def training(self, posts) -> None:
        """One briefing for escorts and interpreters, attended by the selected who fit."""
        day = self.summit.start_date - dt.timedelta(days=2)
        session = TrainingSession.objects.create(
            summit=self.summit,
            name=i18n(zh_hans="贵宾陪同与翻译培训", en="VIP escort and interpreting briefing"),
            start=self.at(day, "14:00"),
            end=self.at(day, "17:00"),
            place="浙江大学紫金港校区 / Zijingang Campus, Zhejiang University",
        )
        trained = [post for post, _headcount in posts if post.needs_training]
        session.posts.set(trained)
        fit = Application.objects.filter(
            summit=self.summit, status=ApplicationStatus.SELECTED
        ).values_list("pk", "skills")
        attendees = [
            pk
            for pk, skills in fit
            if {Skill.PROTOCOL, Skill.INTERPRETING} & set(skills) and self.rng.random() < 0.92
        ]
        TrainingAttendance.objects.bulk_create(
            TrainingAttendance(session=session, application_id=pk, attended=True)
            for pk in attendees
        )
        self.say("volunteer training", f"{len(attendees)} attended")

    # -- the first morning on duty --------------------------------------------------------------

    def demo_volunteer_on(self, shift: Shift, office) -> None:
        """The demo volunteer works the first morning, so that their page shows a track."""
        volunteer = Application.objects.get(summit=self.summit, user__username=DEMO_VOLUNTEER)
        if volunteer.assignments.filter(post_shift__shift=shift).exists():
            return
        slots = PostShift.objects.filter(shift=shift, post__needs_training=False).order_by("pk")
        slot = next((s for s in slots if s.assignments.count() < s.headcount), None)
        if slot is None:
            # Every place is taken: the office opens one more.
            slot = services.set_headcount(slots[0].post, shift, slots[0].headcount + 1, by=office)
        services.assign_manually(slot, volunteer, by=office)

    def first_morning(self, shift: Shift) -> None:
        assignments = list(
            Assignment.objects.filter(post_shift__shift=shift)
            .select_related("application", "post_shift__post__venue")
            .order_by("pk")
        )
        demo = [a for a in assignments if a.application.user.username == DEMO_VOLUNTEER]
        others = [a for a in assignments if a not in demo]
        self.rng.shuffle(others)
        signed, tracked, outside = 0, 0, 0
        pings: list[PositionPing] = []
        no_shows = 0
        for index, assignment in enumerate(demo + others):
            if index > 0 and self.rng.random() < 0.04:
                no_shows += 1
                continue
            venue = assignment.post_shift.post.venue
            away = index > 0 and self.rng.random() < 0.03
            if away:
                lat, lon = self.offset((float(venue.latitude), float(venue.longitude)), 450)
            else:
                lat, lon = self.spot(venue)
            centre = (lat, lon)
            arrival = shift.start - dt.timedelta(minutes=self.rng.uniform(2, 40))
            duty = services.sign_in(
                assignment.application, assignment, lat, lon, self.rng.uniform(5, 25), at=arrival
            )
            signed += 1
            outside += duty.inside_geofence is False
            leave = shift.end + dt.timedelta(minutes=self.rng.uniform(-10, 15))
            if duty.inside_geofence is not None and tracked < TRACKED:
                tracked += 1
                pings += self.track(assignment.application_id, duty, centre, leave)
            if index == 0 or self.rng.random() < 0.93:
                services.sign_out(assignment.application, lat, lon, at=leave)
        PositionPing.objects.bulk_create(pings, batch_size=2000)
        services.close_open_duties_at_shift_end(now=shift.end + dt.timedelta(hours=1))
        services.flag_no_shows(now=shift.start + dt.timedelta(minutes=30))
        self.say(
            "volunteers on duty (first morning)",
            f"{signed} signed in ({outside} outside the geofence, flagged), {no_shows} no-shows, "
            f"{len(pings)} positions of {tracked} volunteers",
        )

    def spot(self, venue) -> tuple[float, float]:
        """A point inside the venue's outline (outlines have courtyards: not its middle)."""
        ring = venue.outline["coordinates"][0]
        lons, lats = [p[0] for p in ring], [p[1] for p in ring]
        while True:
            lat = self.rng.uniform(min(lats), max(lats))
            lon = self.rng.uniform(min(lons), max(lons))
            if geo.inside(lat, lon, venue.outline):
                return lat, lon

    def offset(self, centre: tuple[float, float], metres: float) -> tuple[float, float]:
        bearing = self.rng.uniform(0, 2 * math.pi)
        north, east = metres * math.cos(bearing), metres * math.sin(bearing)
        lat = centre[0] + north / 111_320
        lon = centre[1] + east / (111_320 * math.cos(math.radians(centre[0])))
        return lat, lon

    def track(self, application_id, duty, centre, end) -> list[PositionPing]:
        """A walk around the post: small steps, pulled back towards it."""
        points = []
        north = east = 0.0
        moment = duty.signed_in_at
        scale = 111_320 * math.cos(math.radians(centre[0]))
        while moment < end:
            north += self.rng.gauss(0, 6) - north * 0.08
            east += self.rng.gauss(0, 6) - east * 0.08
            points.append(
                PositionPing(
                    application_id=application_id,
                    duty=duty,
                    at=moment,
                    lat=centre[0] + north / 111_320,
                    lon=centre[1] + east / scale,
                    accuracy_m=round(self.rng.uniform(4, 20), 1),
                )
            )
            moment += dt.timedelta(seconds=PING_SECONDS)
        return points[1:]  # the first is the sign-in's own position


def build(summit, *, names, say) -> None:
    """Add this app's demo data to ``summit``; ``say(label, detail)`` reports progress."""
    _VolunteerBuilder(summit, names, say).build()
