"""The demo summit: the seeds' figures, valid data, real-looking names, the same every time."""

import hashlib
import io
import itertools
import json
import os
import re
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count

import huiwu.summit
from huiwu.awards.models import Programme
from huiwu.core.figures import summit_figures
from huiwu.core.models import Membership, Organisation, Person
from huiwu.demo import names
from huiwu.demo.generator import DEMO_ACCOUNTS, demo_accounts, generate
from huiwu.registration.models import (
    Delegation,
    GuestCategory,
    Registration,
    SeatHold,
    SeatRequest,
)
from huiwu.registration.services import seats_free
from huiwu.registration.validators import validate_id_number
from huiwu.summit.models import (
    Forum,
    ForumOrganiser,
    Room,
    Series,
    Session,
    SessionSpeaker,
    Summit,
    Venue,
    Zone,
)
from huiwu.volunteers.models import Application, Post, University

BASE_MAP = Path(huiwu.summit.__file__).parent / "static" / "summit" / "wuzhen-base.geojson"
# Scripts a speaker's own name is written in, by country.
SCRIPTS = {
    "CN": "CJK UNIFIED",
    "JP": "CJK UNIFIED",
    "KR": "HANGUL",
    "RU": "CYRILLIC",
    "EG": "ARABIC",
    "SA": "ARABIC",
    "IN": "DEVANAGARI",
    "TH": "THAI",
    "GR": "GREEK",
    "GE": "GEORGIAN",
    "AM": "ARMENIAN",
    "IR": "ARABIC",
    "HK": "CJK UNIFIED",
}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo, generated once for this module and rolled back after its last test."""
    output = io.StringIO()
    with django_db_blocker.unblock(), transaction.atomic():
        summit = generate(stdout=output)
        yield {"summit": summit, "output": output.getvalue()}
        transaction.set_rollback(True)


def letters(text: str) -> list[str]:
    return [char for char in text if char.isalpha()]


def digest() -> str:
    """What a visitor sees of the demo, in creation order, without database ids."""
    parts = []
    for org in Organisation.objects.order_by("id"):
        parts.append((org.name.data, str(org.country), org.kind))
    for person in Person.objects.select_related("organisation").order_by("id"):
        parts.append(
            (person.name, person.name_latin, str(person.country), person.organisation.name.data)
        )
        parts.append((person.position.data, person.biography.data))
    for forum in Forum.objects.select_related("room", "summit").order_by("id"):
        parts.append((forum.summit.slug, forum.slug, forum.title.data, forum.room.name.data))
        parts.append((forum.starts_at.isoformat(), forum.ends_at.isoformat(), forum.capacity))
    for session in Session.objects.order_by("id"):
        parts.append((session.title.data, session.abstract.data, session.kind))
        parts.append((session.starts_at.isoformat(), session.ends_at.isoformat()))
    for appearance in SessionSpeaker.objects.select_related("person", "session").order_by("id"):
        parts.append((appearance.session.title.data, appearance.person.name_latin))
        parts.append((appearance.role, appearance.order))
    for venue in Venue.objects.order_by("id"):
        parts.append((venue.slug, str(venue.latitude), str(venue.longitude), venue.outline))
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def delete_demo() -> None:
    # Guests first: their categories protect them from a cascade through the summit.
    Registration.objects.all().delete()
    # The apps' data next: volunteer posts keep their venue, award decisions their tiers.
    for model in (Programme, Application, Post, University):
        model.objects.all().delete()
    for model in (SessionSpeaker, Session, ForumOrganiser, Forum, Zone, Room, Venue, Summit):
        model.objects.all().delete()
    Series.objects.all().delete()
    Person.objects.all().delete()
    Membership.objects.all().delete()
    Organisation.objects.all().delete()
    get_user_model().objects.all().delete()


@pytest.mark.django_db
def test_demo_reports_its_progress(demo):
    lines = demo["output"].splitlines()
    assert "  forums … 26 (24 sub-forums)" in lines
    assert "  hosts and co-hosts … 93" in lines
    assert "  venues … 7 (rooms 19)" in lines


@pytest.mark.django_db
def test_demo_figures_match_the_seeds(demo):
    figures = summit_figures(demo["summit"])
    assert figures["forums"] == 24
    assert figures["co_organisers"] == 93
    assert figures["countries"] >= 130
    assert 280 <= figures["sessions"] <= 320
    assert 600 <= figures["speakers"] <= 900
    assert figures["venues"] == 7


@pytest.mark.django_db
def test_demo_has_24_sub_forums_besides_the_opening_and_plenary(demo):
    kinds = Counter(Forum.objects.filter(summit=demo["summit"]).values_list("kind", flat=True))
    assert kinds == {"sub_forum": 23, "ministerial": 1, "ceremony": 1, "plenary": 1}
    tracks = Counter(
        Forum.objects.filter(
            summit=demo["summit"], kind__in=["sub_forum", "ministerial"]
        ).values_list("track", flat=True)
    )
    assert tracks == {"development": 6, "technology": 6, "governance": 6, "society": 6}


@pytest.mark.django_db
def test_ministerial_meeting_gathers_ministers_of_15_countries(demo):
    meeting = Forum.objects.get(summit=demo["summit"], kind="ministerial")
    ministers = Person.objects.filter(
        appearances__session__forum=meeting, position__icontains="Minister"
    ).distinct()
    countries = {str(code) for code in ministers.values_list("country", flat=True)}
    assert len(countries) == 15
    assert {"CN", "PG", "CU", "KG", "NI", "TN"} <= countries


@pytest.mark.django_db
def test_every_forum_has_one_host_and_two_to_six_co_hosts(demo):
    for forum in Forum.objects.filter(summit=demo["summit"]):
        roles = Counter(forum.forum_organisers.values_list("role", flat=True))
        assert roles["host"] == 1, forum.slug
        assert 2 <= roles["co_host"] <= 6, forum.slug
    hosts = Organisation.objects.filter(forum_roles__forum__summit=demo["summit"]).distinct()
    assert hosts.count() == 93


@pytest.mark.django_db
def test_no_two_forums_share_a_room_at_the_same_time(demo):
    by_room = defaultdict(list)
    for forum in Forum.objects.filter(summit=demo["summit"]).order_by("starts_at"):
        by_room[forum.room_id].append(forum)
    for forums in by_room.values():
        for earlier, later in itertools.pairwise(forums):
            assert earlier.ends_at <= later.starts_at, (earlier.slug, later.slug)


@pytest.mark.django_db
def test_sessions_follow_one_another_within_their_forum(demo):
    forums = Forum.objects.filter(summit=demo["summit"]).prefetch_related("sessions")
    for forum in forums:
        sessions = sorted(forum.sessions.all(), key=lambda session: session.starts_at)
        assert sessions, forum.slug
        assert sessions[0].starts_at == forum.starts_at
        assert sessions[-1].ends_at <= forum.ends_at
        for earlier, later in itertools.pairwise(sessions):
            assert earlier.ends_at <= later.starts_at, forum.slug


@pytest.mark.django_db
def test_forums_fit_their_rooms_and_the_summit_days(demo):
    summit = demo["summit"]
    for forum in Forum.objects.filter(summit=summit).select_related("room"):
        assert forum.seats <= forum.room.capacity
        assert forum.starts_at.astimezone(summit.tz).date() in summit.days
        assert forum.ends_at.astimezone(summit.tz).date() in summit.days


@pytest.mark.django_db
def test_every_demo_object_passes_its_models_validation(demo):
    querysets = [
        Series.objects.all(),
        Summit.objects.all(),
        Venue.objects.select_related("summit"),
        Room.objects.select_related("venue"),
        Zone.objects.select_related("summit", "venue"),
        Organisation.objects.all(),
        Person.objects.all(),
        Forum.objects.select_related("summit", "room__venue"),
        ForumOrganiser.objects.all(),
        Session.objects.select_related("forum__summit"),
        SessionSpeaker.objects.all(),
    ]
    checked = 0
    for queryset in querysets:
        for obj in queryset:
            obj.full_clean()
            checked += 1
    assert checked > 2000


@pytest.mark.django_db
def test_speakers_appear_one_to_three_times_some_as_moderators(demo):
    counts = Person.objects.annotate(count=Count("appearances")).values_list("count", flat=True)
    assert set(counts) <= {1, 2, 3}
    assert SessionSpeaker.objects.filter(role="moderator").count() >= 40


@pytest.mark.django_db
def test_speakers_names_are_in_their_own_scripts_and_in_latin_letters(demo):
    for person in Person.objects.all():
        assert all("LATIN" in unicodedata.name(c) for c in letters(person.name_latin)), person
        script = SCRIPTS.get(str(person.country))
        if script and person.name != person.name_latin:
            assert all(script in unicodedata.name(c) for c in letters(person.name)) or (
                str(person.country) == "JP"
            ), person
    for code, script in SCRIPTS.items():
        own = Person.objects.filter(country=code).values_list("name", flat=True)
        assert any(all(script in unicodedata.name(c) for c in letters(n)) for n in own), code
    # Latin-script countries keep one spelling.
    assert all(p.name == p.name_latin for p in Person.objects.filter(country__in=["FR", "BR"]))


@pytest.mark.django_db
def test_venues_are_in_wuzhen_with_outlines_around_them(demo):
    venues = Venue.objects.filter(summit=demo["summit"])
    assert {v.slug for v in venues} == {
        "wiicc",
        "banquet",
        "theatre",
        "museum",
        "zhenshui",
        "tongan",
        "zhaoming",
    }
    for venue in venues:
        assert 30.74 < venue.latitude < 30.77 and 120.46 < venue.longitude < 120.50
        ring = venue.outline["coordinates"][0]
        assert ring[0] == ring[-1]
        # Footprints are drawn within a few hundred metres of the venue's point.
        assert all(abs(lon - float(venue.longitude)) < 0.004 for lon, _lat in ring)
        assert all(abs(lat - float(venue.latitude)) < 0.003 for _lon, lat in ring)
    main_hall = Room.objects.get(venue__summit=demo["summit"], name__icontains="Wuzhen Hall")
    assert main_hall.capacity == 2000
    assert main_hall.has_interpretation and main_hall.press_seats > 0


@pytest.mark.django_db
def test_access_zones_cover_halls_forum_rooms_and_services(demo):
    zones = Zone.objects.filter(summit=demo["summit"])
    kinds = Counter(zones.values_list("kind", flat=True))
    forum_rooms = Forum.objects.filter(summit=demo["summit"]).values("room").distinct().count()
    assert kinds == {
        "main_hall": 1,
        "forum_room": forum_rooms - 1,
        "vip_lounge": 1,
        "press_centre": 1,
        "expo": 1,
        "banquet": 1,
    }
    assert zones.get(kind="main_hall").rooms.get().capacity == 2000


@pytest.mark.django_db
def test_series_lists_the_earlier_and_announced_editions(demo):
    summits = Summit.objects.order_by("start_date")
    assert [s.slug for s in summits] == [
        "wuzhen-2018",
        "wuzhen-2024",
        "barcelona-2025",
        "asia-pacific-2025",
        "quanzhou-2025",
    ]
    assert [s.slug for s in summits if s.is_current] == ["wuzhen-2024"]
    assert all(s.is_public for s in summits)
    assert str(summits[0].start_date) == "2018-11-07"
    assert summits[0].venues.count() == 4 and summits[0].forums.count() == 12


@pytest.mark.django_db
def test_demo_accounts_hold_their_roles(demo):
    users = get_user_model().objects
    organiser, forum_user = users.get(username="organiser"), users.get(username="forum")
    assert set(DEMO_ACCOUNTS) == {"organiser", "forum"}
    assert {"volunteer", "office"} <= set(demo_accounts())
    for username in demo_accounts():
        assert users.filter(username=username).exists(), username
    assert organiser.is_staff and organiser.is_superuser
    assert list(organiser.groups.values_list("name", flat=True)) == ["organiser"]
    assert forum_user.is_staff and not forum_user.is_superuser
    assert list(forum_user.groups.values_list("name", flat=True)) == ["forum_organiser"]
    caict = Membership.objects.get(user=forum_user).organisation
    assert caict.short_name == "CAICT"
    hosted = Forum.objects.filter(
        forum_organisers__organisation=caict, forum_organisers__role="host"
    )
    assert sorted(f.title.localize("en") for f in hosted) == [
        "Forum on Computing Power Networks and Intelligent Infrastructure",
        "Industrial Internet Forum",
    ]
    for forum in hosted:
        assert forum.title.localize("en") in DEMO_ACCOUNTS["forum"]
        assert forum_user.has_perm("summit.change_forum", forum)
    other = Forum.objects.get(summit=demo["summit"], slug="digital-health")
    assert not forum_user.has_perm("summit.change_forum", other)


# Building the whole demo again takes minutes on PostgreSQL; whether the generator repeats itself
# does not depend on the database, so the SQLite run checks it.
rebuilds_the_demo = pytest.mark.skipif(
    "HUIWU_DATABASE_URL" in os.environ, reason="rebuilds the demo; checked on SQLite"
)


@rebuilds_the_demo
@pytest.mark.django_db
def test_demo_is_the_same_every_time(demo):
    first = digest()
    delete_demo()
    assert not Person.objects.exists()
    generate()
    assert digest() == first


def test_base_map_is_our_small_geojson_of_wuzhen():
    assert BASE_MAP.stat().st_size < 50_000
    data = json.loads(BASE_MAP.read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection"
    kinds = Counter(feature["properties"]["kind"] for feature in data["features"])
    assert set(kinds) == {"water", "road", "path", "area"}
    for feature in data["features"]:
        assert feature["properties"]["name_zh"] and feature["properties"]["name_en"]
        geometry = feature["geometry"]
        points = (
            geometry["coordinates"][0] if geometry["type"] == "Polygon" else geometry["coordinates"]
        )
        assert all(120.45 < lon < 120.51 and 30.72 < lat < 30.79 for lon, lat in points)


@pytest.mark.parametrize(
    ("convert", "native", "latin"),
    [
        (names.cyrillic_to_latin, "Наталья Морозова", "Natalya Morozova"),
        (lambda text: names.cyrillic_to_latin(text, "sr"), "Немања Ђорђевић", "Nemanja Đorđević"),
        (lambda text: names.cyrillic_to_latin(text, "uk"), "Остап Гайдамака", "Ostap Haidamaka"),
        (names.greek_to_latin, "Χρυσάνθη Μπακογιάννη", "Chrysanthi Bakogianni"),
        (names.georgian_to_latin, "გელა ოქრუაშვილი", "Gela Okruashvili"),
        (names.armenian_to_latin, "Վախթանգ Երկանյան", "Vakhtang Yerkanyan"),
        (names.hangul_to_latin, "민준", "Min-jun"),
        (names.ascii_fold, "Nguyễn Văn Đức", "Nguyen Van Duc"),
    ],
)
def test_names_are_spelled_in_latin_letters_as_in_passports(convert, native, latin):
    assert convert(native) == latin


def test_latin_spelling_of_names_has_no_leftover_script():
    text = names.cyrillic_to_latin("Бат-Эрдэнэ Мөнхбат", "mn")
    assert text == "Bat-Erdene Munkhbat"
    assert re.fullmatch(r"[A-Za-z -]+", text)


# --- Guests ---------------------------------------------------------------------------------------
def guest_digest() -> str:
    """The demo's guests and their seats as organisers see them, without ids and secrets."""
    parts = [
        [
            *(r.name, r.name_latin, r.email, str(r.nationality), r.category.code, r.status),
            *(r.participation, r.id_number, r.organisation_name, r.position, r.face_consent),
            r.submitted_at.isoformat() if r.submitted_at else "",
            r.delegation_id is not None,
        ]
        for r in Registration.objects.select_related("category").order_by("id")
    ]
    parts += [
        (seat.registration.email, seat.forum.slug, seat.status, seat.hold_id is not None)
        for seat in SeatRequest.objects.select_related("registration", "forum").order_by("id")
    ]
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


@pytest.mark.django_db
def test_demo_guests_match_the_figures_of_the_issue(demo):
    figures = summit_figures(demo["summit"])
    assert Registration.objects.filter(summit=demo["summit"]).count() == 2000
    assert figures["guests_on_site"] >= 1800
    assert figures["guest_countries"] >= 130
    assert 0 < figures["guests_online"] < 200
    statuses = Counter(Registration.objects.values_list("status", flat=True))
    assert statuses["approved"] >= 1850
    assert all(statuses[s] > 0 for s in ("submitted", "info_requested", "rejected", "draft"))
    assert "  guest categories … 7" in demo["output"].splitlines()


@pytest.mark.django_db
def test_demo_guest_categories_have_colours_rules_and_zones(demo):
    categories = GuestCategory.objects.filter(summit=demo["summit"]).prefetch_related("zones")
    assert [c.code for c in categories] == [
        "government",
        "international",
        "business",
        "academia",
        "think-tank",
        "media",
        "staff",
    ]
    assert len({c.badge_colour for c in categories}) == 7
    for category in categories:
        category.full_clean()
        assert category.zones.exists() and category.registrations.exists()
        assert category.name.localize("zh-hans") != category.name.localize("en")
    media = categories.get(code="media")
    assert {z.kind for z in media.zones.all()} >= {"press_centre", "main_hall"}
    assert "vip_lounge" not in {z.kind for z in media.zones.all()}


@pytest.mark.django_db
def test_demo_guests_hold_what_their_category_requires(demo):
    fields = {
        "organisation": "organisation_name",
        "position": "position",
        "phone": "phone",
        "id_document": "id_number",
    }
    guests = Registration.objects.exclude(status="draft").select_related("category")
    for guest in guests:
        for required in guest.category.required_fields:
            if required == "travel_dates":
                assert guest.participation == "online" or guest.arrival_date, guest.email
            else:
                assert getattr(guest, fields[required]), (guest.email, required)
        validate_id_number(guest.id_type, guest.id_number)
        assert guest.face_consent is not None and guest.submitted_at is not None
    for guest in guests.order_by("?")[:100]:
        guest.full_clean()


@pytest.mark.django_db
def test_demo_guests_write_in_their_own_language(demo):
    chinese = Registration.objects.filter(nationality="CN")
    assert set(chinese.values_list("language", flat=True)) == {"zh-hans"}
    assert set(chinese.values_list("id_type", flat=True)) == {"cn_id"}
    assert set(
        Registration.objects.filter(nationality="FR").values_list("language", flat=True)
    ) == {"en"}


@pytest.mark.django_db
def test_demo_ministerial_delegations_are_led_by_the_ministers_of_the_programme(demo):
    meeting = Forum.objects.get(summit=demo["summit"], kind="ministerial")
    ministerial = Delegation.objects.filter(summit=demo["summit"], name__startswith="Delegation of")
    assert ministerial.count() == 15
    speakers = set(
        Person.objects.filter(appearances__session__forum=meeting).values_list(
            "name_latin", flat=True
        )
    )
    for delegation in ministerial:
        members = list(delegation.members.all())
        assert 3 <= len(members) <= 6
        assert {str(m.nationality) for m in members} == {str(delegation.country)}
        assert any(m.name_latin in speakers for m in members), delegation.name
        seats = SeatRequest.objects.filter(registration__in=members, forum=meeting)
        assert set(seats.values_list("status", flat=True)) == {"confirmed"}


@pytest.mark.django_db
def test_demo_forums_are_never_over_capacity_and_some_have_waitlists(demo):
    full = 0
    for forum in Forum.objects.filter(summit=demo["summit"]).select_related("room"):
        confirmed = SeatRequest.objects.filter(forum=forum, status="confirmed")
        assert confirmed.count() <= forum.seats, forum.slug
        for hold in SeatHold.objects.filter(forum=forum):
            assert confirmed.filter(hold=hold).count() <= hold.seats
        waiting = SeatRequest.objects.filter(forum=forum, status="waitlisted").exists()
        # A waitlist only where no seat is free: otherwise the guests would have been promoted.
        assert not waiting or seats_free(forum) == 0, forum.slug
        full += waiting
    assert full >= 3
    alive = ["submitted", "info_requested", "approved"]
    assert not SeatRequest.objects.exclude(registration__status__in=alive).exists()
    assert not SeatRequest.objects.filter(registration__participation="online").exists()


@rebuilds_the_demo
@pytest.mark.django_db
def test_demo_guests_are_the_same_every_time_and_no_mail_is_sent(
    demo, django_capture_on_commit_callbacks
):
    first = guest_digest()
    delete_demo()
    assert not Registration.objects.exists()
    # E-mails to guests leave when a transaction commits: none may wait for that.
    with django_capture_on_commit_callbacks() as callbacks:
        generate()
    assert callbacks == []
    assert guest_digest() == first
