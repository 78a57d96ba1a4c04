"""The demo summit: the 2024 World Internet Conference Wuzhen Summit, built the same way every time.

``generate()`` fills an empty, migrated database with the series and its editions, the venues of
Wuzhen with their rooms and access zones, the 93 host and co-host institutions, the opening
ceremony, the plenary and the 24 sub-forums, about 300 sessions with some 600 to 900 speakers
from more than 130 countries and regions, and the demo accounts. Facts and texts come from the JSON
files in ``data/``; people and their names are drawn from ``random.Random(SEED)``.

For speed every table is written with one ``bulk_create``; each object first passes its model's
own field validation and ``clean()`` (relations and uniqueness are left to the database, which
checks them on insert), so the demo holds only data that the admin and the services accept.
"""

import datetime as dt
import json
import math
import random
import re
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.utils import translation
from django_countries import countries as country_names
from i18nfield.strings import LazyI18nString

from huiwu.command import live
from huiwu.core.i18n import i18n
from huiwu.core.models import Membership, Organisation, OrganisationKind, Person
from huiwu.core.roles import Role, grant_role
from huiwu.demo.names import NameMaker
from huiwu.summit.models import (
    Forum,
    ForumKind,
    ForumOrganiser,
    OrganiserRole,
    Room,
    Series,
    Session,
    SessionKind,
    SessionSpeaker,
    SpeakerRole,
    Summit,
    Venue,
    Zone,
    ZoneKind,
)

SEED = 2024
DATA = Path(__file__).with_name("data")

DEMO_ACCOUNTS: dict[str, str] = {
    "organiser": "secretariat: sees and manages everything (superuser)",
    "forum": (
        "forum co-organiser at CAICT, host of the Forum on Computing Power Networks and "
        "Intelligent Infrastructure and of the Industrial Internet Forum"
    ),
}
FORUM_ACCOUNT_INSTITUTION = "caict"

# A share of the pool speakers' slots is left for second and third appearances.
POOL_FILL = 0.9
MAX_APPEARANCES = 3
# English needs an article before these country names ("of the Philippines").
_WITH_ARTICLE = {"AE", "BS", "CD", "CF", "CG", "DO", "GB", "GM", "NL", "PH", "US"}
_TEMPLATE_KIND_WEIGHTS = {
    "government": 25,
    "university": 25,
    "company": 20,
    "think_tank": 15,
    "association": 10,
    "media": 5,
}
_MODERATOR_KINDS = {"media", "think_tank", "university"}


def _load(name: str) -> dict:
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


def _text(pair) -> LazyI18nString:
    zh, en = pair
    return i18n(zh_hans=zh, en=en)


def _compose(pair, zh: dict, en: dict) -> tuple[str, str]:
    """A [Chinese, English] template pair filled with each language's values."""
    return pair[0].format(**zh), pair[1].format(**en)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _checked(obj: models.Model) -> models.Model:
    """The model's own validation of its fields and ``clean()``; relations and uniqueness are
    left to the database, which checks them when the rows are inserted."""
    relations = [f.name for f in obj._meta.fields if f.is_relation]
    obj.full_clean(exclude=relations, validate_unique=False, validate_constraints=False)
    return obj


@dataclass
class _Speaker:
    """A person while the programme is being cast, before it is written."""

    person: Person
    region: str
    org_kind: str
    appearances: int = 0
    sessions: set = field(default_factory=set)
    area: tuple[str, str] | None = None


@dataclass
class _Slot:
    """A place on a session's stage: who fills it is decided after all sessions are planned."""

    session: Session
    forum: dict
    order: int
    who: str
    role: str = SpeakerRole.SPEAKER
    speaker: _Speaker | None = None


class _DemoBuilder:
    def __init__(self, stdout=None) -> None:
        self.rng = random.Random(SEED)
        self.stdout = stdout
        self.countries = {c["code"]: c for c in _load("countries")["countries"]}
        self.orgs_data = _load("organisations")
        self.texts = _load("texts")
        self.names = NameMaker(self.rng, _load("names"))
        self.organisations: list[Organisation] = []
        self.org_by_name: dict[str, Organisation] = {}
        self.host_orgs: dict[str, Organisation] = {}
        self.people: list[_Speaker] = []
        self.latin_names: set[str] = set()
        self.reps: dict[str, list[_Speaker]] = defaultdict(list)
        self.ministers: dict[str, _Speaker] = {}
        self.slots: list[_Slot] = []
        self.summit_specs: dict[str, dict] = {}

    # -- the whole ----------------------------------------------------------------------------

    def build(self) -> Summit:
        summits = self.series_and_summits()
        rooms = {slug: self.venues(summit) for slug, summit in summits.items()}
        self.host_institutions()
        current = summits["wuzhen-2024"]
        self.zones(current, rooms[current.slug])
        forums = self.programme(current, rooms[current.slug])
        self.earlier_edition(summits["wuzhen-2018"], rooms["wuzhen-2018"])
        self.cast(forums)
        self.accounts()
        return current

    def say(self, label: str, detail) -> None:
        if self.stdout is not None:
            # One line each, on a plain stream as on a management command's output wrapper.
            self.stdout.write(f"  {label} … {detail}\n")

    # -- series, summits, venues, rooms, zones ----------------------------------------------

    def series_and_summits(self) -> dict[str, Summit]:
        data = _load("summits")
        series = _checked(Series(slug=data["series"]["slug"], name=_text(data["series"]["name"])))
        series.save()
        summits = []
        for spec in data["summits"]:
            summit = Summit(
                series=series,
                slug=spec["slug"],
                name=_text(spec["name"]),
                theme=_text(spec["theme"]) if "theme" in spec else None,
                city=_text(spec["city"]),
                start_date=dt.date.fromisoformat(spec["start"]),
                end_date=dt.date.fromisoformat(spec["end"]),
                time_zone=spec["time_zone"],
                is_current=spec.get("current", False),
                is_public=True,
            )
            self.summit_specs[summit.slug] = spec
            summits.append(_checked(summit))
        Summit.objects.bulk_create(summits)
        self.say("series and summits", len(summits))
        return {summit.slug: summit for summit in summits}

    def venues(self, summit: Summit) -> dict[str, Room]:
        place = self.summit_specs[summit.slug].get("place")
        if place is None:
            return {}
        wanted = self.summit_specs[summit.slug].get("rooms")
        venues, rooms = [], {}
        for spec in _load("venues")[place]:
            room_specs = [r for r in spec["rooms"] if wanted is None or r["key"] in wanted]
            if not room_specs:
                continue
            venue = _checked(
                Venue(
                    summit=summit,
                    slug=spec["slug"],
                    name=_text((spec["zh"], spec["en"])),
                    kind=spec["kind"],
                    address=_text(spec["address"]),
                    description=_text(spec["description"]),
                    latitude=Decimal(f"{spec['lat']:.6f}"),
                    longitude=Decimal(f"{spec['lon']:.6f}"),
                    outline={"type": "Polygon", "coordinates": [spec["outline"]]},
                )
            )
            venues.append(venue)
            for room_spec in room_specs:
                rooms[room_spec["key"]] = _checked(
                    Room(
                        venue=venue,
                        name=_text((room_spec["zh"], room_spec["en"])),
                        floor=room_spec["floor"],
                        capacity=room_spec["capacity"],
                        press_seats=room_spec["press"],
                        has_interpretation=room_spec["interpretation"],
                        has_stream=room_spec["stream"],
                    )
                )
        Venue.objects.bulk_create(venues)
        Room.objects.bulk_create(rooms.values())
        if summit.is_current:
            self.say("venues", f"{len(venues)} (rooms {len(rooms)})")
        return rooms

    def zones(self, summit: Summit, rooms: dict[str, Room]) -> None:
        """Access zones: the main hall, one per forum room, and the VIP lounge, press centre,
        expo and banquet areas."""
        main = rooms["wiicc-wuzhen"]
        wiicc = main.venue
        forum_rooms = []
        for spec in _load("forums")["forums"]:
            room = rooms[spec["room"]]
            if room is not main and room not in forum_rooms:
                forum_rooms.append(room)
        names = self.texts["zones"]

        def local(obj, language: str) -> str:
            return obj.name.localize(language)

        def room_name(kind: str, room: Room) -> tuple[str, str]:
            return _compose(
                names[kind],
                {"room": local(room, "zh-hans"), "venue": local(room.venue, "zh-hans")},
                {"room": local(room, "en"), "venue": local(room.venue, "en")},
            )

        banquet = rooms["banquet-hall"]
        plan = [(ZoneKind.MAIN_HALL, room_name("main_hall", main), wiicc, [main], None)]
        plan += [
            (ZoneKind.FORUM_ROOM, room_name("forum_room", room), room.venue, [room], None)
            for room in forum_rooms
        ]
        plan += [
            (ZoneKind.VIP_LOUNGE, names["vip_lounge"], wiicc, [], 150),
            (ZoneKind.PRESS_CENTRE, names["press_centre"], wiicc, [rooms["wiicc-press"]], 600),
            (ZoneKind.EXPO, names["expo"], wiicc, [], 12000),
            (ZoneKind.BANQUET, names["banquet"], banquet.venue, [banquet], 1500),
        ]
        # The lounge and the banquet hall are let in only up to their places; the other zones'
        # crowding is the command centre's to watch.
        hard_limit = {ZoneKind.VIP_LOUNGE, ZoneKind.BANQUET}
        zones = [
            _checked(
                Zone(
                    summit=summit,
                    name=_text(name),
                    kind=kind,
                    venue=venue,
                    capacity=cap,
                    stop_when_full=kind in hard_limit,
                )
            )
            for kind, name, venue, _rooms, cap in plan
        ]
        Zone.objects.bulk_create(zones)
        Zone.rooms.through.objects.bulk_create(
            Zone.rooms.through(zone_id=zone.pk, room_id=room.pk)
            for zone, (_k, _n, _v, zone_rooms, _c) in zip(zones, plan, strict=True)
            for room in zone_rooms
        )
        self.say("access zones", len(zones))

    # -- institutions ---------------------------------------------------------------------------

    def host_institutions(self) -> None:
        for spec in self.orgs_data["hosts"]:
            org = self.organisation(
                spec["kind"], spec["country"], (spec["zh"], spec["en"]), short=spec["short"]
            )
            self.host_orgs[spec["key"]] = org
        Organisation.objects.bulk_create(self.organisations)
        self.say("host and co-host institutions", len(self.host_orgs))

    def organisation(self, kind: str, country: str, name, short: str = "") -> Organisation:
        """The institution of that English name, made once: speakers share their employers."""
        existing = self.org_by_name.get(name[1])
        if existing is not None:
            return existing
        org = _checked(Organisation(name=_text(name), short_name=short, kind=kind, country=country))
        self.organisations.append(org)
        self.org_by_name[name[1]] = org
        return org

    def employer(self, country: str) -> Organisation:
        """Where a general speaker from ``country`` works."""
        if country == "CN":
            hosts = [org for org in self.host_orgs.values() if org.country == "CN"]
            more = self.orgs_data["china"]
            pick = self.rng.randrange(len(hosts) + len(more))
            if pick < len(hosts):
                return hosts[pick]
            spec = more[pick - len(hosts)]
            return self.organisation(spec["kind"], "CN", (spec["zh"], spec["en"]))
        if self.rng.random() < 0.15:
            international = [
                org for org in self.host_orgs.values() if org.kind == OrganisationKind.INTERNATIONAL
            ]
            more = self.orgs_data["international"]
            pick = self.rng.randrange(len(international) + len(more))
            if pick < len(international):
                return international[pick]
            spec = more[pick - len(international)]
            return self.organisation(
                OrganisationKind.INTERNATIONAL, spec["country"], (spec["zh"], spec["en"])
            )
        listed = self.countries[country].get("orgs")
        if listed:
            kind, zh, en = self.rng.choice(listed)
            return self.organisation(kind, country, (zh, en))
        kinds = list(_TEMPLATE_KIND_WEIGHTS)
        kind = self.rng.choices(kinds, weights=[_TEMPLATE_KIND_WEIGHTS[k] for k in kinds])[0]
        zh_tpl, en_tpl = self.rng.choice(self.orgs_data["templates"][kind])
        with translation.override("zh-hans"):
            zh_country = str(country_names.name(country))
        with translation.override("en"):
            # "Bahamas (The)" and the like: the article is added below where English needs it.
            en_country = re.sub(r"\s*\(.*\)$", "", str(country_names.name(country)))
        of = f"the {en_country}" if country in _WITH_ARTICLE else en_country
        name = (zh_tpl.format(country=zh_country), en_tpl.format(country=en_country, of=of))
        return self.organisation(kind, country, name)

    # -- people ---------------------------------------------------------------------------------

    def person(self, country: str, org: Organisation, position, *, senior: bool) -> _Speaker:
        schemes = self.countries[country]["names"]
        if isinstance(schemes, str):
            schemes = [(schemes, 1)]
        for _attempt in range(20):
            name, latin, _female = self.names.person([tuple(s) for s in schemes])
            if latin not in self.latin_names:
                break
        self.latin_names.add(latin)
        if position is None:
            ranks = self.orgs_data["positions"][org.kind]
            position = self.rng.choice(ranks["senior" if senior else "regular"])
        person = Person(
            name=name,
            name_latin=latin,
            country=country,
            organisation=org,
            position=_text(position),
        )
        speaker = _Speaker(person, self.countries[country]["region"], org.kind)
        self.people.append(speaker)
        return speaker

    def random_country(self) -> str:
        codes = list(self.countries)
        return self.rng.choices(codes, weights=[self.countries[c]["weight"] for c in codes])[0]

    def representative(self, key: str, session: Session) -> _Speaker:
        """Someone speaking for host institution ``key``: the same person across forums, until
        they reach their limit of appearances."""
        for speaker in self.reps[key]:
            if speaker.appearances < MAX_APPEARANCES and session not in speaker.sessions:
                return speaker
        org = self.host_orgs[key]
        country = org.country.code
        # International staff come from anywhere; those based in China are mostly Chinese.
        if org.kind == OrganisationKind.INTERNATIONAL and (
            country != "CN" or self.rng.random() < 0.3
        ):
            country = self.random_country()
        speaker = self.person(country, org, None, senior=True)
        self.reps[key].append(speaker)
        return speaker

    # -- programme ------------------------------------------------------------------------------

    def programme(self, summit: Summit, rooms: dict[str, Room]) -> list[dict]:
        specs = _load("forums")["forums"]
        forums, organisers, sessions = [], [], []
        for spec in specs:
            room = rooms[spec["room"]]
            forum = _checked(
                Forum(
                    summit=summit,
                    slug=spec["slug"],
                    kind=spec["kind"],
                    track=spec["track"],
                    title=_text(spec["title"]),
                    theme=_text(spec["theme"]),
                    description=_text(spec["description"]),
                    room=room,
                    starts_at=self.moment(summit, spec["day"], spec["start"]),
                    ends_at=self.moment(summit, spec["day"], spec["end"]),
                    capacity=spec.get("capacity")
                    or (room.capacity - room.press_seats if room.press_seats else None),
                    languages=spec.get("languages", ["zh-hans", "en"]),
                    is_public=True,
                )
            )
            spec["forum"] = forum
            forums.append(forum)
        Forum.objects.bulk_create(forums)
        for spec in specs:
            forum = spec["forum"]
            keys = [spec["host"], *spec["co_hosts"]]
            organisers += [
                _checked(
                    ForumOrganiser(
                        forum=forum,
                        organisation=self.host_orgs[key],
                        role=OrganiserRole.HOST if index == 0 else OrganiserRole.CO_HOST,
                        order=index,
                    )
                )
                for index, key in enumerate(keys)
            ]
            plan = spec.get("sessions") or self.standard_plan(spec)
            sessions += self.schedule(spec, plan)
        ForumOrganiser.objects.bulk_create(organisers)
        Session.objects.bulk_create(sessions)
        counted = sum(1 for f in forums if f.kind in (ForumKind.SUB_FORUM, ForumKind.MINISTERIAL))
        self.say("forums", f"{len(forums)} ({counted} sub-forums)")
        self.say("hosts and co-hosts", len({o.organisation_id for o in organisers}))
        self.say("sessions", len(sessions))
        return specs

    @staticmethod
    def moment(summit: Summit, day: int, clock: str) -> dt.datetime:
        hour, minute = (int(part) for part in clock.split(":"))
        return dt.datetime.combine(
            summit.start_date + dt.timedelta(days=day),
            dt.time(hour, minute),
            tzinfo=zoneinfo.ZoneInfo(summit.time_zone),
        )

    def standard_plan(self, spec: dict) -> list[dict]:
        """A sub-forum's running order from its topics, releases, signing and panels, fitted to
        its time: opening remarks, keynotes around the releases, a break if time is left,
        signing, panels, perhaps a dialogue, perhaps closing words."""
        forum = spec["forum"]
        window = int((forum.ends_at - forum.starts_at).total_seconds() // 60)
        co_hosts = spec["co_hosts"]
        count = min(len(co_hosts), self.rng.choice([1, 2, 2, 3]))
        opening_speakers = [f"org:{spec['host']}"] + [
            f"org:{key}" for key in self.rng.sample(co_hosts, count)
        ]
        texts = self.texts
        opening = self.item(
            "opening", 15, texts["opening"]["title"], texts["opening"]["abstract"], opening_speakers
        )
        releases = [
            self.item(
                "release",
                10,
                release,
                texts["release"]["abstract"],
                [f"org:{spec['host']}"] + ["pool"] * self.rng.choice([2, 3, 4]),
            )
            for release in spec.get("releases", [])
        ]
        signing = []
        if spec.get("signing"):
            signing = [
                self.item(
                    "signing",
                    10,
                    spec["signing"],
                    texts["signing"]["abstract"],
                    [f"org:{self.rng.choice(co_hosts)}"] + ["pool"] * self.rng.choice([3, 4, 5]),
                )
            ]
        topics = list(spec["topics"])
        self.rng.shuffle(topics)
        # Two panels: the forum's own subjects, or a topic of its list for the second one.
        subjects = [tuple(p) for p in spec.get("panels", [])]
        while len(subjects) < 2:
            subjects.append(tuple(topics.pop()))
        panels = [
            self.item(
                "panel",
                40 if index == 0 else 35,
                _compose(texts["panel"]["title"], {"p": zh}, {"p": en}),
                _compose(texts["panel"]["abstract"], {"p": zh}, {"P": _cap(en)}),
                ["moderator"]
                + ["pool"] * self.rng.choice([5, 6, 6, 7] if index == 0 else [4, 5, 6]),
            )
            for index, (zh, en) in enumerate(subjects)
        ]
        dialogue, dialogue_topic = [], None
        if self.rng.random() < 0.6:
            dialogue_topic = zh, en = topics.pop()
            dialogue = [
                self.item(
                    "dialogue",
                    25,
                    _compose(texts["dialogue"]["title"], {"t": zh}, {"t": en}),
                    _compose(texts["dialogue"]["abstract"], {"t": zh}, {"t": en}),
                    ["moderator", "pool", "pool", "pool"],
                )
            ]
        closing = (
            [
                self.item(
                    "closing",
                    5,
                    texts["closing"]["title"],
                    texts["closing"]["abstract"],
                    [f"org:{spec['host']}"],
                )
            ]
            if self.rng.random() < 0.6
            else []
        )

        def fixed() -> int:
            parts = [opening, *releases, *signing, *panels, *dialogue, *closing]
            return sum(part["minutes"] for part in parts)

        # Keynotes of ten to fifteen minutes take what is left; optional parts give way when
        # fewer than six would fit.
        while window - fixed() < 6 * 10 and (dialogue or closing or len(panels) > 1):
            if dialogue:
                dialogue = []
                topics.append(dialogue_topic)
            elif closing:
                closing.pop()
            else:
                panels.pop()
        left = window - fixed()
        minutes = next((m for m in (15, 12) if left // m >= len(topics)), 10)
        count = min(len(topics), left // minutes)
        keynotes = [self.keynote(topic, spec, minutes) for topic in topics[:count]]
        slack = left - count * minutes
        if panels:
            extra = min(slack, 55 - panels[0]["minutes"])
            panels[0]["minutes"] += extra
            slack -= extra
        half = math.ceil(count / 2)
        brk = [{"break": min(slack, 20)}] if slack >= 10 else []
        return [
            opening,
            *keynotes[:half],
            *releases,
            *keynotes[half:],
            *brk,
            *signing,
            *panels,
            *dialogue,
            *closing,
        ]

    @staticmethod
    def item(kind: str, minutes: int, title, abstract, speakers: list[str]) -> dict:
        return {
            "kind": kind,
            "minutes": minutes,
            "title": list(title),
            "abstract": list(abstract),
            "speakers": speakers,
        }

    def keynote(self, topic, spec: dict, minutes: int) -> dict:
        zh, en = topic
        title = self.rng.choice(self.texts["keynote_titles"])
        abstract = self.rng.choice(self.texts["keynote_abstracts"])
        forum_zh, forum_en = spec["title"]
        return self.item(
            "keynote",
            minutes,
            _compose(title, {"t": zh}, {"t": en, "T": _cap(en)}),
            _compose(abstract, {"t": zh, "forum": forum_zh}, {"t": en, "forum": forum_en}),
            ["pool"],
        )

    def schedule(self, spec: dict, plan: list[dict]) -> list[Session]:
        """One session after the other from the forum's start; every stage place becomes a slot."""
        forum = spec["forum"]
        clock = forum.starts_at
        sessions = []
        for item in plan:
            if "break" in item:
                clock += dt.timedelta(minutes=item["break"])
                continue
            session = _checked(
                Session(
                    forum=forum,
                    title=_text(item["title"]),
                    abstract=_text(item["abstract"]),
                    kind=item["kind"],
                    starts_at=clock,
                    ends_at=clock + dt.timedelta(minutes=item["minutes"]),
                )
            )
            clock = session.ends_at
            sessions.append(session)
            for order, who in enumerate(item["speakers"]):
                role = SpeakerRole.SPEAKER
                if who == "moderator":
                    who, role = "moderator", SpeakerRole.MODERATOR
                elif item["kind"] in (SessionKind.PANEL, SessionKind.DIALOGUE) and who == "pool":
                    role = SpeakerRole.PANELLIST
                self.slots.append(_Slot(session, spec, order, who, role))
        if clock > forum.ends_at:
            raise ValueError(f"The sessions of {spec['slug']} run past the forum's end.")
        return sessions

    # -- casting ----------------------------------------------------------------------------

    def cast(self, forums: list[dict]) -> None:
        """Fill every stage place: representatives of the hosts, the ministers, then a pool of
        speakers from every country, each appearing at least once and at most three times."""
        for spec in forums:
            for minister in spec.get("ministers", []):
                org = minister["org"]
                org = (
                    self.host_orgs[org]
                    if isinstance(org, str)
                    else self.organisation(OrganisationKind.GOVERNMENT, minister["country"], org)
                )
                position = minister.get("position", self.texts["minister"])
                self.ministers[minister["country"]] = self.person(
                    minister["country"], org, position, senior=True
                )
        pool_slots = []
        for slot in self.slots:
            if slot.who.startswith("org:"):
                self.seat(self.representative(slot.who[4:], slot.session), slot)
            elif slot.who.startswith("minister:"):
                self.seat(self.ministers[slot.who[9:]], slot)
            else:
                pool_slots.append(slot)
        pool = self.pool(int(len(pool_slots) * POOL_FILL))
        self.fill(pool_slots, pool)

        for speaker in self.people:
            _checked(speaker.person)
        Organisation.objects.bulk_create([o for o in self.organisations if o.pk is None])
        for speaker in self.people:
            person = speaker.person
            org, position = person.organisation.name.data, person.position.data
            person.biography = _text(
                _compose(
                    self.texts["biography"],
                    {
                        "org": org["zh-hans"],
                        "position": position["zh-hans"],
                        "area": speaker.area[0],
                    },
                    {"org": org["en"], "position": position["en"], "area": speaker.area[1]},
                )
            )
        Person.objects.bulk_create([speaker.person for speaker in self.people])
        appearances = [
            _checked(
                SessionSpeaker(
                    session_id=slot.session.pk,
                    person_id=slot.speaker.person.pk,
                    role=slot.role,
                    order=slot.order,
                )
            )
            for slot in self.slots
        ]
        SessionSpeaker.objects.bulk_create(appearances)
        codes = {speaker.person.country for speaker in self.people}
        self.say("speakers", f"{len(self.people)} from {len(codes)} countries and regions")
        self.say("appearances", len(appearances))
        self.say("institutions in all", len(self.organisations))

    def seat(self, speaker: _Speaker, slot: _Slot) -> None:
        speaker.appearances += 1
        speaker.sessions.add(slot.session)
        if speaker.area is None:
            speaker.area = tuple(slot.forum["area"])
        slot.speaker = speaker

    def pool(self, size: int) -> list[_Speaker]:
        """General speakers: every country at least one, the rest by the countries' weights,
        China taking up the remainder so that the pool has exactly ``size`` people."""
        weights = {code: c["weight"] for code, c in self.countries.items()}
        scale = size / sum(weights.values())
        counts = {code: max(1, round(weight * scale)) for code, weight in weights.items()}
        counts["CN"] += size - sum(counts.values())
        pool = []
        for code, count in counts.items():
            for _ in range(count):
                pool.append(self.person(code, self.employer(code), None, senior=False))
        return pool

    def fill(self, slots: list[_Slot], pool: list[_Speaker]) -> None:
        """Each pool speaker takes at least one place: a place goes to someone new with the
        probability that keeps enough places for everyone still waiting."""
        if len(pool) > len(slots):
            raise ValueError("More pool speakers than places on stage; lower POOL_FILL.")
        order = list(range(len(slots)))
        self.rng.shuffle(order)
        fresh = list(pool)
        used: list[_Speaker] = []
        for done, index in enumerate(order):
            slot = slots[index]
            waiting = len(slots) - done
            take_fresh = fresh and (
                len(fresh) >= waiting or self.rng.random() < len(fresh) / waiting
            )
            candidates = (
                fresh
                if take_fresh
                else [
                    s
                    for s in used
                    if s.appearances < MAX_APPEARANCES and slot.session not in s.sessions
                ]
            )
            if not candidates:
                candidates = fresh
            speaker = self.prefer(candidates, slot)
            if take_fresh or speaker in fresh:
                fresh.remove(speaker)
                used.append(speaker)
            self.seat(speaker, slot)

    def prefer(self, candidates: list[_Speaker], slot: _Slot) -> _Speaker:
        """Chinese speakers often, otherwise mostly people from the regions the forum is about;
        moderators mostly from the media, think tanks and universities."""
        subset = candidates
        if slot.role == SpeakerRole.MODERATOR and self.rng.random() < 0.8:
            subset = [s for s in candidates if s.org_kind in _MODERATOR_KINDS] or candidates
        draw = self.rng.random()
        focus = set(slot.forum.get("focus", []))
        if draw < 0.35:
            preferred = [s for s in subset if s.person.country == "CN"]
        elif draw < 0.85 and focus:
            preferred = [s for s in subset if s.region in focus]
        else:
            preferred = subset
        return self.rng.choice(preferred or subset)

    # -- the 2018 edition, accounts -----------------------------------------------------------

    def earlier_edition(self, summit: Summit, rooms: dict[str, Room]) -> None:
        """The 5th conference: its main events in their rooms and times, hosted as then."""
        spec = self.summit_specs[summit.slug]
        forums = [
            _checked(
                Forum(
                    summit=summit,
                    slug=item["slug"],
                    kind=item["kind"],
                    track=item["track"],
                    title=_text(item["title"]),
                    room=rooms[item["room"]],
                    starts_at=self.moment(summit, item["day"], item["start"]),
                    ends_at=self.moment(summit, item["day"], item["end"]),
                    languages=["zh-hans", "en"],
                    is_public=True,
                )
            )
            for item in spec["forums"]
        ]
        Forum.objects.bulk_create(forums)
        keys = [spec["host"], *spec["co_hosts"]]
        ForumOrganiser.objects.bulk_create(
            _checked(
                ForumOrganiser(
                    forum=forum,
                    organisation=self.host_orgs[key],
                    role=OrganiserRole.HOST if index == 0 else OrganiserRole.CO_HOST,
                    order=index,
                )
            )
            for forum in forums
            for index, key in enumerate(keys)
        )
        self.say("2018 edition", f"{len(forums)} events")

    def accounts(self) -> None:
        users = get_user_model()
        organiser = users.objects.create_user(
            "organiser", email="organiser@example.org", is_staff=True, is_superuser=True
        )
        grant_role(organiser, Role.ORGANISER)
        forum_user = users.objects.create_user("forum", email="forum@example.org")
        grant_role(forum_user, Role.FORUM_ORGANISER)
        Membership.objects.create(
            user=forum_user, organisation=self.host_orgs[FORUM_ACCOUNT_INSTITUTION]
        )
        self.say("accounts", ", ".join(DEMO_ACCOUNTS))


def _app_demos() -> tuple:
    """The apps that add their own part to the demo, in the order they build on each other.
    Imported late: they build on this module's helpers."""
    from huiwu.awards import demo as awards
    from huiwu.checkin import demo as checkin
    from huiwu.command import demo as command
    from huiwu.volunteers import demo as volunteers

    return (checkin, volunteers, awards, command)


def demo_accounts() -> dict[str, str]:
    """Every demo account (user name → what it shows), the apps' own included."""
    accounts = dict(DEMO_ACCOUNTS)
    for app in _app_demos():
        accounts.update(getattr(app, "ACCOUNTS", {}))
    return accounts


def generate(stdout=None) -> Summit:
    """Build the whole demo in an empty, migrated database and return the current summit.

    Deterministic: the same data every run. Writes progress lines to ``stdout`` when given.
    Everything is written in one transaction, so a failure leaves the database empty.
    """
    # Imported here: the guests module builds on this one's helpers.
    from huiwu.demo.guests import register_guests

    # The history of a summit is not live news: nothing goes to the live pages meanwhile.
    with live.muted(), transaction.atomic():
        builder = _DemoBuilder(stdout)
        summit = builder.build()
        register_guests(summit, names=builder.names, say=builder.say)
        for app in _app_demos():
            app.build(summit, names=builder.names, say=builder.say)
        return summit
