"""The programme API: what readers get, what organisers may write, and what is refused."""

import datetime as dt
import json

import pytest
from django.test import Client

from huiwu.core.i18n import i18n
from huiwu.core.models import ActionLog
from huiwu.summit.models import Forum, Session
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    """A client reading English."""
    return Client(headers={"accept-language": "en"})


@pytest.fixture
def organiser_api(api, organiser):
    api.force_login(organiser)
    return api


def post(client, url, payload, **kwargs):
    return client.post(url, json.dumps(payload), content_type="application/json", **kwargs)


def patch(client, url, payload, **kwargs):
    return client.patch(url, json.dumps(payload), content_type="application/json", **kwargs)


def organisation_ref(org, country_name):
    return {
        "id": org.pk,
        "name": org.name.data,
        "short_name": org.short_name,
        "kind": "company",
        "country": {"code": str(org.country.code), "name": country_name},
    }


def room_ref(room):
    return {
        "id": room.pk,
        "name": room.name.data,
        "venue": {"slug": "wiicc", "name": room.venue.name.data},
    }


def hosts_of(forum):
    return [link.organisation for link in forum.forum_organisers.order_by("-role")]


def person_ref(person, country_name):
    return {
        "id": person.pk,
        "name": person.name,
        "name_latin": person.name_latin,
        "country": {"code": str(person.country.code), "name": country_name},
        "position": {"zh-hans": "首席科学家", "en": "Chief Scientist"},
        "organisation": organisation_ref(person.organisation, "China"),
    }


# --- Reading ------------------------------------------------------------------------------------
def test_summits_lists_published_editions_with_their_days(api, programme):
    factories.SummitFactory(slug="hidden", is_public=False)
    hk = factories.SummitFactory(
        slug="asia-pacific-2025",
        name=i18n(zh_hans="亚太峰会", en="Asia-Pacific Summit"),
        city=i18n(zh_hans="香港", en="Hong Kong"),
        start_date=dt.date(2025, 4, 14),
        end_date=dt.date(2025, 4, 15),
        time_zone="Asia/Hong_Kong",
    )

    response = api.get("/api/v1/summits")

    assert response.status_code == 200
    assert response.json()["count"] == 2
    assert [s["slug"] for s in response.json()["items"]] == [programme["summit"].slug, hk.slug]
    assert response.json()["items"][1] == {
        "slug": "asia-pacific-2025",
        "name": {"zh-hans": "亚太峰会", "en": "Asia-Pacific Summit"},
        "theme": {},
        "city": {"zh-hans": "香港", "en": "Hong Kong"},
        "series": {
            "slug": "wic",
            "name": {"zh-hans": "世界互联网大会", "en": "World Internet Conference"},
        },
        "start_date": "2025-04-14",
        "end_date": "2025-04-15",
        "days": ["2025-04-14", "2025-04-15"],
        "time_zone": "Asia/Hong_Kong",
        "is_current": False,
    }


def test_summit_detail_by_slug_and_unknown_or_unpublished_slug_is_404(api, summit):
    factories.SummitFactory(slug="hidden", is_public=False)

    assert api.get(f"/api/v1/summits/{summit.slug}").json()["days"] == [
        "2024-11-20",
        "2024-11-21",
        "2024-11-22",
    ]
    for slug in ("nope", "hidden"):
        response = api.get(f"/api/v1/summits/{slug}")
        assert response.status_code == 404
        assert response.json() == {"detail": f"There is no published summit “{slug}”."}


def test_forum_detail_has_hosts_room_venue_times_languages_seats_and_sessions(api, programme):
    forum = programme["forums"][0]
    forum.capacity = 800
    forum.languages = ["zh-hans", "en", "fr"]
    forum.save()
    host, co_host = hosts_of(forum)
    sessions = list(forum.sessions.order_by("starts_at"))
    speakers = [session.appearances.get().person for session in sessions]

    response = api.get("/api/v1/forums/ai")

    assert response.status_code == 200
    assert response.json() == {
        "slug": "ai",
        "summit": programme["summit"].slug,
        "kind": "sub_forum",
        "track": "technology",
        "title": forum.title.data,
        "theme": {},
        "description": {},
        "room": room_ref(programme["rooms"][0]),
        "day": "2024-11-20",
        "starts_at": "2024-11-20T09:00:00+08:00",
        "ends_at": "2024-11-20T12:00:00+08:00",
        "languages": ["zh-hans", "en", "fr"],
        "seats": 800,
        "hosts": [organisation_ref(host, "China")],
        "co_hosts": [organisation_ref(co_host, "Switzerland")],
        "is_public": True,
        "sessions": [
            {
                "id": session.pk,
                "title": session.title.data,
                "abstract": {},
                "kind": "keynote",
                "starts_at": f"2024-11-20T{9 + index:02d}:00:00+08:00",
                "ends_at": f"2024-11-20T{10 + index:02d}:00:00+08:00",
                "speakers": [{"role": "speaker", "person": person_ref(person, country)}],
            }
            for index, (session, person, country) in enumerate(
                zip(sessions, speakers, ["China", "France", "Brazil"], strict=True)
            )
        ],
    }


def test_country_names_follow_the_accept_language_header(programme):
    zh = Client(headers={"accept-language": "zh-hans"})

    hosts = zh.get("/api/v1/forums/ai").json()["co_hosts"]

    assert hosts[0]["country"] == {"code": "CH", "name": "瑞士"}


def test_forum_list_is_paginated_in_time_order(api, programme):
    first = api.get("/api/v1/forums?limit=1").json()
    second = api.get("/api/v1/forums?limit=1&offset=1").json()

    assert (first["count"], [f["slug"] for f in first["items"]]) == (2, ["ai"])
    assert (second["count"], [f["slug"] for f in second["items"]]) == (2, ["data"])


@pytest.mark.parametrize(
    ("query", "slugs"),
    [
        ("", ["ai", "data", "ceremony"]),
        ("?track=governance", ["ceremony"]),
        ("?kind=sub_forum", ["ai", "data"]),
        ("?day=2024-11-21", ["data", "ceremony"]),
        ("?day=2024-11-20&track=technology", ["ai"]),
        ("?day=2024-11-22", []),
    ],
)
def test_forum_filters(api, programme, query, slugs):
    factories.ForumFactory(
        summit=programme["summit"],
        slug="ceremony",
        kind="ceremony",
        track="governance",
        room=programme["rooms"][0],
        starts_at=factories.at(1, 18),
        ends_at=factories.at(1, 19),
    )
    factories.ForumFactory(
        summit=programme["summit"], room=programme["rooms"][0], slug="draft", is_public=False
    )

    response = api.get(f"/api/v1/forums{query}")

    assert [f["slug"] for f in response.json()["items"]] == slugs


def test_forums_filtered_by_organisation(api, programme):
    other = factories.ForumFactory(
        summit=programme["summit"], room=programme["rooms"][0], slug="other"
    )
    organisation = factories.ForumOrganiserFactory(forum=other).organisation

    response = api.get(f"/api/v1/forums?organisation={organisation.pk}")

    assert [f["slug"] for f in response.json()["items"]] == ["other"]


def test_forums_of_another_summit_by_slug_and_unknown_summit_is_404(api, programme):
    older = factories.SummitFactory(slug="wuzhen-2018", start_date=dt.date(2018, 11, 7))
    factories.ForumFactory(
        summit=older,
        room=factories.RoomFactory(venue__summit=older),
        slug="ai",
        title=i18n(zh_hans="旧", en="Old"),
    )

    response = api.get("/api/v1/forums/ai?summit=wuzhen-2018")
    missing = api.get("/api/v1/forums?summit=nowhere")

    assert response.json()["title"] == {"zh-hans": "旧", "en": "Old"}
    assert response.json()["summit"] == "wuzhen-2018"
    assert missing.status_code == 404
    assert missing.json() == {"detail": "There is no published summit “nowhere”."}


def test_unpublished_or_unknown_forum_is_404_with_a_message(api, programme):
    factories.ForumFactory(
        summit=programme["summit"], room=programme["rooms"][0], slug="draft", is_public=False
    )

    for slug in ("draft", "nope"):
        response = api.get(f"/api/v1/forums/{slug}")
        assert response.status_code == 404
        assert response.json() == {
            "detail": f"There is no published forum “{slug}” in this summit."
        }


def test_session_detail_has_forum_room_and_speakers(api, programme):
    session = programme["forums"][1].sessions.order_by("starts_at").first()
    person = session.appearances.get().person

    response = api.get(f"/api/v1/sessions/{session.pk}")

    assert response.json() == {
        "id": session.pk,
        "title": session.title.data,
        "abstract": {},
        "kind": "keynote",
        "starts_at": "2024-11-21T14:00:00+08:00",
        "ends_at": "2024-11-21T15:00:00+08:00",
        "speakers": [{"role": "speaker", "person": person_ref(person, "China")}],
        "forum": {"slug": "data", "title": programme["forums"][1].title.data},
        "room": room_ref(programme["rooms"][1]),
    }


@pytest.mark.parametrize(
    ("query", "forums"),
    [
        ("", ["ai"] * 3 + ["data"] * 3),
        ("?forum=data", ["data"] * 3),
        ("?day=2024-11-20", ["ai"] * 3),
        ("?forum=ai&day=2024-11-21", []),
    ],
)
def test_session_filters_by_forum_and_day(api, programme, query, forums):
    response = api.get(f"/api/v1/sessions{query}")

    assert response.json()["count"] == len(forums)
    assert [s["forum"]["slug"] for s in response.json()["items"]] == forums


def test_session_filter_by_room(api, programme):
    side = programme["rooms"][1]

    response = api.get(f"/api/v1/sessions?room={side.pk}")

    assert {s["room"]["id"] for s in response.json()["items"]} == {side.pk}
    assert response.json()["count"] == 3


def test_sessions_of_unpublished_forums_are_not_shown(api, programme):
    draft = factories.ForumFactory(
        summit=programme["summit"], room=programme["rooms"][0], slug="draft", is_public=False
    )
    hidden = factories.SessionFactory(forum=draft)

    assert api.get("/api/v1/sessions").json()["count"] == 6
    assert api.get(f"/api/v1/sessions/{hidden.pk}").status_code == 404


@pytest.mark.parametrize(
    ("query", "count"),
    [
        ("", 7),
        ("?q=zhang", 6),
        ("?q=li%20ming", 1),
        ("?q=李", 1),
        ("?country=fr", 2),
        ("?country=CN", 3),
        ("?q=li&country=FR", 0),
    ],
)
def test_speaker_search_by_name_and_country(api, programme, query, count):
    # Besides the programme's six (张/Zhang, from CN, FR, BR in each forum): Li Ming speaks,
    # Li Si does not.
    factories.PersonFactory(name="李四", name_latin="Li Si")
    factories.SessionSpeakerFactory(
        session=programme["forums"][0].sessions.first(),
        person=factories.PersonFactory(name="李明", name_latin="Li Ming", country="CN"),
    )

    response = api.get(f"/api/v1/speakers{query}")

    assert response.json()["count"] == count
    assert len(response.json()["items"]) == count


def test_speaker_detail_lists_their_sessions_with_role(api, programme):
    session = programme["forums"][0].sessions.order_by("starts_at").first()
    link = session.appearances.get()
    person = link.person

    response = api.get(f"/api/v1/speakers/{person.pk}")

    assert response.json() == {
        "speaker": {**person_ref(person, "China"), "biography": {}},
        "sessions": [
            {
                "role": "speaker",
                "session": {
                    "id": session.pk,
                    "title": session.title.data,
                    "kind": "keynote",
                    "starts_at": "2024-11-20T09:00:00+08:00",
                    "ends_at": "2024-11-20T10:00:00+08:00",
                    "forum": {"slug": "ai", "title": programme["forums"][0].title.data},
                    "room": room_ref(programme["rooms"][0]),
                },
            }
        ],
    }


def test_person_who_does_not_speak_is_404(api, programme):
    silent = factories.PersonFactory()

    response = api.get(f"/api/v1/speakers/{silent.pk}")

    assert response.status_code == 404
    assert response.json() == {"detail": f"Nobody with the id {silent.pk} speaks at this summit."}


def test_venues_have_coordinates_outline_and_rooms(api, programme):
    venue = programme["venue"]
    venue.outline = {
        "type": "Polygon",
        "coordinates": [[[120.48, 30.74], [120.49, 30.74], [120.49, 30.75], [120.48, 30.74]]],
    }
    venue.save()
    main, side = programme["rooms"]

    listed = api.get("/api/v1/venues").json()
    detail = api.get("/api/v1/venues/wiicc").json()

    def room(room, seats):
        return {
            "id": room.pk,
            "name": room.name.data,
            "floor": "",
            "capacity": seats,
            "press_seats": 0,
            "has_interpretation": False,
            "has_stream": False,
        }

    assert detail == {
        "slug": "wiicc",
        "name": venue.name.data,
        "kind": "convention_centre",
        "address": {},
        "description": {},
        "latitude": 30.7438,
        "longitude": 120.4868,
        "outline": venue.outline,
        "rooms": [room(main, 1200), room(side, 200)],
    }
    assert listed == {"items": [detail], "count": 1}
    assert api.get("/api/v1/venues/nope").json() == {
        "detail": "There is no venue “nope” in this summit."
    }


def test_rooms_of_the_summit_and_of_one_venue(api, programme):
    other = factories.VenueFactory(summit=programme["summit"], slug="expo")
    expo_hall = factories.RoomFactory(venue=other)
    factories.RoomFactory()  # a room of another summit

    every = api.get("/api/v1/rooms").json()
    expo = api.get("/api/v1/rooms?venue=expo").json()

    assert [r["id"] for r in every["items"]] == [expo_hall.pk] + [r.pk for r in programme["rooms"]]
    assert expo["items"] == [
        {
            "id": expo_hall.pk,
            "name": expo_hall.name.data,
            "floor": "",
            "capacity": 300,
            "press_seats": 0,
            "has_interpretation": False,
            "has_stream": False,
            "venue": {"slug": "expo", "name": other.name.data},
        }
    ]


def test_organisations_with_kind_country_and_forums(api, programme):
    host, co_host = hosts_of(programme["forums"][0])
    factories.OrganisationFactory()  # hosts nothing

    response = api.get("/api/v1/organisations")
    forums = [{"slug": forum.slug, "title": forum.title.data} for forum in programme["forums"]]

    assert response.json() == {
        "count": 2,
        "items": [
            {
                **organisation_ref(host, "China"),
                "website": "",
                "description": {},
                "forums": [{"role": "host", "forum": forum} for forum in forums],
            },
            {
                **organisation_ref(co_host, "Switzerland"),
                "website": "",
                "description": {},
                "forums": [{"role": "co_host", "forum": forum} for forum in forums],
            },
        ],
    }
    assert api.get(f"/api/v1/organisations/{co_host.pk}").json() == response.json()["items"][1]


def test_organisation_hosting_nothing_is_404(api, programme):
    idle = factories.OrganisationFactory()

    response = api.get(f"/api/v1/organisations/{idle.pk}")

    assert response.status_code == 404
    assert response.json() == {
        "detail": f"No institution with the id {idle.pk} hosts a forum of this summit."
    }


PROGRAMME_FIGURES = (
    "summit",
    "countries",
    "forums",
    "events",
    "co_organisers",
    "sessions",
    "speakers",
    "venues",
    "rooms",
)


def test_figures_count_the_programme(api, programme):
    response = api.get("/api/v1/figures")

    # Speakers come from CN, FR and BR, the host (CAC) from CN and the co-host (ITU) from CH.
    figures = response.json()
    # Every app adds its own figures to the programme's.
    assert {
        "guests_registered",
        "guests_checked_in",
        "volunteer_applicants",
        "volunteers_selected",
        "volunteer_universities",
    } <= figures.keys()
    assert {key: figures[key] for key in figures if key in PROGRAMME_FIGURES} == {
        "summit": programme["summit"].slug,
        "countries": 4,
        "forums": 2,
        "events": 2,
        "co_organisers": 2,
        "sessions": 6,
        "speakers": 6,
        "venues": 1,
        "rooms": 2,
    }


def test_figures_leave_out_institutions_of_unpublished_forums(api, programme):
    draft = factories.ForumFactory(
        summit=programme["summit"],
        room=programme["rooms"][1],
        starts_at=factories.at(2, 9),
        ends_at=factories.at(2, 12),
        is_public=False,
    )
    factories.ForumOrganiserFactory(
        forum=draft, organisation=factories.OrganisationFactory(country="KE")
    )

    figures = api.get("/api/v1/figures").json()
    organisations = api.get("/api/v1/organisations").json()

    assert (figures["co_organisers"], figures["countries"], organisations["count"]) == (2, 4, 2)


def test_figures_of_another_summit(api, programme):
    older = factories.SummitFactory(slug="wuzhen-2018", start_date=dt.date(2018, 11, 7))
    factories.ForumFactory(summit=older, room=factories.RoomFactory(venue__summit=older))

    figures = api.get("/api/v1/figures?summit=wuzhen-2018").json()

    assert {key: figures[key] for key in PROGRAMME_FIGURES} == {
        "summit": "wuzhen-2018",
        "countries": 0,
        "forums": 1,
        "events": 1,
        "co_organisers": 0,
        "sessions": 0,
        "speakers": 0,
        "venues": 1,
        "rooms": 1,
    }


@pytest.mark.parametrize(
    ("url", "field", "message"),
    [
        ("/api/v1/forums?day=tomorrow", "day", "Enter a valid date."),
        ("/api/v1/forums?track=poetry", "track", "Select a valid choice."),
        ("/api/v1/forums?limit=0", "limit", "Ensure this value is greater than or equal to 1."),
        ("/api/v1/forums?limit=100000", "limit", "Ensure this value is less than or equal to"),
        ("/api/v1/forums?offset=99999999999999999999999", "offset", "Ensure this value is less"),
        ("/api/v1/sessions?room=abc", "room", "Enter a whole number."),
        ("/api/v1/sessions/abc", "session_id", "Enter a whole number."),
        ("/api/v1/speakers?country=CHN", "country", "Enter a valid value."),
        ("/api/v1/sessions?room=99999999999999999999999", "room", "Ensure this value is less"),
        ("/api/v1/forums?organisation=-1", "organisation", "Ensure this value is greater"),
    ],
)
def test_bad_query_gives_422_with_a_sentence(api, programme, url, field, message):
    response = api.get(url)

    assert response.status_code == 422
    assert response.json()["field"] == field
    assert response.json()["detail"].startswith(message)


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/sessions/99999999999999999999999999", 404),
        ("/api/v1/speakers/99999999999999999999999999", 404),
        ("/api/v1/organisations/9223372036854775808", 404),
    ],
)
def test_huge_ids_find_nothing_rather_than_fail(api, programme, url, status):
    response = api.get(url)

    assert response.status_code == status


# --- Writing forums -----------------------------------------------------------------------------
def new_forum(programme, **overrides):
    payload = {
        "slug": "digital-silk-road",
        "track": "development",
        "title": {"zh-hans": "数字丝路论坛", "en": "Digital Silk Road Forum"},
        "room": programme["rooms"][1].pk,
        "starts_at": "2024-11-21T09:00:00+08:00",
        "ends_at": "2024-11-21T12:00:00+08:00",
    }
    payload.update(overrides)
    return payload


@pytest.fixture
def co_organiser(programme):
    """A user of ITU, which co-hosts both forums of the programme."""
    user = factories.UserFactory(username="itu", roles=["forum_organiser"])
    factories.MembershipFactory(user=user, organisation=hosts_of(programme["forums"][0])[1])
    return user


@pytest.fixture
def outsider(programme):
    """A co-organiser of another forum only."""
    user = factories.UserFactory(username="outsider", roles=["forum_organiser"])
    other = factories.ForumFactory(
        summit=programme["summit"], room=programme["rooms"][0], slug="other"
    )
    link = factories.ForumOrganiserFactory(forum=other)
    factories.MembershipFactory(user=user, organisation=link.organisation)
    return user


def state():
    """What a refused write must leave unchanged."""
    return (
        list(Forum.objects.order_by("id").values()),
        list(Session.objects.order_by("id").values()),
        ActionLog.objects.count(),
    )


def test_organiser_creates_a_forum_with_hosts(organiser_api, programme):
    host, co_host = factories.OrganisationFactory(), factories.OrganisationFactory()

    response = post(
        organiser_api,
        "/api/v1/forums",
        new_forum(
            programme,
            capacity=150,
            languages=["zh-hans", "en", "ar"],
            starts_at="2024-11-21T09:00:00",  # no offset: the summit's time zone
            hosts=[host.pk],
            co_hosts=[co_host.pk],
        ),
    )

    assert response.status_code == 201, response.json()
    assert response.json() == {
        "slug": "digital-silk-road",
        "summit": programme["summit"].slug,
        "kind": "sub_forum",
        "track": "development",
        "title": {"zh-hans": "数字丝路论坛", "en": "Digital Silk Road Forum"},
        "theme": {},
        "description": {},
        "room": room_ref(programme["rooms"][1]),
        "day": "2024-11-21",
        "starts_at": "2024-11-21T09:00:00+08:00",
        "ends_at": "2024-11-21T12:00:00+08:00",
        "languages": ["zh-hans", "en", "ar"],
        "seats": 150,
        "hosts": [organisation_ref(host, "China")],
        "co_hosts": [organisation_ref(co_host, "China")],
        "is_public": True,
        "sessions": [],
    }
    forum = Forum.objects.get(slug="digital-silk-road")
    assert forum.starts_at == factories.at(1, 9)
    assert list(ActionLog.objects.values_list("action", "actor__username")) == [
        ("forum.created", "organiser")
    ]


def test_organiser_updates_a_forum(organiser_api, programme):
    response = patch(
        organiser_api,
        "/api/v1/forums/ai",
        {
            "title": {"zh-hans": "人工智能治理论坛", "en": "AI Governance Forum"},
            "capacity": 1000,
            "ends_at": "2024-11-20T12:30:00+08:00",
        },
    )

    assert response.status_code == 200, response.json()
    assert (response.json()["seats"], response.json()["ends_at"]) == (
        1000,
        "2024-11-20T12:30:00+08:00",
    )
    forum = Forum.objects.get(slug="ai")
    assert (forum.title.data, forum.capacity, forum.ends_at) == (
        {"zh-hans": "人工智能治理论坛", "en": "AI Governance Forum"},
        1000,
        factories.at(0, 12, 30),
    )
    assert len(hosts_of(forum)) == 2  # hosts and co-hosts untouched


def test_organiser_replaces_co_hosts_and_keeps_hosts(organiser_api, programme):
    forum = programme["forums"][0]
    host = hosts_of(forum)[0]
    new_co_host = factories.OrganisationFactory()

    response = patch(organiser_api, "/api/v1/forums/ai", {"co_hosts": [new_co_host.pk]})

    assert response.status_code == 200
    assert hosts_of(forum) == [host, new_co_host]


def test_co_organiser_updates_their_own_forum(api, programme, co_organiser):
    api.force_login(co_organiser)

    response = patch(api, "/api/v1/forums/ai", {"theme": {"zh-hans": "主题", "en": "Theme"}})

    assert response.status_code == 200
    assert Forum.objects.get(slug="ai").theme.data == {"zh-hans": "主题", "en": "Theme"}


def test_co_organiser_of_another_forum_is_forbidden(api, programme, outsider):
    api.force_login(outsider)
    before = state()

    response = patch(api, "/api/v1/forums/ai", {"capacity": 10})

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only the secretariat and the forum's hosts and co-hosts can change it."
    }
    assert state() == before


def test_co_organiser_may_neither_create_forums_nor_change_hosts_or_publish(
    api, programme, co_organiser
):
    api.force_login(co_organiser)
    before = state()

    created = post(api, "/api/v1/forums", new_forum(programme))
    mine = co_organiser.memberships.get().organisation_id
    hosts = patch(api, "/api/v1/forums/ai", {"hosts": [mine]})
    hidden = patch(api, "/api/v1/forums/ai", {"is_public": False})

    only_the_secretariat = "Only the secretariat can change these fields of a forum:"
    assert [(r.status_code, r.json()) for r in (created, hosts, hidden)] == [
        (403, {"detail": "Only the secretariat can create forums."}),
        (403, {"detail": f"{only_the_secretariat} host institutions."}),
        (403, {"detail": f"{only_the_secretariat} published."}),
    ]
    assert state() == before


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"room": "side"}, "room"),
        ({"starts_at": "2024-11-20T08:00:00+08:00"}, "starts at"),
        ({"capacity": 100}, "seats"),
        ({"slug": "ai-2"}, "short name in addresses"),
        ({"kind": "plenary", "track": "society"}, "type, track"),
        ({"co_hosts": []}, "co-host institutions"),
    ],
)
def test_co_organiser_may_not_change_what_the_secretariat_decides(
    api, programme, co_organiser, change, fields
):
    api.force_login(co_organiser)
    if change.get("room") == "side":
        change["room"] = programme["rooms"][1].pk
    before = state()

    response = patch(api, "/api/v1/forums/ai", change)

    assert (response.status_code, response.json()) == (
        403,
        {"detail": f"Only the secretariat can change these fields of a forum: {fields}."},
    )
    assert state() == before


def test_co_organiser_may_send_back_what_it_may_not_change(api, programme, co_organiser):
    api.force_login(co_organiser)
    forum = programme["forums"][0]
    hosts = [org.pk for org in forum.hosts()]
    co_hosts = [org.pk for org in forum.co_hosts()]

    response = patch(
        api,
        "/api/v1/forums/ai",
        {
            "slug": "ai",
            "room": forum.room.pk,
            "starts_at": "2024-11-20T09:00:00+08:00",
            "hosts": hosts,
            "co_hosts": co_hosts,
            "is_public": True,
            "description": {"zh-hans": "介绍", "en": "About"},
        },
    )

    assert response.status_code == 200, response.json()
    assert ActionLog.objects.get().data == {
        "changes": {"description": [{}, {"zh-hans": "介绍", "en": "About"}]}
    }


def test_an_empty_list_of_co_hosts_removes_them_and_null_keeps_them(organiser_api, programme):
    kept = patch(organiser_api, "/api/v1/forums/data", {"co_hosts": None})
    cleared = patch(organiser_api, "/api/v1/forums/ai", {"co_hosts": []})

    assert [len(r.json()["co_hosts"]) for r in (kept, cleared)] == [1, 0]
    assert [len(forum.co_hosts()) for forum in programme["forums"]] == [0, 1]


def test_an_empty_list_of_hosts_is_refused(organiser_api, programme):
    before = state()
    organisers = list(programme["forums"][0].forum_organisers.values_list("organisation", "role"))

    response = patch(organiser_api, "/api/v1/forums/ai", {"hosts": []})

    assert (response.status_code, response.json()) == (
        422,
        {
            "detail": "A forum needs at least one host institution; name one.",
            "field": "hosts",
        },
    )
    assert state() == before
    assert (
        list(programme["forums"][0].forum_organisers.values_list("organisation", "role"))
        == organisers
    )


def test_moving_a_forum_away_from_its_sessions_is_refused(organiser_api, programme):
    before = state()

    response = patch(
        organiser_api,
        "/api/v1/forums/ai",
        {"starts_at": "2024-11-20T14:00:00+08:00", "ends_at": "2024-11-20T17:00:00+08:00"},
    )

    assert (response.status_code, response.json()["field"]) == (422, "starts_at")
    assert response.json()["detail"].startswith(
        "3 sessions of this forum would lie outside the new time; move them first"
    )
    assert state() == before


def test_a_forum_in_a_booked_room_is_refused(organiser_api, programme):
    before = state()

    response = post(
        organiser_api,
        "/api/v1/forums",
        new_forum(
            programme,
            room=programme["rooms"][0].pk,
            starts_at="2024-11-20T10:00:00+08:00",
            ends_at="2024-11-20T11:00:00+08:00",
        ),
    )

    assert (response.status_code, response.json()["field"]) == (422, "room")
    assert response.json()["detail"].startswith("The room is booked for “AI Forum")
    assert state() == before


def test_a_forum_without_a_room_is_refused(organiser_api, programme):
    before = state()

    response = patch(organiser_api, "/api/v1/forums/ai", {"room": None})

    assert (response.status_code, response.json()["field"]) == (422, "room")
    assert state() == before


def test_an_empty_list_of_speakers_removes_them(organiser_api, programme):
    session = programme["forums"][0].sessions.first()

    response = patch(organiser_api, f"/api/v1/sessions/{session.pk}", {"speakers": []})

    assert (response.status_code, response.json()["speakers"]) == (200, [])
    assert ActionLog.objects.get().data["changes"]["speakers"][1] == []


def test_anonymous_writes_need_a_login(api, programme):
    before = state()
    session = Session.objects.first()

    responses = [
        post(api, "/api/v1/forums", new_forum(programme)),
        patch(api, "/api/v1/forums/ai", {"capacity": 10}),
        post(api, "/api/v1/sessions", {"forum": "ai"}),
        patch(api, f"/api/v1/sessions/{session.pk}", {"kind": "panel"}),
    ]

    assert [(r.status_code, r.json()) for r in responses] == [
        (401, {"detail": "Log in to do this."})
    ] * 4
    assert state() == before


def test_patch_of_unknown_forum_is_404(organiser_api, programme):
    response = patch(organiser_api, "/api/v1/forums/nope", {"capacity": 10})

    assert response.status_code == 404
    assert response.json() == {"detail": "There is no forum “nope” in this summit."}


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"ends_at": "2024-11-21T08:00:00+08:00"},
            "ends_at",
            "A forum must end after it starts.",
        ),
        (
            {"starts_at": "2024-12-01T09:00:00+08:00", "ends_at": "2024-12-01T10:00:00+08:00"},
            "starts_at",
            "A forum must take place on the summit's days, from 2024-11-20 to 2024-11-22.",
        ),
        ({"capacity": 201}, "capacity", "The room Hall"),
        ({"capacity": 10**30}, "capacity", "Ensure this value is less than or equal to"),
        (
            {"languages": ["zh-hans", "klingon"]},
            "languages",
            "Unknown language code: klingon. Use codes such as zh-hans, en, fr, ar, ru, es.",
        ),
        (
            {"title": {"zh-hans": "只有中文"}},
            "title",
            "Please fill in this text in every required language (missing: English).",
        ),
        (
            {"title": {"en": "English only", "zh-hans": "  "}},
            "title",
            "Please fill in this text in every required language (missing: 简体中文).",
        ),
        (
            {"title": {"zh-hans": "论坛", "en": "Forum", "xx": "?"}},
            "title",
            "Unknown language code: xx.",
        ),
        ({"room": 999999}, "room", "There is no room with the id 999999; see /api/v1/rooms."),
        ({"room": 10**30}, "room", "Ensure this value is less than or equal to"),
        ({"summit": "nowhere"}, "summit", "There is no summit “nowhere”"),
        (
            {"hosts": [999999]},
            "hosts",
            "No institution has the id 999999; see /api/v1/organisations.",
        ),
        (
            {"slug": "ai"},
            "slug",
            "Another forum of this summit already uses the short name “ai”; choose another.",
        ),
        ({"slug": "not a slug!"}, "slug", "Enter a valid “slug”"),
        ({"starts_at": "tomorrow"}, "starts_at", "Enter a valid date/time."),
        ({"capacity": "many"}, "capacity", "Enter a whole number."),
        ({"capacity": 12.5}, "capacity", "Enter a whole number."),
        ({"track": "poetry"}, "track", "Select a valid choice."),
        ({"languages": "en"}, "languages", "Enter a list of values."),
        ({"title": "Forum"}, "title", 'Give the text per language, as in {"zh-hans": "…"'),
        ({"title": None}, "title", "Give the text per language"),
        ({"title": {"zh-hans": "论坛", "en": 5}}, "title.en", "Enter text."),
        ({"languages": [1]}, "languages.0", "Enter text."),
        ({"colour": "red"}, "colour", "This field is not known"),
    ],
)
def test_bad_forum_is_refused_with_422_and_changes_nothing(
    organiser_api, programme, overrides, field, message
):
    before = state()

    response = post(organiser_api, "/api/v1/forums", new_forum(programme, **overrides))

    assert response.status_code == 422, response.json()
    assert response.json()["field"] == field
    assert response.json()["detail"].startswith(message), response.json()
    assert state() == before


def test_missing_fields_are_listed(organiser_api, programme):
    response = post(organiser_api, "/api/v1/forums", {"slug": "x"})

    assert response.status_code == 422
    assert response.json() == {
        "detail": "This field is required.",
        "field": "track",
        "errors": [
            {"field": name, "message": "This field is required."}
            for name in ("track", "title", "room", "starts_at", "ends_at")
        ],
    }


def test_bad_update_is_refused_and_changes_nothing(organiser_api, programme):
    other_summit_room = factories.RoomFactory()
    host = hosts_of(programme["forums"][0])[0]
    before = state()

    responses = [
        patch(organiser_api, "/api/v1/forums/ai", {"ends_at": "2024-11-20T08:00:00+08:00"}),
        patch(organiser_api, "/api/v1/forums/ai", {"room": other_summit_room.pk}),
        patch(organiser_api, "/api/v1/forums/ai", {"title": None}),
        patch(organiser_api, "/api/v1/forums/ai", {"co_hosts": [host.pk]}),
    ]

    assert [(r.status_code, r.json()["field"]) for r in responses] == [
        (422, "ends_at"),
        (422, "room"),
        (422, "title"),
        (422, "co_hosts"),
    ]
    assert responses[1].json()["detail"] == "The room belongs to another summit."
    assert state() == before


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ('{"slug": "x",', 400, "Enter a valid JSON."),
        ("not json at all", 400, "Enter a valid JSON."),
        ("\x00\xff", 400, "Enter a valid JSON."),
        ("", 422, "Send the fields as a JSON object."),
        ("[1, 2, 3]", 422, "Send the fields as a JSON object."),
        ('"just a string"', 422, "Send the fields as a JSON object."),
    ],
)
def test_malformed_body_is_refused_and_changes_nothing(
    organiser_api, programme, body, status, detail
):
    before = state()

    response = organiser_api.post("/api/v1/forums", body, content_type="application/json")

    assert response.status_code == status
    assert response.json()["detail"] == detail
    assert state() == before


# --- Writing sessions ---------------------------------------------------------------------------
def new_session(**overrides):
    payload = {
        "forum": "ai",
        "title": {"zh-hans": "圆桌对话", "en": "Round table"},
        "kind": "panel",
        "starts_at": "2024-11-20T11:00:00+08:00",
        "ends_at": "2024-11-20T12:00:00+08:00",
    }
    payload.update(overrides)
    return payload


def test_organiser_adds_a_session_with_speakers(organiser_api, programme):
    moderator, panellist = factories.PersonFactory(country="KE"), factories.PersonFactory()

    response = post(
        organiser_api,
        "/api/v1/sessions",
        new_session(
            speakers=[
                {"person": moderator.pk, "role": "moderator"},
                {"person": panellist.pk, "role": "panellist"},
            ]
        ),
    )

    assert response.status_code == 201, response.json()
    session = Session.objects.get(title__contains="Round table")
    assert response.json() == {
        "id": session.pk,
        "title": {"zh-hans": "圆桌对话", "en": "Round table"},
        "abstract": {},
        "kind": "panel",
        "starts_at": "2024-11-20T11:00:00+08:00",
        "ends_at": "2024-11-20T12:00:00+08:00",
        "speakers": [
            {"role": "moderator", "person": person_ref(moderator, "Kenya")},
            {"role": "panellist", "person": person_ref(panellist, "China")},
        ],
        "forum": {"slug": "ai", "title": programme["forums"][0].title.data},
        "room": room_ref(programme["rooms"][0]),
    }
    assert ActionLog.objects.get().action == "session.created"


def test_co_organiser_adds_and_changes_sessions_of_their_forum(api, programme, co_organiser):
    api.force_login(co_organiser)
    session = programme["forums"][1].sessions.first()

    created = post(api, "/api/v1/sessions", new_session())
    changed = patch(api, f"/api/v1/sessions/{session.pk}", {"kind": "dialogue"})

    assert (created.status_code, changed.status_code) == (201, 200)
    assert Session.objects.get(pk=session.pk).kind == "dialogue"


def test_co_organiser_of_another_forum_may_not_touch_its_sessions(api, programme, outsider):
    api.force_login(outsider)
    session = programme["forums"][0].sessions.first()
    before = state()

    created = post(api, "/api/v1/sessions", new_session())
    changed = patch(api, f"/api/v1/sessions/{session.pk}", {"kind": "dialogue"})

    assert [(r.status_code, r.json()) for r in (created, changed)] == [
        (403, {"detail": "Only the secretariat and the forum's hosts and co-hosts can change it."})
    ] * 2
    assert state() == before


def test_organiser_replaces_the_speakers_of_a_session(organiser_api, programme):
    session = programme["forums"][0].sessions.first()
    person = factories.PersonFactory()

    response = patch(
        organiser_api, f"/api/v1/sessions/{session.pk}", {"speakers": [{"person": person.pk}]}
    )

    assert response.status_code == 200
    assert [(a.person, a.role) for a in session.appearances.all()] == [(person, "speaker")]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"ends_at": "2024-11-20T13:00:00+08:00"},
            "starts_at",
            "A session must lie within its forum's time, 2024-11-20 09:00 to 12:00.",
        ),
        ({"ends_at": "2024-11-20T10:00:00+08:00"}, "ends_at", "A session must end after it"),
        ({"forum": "nope"}, "forum", "There is no forum “nope” in this summit."),
        ({"summit": "nowhere"}, "summit", "There is no summit “nowhere”"),
        (
            {"speakers": [{"person": 999999}]},
            "speakers",
            "No person has the id 999999; see /api/v1/speakers.",
        ),
        ({"speakers": [{"person": "x"}]}, "speakers.0.person", "Enter a whole number."),
        ({"title": {"en": "Round table"}}, "title", "Please fill in this text in every"),
        ({"kind": "song"}, "kind", "Select a valid choice."),
    ],
)
def test_bad_session_is_refused_with_422_and_changes_nothing(
    organiser_api, programme, overrides, field, message
):
    before = state()

    response = post(organiser_api, "/api/v1/sessions", new_session(**overrides))

    assert response.status_code == 422, response.json()
    assert response.json()["field"] == field
    assert response.json()["detail"].startswith(message)
    assert state() == before


def test_same_speaker_twice_is_refused(organiser_api, programme):
    person = factories.PersonFactory()
    before = state()

    response = post(
        organiser_api,
        "/api/v1/sessions",
        new_session(speakers=[{"person": person.pk}, {"person": person.pk, "role": "moderator"}]),
    )

    assert (response.status_code, response.json()) == (
        422,
        {"detail": "Name each speaker of a session once.", "field": "speakers"},
    )
    assert state() == before


def test_patch_of_unknown_session_is_404(organiser_api, programme):
    response = patch(organiser_api, "/api/v1/sessions/999999", {"kind": "panel"})

    assert (response.status_code, response.json()) == (
        404,
        {"detail": "There is no session with the id 999999."},
    )
