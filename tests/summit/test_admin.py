import datetime as dt
import re
import zoneinfo

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from huiwu.core.i18n import i18n
from huiwu.core.models import ActionLog
from huiwu.summit.models import Forum, Session, Summit, Zone
from tests import factories

pytestmark = pytest.mark.django_db


def changelist(model: str) -> str:
    return reverse(f"admin:summit_{model}_changelist")


def change_url(obj) -> str:
    return reverse(f"admin:summit_{obj._meta.model_name}_change", args=[obj.pk])


def listed(response) -> list:
    return list(response.context["cl"].result_list)


def day_filter_of(response):
    return next(
        spec
        for spec in response.context["cl"].filter_specs
        if getattr(spec, "parameter_name", None) == "day"
    )


@pytest.fixture
def co_organiser(programme):
    """A co-organiser acting for the host of the two programme forums, which host a third."""
    user = factories.UserFactory(username="itu-staff", roles=["forum_organiser"])
    host = programme["forums"][0].forum_organisers.get(role="co_host").organisation
    factories.MembershipFactory(user=user, organisation=host)
    return user


@pytest.fixture
def other_forum(programme):
    """A forum of the same summit that the co-organiser's institution does not host."""
    forum = factories.ForumFactory(
        summit=programme["summit"],
        slug="other",
        title=i18n(zh_hans="数字丝路论坛", en="Digital Silk Road Forum"),
        room=programme["rooms"][1],
        starts_at=factories.at(2, 9),
        ends_at=factories.at(2, 12),
    )
    factories.ForumOrganiserFactory(forum=forum)
    factories.SessionFactory(forum=forum, title=i18n(zh_hans="开幕致辞", en="Opening address"))
    return forum


def forum_form(programme, **overrides) -> dict[str, str]:
    """What the forum add page posts, with one host institution."""
    host = factories.OrganisationFactory(short_name="WIC")
    data = {
        "summit": str(programme["summit"].pk),
        "slug": "quantum",
        "kind": "sub_forum",
        "track": "technology",
        "is_public": "on",
        "title_0": "量子计算论坛",
        "title_1": "Quantum Computing Forum",
        "theme_0": "",
        "theme_1": "",
        "description_0": "",
        "description_1": "",
        "languages": "zh-hans, en",
        "room": str(programme["rooms"][1].pk),
        "starts_at_0": "2024-11-21",
        "starts_at_1": "09:00",
        "ends_at_0": "2024-11-21",
        "ends_at_1": "12:00",
        "capacity": "",
        "forum_organisers-TOTAL_FORMS": "1",
        "forum_organisers-INITIAL_FORMS": "0",
        "forum_organisers-0-organisation": str(host.pk),
        "forum_organisers-0-role": "host",
        "forum_organisers-0-order": "0",
        "sessions-TOTAL_FORMS": "0",
        "sessions-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


# --- Every page renders ------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["series", "summit", "venue", "room", "zone", "forum", "session"])
def test_organiser_opens_list_add_and_change_pages_of_every_model(
    organiser_client, programme, model
):
    zone = factories.ZoneFactory(summit=programme["summit"], venue=programme["venue"])
    zone.rooms.set(programme["rooms"])
    objects = {
        "series": programme["summit"].series,
        "summit": programme["summit"],
        "venue": programme["venue"],
        "room": programme["rooms"][0],
        "zone": zone,
        "forum": programme["forums"][0],
        "session": programme["forums"][0].sessions.first(),
    }

    pages = [
        changelist(model),
        reverse(f"admin:summit_{model}_add"),
        change_url(objects[model]),
    ]

    assert [organiser_client.get(page).status_code for page in pages] == [200, 200, 200]


def test_admin_is_branded_and_translated_under_the_chinese_prefix(organiser_client, programme):
    response = organiser_client.get("/zh-hans/admin/summit/forum/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Huiwu 会务" in page
    assert "人工智能论坛" in page  # the forums' titles in Chinese
    assert 'lang="zh-hans"' in page


def test_forum_texts_are_edited_side_by_side_in_both_languages(organiser_client, programme):
    page = organiser_client.get(change_url(programme["forums"][0])).content.decode()

    start = page.index('<div class="i18n-form-group" id="id_title">')
    group = page[start : page.index("</div></div>", start)]
    assert 'name="title_0"' in group and 'lang="zh-hans"' in group
    assert 'name="title_1"' in group and 'lang="en"' in group
    assert "简体中文" in group and "English" in group
    assert "core/admin.css" in page


# --- Adding a forum ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ends_at_1": "08:00"}, "A forum must end after it starts."),
        ({"capacity": "500"}, "has only 200 seats; offer at most that many."),
        (
            {"starts_at_0": "2024-12-01", "ends_at_0": "2024-12-01"},
            "A forum must take place on the summit&#x27;s days, from 2024-11-20 to 2024-11-22.",
        ),
        ({"languages": "zh-hans, klingon"}, "Unknown language code: klingon."),
        ({"title_1": ""}, "Please fill in this text in every required language"),
    ],
)
def test_adding_a_bad_forum_shows_why_and_creates_nothing(
    organiser_client, programme, overrides, message
):
    before = Forum.objects.count()

    response = organiser_client.post(
        reverse("admin:summit_forum_add"), forum_form(programme, **overrides)
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert Forum.objects.count() == before
    assert not ActionLog.objects.exists()


def test_adding_a_forum_creates_it_with_its_host_and_logs_it(organiser_client, programme):
    response = organiser_client.post(reverse("admin:summit_forum_add"), forum_form(programme))

    assert response.status_code == 302
    forum = Forum.objects.get(slug="quantum")
    assert (forum.title.data, forum.languages) == (
        {"zh-hans": "量子计算论坛", "en": "Quantum Computing Forum"},
        ["zh-hans", "en"],
    )
    assert [(fo.organisation.short_name, fo.role) for fo in forum.forum_organisers.all()] == [
        ("WIC", "host")
    ]
    assert list(ActionLog.objects.values_list("action", "actor__username", "object_id")) == [
        ("forum.created", "organiser", str(forum.pk))
    ]
    assert LogEntry.objects.get().object_id == str(forum.pk)


def test_changing_a_forum_logs_what_changed_and_shows_it_on_its_page(organiser_client, programme):
    forum = programme["forums"][0]
    data = forum_form(
        programme,
        slug=forum.slug,
        room=str(forum.room.pk),
        starts_at_0="2024-11-20",
        ends_at_0="2024-11-20",
        title_1="AI Forum, renamed",
        title_0=forum.title.data["zh-hans"],
        **{
            "forum_organisers-TOTAL_FORMS": "0",
            "sessions-TOTAL_FORMS": "0",
        },
    )

    chinese, english = forum.title.data["zh-hans"], forum.title.data["en"]

    response = organiser_client.post(change_url(forum), data)

    assert response.status_code == 302
    entry = ActionLog.objects.get()
    assert (entry.action, entry.data) == (
        "forum.changed",
        {
            "changes": {
                "title": [
                    {"zh-hans": chinese, "en": english},
                    {"zh-hans": chinese, "en": "AI Forum, renamed"},
                ]
            }
        },
    )
    page = organiser_client.get(change_url(forum)).content.decode()
    assert "forum.changed" in page
    assert f"Title: {chinese} / {english} → {chinese} / AI Forum, renamed" in page


def test_sessions_added_on_the_forum_page_get_their_own_log_entry(organiser_client, programme):
    forum = programme["forums"][1]
    data = forum_form(
        programme,
        slug=forum.slug,
        starts_at_0="2024-11-21",
        starts_at_1="14:00",
        ends_at_0="2024-11-21",
        ends_at_1="17:00",
        title_0=forum.title.data["zh-hans"],
        title_1=forum.title.data["en"],
        **{
            "forum_organisers-TOTAL_FORMS": "0",
            "sessions-TOTAL_FORMS": "1",
            "sessions-0-title_0": "闭幕总结",
            "sessions-0-title_1": "Closing remarks",
            "sessions-0-kind": "closing",
            "sessions-0-starts_at_0": "2024-11-21",
            "sessions-0-starts_at_1": "16:45",
            "sessions-0-ends_at_0": "2024-11-21",
            "sessions-0-ends_at_1": "17:00",
        },
    )

    response = organiser_client.post(change_url(forum), data)

    assert response.status_code == 302
    session = forum.sessions.get(kind="closing")
    assert sorted(ActionLog.objects.values_list("action", "object_id")) == [
        ("forum.changed", str(forum.pk)),
        ("session.created", str(session.pk)),
    ]


def test_a_session_outside_its_forum_is_refused_on_its_page(organiser_client, programme):
    session = programme["forums"][0].sessions.first()
    data = {
        "forum": str(session.forum.pk),
        "kind": "keynote",
        "title_0": "主旨演讲",
        "title_1": "Keynote",
        "abstract_0": "",
        "abstract_1": "",
        "starts_at_0": "2024-11-20",
        "starts_at_1": "11:30",
        "ends_at_0": "2024-11-20",
        "ends_at_1": "13:00",
        "appearances-TOTAL_FORMS": "0",
        "appearances-INITIAL_FORMS": "0",
    }

    response = organiser_client.post(change_url(session), data)

    assert response.status_code == 200
    assert "A session must lie within its forum&#x27;s time" in response.content.decode()
    session.refresh_from_db()
    assert session.ends_at < factories.at(0, 13)
    assert not ActionLog.objects.exists()


def test_deleting_a_session_logs_it(organiser_client, programme):
    session = programme["forums"][0].sessions.first()
    pk = session.pk

    response = organiser_client.post(
        reverse("admin:summit_session_delete", args=[pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Session.objects.filter(pk=pk).exists()
    assert list(ActionLog.objects.values_list("action", "object_id")) == [
        ("session.deleted", str(pk))
    ]


# --- Search and filters ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "term", ["数字丝路", "Digital Silk", "silk road", '"Silk Road Forum"', "丝路 forum"]
)
def test_forum_search_finds_chinese_and_english_titles(organiser_client, other_forum, term):
    response = organiser_client.get(changelist("forum"), {"q": term})

    assert listed(response) == [other_forum]


def test_forum_search_finds_forums_by_host_institution(organiser_client, programme):
    response = organiser_client.get(changelist("forum"), {"q": "CAC"})

    assert listed(response) == programme["forums"]


def test_session_search_finds_chinese_speaker_names(organiser_client, programme):
    appearance = programme["forums"][1].sessions.last().appearances.get()

    response = organiser_client.get(changelist("session"), {"q": appearance.person.name})

    assert listed(response) == [appearance.session]


def test_day_filter_lists_the_summits_days_and_keeps_one(organiser_client, programme, other_forum):
    response = organiser_client.get(changelist("forum"), {"day": "2024-11-21"})

    day_filter = day_filter_of(response)
    assert [value for value, _label in day_filter.lookup_choices] == [
        "2024-11-20",
        "2024-11-21",
        "2024-11-22",
    ]
    assert listed(response) == [programme["forums"][1]]


def test_session_day_filter_follows_the_chosen_summit(organiser_client, programme):
    later = factories.SummitFactory(
        slug="hong-kong", start_date=dt.date(2025, 4, 14), end_date=dt.date(2025, 4, 15)
    )

    response = organiser_client.get(changelist("session"), {"forum__summit__id__exact": later.pk})

    day_filter = day_filter_of(response)
    assert [value for value, _label in day_filter.lookup_choices] == ["2025-04-14", "2025-04-15"]
    assert listed(response) == []


def test_a_malformed_day_does_not_break_the_list(organiser_client, programme):
    response = organiser_client.get(changelist("forum"), {"day": "yesterday"})

    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


def test_room_autocomplete_finds_rooms_by_their_chinese_name(organiser_client, programme):
    room = programme["rooms"][1]

    response = organiser_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "summit",
            "model_name": "forum",
            "field_name": "room",
            "term": room.name.data["zh-hans"],
        },
    )

    assert response.json()["results"] == [{"id": str(room.pk), "text": str(room)}]


# --- Query counts ------------------------------------------------------------------------------


def add_forums(summit, count: int) -> None:
    for index in range(count):
        forum = factories.ForumFactory(
            summit=summit,
            room=factories.RoomFactory(venue__summit=summit),
            starts_at=factories.at(index % 3, 9),
            ends_at=factories.at(index % 3, 12),
        )
        factories.ForumOrganiserFactory(forum=forum)
        factories.ForumOrganiserFactory(forum=forum, role="co_host")
        for _session in range(2):
            factories.SessionSpeakerFactory(session=factories.SessionFactory(forum=forum))


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("model", ["forum", "session"])
def test_changelists_read_a_constant_number_of_queries(
    organiser_client, summit, model, django_assert_max_num_queries
):
    add_forums(summit, 3)
    few = queries_for(organiser_client, changelist(model))

    add_forums(summit, 27)  # 30 forums, 60 sessions
    with django_assert_max_num_queries(few):
        response = organiser_client.get(changelist(model))

    assert len(listed(response)) == {"forum": 30, "session": 60}[model]


# --- Co-organisers -----------------------------------------------------------------------------


@pytest.fixture
def co_client(client, co_organiser):
    client.force_login(co_organiser)
    return client


def test_co_organiser_lists_only_the_forums_it_hosts(co_client, programme, other_forum):
    response = co_client.get(changelist("forum"))

    assert listed(response) == programme["forums"]


def test_co_organiser_lists_only_the_sessions_of_its_forums(co_client, programme, other_forum):
    response = co_client.get(changelist("session"))

    assert set(listed(response)) == set(Session.objects.filter(forum__in=programme["forums"]))


def test_co_organiser_cannot_open_another_forum(co_client, other_forum):
    response = co_client.get(change_url(other_forum))

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


def test_co_organiser_cannot_change_a_session_of_another_forum(co_client, other_forum):
    session = other_forum.sessions.get()
    data = {
        "forum": str(other_forum.pk),
        "kind": "keynote",
        "title_0": "篡改",
        "title_1": "Tampered",
        "starts_at_0": "2024-11-22",
        "starts_at_1": "09:00",
        "ends_at_0": "2024-11-22",
        "ends_at_1": "09:30",
        "appearances-TOTAL_FORMS": "0",
        "appearances-INITIAL_FORMS": "0",
    }

    response = co_client.post(change_url(session), data)

    assert response.status_code == 302
    session.refresh_from_db()
    assert session.title.data["en"] == "Opening address"
    assert not ActionLog.objects.exists()


def test_co_organiser_cannot_add_a_session_to_another_forum(co_client, other_forum):
    data = {
        "forum": str(other_forum.pk),
        "kind": "keynote",
        "title_0": "插入",
        "title_1": "Intruder",
        "starts_at_0": "2024-11-22",
        "starts_at_1": "10:00",
        "ends_at_0": "2024-11-22",
        "ends_at_1": "10:30",
        "appearances-TOTAL_FORMS": "0",
        "appearances-INITIAL_FORMS": "0",
    }

    response = co_client.post(reverse("admin:summit_session_add"), data)

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert other_forum.sessions.count() == 1


def test_co_organiser_edits_its_forums_texts_but_not_its_place_or_hosts(co_client, programme):
    forum = programme["forums"][0]
    sessions = list(forum.sessions.all())
    data = {
        "title_0": "人工智能赋能论坛",
        "title_1": "AI Empowerment Forum",
        "theme_0": "",
        "theme_1": "",
        "description_0": "",
        "description_1": "",
        "languages": "zh-hans, en, fr",
        # What a co-organiser cannot change is ignored when posted anyway: the room, and a
        # third host institution slipped in after the two existing ones.
        "room": str(programme["rooms"][1].pk),
        "forum_organisers-TOTAL_FORMS": "3",
        "forum_organisers-INITIAL_FORMS": "2",
        "forum_organisers-2-organisation": str(factories.OrganisationFactory().pk),
        "forum_organisers-2-role": "host",
        "forum_organisers-2-order": "0",
        "sessions-TOTAL_FORMS": str(len(sessions)),
        "sessions-INITIAL_FORMS": str(len(sessions)),
    }
    for index, host in enumerate(forum.forum_organisers.all()):
        data[f"forum_organisers-{index}-id"] = str(host.pk)
        data[f"forum_organisers-{index}-forum"] = str(forum.pk)
    for index, session in enumerate(sessions):
        local = lambda moment: moment.astimezone(factories.SHANGHAI)  # noqa: E731
        data.update(
            {
                f"sessions-{index}-id": str(session.pk),
                f"sessions-{index}-forum": str(forum.pk),
                f"sessions-{index}-title_0": session.title.data["zh-hans"],
                f"sessions-{index}-title_1": session.title.data["en"],
                f"sessions-{index}-kind": session.kind,
                f"sessions-{index}-starts_at_0": f"{local(session.starts_at):%Y-%m-%d}",
                f"sessions-{index}-starts_at_1": f"{local(session.starts_at):%H:%M}",
                f"sessions-{index}-ends_at_0": f"{local(session.ends_at):%Y-%m-%d}",
                f"sessions-{index}-ends_at_1": f"{local(session.ends_at):%H:%M}",
            }
        )
    page = co_client.get(change_url(forum)).content.decode()

    response = co_client.post(change_url(forum), data)

    assert 'name="forum_organisers-0-organisation"' not in page  # hosts are shown, not edited
    assert response.status_code == 302
    forum.refresh_from_db()
    assert (forum.title.data["en"], forum.languages, forum.room) == (
        "AI Empowerment Forum",
        ["zh-hans", "en", "fr"],
        programme["rooms"][0],
    )
    assert forum.forum_organisers.count() == 2
    assert list(ActionLog.objects.values_list("action", "actor__username")) == [
        ("forum.changed", "itu-staff")
    ]


def test_co_organiser_cannot_add_or_delete_forums(co_client, programme):
    forum = programme["forums"][0]

    responses = [
        co_client.get(reverse("admin:summit_forum_add")).status_code,
        co_client.post(
            reverse("admin:summit_forum_delete", args=[forum.pk]), {"post": "yes"}
        ).status_code,
    ]

    assert responses == [403, 403]
    assert Forum.objects.filter(pk=forum.pk).exists()


def test_co_organiser_does_not_see_the_venues(co_client, programme):
    response = co_client.get(changelist("venue"))

    assert response.status_code == 403


def test_a_second_current_summit_is_refused_with_the_name_of_the_first(organiser_client, summit):
    data = {
        "series": str(summit.series.pk),
        "name_0": "世界互联网大会亚太峰会",
        "name_1": "World Internet Conference Asia-Pacific Summit",
        "slug": "hong-kong-2025",
        "theme_0": "",
        "theme_1": "",
        "city_0": "香港",
        "city_1": "Hong Kong",
        "start_date": "2025-04-14",
        "end_date": "2025-04-15",
        "time_zone": "Asia/Hong_Kong",
        "is_current": "on",
        "is_public": "on",
    }

    response = organiser_client.post(reverse("admin:summit_summit_add"), data)

    assert response.status_code == 200
    assert (
        "“World Internet Conference Wuzhen Summit” is the current edition. "
        "Untick “current edition” on that summit first." in response.content.decode()
    )
    assert list(Summit.objects.all()) == [summit]


def test_co_organiser_picks_only_its_forums_for_a_session(co_client, programme, other_forum):
    response = co_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "summit", "model_name": "session", "field_name": "forum", "term": ""},
    )

    assert [int(result["id"]) for result in response.json()["results"]] == [
        forum.pk for forum in programme["forums"]
    ]


def test_co_organiser_opens_its_sessions_and_their_speakers(co_client, programme):
    session = programme["forums"][0].sessions.first()

    page = co_client.get(change_url(session)).content.decode()

    assert 'name="appearances-0-person"' in page


# --- Times in the summit's own time zone -------------------------------------------------------

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


@pytest.fixture
def paris_forum(db):
    """A forum of a summit in Paris, from 09:00 to 12:00 Paris time, with one session."""
    summit = factories.SummitFactory(
        slug="paris",
        time_zone="Europe/Paris",
        start_date=dt.date(2025, 6, 10),
        end_date=dt.date(2025, 6, 11),
    )
    forum = factories.ForumFactory(
        summit=summit,
        slug="paris-ai",
        starts_at=dt.datetime(2025, 6, 10, 9, tzinfo=PARIS),
        ends_at=dt.datetime(2025, 6, 10, 12, tzinfo=PARIS),
    )
    factories.SessionFactory(forum=forum)
    return forum


def time_input(page: str, name: str) -> str:
    return re.search(rf'<input[^>]*name="{name}" value="([^"]*)"', page).group(1)


def test_forum_times_are_shown_and_labelled_in_the_summits_time_zone(organiser_client, paris_forum):
    page = organiser_client.get(change_url(paris_forum)).content.decode()

    assert (time_input(page, "starts_at_1"), time_input(page, "sessions-0-starts_at_1")) == (
        "09:00:00",
        "09:00:00",
    )
    assert "Starts at (Europe/Paris)" in page


def test_forum_times_are_read_in_the_summits_time_zone(organiser_client, paris_forum):
    session = paris_forum.sessions.get()
    data = {
        "summit": str(paris_forum.summit.pk),
        "slug": paris_forum.slug,
        "kind": paris_forum.kind,
        "track": paris_forum.track,
        "is_public": "on",
        "title_0": paris_forum.title.data["zh-hans"],
        "title_1": paris_forum.title.data["en"],
        "languages": "zh-hans, en",
        "room": str(paris_forum.room.pk),
        "starts_at_0": "2025-06-10",
        "starts_at_1": "09:00",
        "ends_at_0": "2025-06-10",
        "ends_at_1": "13:00",
        "forum_organisers-TOTAL_FORMS": "0",
        "forum_organisers-INITIAL_FORMS": "0",
        "sessions-TOTAL_FORMS": "1",
        "sessions-INITIAL_FORMS": "1",
        "sessions-0-id": str(session.pk),
        "sessions-0-forum": str(paris_forum.pk),
        "sessions-0-title_0": session.title.data["zh-hans"],
        "sessions-0-title_1": session.title.data["en"],
        "sessions-0-kind": session.kind,
        "sessions-0-starts_at_0": "2025-06-10",
        "sessions-0-starts_at_1": "12:30",
        "sessions-0-ends_at_0": "2025-06-10",
        "sessions-0-ends_at_1": "13:00",
    }

    response = organiser_client.post(change_url(paris_forum), data)

    assert response.status_code == 302
    paris_forum.refresh_from_db()
    session.refresh_from_db()
    assert (paris_forum.ends_at, session.starts_at) == (
        dt.datetime(2025, 6, 10, 13, tzinfo=PARIS),
        dt.datetime(2025, 6, 10, 12, 30, tzinfo=PARIS),
    )


def test_session_times_are_shown_in_the_summits_time_zone(organiser_client, paris_forum):
    page = organiser_client.get(change_url(paris_forum.sessions.get())).content.decode()

    assert time_input(page, "starts_at_1") == "09:00:00"
    assert "Ends at (Europe/Paris)" in page


def test_a_new_session_names_the_summits_time_zone_once_its_forum_is_known(
    organiser_client, paris_forum
):
    unknown = organiser_client.get(reverse("admin:summit_session_add")).content.decode()
    known = organiser_client.get(
        reverse("admin:summit_session_add"), {"forum": paris_forum.pk}
    ).content.decode()

    assert "In the time zone of the summit." in unknown
    assert "Starts at (Europe/Paris)" in known


# --- One write path: the services --------------------------------------------------------------


def organisers_form(forum, rows: list[tuple[object, str]], deleted: int = 0) -> dict[str, str]:
    """The host rows of a forum's page: its present rows (the first ``deleted`` of them
    marked for deletion), then ``rows`` of (organisation, role) added."""
    present = list(forum.forum_organisers.all())
    data = {
        "forum_organisers-TOTAL_FORMS": str(len(present) + len(rows)),
        "forum_organisers-INITIAL_FORMS": str(len(present)),
    }
    for index, link in enumerate(present):
        data.update(
            {
                f"forum_organisers-{index}-id": str(link.pk),
                f"forum_organisers-{index}-forum": str(forum.pk),
                f"forum_organisers-{index}-organisation": str(link.organisation_id),
                f"forum_organisers-{index}-role": link.role,
                f"forum_organisers-{index}-order": str(link.order),
            }
        )
        if index < deleted:
            data[f"forum_organisers-{index}-DELETE"] = "on"
    for offset, (organisation, role) in enumerate(rows, start=len(present)):
        data.update(
            {
                f"forum_organisers-{offset}-organisation": str(organisation.pk),
                f"forum_organisers-{offset}-role": role,
                f"forum_organisers-{offset}-order": "5",
            }
        )
    return data


def unchanged_forum(programme, forum) -> dict[str, str]:
    local = forum.starts_at.astimezone(factories.SHANGHAI)
    return forum_form(
        programme,
        slug=forum.slug,
        room=str(forum.room.pk),
        title_0=forum.title.data["zh-hans"],
        title_1=forum.title.data["en"],
        starts_at_0=f"{local:%Y-%m-%d}",
        starts_at_1=f"{local:%H:%M}",
        ends_at_0=f"{forum.ends_at.astimezone(factories.SHANGHAI):%Y-%m-%d}",
        ends_at_1=f"{forum.ends_at.astimezone(factories.SHANGHAI):%H:%M}",
        **{"sessions-TOTAL_FORMS": "0"},
    )


def test_hosts_changed_on_the_forum_page_are_logged_by_name(organiser_client, programme):
    forum = programme["forums"][0]
    newcomer = factories.OrganisationFactory(short_name="WIC")
    data = unchanged_forum(programme, forum) | organisers_form(forum, [(newcomer, "co_host")])

    response = organiser_client.post(change_url(forum), data)

    assert response.status_code == 302
    assert [org.short_name for org in forum.co_hosts()] == ["ITU", "WIC"]
    assert list(ActionLog.objects.values_list("action", "data")) == [
        ("forum.changed", {"changes": {"co_hosts": [["ITU"], ["ITU", "WIC"]]}})
    ]
    assert LogEntry.objects.count() == 1
    entry = ActionLog.objects.get()
    pages = [
        organiser_client.get(change_url(forum)),
        organiser_client.get(reverse("admin:core_actionlog_change", args=[entry.pk])),
    ]
    for page in pages:
        assert "Co-host institutions: ITU → ITU, WIC" in page.content.decode()


def test_removing_every_host_on_the_forum_page_is_refused(organiser_client, programme):
    forum = programme["forums"][0]
    data = unchanged_forum(programme, forum) | organisers_form(forum, [], deleted=1)

    response = organiser_client.post(change_url(forum), data)

    assert response.status_code == 200
    assert "A forum needs at least one host institution; name one." in response.content.decode()
    assert [org.short_name for org in forum.hosts()] == ["CAC"]
    assert not ActionLog.objects.exists()


def test_speakers_changed_on_the_session_page_are_logged(organiser_client, programme):
    session = programme["forums"][0].sessions.first()
    appearance = session.appearances.get()
    newcomer = factories.PersonFactory(name="李明", name_latin="Li Ming")
    local = lambda moment: moment.astimezone(factories.SHANGHAI)  # noqa: E731
    data = {
        "forum": str(session.forum.pk),
        "kind": session.kind,
        "title_0": session.title.data["zh-hans"],
        "title_1": session.title.data["en"],
        "abstract_0": "",
        "abstract_1": "",
        "starts_at_0": f"{local(session.starts_at):%Y-%m-%d}",
        "starts_at_1": f"{local(session.starts_at):%H:%M}",
        "ends_at_0": f"{local(session.ends_at):%Y-%m-%d}",
        "ends_at_1": f"{local(session.ends_at):%H:%M}",
        "appearances-TOTAL_FORMS": "2",
        "appearances-INITIAL_FORMS": "1",
        "appearances-0-id": str(appearance.pk),
        "appearances-0-session": str(session.pk),
        "appearances-0-person": str(appearance.person_id),
        "appearances-0-role": "speaker",
        "appearances-0-order": "1",
        "appearances-1-person": str(newcomer.pk),
        "appearances-1-role": "moderator",
        "appearances-1-order": "0",
    }

    response = organiser_client.post(change_url(session), data)

    assert response.status_code == 302
    assert [(a.person, a.role) for a in session.appearances.all()] == [
        (newcomer, "moderator"),
        (appearance.person, "speaker"),
    ]
    assert list(ActionLog.objects.values_list("action", "data")) == [
        (
            "session.changed",
            {
                "changes": {
                    "speakers": [
                        [f"{appearance.person} (speaker)"],
                        ["李明 (Li Ming) (moderator)", f"{appearance.person} (speaker)"],
                    ]
                }
            },
        )
    ]


@pytest.mark.parametrize("field", ["slug", "kind", "track", "room", "starts_at", "capacity"])
def test_co_organiser_gets_no_input_for_what_the_secretariat_decides(co_client, programme, field):
    page = co_client.get(change_url(programme["forums"][0])).content.decode()

    assert f'name="{field}' not in page
    assert 'name="title_0"' in page and 'name="languages"' in page


# --- Keeping the programme consistent ----------------------------------------------------------


def summit_form(summit, **overrides) -> dict[str, str]:
    data = {
        "series": str(summit.series.pk),
        "name_0": summit.name.data["zh-hans"],
        "name_1": summit.name.data["en"],
        "slug": summit.slug,
        "theme_0": "",
        "theme_1": "",
        "city_0": "乌镇",
        "city_1": "Wuzhen",
        "start_date": "2024-11-20",
        "end_date": "2024-11-22",
        "time_zone": "Asia/Shanghai",
        "is_current": "on",
        "is_public": "on",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"end_date": "2024-11-20"},
            "1 forum of this summit would fall outside these dates; move it first.",
        ),
        (
            {"start_date": "2024-11-22"},
            "2 forums of this summit would fall outside these dates; move them first.",
        ),
        (
            {"time_zone": "America/Los_Angeles"},
            "1 forum of this summit would fall outside these dates; move it first.",
        ),
    ],
)
def test_summit_dates_that_strand_forums_are_refused(
    organiser_client, programme, overrides, message
):
    summit = programme["summit"]

    response = organiser_client.post(change_url(summit), summit_form(summit, **overrides))

    assert response.status_code == 200
    assert message in response.content.decode()
    summit.refresh_from_db()
    assert (summit.start_date, summit.end_date, summit.time_zone) == (
        dt.date(2024, 11, 20),
        dt.date(2024, 11, 22),
        "Asia/Shanghai",
    )


def test_summit_dates_that_keep_every_forum_are_saved(organiser_client, programme):
    summit = programme["summit"]

    response = organiser_client.post(change_url(summit), summit_form(summit, end_date="2024-11-21"))

    assert response.status_code == 302
    summit.refresh_from_db()
    assert summit.end_date == dt.date(2024, 11, 21)


def room_form(room, **overrides) -> dict[str, str]:
    data = {
        "venue": str(room.venue.pk),
        "name_0": room.name.data["zh-hans"],
        "name_1": room.name.data["en"],
        "floor": "",
        "capacity": str(room.capacity),
        "press_seats": "0",
    }
    data.update(overrides)
    return data


def test_a_room_smaller_than_a_forums_seats_is_refused(organiser_client, programme):
    room = programme["rooms"][1]
    forum = programme["forums"][1]
    forum.capacity = 150
    forum.save()

    response = organiser_client.post(change_url(room), room_form(room, capacity="120"))

    assert response.status_code == 200
    assert (
        f"The forum “{forum}” offers 150 seats in this room; lower its seats first."
        in response.content.decode()
    )
    room.refresh_from_db()
    assert room.capacity == 200


def test_a_venue_short_name_taken_in_the_summit_is_refused_on_the_slug(organiser_client, programme):
    data = {
        "summit": str(programme["summit"].pk),
        "name_0": "乌镇大剧院",
        "name_1": "Wuzhen Theatre",
        "slug": "wiicc",
        "kind": "theatre",
        "address_0": "",
        "address_1": "",
        "latitude": "30.74",
        "longitude": "120.49",
        "outline": "",
        "description_0": "",
        "description_1": "",
        "rooms-TOTAL_FORMS": "0",
        "rooms-INITIAL_FORMS": "0",
    }

    response = organiser_client.post(reverse("admin:summit_venue_add"), data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors == {
        "slug": [
            "Another venue of this summit already uses the short name “wiicc”; choose another."
        ]
    }


# --- Access zones -------------------------------------------------------------------------------


def zone_form(summit, rooms, **overrides) -> dict:
    data = {
        "summit": str(summit.pk),
        "name_0": "主会场",
        "name_1": "Main hall",
        "kind": "main_hall",
        "venue": "",
        "rooms": [str(room.pk) for room in rooms],
        "capacity": "",
    }
    data.update(overrides)
    return data


def test_a_zone_with_rooms_of_another_summit_is_refused(organiser_client, programme):
    stranger = factories.RoomFactory(name=i18n(zh_hans="外厅", en="Far Hall"))

    response = organiser_client.post(
        reverse("admin:summit_zone_add"),
        zone_form(programme["summit"], [programme["rooms"][0], stranger]),
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "rooms": [f"{stranger} belongs to another summit; choose rooms of {programme['summit']}."]
    }
    assert not Zone.objects.exists()


def test_a_zone_offers_the_rooms_of_its_summit(organiser_client, programme):
    factories.RoomFactory()  # of another summit
    zone = factories.ZoneFactory(summit=programme["summit"])

    responses = [
        organiser_client.get(change_url(zone)),
        organiser_client.get(reverse("admin:summit_zone_add")),
    ]

    for response in responses:
        offered = response.context["adminform"].form.fields["rooms"].queryset
        assert set(offered) == set(programme["rooms"])


def test_a_zone_with_rooms_of_its_summit_is_saved(organiser_client, programme):
    response = organiser_client.post(
        reverse("admin:summit_zone_add"), zone_form(programme["summit"], programme["rooms"])
    )

    assert response.status_code == 302
    assert set(Zone.objects.get().rooms.all()) == set(programme["rooms"])


def test_a_zone_that_stops_entry_when_full_needs_places_to_count(organiser_client, programme):
    url = reverse("admin:summit_zone_add")
    summit = programme["summit"]

    refused = organiser_client.post(url, zone_form(summit, [], stop_when_full="on"))
    nobody = organiser_client.post(url, zone_form(summit, [], stop_when_full="on", capacity="0"))
    with_capacity = organiser_client.post(
        url, zone_form(summit, [], stop_when_full="on", capacity="150")
    )

    assert refused.context["adminform"].form.errors == {
        "stop_when_full": [
            "Give the zone a capacity or rooms, so that the gates know when it is full."
        ]
    }
    assert nobody.context["adminform"].form.errors["capacity"] == [
        "Ensure this value is greater than or equal to 1."
    ]
    assert with_capacity.status_code == 302
    assert list(Zone.objects.values_list("capacity", "stop_when_full")) == [(150, True)]


# --- Co-organisers' filters ----------------------------------------------------------------------


def filter_choices(response, title: str) -> list[str]:
    spec = next(spec for spec in response.context["cl"].filter_specs if str(spec.title) == title)
    return [str(label) for _value, label in spec.lookup_choices]


def test_co_organiser_filters_offer_only_its_forums_summits_venues_and_rooms(
    co_client, programme, co_organiser
):
    def summit_with_a_forum(slug: str, start: dt.date):
        summit = factories.SummitFactory(
            slug=slug, start_date=start, end_date=start + dt.timedelta(days=1)
        )
        return factories.ForumFactory(
            summit=summit, room=factories.RoomFactory(venue__summit=summit)
        )

    hong_kong = summit_with_a_forum("hong-kong", dt.date(2025, 4, 14))
    factories.ForumOrganiserFactory(
        forum=hong_kong, organisation=co_organiser.memberships.get().organisation
    )
    factories.SessionFactory(forum=hong_kong)
    summit_with_a_forum("sao-paulo", dt.date(2025, 9, 1))  # not the co-organiser's
    factories.RoomFactory(venue=programme["venue"])  # holds none of its forums

    forums = co_client.get(changelist("forum"))
    sessions = co_client.get(changelist("session"))

    summits = {str(programme["summit"]), str(hong_kong.summit)}
    venues = {str(programme["venue"]), str(hong_kong.room.venue)}
    assert set(filter_choices(forums, "summit")) == summits
    assert set(filter_choices(forums, "venue")) == venues
    assert set(filter_choices(forums, "room")) == {
        str(room) for room in [*programme["rooms"], hong_kong.room]
    }
    assert set(filter_choices(sessions, "summit")) == summits
    assert set(filter_choices(sessions, "venue")) == venues


def test_organiser_filters_offer_every_summit(organiser_client, programme):
    elsewhere = factories.SummitFactory(
        slug="hong-kong", start_date=dt.date(2025, 4, 14), end_date=dt.date(2025, 4, 15)
    )

    response = organiser_client.get(changelist("forum"))

    assert set(filter_choices(response, "summit")) == {str(programme["summit"]), str(elsewhere)}
