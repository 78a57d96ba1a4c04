"""Broadcasts: who they reach (the volunteers on duty of a venue, a post, a language, or all),
what they record, and bad ones sending nothing."""

import pytest

from huiwu.command import live, services
from huiwu.command.models import Audience, Broadcast
from huiwu.command.services import CommandError, CommandNotAllowed
from huiwu.core.models import ActionLog
from huiwu.core.services import actions_for
from tests.command.factories import on_duty
from tests.volunteers import factories as vf

pytestmark = pytest.mark.django_db


def test_broadcasts_reach_the_volunteers_on_duty_of_their_audience(
    summit, staff, events, committed
):
    desk = vf.PostFactory(summit=summit)
    french = on_duty(summit, post=desk, languages=[{"code": "fr", "level": 3}])
    at_desk = on_duty(summit, post=desk)
    elsewhere = on_duty(summit)
    vf.SelectedFactory(summit=summit)  # not on duty: never reached

    sent = {
        audience: committed(
            services.broadcast,
            summit,
            audience=audience,
            text=f"Message to {audience}",
            by=staff,
            **extra,
        )
        for audience, extra in (
            (Audience.ALL, {}),
            (Audience.VENUE, {"venue": desk.venue}),
            (Audience.POST, {"post": desk}),
            (Audience.LANGUAGE, {"language": "FR"}),
        )
    }

    assert {audience: message.recipients for audience, message in sent.items()} == {
        "all": 3,
        "venue": 2,
        "post": 2,
        "language": 1,
    }
    reached = {}
    for group, data in events.of("broadcast"):
        reached.setdefault(data["audience"], set()).add(group)
    assert reached["language"] == {live.volunteer_group(french.pk)}
    assert reached["post"] == {live.volunteer_group(v.pk) for v in (french, at_desk)}
    assert reached["all"] == {live.volunteer_group(v.pk) for v in (french, at_desk, elsewhere)}
    assert sent["language"].language == "fr"
    assert actions_for(sent["all"]).get().action == "command.broadcast"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"audience": "everyone"}, "audience"),
        ({"text": "   "}, "text"),
        ({"text": "x" * 501}, "text"),
        ({"audience": "venue"}, "venue"),
        ({"audience": "post"}, "post"),
        ({"audience": "language", "language": "klingon"}, "language"),
    ],
)
def test_bad_broadcasts_send_nothing(summit, staff, events, fields, field):
    on_duty(summit)
    data = {"audience": "all", "text": "Lunch is served.", **fields}
    with pytest.raises(CommandError) as refusal:
        services.broadcast(summit, by=staff, **data)
    assert refusal.value.field == field
    assert (Broadcast.objects.count(), ActionLog.objects.count(), events) == (0, 0, [])


def test_a_post_of_another_summit_is_refused(summit, staff):
    other = vf.PostFactory()
    with pytest.raises(CommandError) as refusal:
        services.broadcast(summit, audience="post", post=other, text="Hello", by=staff)
    assert refusal.value.message == "This post belongs to another summit."
    assert Broadcast.objects.count() == 0


def test_only_command_staff_broadcast(summit):
    volunteer = on_duty(summit)
    with pytest.raises(CommandNotAllowed):
        services.broadcast(summit, audience="all", text="Hello", by=volunteer.user)
    assert Broadcast.objects.count() == 0


def test_a_broadcast_with_nobody_on_duty_records_zero(summit, staff, events, committed):
    message = committed(services.broadcast, summit, audience="all", text="Anyone?", by=staff)
    assert (message.recipients, events) == (0, [])
