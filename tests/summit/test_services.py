import datetime as dt

import pytest
from django.utils import translation

from huiwu.core.i18n import i18n
from huiwu.core.models import ActionLog
from huiwu.core.services import DomainError
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
