"""The public pages of the programme, in both languages."""

import datetime as dt
import re
from html import unescape

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation
from icalendar import Calendar

from huiwu.core.i18n import i18n, localized
from huiwu.core.views import server_error
from huiwu.summit.models import Forum, Session
from tests import factories

pytestmark = pytest.mark.django_db

LANGUAGES = ["zh-hans", "en"]
OTHER = {"zh-hans": "en", "en": "zh-hans"}


def url(name: str, language: str, **kwargs) -> str:
    with translation.override(language):
        return reverse(f"summit:{name}", kwargs=kwargs or None)


def text(response) -> str:
    return unescape(response.content.decode())


def switcher_targets(response) -> list[str]:
    """Where the language switcher's forms send the visitor."""
    html = response.content.decode()
    forms = re.findall(r'<form action="/i18n/setlang/".*?</form>', html, flags=re.S)
    return [unescape(re.search(r'name="next" value="([^"]*)"', form)[1]) for form in forms]


def public_pages(programme) -> list[tuple[str, dict]]:
    speaker = programme["forums"][0].sessions.first().speakers.first()
    return [
        ("home", {}),
        ("forums", {}),
        ("forum", {"slug": "ai"}),
        ("agenda", {}),
        ("speakers", {}),
        ("speaker", {"pk": speaker.pk}),
        ("venues", {}),
        ("venue", {"slug": "wiicc"}),
        ("editions", {}),
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_renders_in_the_language_of_its_address(client, programme, language):
    summit_name = localized(programme["summit"].name, language)

    for name, kwargs in public_pages(programme):
        response = client.get(url(name, language, **kwargs))

        assert response.status_code == 200, name
        body = text(response)
        assert f'<html lang="{language}">' in body, name
        assert summit_name in body, name


@pytest.mark.parametrize("language", LANGUAGES)
def test_pages_show_the_programme_in_the_language_of_the_address(client, programme, language):
    forum = programme["forums"][0]
    session = forum.sessions.first()
    speaker = session.speakers.first()
    host = forum.forum_organisers.get(role="host").organisation
    expectations = {
        url("forums", language): [localized(forum.title, language), localized(host.name, language)],
        url("forum", language, slug="ai"): [
            localized(session.title, language),
            speaker.display_name(language),
            localized(host.name, language),
            localized(programme["venue"].name, language),
            url("forum_ics", language, slug="ai"),
        ],
        url("agenda", language): [localized(forum.title, language), url("agenda_ics", language)],
        url("speaker", language, pk=speaker.pk): [
            speaker.name,
            speaker.name_latin,
            localized(session.title, language),
            localized(forum.title, language),
        ],
        url("venue", language, slug="wiicc"): [
            localized(programme["rooms"][0].name, language),
            localized(forum.title, language),
        ],
    }
    for address, expected in expectations.items():
        body = text(client.get(address))
        for fragment in expected:
            assert fragment in body, (address, fragment)


@pytest.mark.parametrize("language", LANGUAGES)
def test_language_switcher_points_to_the_same_page_in_the_other_language(
    client, programme, language
):
    other = OTHER[language]
    for name, kwargs in public_pages(programme):
        response = client.get(url(name, language, **kwargs))

        assert switcher_targets(response) == [url(name, other, **kwargs)], name


def test_language_switcher_keeps_the_filters_of_the_page(client, programme):
    response = client.get("/en/forums/?track=technology&day=2024-11-20")

    assert switcher_targets(response) == ["/zh-hans/forums/?track=technology&day=2024-11-20"]


def test_switching_language_remembers_the_choice_and_opens_the_same_page(client, programme):
    response = client.post(
        "/i18n/setlang/", {"language": "en", "next": "/en/forums/ai/"}, HTTP_REFERER="/zh-hans/"
    )

    assert response.status_code == 302
    assert response["Location"] == "/en/forums/ai/"
    assert client.cookies["django_language"].value == "en"
    assert client.get("/").headers["Location"] == "/en/"


@pytest.mark.parametrize(
    ("accept_language", "home"), [("zh-CN,zh;q=0.9", "/zh-hans/"), ("en-GB,en;q=0.8", "/en/")]
)
def test_root_sends_the_visitor_to_the_browsers_language(client, summit, accept_language, home):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=accept_language)

    assert response.status_code == 302
    assert response["Location"] == home


def test_home_shows_the_summit_and_its_figures(client, programme):
    response = client.get("/en/")

    assert [value for value, _label in response.context["figures"]] == [2, 2, 4, 6, 6, 1]
    body = text(response)
    assert "20\N{EN DASH}22 November 2024" in body
    assert "Wuzhen" in body


def test_home_during_the_summit_shows_what_comes_next(client, db):
    today = timezone.localdate(timezone=factories.SHANGHAI)
    summit = factories.SummitFactory(
        is_current=True, start_date=today, end_date=today + dt.timedelta(days=2)
    )
    room = factories.RoomFactory(venue=factories.VenueFactory(summit=summit))
    moments = [
        dt.datetime.combine(today + dt.timedelta(days=day), dt.time(9), factories.SHANGHAI)
        for day in (2, 1)
    ]
    later, sooner = (
        factories.ForumFactory(
            summit=summit, room=room, starts_at=moment, ends_at=moment + dt.timedelta(hours=2)
        )
        for moment in moments
    )

    response = client.get("/en/")

    assert response.context["highlights_are_next"] is True
    assert response.context["highlights"] == [sooner, later]
    assert "Coming up" in text(response)


def test_home_dates_follow_the_language(client, programme):
    assert "2024年11月20日至22日" in text(client.get("/zh-hans/"))
    assert "11月20日 星期三" in text(client.get("/zh-hans/agenda/"))
    assert "Wed 20 Nov" in text(client.get("/en/agenda/"))


def test_home_without_a_summit_welcomes_the_visitor(client, db):
    response = client.get("/en/")

    assert response.status_code == 200
    assert "No summit has been published yet." in text(response)


def test_times_are_shown_in_the_summits_time_zone(client, programme, settings):
    settings.TIME_ZONE = "UTC"

    body = text(client.get("/en/forums/ai/"))

    assert "09:00\N{EN DASH}12:00" in body


def test_forum_list_filters_by_track_and_day(client, programme):
    data = programme["forums"][1]
    Forum.objects.filter(pk=data.pk).update(track="governance")

    by_track = client.get("/en/forums/?track=governance")
    by_day = client.get("/en/forums/?day=2024-11-20")

    assert [f.slug for _day, forums in by_track.context["by_day"] for f in forums] == ["data"]
    assert [f.slug for _day, forums in by_day.context["by_day"] for f in forums] == ["ai"]


@pytest.mark.parametrize(
    "query", ["?track=nonsense", "?day=not-a-day", "?day=1999-01-01", "?track=&day=", "?x=1"]
)
def test_forum_list_ignores_filters_it_does_not_know(client, programme, query):
    response = client.get(f"/en/forums/{query}")

    assert response.status_code == 200
    assert response.context["forum_count"] == 2


def test_forum_list_answers_htmx_with_the_fragment_only(client, programme):
    response = client.get("/en/forums/?track=technology", HTTP_HX_REQUEST="true")

    body = text(response)
    assert response.status_code == 200
    assert "<html" not in body
    assert body.lstrip().startswith('<div id="forum-browser"')
    assert 'id="language-switcher" hx-swap-oob="true"' in body
    assert "HX-Request" in response["Vary"]


def test_htmx_history_restore_gets_the_whole_page(client, programme):
    response = client.get(
        "/en/forums/", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )

    assert "<html" in text(response)


def test_agenda_lays_out_the_day_by_room_and_quarter_hour(client, programme):
    response = client.get("/en/agenda/?day=2024-11-20")

    grid = response.context["grid"]
    assert grid.rooms == [programme["rooms"][0]]
    assert [(b.forum.slug, b.column, b.row_start, b.row_end) for b in grid.blocks] == [
        ("ai", 2, 2, 14)
    ]
    assert grid.slot_count == 12
    assert "?day=2024-11-20" in response.context["day_ics_url"]


def test_agenda_shows_another_day_and_ignores_bad_days(client, programme):
    second = client.get("/en/agenda/?day=2024-11-21")
    bad = client.get("/en/agenda/?day=yesterday")

    assert [b.forum.slug for b in second.context["grid"].blocks] == ["data"]
    assert bad.status_code == 200
    assert bad.context["grid"].day == dt.date(2024, 11, 20)


def test_agenda_answers_htmx_with_the_day_only(client, programme):
    response = client.get("/en/agenda/?day=2024-11-21", HTTP_HX_REQUEST="true")

    body = text(response)
    assert "<html" not in body
    assert body.lstrip().startswith('<div id="agenda-day"')


def ics_events(response):
    calendar = Calendar.from_ical(response.content)
    return [
        (str(event["summary"]), event.decoded("dtstart"), event.decoded("dtend"))
        for event in calendar.walk("VEVENT")
    ]


def expected_events(sessions, language):
    return sorted(
        (localized(session.title, language), session.starts_at, session.ends_at)
        for session in sessions
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_agenda_ics_has_one_event_per_public_session_in_the_addresss_language(
    client, programme, language
):
    hidden = factories.ForumFactory(
        summit=programme["summit"], room=programme["rooms"][1], slug="hidden", is_public=False
    )
    factories.SessionFactory(forum=hidden)

    response = client.get(url("agenda_ics", language))

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    public = Session.objects.filter(forum__is_public=True)
    assert sorted(ics_events(response)) == expected_events(public, language)


def test_agenda_ics_of_one_day_has_that_days_sessions(client, programme):
    response = client.get("/en/agenda/agenda.ics?day=2024-11-21")

    sessions = Session.objects.filter(forum__slug="data")
    assert sorted(ics_events(response)) == expected_events(sessions, "en")


def test_forum_ics_has_only_the_forums_sessions(client, programme):
    response = client.get("/zh-hans/forums/data/calendar.ics")

    sessions = Session.objects.filter(forum__slug="data")
    assert sorted(ics_events(response)) == expected_events(sessions, "zh-hans")


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("notadate", "“notadate” is not a date; give the day as YYYY-MM-DD."),
        ("2024-12-25", "The summit has no programme on 2024-12-25."),
    ],
)
def test_agenda_ics_refuses_a_bad_day_with_a_clear_message(client, programme, day, message):
    response = client.get(f"/en/agenda/agenda.ics?day={day}")

    assert response.status_code == 400
    assert response.content.decode() == message


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "path",
    [
        "forums/no-such-forum/",
        "speakers/999999/",
        "speakers/99999999999999999999999/",
        "venues/nowhere/",
        "no/such/page/",
    ],
)
def test_unknown_page_is_a_friendly_404_in_the_addresss_language(client, programme, language, path):
    response = client.get(f"/{language}/{path}")

    assert response.status_code == 404
    body = text(response)
    assert f'<html lang="{language}">' in body
    assert 'class="site-header"' in body
    assert localized(programme["summit"].name, language) in body
    assert f'href="/{language}/"' in body
    assert switcher_targets(response) == [f"/{OTHER[language]}/{path}"]


@pytest.mark.parametrize(
    ("accept_language", "language"), [("en-US,en;q=0.9", "en"), ("zh-CN,zh;q=0.9", "zh-hans")]
)
def test_unknown_language_prefix_falls_back_to_the_browsers_language(
    client, summit, accept_language, language
):
    response = client.get("/fr/programme/", HTTP_ACCEPT_LANGUAGE=accept_language)

    assert response.status_code == 404
    assert f'<html lang="{language}">' in text(response)


def test_pages_of_an_unpublished_forum_are_not_found(client, programme):
    Forum.objects.filter(slug="ai").update(is_public=False)

    assert client.get("/en/forums/ai/").status_code == 404
    assert client.get("/en/forums/ai/calendar.ics").status_code == 404


def test_server_error_page_needs_no_database(django_assert_num_queries):
    request = RequestFactory().get("/en/")

    with translation.override("en"), django_assert_num_queries(0):
        response = server_error(request)

    assert response.status_code == 500
    body = response.content.decode()
    assert '<html lang="en">' in body
    assert 'href="/en/"' in body


def test_speaker_search_finds_names_in_any_script(client, programme):
    person = factories.PersonFactory(name="李娜", name_latin="Li Na", country="CN")
    factories.SessionSpeakerFactory(session=Session.objects.first(), person=person)

    for query in ("李娜", "li na"):
        response = client.get("/en/speakers/", {"q": query})
        assert list(response.context["page"].object_list) == [person], query


def test_speaker_list_filters_by_country_and_ignores_unknown_ones(client, programme):
    french = client.get("/en/speakers/?country=FR")
    unknown = client.get("/en/speakers/?country=ZZ")

    assert [p.country.code for p in french.context["page"].object_list] == ["FR", "FR"]
    assert unknown.context["page"].paginator.count == 6


@pytest.mark.parametrize("page", ["abc", "0", "-1", "999"])
def test_speaker_list_survives_bad_page_numbers(client, programme, page):
    response = client.get(f"/en/speakers/?page={page}")

    assert response.status_code == 200
    assert response.context["page"].paginator.count == 6


def test_speaker_list_paginates(client, programme):
    session = Session.objects.first()
    for index in range(60):
        factories.SessionSpeakerFactory(
            session=session, person=factories.PersonFactory(name_latin=f"Zz {index:02}")
        )

    second = client.get("/en/speakers/?page=2")

    assert second.context["page"].paginator.count == 66
    assert len(second.context["page"].object_list) == 18
    assert '/en/speakers/?page=1"' in text(second)


def test_speaker_search_answers_htmx_with_the_results_only(client, programme):
    response = client.get("/en/speakers/?q=zhang", HTTP_HX_REQUEST="true")

    body = text(response)
    assert "<html" not in body
    assert body.lstrip().startswith('<div id="speaker-results"')
    assert switcher_targets(response) == ["/zh-hans/speakers/?q=zhang"]


def test_person_who_speaks_at_no_public_session_has_no_page(client, programme):
    person = factories.PersonFactory()

    assert client.get(f"/en/speakers/{person.pk}/").status_code == 404


def test_venue_page_lists_its_rooms_with_their_features(client, programme):
    main, side = programme["rooms"]
    main.has_interpretation, main.press_seats, main.floor = True, 80, "2"
    main.save()

    response = client.get("/en/venues/wiicc/")

    assert [(r.pk, r.forum_count) for r in response.context["rooms"]] == [
        (main.pk, 1),
        (side.pk, 1),
    ]
    body = text(response)
    assert "1200" in body
    assert "80" in body


def test_venues_geojson_is_a_feature_collection_of_the_venues(client, programme):
    outline = {
        "type": "Polygon",
        "coordinates": [[[120.48, 30.74], [120.49, 30.74], [120.49, 30.75], [120.48, 30.74]]],
    }
    factories.VenueFactory(
        summit=programme["summit"],
        slug="banquet",
        name=i18n(zh_hans="乌镇宴会中心", en="Wuzhen Banquet Centre"),
        kind="banquet",
        outline=outline,
    )

    response = client.get("/zh-hans/venues/venues.geojson")

    assert response.status_code == 200
    data = response.json()
    assert data["type"] == "FeatureCollection"
    features = {feature["id"]: feature for feature in data["features"]}
    assert features["banquet"]["geometry"] == outline
    assert features["banquet"]["properties"] == {
        "slug": "banquet",
        "name": "乌镇宴会中心",
        "kind": "banquet",
        "kind_label": features["banquet"]["properties"]["kind_label"],
        "url": "/zh-hans/venues/banquet/",
        "rooms": 0,
        "center": [120.4868, 30.7438],
    }
    assert features["wiicc"]["geometry"] == {"type": "Point", "coordinates": [120.4868, 30.7438]}
    assert features["wiicc"]["properties"]["rooms"] == 2


def test_venue_pages_draw_the_map_from_our_geojson(client, programme):
    body = text(client.get("/en/venues/wiicc/"))

    assert 'data-venues="/en/venues/venues.geojson"' in body
    assert 'data-base="/static/summit/wuzhen-base.geojson"' in body
    assert 'data-highlight="wiicc"' in body
    assert "/static/leaflet/leaflet.js" in body


def test_editions_page_lists_the_series_editions_with_their_status(client, programme):
    summit = programme["summit"]
    factories.SummitFactory(
        series=summit.series,
        slug="hong-kong",
        name=i18n(zh_hans="世界互联网大会亚太峰会", en="WIC Asia-Pacific Summit"),
        start_date=dt.date(2099, 4, 13),
        end_date=dt.date(2099, 4, 14),
    )

    response = client.get("/en/editions/")

    [(series, editions)] = response.context["series_list"]
    assert series == summit.series
    assert [(edition.slug, status) for edition, status in editions] == [
        (summit.slug, "past"),
        ("hong-kong", "upcoming"),
    ]
    assert "WIC Asia-Pacific Summit" in text(response)


def larger_programme(summit, forums: int):
    """``forums`` forums over the summit's days and four rooms, three sessions each with two
    speakers, two hosts each."""
    venue = factories.VenueFactory(summit=summit)
    rooms = [factories.RoomFactory(venue=venue) for _ in range(4)]
    organisations = [factories.OrganisationFactory() for _ in range(5)]
    for index in range(forums):
        day, room = index % 3, rooms[index % 4]
        hour = 9 + (index // 12) * 3
        forum = factories.ForumFactory(
            summit=summit,
            room=room,
            starts_at=factories.at(day, hour),
            ends_at=factories.at(day, hour + 2),
        )
        factories.ForumOrganiserFactory(forum=forum, organisation=organisations[index % 5])
        factories.ForumOrganiserFactory(
            forum=forum, organisation=organisations[(index + 1) % 5], role="co_host"
        )
        for part in range(3):
            session = factories.SessionFactory(
                forum=forum,
                starts_at=forum.starts_at + dt.timedelta(minutes=40 * part),
                ends_at=forum.starts_at + dt.timedelta(minutes=40 * (part + 1)),
            )
            for _ in range(2):
                factories.SessionSpeakerFactory(session=session)


@pytest.mark.parametrize(
    ("path", "bound"),
    [
        # The home page counts the summit in figures: the programme's counts one query each,
        # each other app's in one or two (guests, check-in, volunteers, awards, command centre).
        ("/en/", 19),
        ("/en/forums/", 4),
        ("/en/forums/?track=technology&day=2024-11-20", 4),
        ("/en/agenda/", 4),
        ("/en/speakers/", 5),
        ("/en/speakers/?q=zhang&page=2", 5),
        ("/en/venues/", 3),
        ("/en/editions/", 4),
    ],
)
def test_pages_use_a_bounded_number_of_queries(
    client, summit, django_assert_max_num_queries, path, bound
):
    larger_programme(summit, forums=24)

    with django_assert_max_num_queries(bound):
        assert client.get(path).status_code == 200


def test_forum_page_queries_do_not_grow_with_its_sessions(
    client, programme, django_assert_max_num_queries
):
    forum = programme["forums"][0]
    for _ in range(10):
        factories.SessionSpeakerFactory(session=factories.SessionFactory(forum=forum))

    with django_assert_max_num_queries(6):
        assert client.get("/en/forums/ai/").status_code == 200
