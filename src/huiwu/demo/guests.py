"""The demo summit's guests: categories, 2,000 registrations from every country of the programme,
the ministerial delegations, and seats in the forums with their waitlists.

Called by ``generator.generate()`` once the programme exists. Like the rest of the demo it is
written with ``bulk_create`` and draws every choice from its own ``random.Random``, so the same
guests come every time (their secret keys and public ids excepted: those stay random, as
secrets should). Nothing goes through the services, so no e-mail is sent; instead the seats are
given here the way ``services.request_seat`` gives them — in the order guests submitted, confirmed
while the forum has free seats, reserved seats only to the guests they are kept for, the rest
on the waitlist — so no forum is ever over its capacity. Guests have no portrait photo: the
categories do not require one, and thousands of generated images would only fill the disk.
"""

import datetime as dt
import random
import re
import unicodedata
import zoneinfo
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils import translation
from django_countries import countries as country_names

from huiwu.core.i18n import i18n
from huiwu.core.models import ActionLog, Organisation, OrganisationKind, Person
from huiwu.demo.generator import _WITH_ARTICLE, SEED, _checked, _load
from huiwu.demo.names import NameMaker
from huiwu.registration.models import (
    Delegation,
    GuestCategory,
    IdType,
    Participation,
    Registration,
    SeatHold,
    SeatRequest,
    SeatStatus,
    Status,
)
from huiwu.registration.validators import validate_id_number
from huiwu.summit.models import Forum, ForumKind, Summit, Zone, ZoneKind

GUESTS = 2000
GUEST_SEED = SEED + 1
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
CHINESE_WRITING = {"CN", "HK", "MO", "TW"}
# Registration opened two months before the summit and closed five days before it.
OPENS, CLOSES = (
    dt.datetime(2024, 9, 20, 9, tzinfo=SHANGHAI),
    dt.datetime(2024, 11, 15, tzinfo=SHANGHAI),
)


@dataclass(frozen=True)
class _Category:
    code: str
    name: tuple[str, str]
    colour: str
    required: list[str]
    public: bool
    zones: set[str]
    share: int  # guests per thousand
    org_kind: str


_ALL_ROOMS = {ZoneKind.MAIN_HALL, ZoneKind.FORUM_ROOM, ZoneKind.BANQUET}
_VIP = _ALL_ROOMS | {ZoneKind.VIP_LOUNGE}
CATEGORIES = [
    _Category(
        "government",
        ("政府", "Government"),
        "#c8102e",
        ["organisation", "position", "id_document", "travel_dates"],
        False,
        _VIP,
        170,
        OrganisationKind.GOVERNMENT,
    ),
    _Category(
        "international",
        ("国际组织", "International organisation"),
        "#1f4e8c",
        ["organisation", "position", "id_document", "travel_dates"],
        False,
        _VIP,
        70,
        OrganisationKind.INTERNATIONAL,
    ),
    _Category(
        "business",
        ("企业", "Business"),
        "#0b7a75",
        ["organisation", "position", "id_document"],
        True,
        _ALL_ROOMS | {ZoneKind.EXPO},
        310,
        OrganisationKind.COMPANY,
    ),
    _Category(
        "academia",
        ("学术机构", "Academia"),
        "#6b3fa0",
        ["organisation", "id_document"],
        True,
        _ALL_ROOMS | {ZoneKind.EXPO},
        170,
        OrganisationKind.UNIVERSITY,
    ),
    _Category(
        "think-tank",
        ("智库", "Think tank"),
        "#8a5a00",
        ["organisation", "id_document"],
        True,
        _ALL_ROOMS | {ZoneKind.EXPO},
        80,
        OrganisationKind.THINK_TANK,
    ),
    _Category(
        "media",
        ("媒体", "Media"),
        "#e07b00",
        ["organisation", "position", "id_document"],
        True,
        {ZoneKind.MAIN_HALL, ZoneKind.FORUM_ROOM, ZoneKind.PRESS_CENTRE, ZoneKind.EXPO},
        120,
        OrganisationKind.MEDIA,
    ),
    _Category(
        "staff",
        ("工作人员", "Staff"),
        "#4d4d4d",
        ["organisation", "position", "id_document", "phone"],
        False,
        set(ZoneKind.values),
        80,
        OrganisationKind.GOVERNMENT,
    ),
]
STAFF_POSITIONS = [
    ("会务组工作人员", "Conference staff"),
    ("联络官", "Liaison officer"),
    ("志愿者协调员", "Volunteer coordinator"),
    ("礼宾官", "Protocol officer"),
]
STAFF_EMPLOYERS = ["World Internet Conference", "People's Government of Zhejiang Province"]

# How the guests who are not simply approved and on site are spread (the rest are).
PENDING = [
    (Status.APPROVED, Participation.ONLINE, 60),
    (Status.SUBMITTED, Participation.ON_SITE, 50),
    (Status.SUBMITTED, Participation.ONLINE, 10),
    (Status.INFO_REQUESTED, Participation.ON_SITE, 25),
    (Status.REJECTED, Participation.ON_SITE, 12),
    (Status.WITHDRAWN, Participation.ON_SITE, 8),
    (Status.DRAFT, Participation.ON_SITE, 15),
]
REASONS = {
    Status.INFO_REQUESTED: [
        ("请补充您的职务。", "Please add your position in your organisation."),
        (
            "护照号码与证件不符，请核对。",  # noqa: RUF001 (Chinese punctuation)
            "The passport number does not match the document; please check it.",
        ),
        ("请确认您的抵离日期。", "Please confirm your arrival and departure dates."),
    ],
    Status.REJECTED: [
        (
            "同一嘉宾已有另一份报名。",
            "The same guest has registered twice; we keep the other registration.",
        ),
        ("本论坛仅限受邀嘉宾参加。", "This event is for invited guests only."),
    ],
}

# Forums guests flock to: with their rooms, several fill up and keep a waitlist.
POPULARITY = {
    "open-source": 5.5,
    "protecting-minors-online": 4.0,
    "digital-health": 4.0,
    "ai-safety-governance": 3.0,
    "digital-culture": 2.5,
    "embodied-intelligence": 2.5,
    "ai-empowering-industry": 2.0,
}
# Seats kept back: (forum, Chinese label, English label, seats, categories that may use them).
HOLDS = [
    ("ministerial-digital-divide", "部长代表团", "Ministerial delegations", 80, {"delegation"}),
    ("ai-safety-governance", "贵宾", "VIP guests", 30, {"government", "international"}),
    ("ai-empowering-industry", "贵宾", "VIP guests", 20, {"government", "international"}),
    ("international-governance", "贵宾", "VIP guests", 20, {"government", "international"}),
    ("open-source", "媒体", "Press", 15, {"media"}),
    ("digital-culture", "媒体", "Press", 10, {"media"}),
]
DELEGATION_SIZE = (2, 5)  # members besides the minister
TEAM_SIZE = 8


@dataclass
class _Guest:
    registration: Registration
    category: _Category
    delegation_member: bool = False
    forums: list[Forum] = field(default_factory=list)


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    return re.sub(r"[^a-z]+", ".", folded.encode("ascii", "ignore").decode().lower()).strip(".")


class _GuestBuilder:
    def __init__(
        self, summit: Summit, names: NameMaker, say: Callable[[str, object], None]
    ) -> None:
        self.summit = summit
        self.say = say
        self.rng = random.Random(GUEST_SEED)
        # The programme's name maker: its Faker locales are loaded already.
        self.names = names
        self.countries = {c["code"]: c for c in _load("countries")["countries"]}
        unknown = [code for code in self.countries if not country_names.alpha2(code)]
        if unknown:
            raise ValueError(f"countries.json has unknown country codes: {unknown}")
        self.orgs_data = _load("organisations")
        self.ministers_spec = next(
            spec for spec in _load("forums")["forums"] if spec["kind"] == ForumKind.MINISTERIAL
        )["ministers"]
        self.organiser = get_user_model().objects.filter(username="organiser").first()
        self.institutions: dict[tuple[str, str], list[Organisation]] = defaultdict(list)
        for org in Organisation.objects.order_by("id"):
            self.institutions[org.kind, org.country.code].append(org)
        self.by_name = {
            org.name.localize("en"): org for orgs in self.institutions.values() for org in orgs
        }
        self.minister_title = _load("texts")["minister"]
        self.emails: set[str] = set()
        self.guests: list[_Guest] = []

    # -- the whole -------------------------------------------------------------------------------

    def build(self) -> None:
        categories = self.categories()
        delegations = self.delegations(categories)
        self.crowd(categories, GUESTS - len(self.guests))
        self.decide()
        self.guests.sort(
            key=lambda g: (g.registration.submitted_at or CLOSES, g.registration.email)
        )
        registrations = [guest.registration for guest in self.guests]
        for registration in registrations:
            self.check(registration)
        Registration.objects.bulk_create(registrations)
        self.log_decisions()
        statuses = Counter(
            (r.status, r.participation) for r in registrations if r.status != Status.DRAFT
        )
        approved = {r.nationality.code for r in registrations if r.status == Status.APPROVED}
        self.say(
            "guests",
            f"{len(registrations)} from {len({r.nationality.code for r in registrations})} "
            f"countries and regions; approved {statuses[Status.APPROVED, 'on_site']} on site and "
            f"{statuses[Status.APPROVED, 'online']} online from {len(approved)} countries",
        )
        self.say("delegations", f"{len(delegations)} ({len(self.ministers_spec)} ministerial)")
        self.seats()

    def check(self, registration: Registration) -> None:
        """The checks of ``_checked`` and the services' identity-document rule. Nationalities
        were checked once in ``__init__``: django-countries sorts every country name on each
        check, which would take seconds for 2,000 guests."""
        relations = [f.name for f in Registration._meta.fields if f.is_relation]
        registration.full_clean(
            exclude=[*relations, "nationality"], validate_unique=False, validate_constraints=False
        )
        if registration.id_number:
            validate_id_number(registration.id_type, registration.id_number)

    # -- categories and delegations ---------------------------------------------------------------

    def categories(self) -> dict[str, GuestCategory]:
        zones = defaultdict(list)
        for zone in Zone.objects.filter(summit=self.summit).order_by("id"):
            zones[zone.kind].append(zone)
        made = {
            spec.code: _checked(
                GuestCategory(
                    summit=self.summit,
                    code=spec.code,
                    name=i18n(zh_hans=spec.name[0], en=spec.name[1]),
                    badge_colour=spec.colour,
                    required_fields=spec.required,
                    public=spec.public,
                    order=index,
                )
            )
            for index, spec in enumerate(CATEGORIES)
        }
        GuestCategory.objects.bulk_create(made.values())
        GuestCategory.zones.through.objects.bulk_create(
            GuestCategory.zones.through(guestcategory_id=made[spec.code].pk, zone_id=zone.pk)
            for spec in CATEGORIES
            for kind in sorted(spec.zones)
            for zone in zones[kind]
        )
        self.say("guest categories", len(made))
        return made

    def delegations(self, categories: dict[str, GuestCategory]) -> list[Delegation]:
        """A delegation for each country at the ministerial meeting, led by its minister (the
        speaker of the programme), and the team of a Chinese company."""
        government = next(c for c in CATEGORIES if c.code == "government")
        meeting = Forum.objects.get(summit=self.summit, kind=ForumKind.MINISTERIAL)
        speakers = list(
            Person.objects.filter(appearances__session__forum=meeting)
            .select_related("organisation")
            .order_by("id")
            .distinct()
        )
        made = []
        for spec in self.ministers_spec:
            country = spec["country"]
            title = spec.get("position", self.minister_title)[1]
            minister = next(
                p
                for p in speakers
                if p.country.code == country and p.position.localize("en") == title
            )
            delegation = Delegation(
                summit=self.summit, name=f"Delegation of {self.of(country)}", country=country
            )
            made.append(delegation)
            language = self.language(country)
            lead = self.guest(
                categories["government"],
                government,
                country,
                person=(minister.name, minister.name_latin),
                org=minister.organisation,
                organisation=minister.organisation.name.localize(language),
                position=minister.position.localize(language),
            )
            members = [lead] + [
                self.guest(
                    categories["government"],
                    government,
                    country,
                    org=minister.organisation,
                    organisation=lead.registration.organisation_name,
                )
                for _ in range(self.rng.randint(*DELEGATION_SIZE))
            ]
            for member in members:
                member.registration.delegation = delegation
                member.delegation_member = True
                member.forums = [meeting]
        business = next(c for c in CATEGORIES if c.code == "business")
        company = self.institutions[OrganisationKind.COMPANY, "CN"][0]
        team = Delegation(
            summit=self.summit, name=f"{company.name.localize('en')} team", country="CN"
        )
        made.append(team)
        for _ in range(TEAM_SIZE):
            member = self.guest(
                categories["business"],
                business,
                "CN",
                org=company,
                organisation=company.name.localize("zh-hans"),
            )
            member.registration.delegation = team
        # The members point at the delegations, which get their ids here, before the members are
        # written.
        Delegation.objects.bulk_create(made)
        return made

    # -- people ----------------------------------------------------------------------------------

    def crowd(self, categories: dict[str, GuestCategory], count: int) -> None:
        """Guests from every country of the programme, then more by each country's weight."""
        codes = list(self.countries)
        covered = {guest.registration.nationality for guest in self.guests}
        nationalities = [code for code in codes if code not in covered]
        weights = [self.countries[c]["weight"] * (2 if c == "CN" else 1) for c in codes]
        nationalities += self.rng.choices(codes, weights=weights, k=count - len(nationalities))
        shares = [spec.share for spec in CATEGORIES]
        for country in nationalities:
            spec = self.rng.choices(CATEGORIES, weights=shares)[0]
            if spec.code == "staff" and self.rng.random() < 0.85:
                country = "CN"
            self.guest(categories[spec.code], spec, country)

    def guest(
        self,
        category: GuestCategory,
        spec: _Category,
        country: str,
        *,
        person: tuple[str, str] | None = None,
        organisation: str | None = None,
        position: str | None = None,
        org: Organisation | None = None,
    ) -> _Guest:
        language = self.language(country)
        if person is None:
            schemes = self.countries[country]["names"]
            schemes = [(schemes, 1)] if isinstance(schemes, str) else [tuple(s) for s in schemes]
            name, latin, _female = self.names.person(schemes)
        else:
            name, latin = person
        if organisation is None:
            org, organisation = self.employer(spec, country, language)
        if position is None:
            position = self.position(spec, language)
        id_type, id_number = self.id_document(country)
        registration = Registration(
            summit=self.summit,
            category=category,
            status=Status.APPROVED,
            name=name,
            name_latin=latin,
            nationality=country,
            email=self.email(latin),
            phone=f"+86 139 {self.rng.randrange(10**8):08d}" if spec.code == "staff" else "",
            organisation_name=organisation[:200],
            organisation=org,
            position=position,
            id_type=id_type,
            id_number=id_number,
            participation=Participation.ON_SITE,
            language=language,
            face_consent=self.rng.random() < 0.72,
        )
        guest = _Guest(registration, spec)
        self.guests.append(guest)
        return guest

    def email(self, latin: str) -> str:
        local = _ascii(latin) or "guest"
        address, number = f"{local}@example.org", 1
        while address in self.emails:
            number += 1
            address = f"{local}{number}@example.org"
        self.emails.add(address)
        return address

    @staticmethod
    def language(country: str) -> str:
        return "zh-hans" if country in CHINESE_WRITING else "en"

    @staticmethod
    def country_name(code: str, language: str) -> str:
        with translation.override(language):
            # "Bahamas (The)" and the like: English adds the article itself where it needs one.
            return re.sub(r"\s*\(.*\)$", "", str(country_names.name(code)))

    def of(self, code: str) -> str:
        """The country's English name as it follows "of"."""
        name = self.country_name(code, "en")
        return f"the {name}" if code in _WITH_ARTICLE else name

    def employer(self, spec: _Category, country: str, language: str):
        """(institution if it is in the database, its name in the guest's language)."""
        if spec.code == "staff":
            org = self.by_name[self.rng.choice(STAFF_EMPLOYERS)]
            return org, org.name.localize(language)
        if spec.org_kind == OrganisationKind.INTERNATIONAL:
            known = [
                o
                for (kind, _c), orgs in sorted(self.institutions.items())
                if kind == spec.org_kind
                for o in orgs
            ]
            org = self.rng.choice(known)
            return org, org.name.localize(language)
        known = self.institutions.get((spec.org_kind, country), [])
        listed = [
            (zh, en)
            for kind, zh, en in self.countries[country].get("orgs", [])
            if kind == spec.org_kind
        ]
        if country == "CN":
            listed += [
                (o["zh"], o["en"]) for o in self.orgs_data["china"] if o["kind"] == spec.org_kind
            ]
        pick = self.rng.randrange(len(known) + len(listed) + 1)
        if pick < len(known):
            return known[pick], known[pick].name.localize(language)
        if pick < len(known) + len(listed):
            zh, en = listed[pick - len(known)]
            return None, zh if language == "zh-hans" else en
        zh_tpl, en_tpl = self.rng.choice(self.orgs_data["templates"][spec.org_kind])
        if language == "zh-hans":
            return None, zh_tpl.format(country=self.country_name(country, "zh-hans"))
        return None, en_tpl.format(country=self.country_name(country, "en"), of=self.of(country))

    def position(self, spec: _Category, language: str) -> str:
        if spec.code == "staff":
            pair = self.rng.choice(STAFF_POSITIONS)
        else:
            ranks = self.orgs_data["positions"][spec.org_kind]
            pair = self.rng.choice(ranks["senior" if self.rng.random() < 0.2 else "regular"])
        return pair[0] if language == "zh-hans" else pair[1]

    def id_document(self, country: str) -> tuple[str, str]:
        if country == "CN":
            area = self.rng.choice(["110105", "310104", "330106", "330483", "440305", "510107"])
            born = dt.date(1958, 1, 1) + dt.timedelta(days=self.rng.randrange(365 * 42))
            stem = f"{area}{born:%Y%m%d}{self.rng.randrange(1000):03d}"
            for check in "0123456789X":
                try:
                    validate_id_number(IdType.CN_ID, stem + check)
                except ValidationError:
                    continue
                return IdType.CN_ID, stem + check
        if country in {"HK", "MO"}:
            prefix = "H" if country == "HK" else "M"
            return IdType.HK_MO_PERMIT, f"{prefix}{self.rng.randrange(10**8):08d}"
        letter = self.rng.choice("EGKPSN")
        return IdType.PASSPORT, f"{letter}{self.rng.randrange(10**7, 10**8)}"

    # -- decisions ---------------------------------------------------------------------------------

    def decide(self) -> None:
        """When each guest registered, and what the secretariat decided: most approved on site,
        the shares of ``PENDING`` otherwise (never a delegation member or a first guest of a
        country, so that every country of the programme has an approved guest)."""
        first_of_country: set[str] = set()
        free = []
        for guest in self.guests:
            code = guest.registration.nationality
            if guest.delegation_member or code not in first_of_country:
                first_of_country.add(code)
                continue
            free.append(guest)
        plan = [(status, mode) for status, mode, count in PENDING for _ in range(count)]
        for guest, (status, mode) in zip(self.rng.sample(free, len(plan)), plan, strict=True):
            guest.registration.status = status
            guest.registration.participation = mode
        window = (CLOSES - OPENS).total_seconds()
        summit = self.summit
        for guest in self.guests:
            registration = guest.registration
            submitted = OPENS + dt.timedelta(seconds=self.rng.random() * window)
            if registration.participation == Participation.ON_SITE:
                registration.arrival_date = summit.start_date - dt.timedelta(
                    days=self.rng.choice([2, 1, 1, 0])
                )
                registration.departure_date = summit.end_date + dt.timedelta(
                    days=self.rng.choice([0, 0, 1])
                )
            if registration.status == Status.DRAFT:
                registration.face_consent = None
                continue
            registration.submitted_at = submitted
            registration.face_consent_at = submitted
            if registration.status in {Status.SUBMITTED, Status.WITHDRAWN}:
                continue
            registration.decided_at = min(
                submitted + dt.timedelta(hours=self.rng.randrange(4, 140)), CLOSES
            )
            registration.decided_by = self.organiser
            choices = REASONS.get(registration.status)
            if choices:
                zh, en = self.rng.choice(choices)
                registration.decision_reason = zh if registration.language == "zh-hans" else en

    def log_decisions(self) -> None:
        content_type = ContentType.objects.get_for_model(Registration)
        ActionLog.objects.bulk_create(
            ActionLog(
                actor=self.organiser,
                action=f"registration.{guest.registration.status}",
                content_type=content_type,
                object_id=str(guest.registration.pk),
                object_repr=str(guest.registration)[:300],
                data={"reason": guest.registration.decision_reason},
            )
            for guest in self.guests
            if guest.registration.decided_at is not None
        )

    # -- seats -----------------------------------------------------------------------------------

    def seats(self) -> None:
        """Seat requests of the guests on site whose registration is alive, in the order they
        submitted, given as ``services.request_seat`` gives them."""
        forums = list(
            Forum.objects.filter(summit=self.summit)
            .select_related("room")
            .order_by("starts_at", "id")
        )
        by_slug = {forum.slug: forum for forum in forums}
        holds = [
            _checked(SeatHold(forum=by_slug[slug], label=i18n(zh_hans=zh, en=en), seats=seats))
            for slug, zh, en, seats, _who in HOLDS
        ]
        SeatHold.objects.bulk_create(holds)
        held = Counter()
        for hold in holds:
            held[hold.forum_id] += hold.seats
        free = {forum.pk: forum.seats - held[forum.pk] for forum in forums}
        hold_left = {hold.pk: hold.seats for hold in holds}
        holders = {hold.pk: who for hold, (*_spec, who) in zip(holds, HOLDS, strict=True)}
        choosable = [f for f in forums if f.kind == ForumKind.SUB_FORUM]
        weights = [POPULARITY.get(f.slug, 1.0) for f in choosable]
        requests = []
        for guest in self.guests:
            registration = guest.registration
            alive = registration.status in {
                Status.SUBMITTED,
                Status.INFO_REQUESTED,
                Status.APPROVED,
            }
            if not alive or registration.participation != Participation.ON_SITE:
                continue
            if guest.category.code == "staff":
                continue
            chosen = list(guest.forums)
            for forum in self.rng.choices(
                choosable, weights=weights, k=self.rng.choice([1, 2, 2, 3])
            ):
                if all(
                    forum.ends_at <= c.starts_at or c.ends_at <= forum.starts_at for c in chosen
                ):
                    chosen.append(forum)
            for forum in sorted(chosen, key=lambda f: f.pk):
                seat = SeatRequest(
                    registration=registration, forum=forum, status=SeatStatus.WAITLISTED
                )
                who = {"delegation"} if guest.delegation_member else {guest.category.code}
                usable = [
                    h
                    for h in holds
                    if h.forum_id == forum.pk and who & holders[h.pk] and hold_left[h.pk]
                ]
                if usable:
                    seat.hold = usable[0]
                    hold_left[usable[0].pk] -= 1
                elif free[forum.pk] > 0:
                    free[forum.pk] -= 1
                else:
                    requests.append(seat)
                    continue
                seat.status = SeatStatus.CONFIRMED
                seat.confirmed_at = registration.submitted_at
                requests.append(seat)
        SeatRequest.objects.bulk_create(requests)
        statuses = Counter(seat.status for seat in requests)
        full = sum(1 for forum in forums if free[forum.pk] == 0)
        self.say(
            "forum seats",
            f"{statuses[SeatStatus.CONFIRMED]} confirmed, {statuses[SeatStatus.WAITLISTED]} "
            f"waitlisted; {full} forums full, {len(holds)} blocks of reserved seats",
        )


def register_guests(
    summit: Summit, *, names: NameMaker, say: Callable[[str, object], None]
) -> None:
    """Add the demo's guests to ``summit``, whose programme and accounts exist, naming them
    with ``names``; ``say`` gets one progress line per step."""
    _GuestBuilder(summit, names, say).build()
