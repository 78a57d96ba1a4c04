import datetime as dt

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from huiwu.core.i18n import i18n
from huiwu.core.models import ActionLog
from huiwu.summit.models import Forum, Session, Summit
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
def organiser_client(client, organiser):
    client.force_login(organiser)
    return client


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

    response = organiser_client.post(change_url(forum), data)

    assert response.status_code == 302
    assert ActionLog.objects.get().action == "forum.changed"
    page = organiser_client.get(change_url(forum)).content.decode()
    assert "forum.changed" in page
    assert "Changed Title" in page or "Changed title" in page


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
