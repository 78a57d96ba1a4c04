import datetime as dt

import pytest
from django.utils import translation

from huiwu.core.i18n import i18n
from huiwu.core.models import ActionLog
from huiwu.core.services import DomainError, NotAllowed
from huiwu.summit import services
from huiwu.summit.models import Forum, Session
from tests import factories

pytestmark = pytest.mark.django_db


def new_forum(summit, room, **overrides):
    values = dict(
        summit=summit,
        slug="new",
        track="technology",
        title=i18n(zh_hans="新论坛", en="New forum"),
        room=room,
        starts_at=factories.at(0, 14),
        ends_at=factories.at(0, 17),
    )
    values.update(overrides)
    return Forum(**values)


def test_save_forum_creates_forum_with_hosts_and_logs_it(programme, organiser):
    room = programme["rooms"][1]
    host, co_host = factories.OrganisationFactory(), factories.OrganisationFactory()

    forum = services.save_forum(
        new_forum(programme["summit"], room), by=organiser, hosts=[host], co_hosts=[co_host]
    )

    assert [(fo.organisation, fo.role) for fo in forum.forum_organisers.all()] == [
        (host, "host"),
        (co_host, "co_host"),
    ]
    assert list(ActionLog.objects.values_list("action", "actor__username")) == [
        ("forum.created", "organiser")
    ]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"ends_at": factories.at(0, 13)},
            "ends_at",
            "A forum must end after it starts.",
        ),
        (
            {"starts_at": factories.at(5, 9), "ends_at": factories.at(5, 10)},
            "starts_at",
            "A forum must take place on the summit's days, from 2024-11-20 to 2024-11-22.",
        ),
        ({"capacity": 201}, "capacity", "The room Hall"),
        ({"languages": ["zh-hans", "xx"]}, "languages", "Unknown language code: xx."),
        ({"title": i18n(zh_hans="只有中文")}, "title", "Please fill in this text in every"),
    ],
)
def test_save_forum_refuses_bad_input_and_changes_nothing(programme, overrides, field, message):
    before = Forum.objects.count()

    with pytest.raises(DomainError) as raised:
        services.save_forum(new_forum(programme["summit"], programme["rooms"][1], **overrides))

    assert raised.value.field == field
    assert str(raised.value.message).startswith(message)
    assert Forum.objects.count() == before
    assert not ActionLog.objects.exists()


def test_forum_errors_are_in_the_users_language(programme):
    with translation.override("zh-hans"), pytest.raises(DomainError) as raised:
        services.save_forum(
            new_forum(programme["summit"], programme["rooms"][1], ends_at=factories.at(0, 13))
        )
    assert str(raised.value.message) == "论坛的结束时间必须晚于开始时间。"


def test_forum_in_a_room_of_another_summit_is_refused(programme):
    other_room = factories.RoomFactory()  # its venue belongs to a new summit
    with pytest.raises(DomainError, match="another summit"):
        services.save_forum(new_forum(programme["summit"], other_room))


def test_save_session_outside_its_forum_is_refused(programme):
    forum = programme["forums"][0]
    session = Session(
        forum=forum,
        title=i18n(zh_hans="圆桌对话", en="Round table"),
        starts_at=forum.ends_at - dt.timedelta(minutes=30),
        ends_at=forum.ends_at + dt.timedelta(minutes=30),
    )
    with pytest.raises(DomainError, match="within its forum's time"):
        services.save_session(session)
    assert not Session.objects.filter(title__contains="Round table").exists()


def test_save_session_records_speakers_in_order(programme):
    forum = programme["forums"][0]
    first, second = factories.PersonFactory(), factories.PersonFactory()
    session = services.save_session(
        Session(
            forum=forum,
            title=i18n(zh_hans="圆桌对话", en="Round table"),
            kind="panel",
            starts_at=forum.starts_at,
            ends_at=forum.starts_at + dt.timedelta(hours=1),
        ),
        speakers=[(second, "moderator"), (first, "panellist")],
    )
    assert [(a.person, a.role) for a in session.appearances.all()] == [
        (second, "moderator"),
        (first, "panellist"),
    ]


def test_save_forum_refuses_an_institution_named_twice(programme):
    twice = factories.OrganisationFactory()
    with pytest.raises(DomainError, match="Name each institution once") as raised:
        services.save_forum(
            new_forum(programme["summit"], programme["rooms"][1]), hosts=[twice], co_hosts=[twice]
        )
    assert raised.value.field == "co_hosts"
    assert not Forum.objects.filter(slug="new").exists()


def test_save_session_refuses_a_speaker_named_twice(programme):
    forum = programme["forums"][0]
    person = factories.PersonFactory()
    session = Session(
        forum=forum,
        title=i18n(zh_hans="圆桌对话", en="Round table"),
        starts_at=forum.starts_at,
        ends_at=forum.starts_at + dt.timedelta(hours=1),
    )
    with pytest.raises(DomainError, match="Name each speaker"):
        services.save_session(session, speakers=[(person, "speaker"), (person, "moderator")])
    assert session.pk is None


# --- Keeping the programme consistent ------------------------------------------------------------


def forum_row(forum):
    return Forum.objects.filter(pk=forum.pk).values().get()


def test_moving_a_forum_away_from_its_sessions_is_refused(programme):
    forum = programme["forums"][0]
    before = forum_row(forum)
    forum.starts_at, forum.ends_at = factories.at(0, 14), factories.at(0, 17)

    with pytest.raises(DomainError) as raised:
        services.save_forum(forum)

    assert (raised.value.field, raised.value.message) == (
        "starts_at",
        "3 sessions of this forum would lie outside the new time; move them first "
        "(widen the forum's time meanwhile if need be).",
    )
    assert forum_row(forum) == before


def test_widening_a_forum_keeps_its_sessions_inside_and_is_saved(programme):
    forum = programme["forums"][0]
    forum.ends_at = factories.at(0, 13)

    services.save_forum(forum)

    assert Forum.objects.get(pk=forum.pk).ends_at == factories.at(0, 13)


def test_a_room_booked_at_the_same_time_is_refused_with_the_other_forum(programme):
    ai = programme["forums"][0]

    with pytest.raises(DomainError) as raised:
        services.save_forum(
            new_forum(
                programme["summit"],
                ai.room,
                starts_at=factories.at(0, 11),
                ends_at=factories.at(0, 13),
            )
        )

    assert (raised.value.field, raised.value.message) == (
        "room",
        f"The room is booked for “{ai}” from 2024-11-20 09:00 to 2024-11-20 12:00; "
        "choose another room or time.",
    )
    assert not Forum.objects.filter(slug="new").exists()


def test_a_room_is_free_again_when_the_forum_before_ends(programme):
    ai = programme["forums"][0]

    forum = services.save_forum(
        new_forum(
            programme["summit"], ai.room, starts_at=factories.at(0, 12), ends_at=factories.at(0, 13)
        )
    )

    assert forum.pk is not None


def test_language_codes_are_kept_in_lower_case_once_each(programme):
    forum = services.save_forum(
        new_forum(
            programme["summit"], programme["rooms"][1], languages=["ZH-Hans", "EN", "en", "Fr"]
        )
    )

    assert Forum.objects.get(pk=forum.pk).languages == ["zh-hans", "en", "fr"]


def test_a_short_name_taken_in_the_summit_is_refused_naming_the_field(programme):
    with pytest.raises(DomainError) as raised:
        services.save_forum(new_forum(programme["summit"], programme["rooms"][1], slug="ai"))

    assert (raised.value.field, raised.value.message) == (
        "slug",
        "Another forum of this summit already uses the short name “ai”; choose another.",
    )
    assert Forum.objects.filter(slug="ai").count() == 1


def test_the_short_name_error_reads_in_chinese_with_the_short_name(programme):
    with translation.override("zh-hans"), pytest.raises(DomainError) as raised:
        services.save_forum(new_forum(programme["summit"], programme["rooms"][1], slug="ai"))

    assert "ai" in str(raised.value.message)
    assert raised.value.field == "slug"


# --- What the action log records ---------------------------------------------------------------


def test_changing_a_forum_logs_each_changed_field_before_and_after(programme, organiser):
    forum = programme["forums"][0]
    forum.capacity = 800
    forum.ends_at = factories.at(0, 12, 30)
    forum.title = i18n(zh_hans="人工智能治理论坛", en="AI Governance Forum")
    before_title = Forum.objects.get(pk=forum.pk).title.data

    services.save_forum(forum, by=organiser)

    entry = ActionLog.objects.get()
    assert (entry.action, entry.actor, entry.data) == (
        "forum.changed",
        organiser,
        {
            "changes": {
                "title": [
                    before_title,
                    {"zh-hans": "人工智能治理论坛", "en": "AI Governance Forum"},
                ],
                "ends_at": ["2024-11-20T12:00:00+08:00", "2024-11-20T12:30:00+08:00"],
                "capacity": [None, 800],
            }
        },
    )


def test_changing_the_institutions_logs_them_by_name(programme, organiser):
    forum = programme["forums"][0]
    host, co_host = forum.hosts()[0], forum.co_hosts()[0]
    newcomer = factories.OrganisationFactory(short_name="WIC")

    services.save_forum(forum, by=organiser, co_hosts=[newcomer, co_host])

    assert ActionLog.objects.get().data == {"changes": {"co_hosts": [["ITU"], ["WIC", "ITU"]]}}
    assert (forum.hosts(), forum.co_hosts()) == ([host], [newcomer, co_host])


def test_saving_an_unchanged_forum_logs_no_changes(programme, organiser):
    services.save_forum(programme["forums"][0], by=organiser)

    assert list(ActionLog.objects.values_list("action", "data")) == [("forum.changed", {})]


def test_changing_a_sessions_speakers_logs_them(programme, organiser):
    session = programme["forums"][0].sessions.first()
    speaker = session.appearances.get().person
    moderator = factories.PersonFactory(name="李明", name_latin="Li Ming")

    services.save_session(
        session, by=organiser, speakers=[(moderator, "moderator"), (speaker, "speaker")]
    )

    assert ActionLog.objects.get().data == {
        "changes": {
            "speakers": [
                [f"{speaker} (speaker)"],
                ["李明 (Li Ming) (moderator)", f"{speaker} (speaker)"],
            ]
        }
    }


def test_an_empty_list_of_speakers_removes_them_and_none_keeps_them(programme):
    first, second = programme["forums"][0].sessions.all()[:2]

    services.save_session(first, speakers=[])
    services.save_session(second, speakers=None)

    assert (first.appearances.count(), second.appearances.count()) == (0, 1)


# --- Hosts and co-hosts ------------------------------------------------------------------------


def test_an_empty_list_of_co_hosts_removes_them_and_keeps_the_hosts(programme):
    forum = programme["forums"][0]
    host = forum.hosts()[0]

    services.save_forum(forum, co_hosts=[])

    assert (forum.hosts(), forum.co_hosts()) == ([host], [])


def test_removing_every_host_is_refused(programme):
    forum = programme["forums"][0]
    before = list(forum.forum_organisers.values_list("organisation", "role"))

    with pytest.raises(DomainError) as raised:
        services.save_forum(forum, hosts=[])

    assert (raised.value.field, raised.value.message) == (
        "hosts",
        "A forum needs at least one host institution; name one.",
    )
    assert list(forum.forum_organisers.values_list("organisation", "role")) == before


def test_hosts_are_read_from_the_prefetched_links(programme, django_assert_num_queries):
    forums = list(
        Forum.objects.filter(summit=programme["summit"]).prefetch_related(
            "forum_organisers__organisation"
        )
    )

    with django_assert_num_queries(0):
        names = [
            ([o.short_name for o in f.hosts()], [o.short_name for o in f.co_hosts()])
            for f in forums
        ]

    assert names == [(["CAC"], ["ITU"]), (["CAC"], ["ITU"])]


# --- What a co-organiser may change ------------------------------------------------------------


@pytest.fixture
def co_organiser(programme):
    """Staff of ITU, which co-hosts both forums of the programme."""
    user = factories.UserFactory(username="itu", roles=["forum_organiser"])
    factories.MembershipFactory(user=user, organisation=programme["forums"][0].co_hosts()[0])
    return user


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"room_id": "side"}, "Only the secretariat can change these fields of a forum: room."),
        (
            {"starts_at": factories.at(0, 8), "ends_at": factories.at(0, 13)},
            "Only the secretariat can change these fields of a forum: ends at, starts at.",
        ),
        ({"capacity": 100}, "Only the secretariat can change these fields of a forum: seats."),
        (
            {"slug": "ai-2", "kind": "plenary", "track": "society"},
            "Only the secretariat can change these fields of a forum: type, "
            "short name in addresses, track.",
        ),
        (
            {"is_public": False},
            "Only the secretariat can change these fields of a forum: published.",
        ),
    ],
)
def test_co_organiser_may_not_change_what_the_secretariat_decides(
    programme, co_organiser, change, message
):
    forum = programme["forums"][0]
    before = forum_row(forum)
    for name, value in change.items():
        setattr(forum, name, programme["rooms"][1].pk if value == "side" else value)

    with pytest.raises(NotAllowed) as raised:
        services.save_forum(forum, by=co_organiser)

    assert raised.value.message == message
    assert forum_row(forum) == before
    assert not ActionLog.objects.exists()


def test_co_organiser_may_not_name_the_hosts(programme, co_organiser):
    forum = programme["forums"][0]

    with pytest.raises(NotAllowed, match="co-host institutions"):
        services.save_forum(forum, by=co_organiser, co_hosts=[])

    assert len(forum.co_hosts()) == 1


def test_co_organiser_changes_texts_and_languages_and_resends_the_rest(programme, co_organiser):
    forum = programme["forums"][0]
    forum.theme = i18n(zh_hans="智能向善", en="AI for good")
    forum.languages = ["zh-hans", "en", "fr"]

    services.save_forum(forum, by=co_organiser, hosts=forum.hosts(), co_hosts=forum.co_hosts())

    stored = Forum.objects.get(pk=forum.pk)
    assert (stored.theme.data, stored.languages) == (
        {"zh-hans": "智能向善", "en": "AI for good"},
        ["zh-hans", "en", "fr"],
    )
    assert set(ActionLog.objects.get().data["changes"]) == {"theme", "languages"}
