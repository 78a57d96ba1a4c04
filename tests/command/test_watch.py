"""Automatic incidents: a zone full, a gate device silent, a no-show at a critical post — each
raised once, not again while its incident is open, and announced to the staff."""

import datetime as dt

import pytest
from django.utils import timezone

from huiwu.checkin import services as checkin
from huiwu.checkin.models import GateDevice
from huiwu.command import live, services
from huiwu.command.models import Incident, IncidentSource, IncidentStatus, Priority
from huiwu.registration.badges import badge_token
from huiwu.volunteers.models import DutyRecord
from tests.checkin.factories import make_site, moment
from tests.command.factories import operator
from tests.factories import at
from tests.volunteers import factories as vf

pytestmark = pytest.mark.django_db

NOW = at(0, 11)
NOTHING = {"crowding": 0, "equipment": 0, "staffing": 0}


@pytest.fixture
def site(summit):
    return make_site(summit)


def fill(site, zone, guests: int) -> None:
    gate, _token = site.gate(zone)
    for index in range(guests):
        guest = site.guest()
        if zone == site.forum_room:
            site.seat(guest)
        checkin.scan(
            gate,
            idempotency_key=f"k{index}",
            captured_at=moment(index),
            qr_token=badge_token(guest),
            now=moment(index),
        )


def test_a_zone_at_capacity_raises_one_crowding_incident(site, events, committed):
    site.main_hall.capacity = 2
    site.main_hall.save()
    fill(site, site.main_hall, 2)

    first = committed(services.watch, site.summit, now=NOW)
    again = committed(services.watch, site.summit, now=NOW + dt.timedelta(seconds=30))

    incident = Incident.objects.get()
    assert (first, again) == ({**NOTHING, "crowding": 1}, NOTHING)
    assert (incident.kind, incident.priority, incident.source) == (
        "crowding",
        Priority.HIGH,
        IncidentSource.AUTOMATIC,
    )
    assert (incident.zone, incident.venue) == (site.main_hall, site.main_hall.venue)
    assert incident.auto_key == f"zone:{site.main_hall.pk}:full"
    assert events.alerts() == [{"incident": incident.pk, "reason": "auto_raised", "dispatch": None}]
    assert [group for group, _data in events.of("alert")] == [live.command_group(site.summit.pk)]


def test_a_zone_without_its_own_capacity_counts_its_rooms_seats(site):
    site.forum_room.rooms.update(capacity=1)
    fill(site, site.forum_room, 1)
    assert services.watch(site.summit, now=NOW) == {**NOTHING, "crowding": 1}


def test_a_zone_under_capacity_raises_nothing(site):
    site.main_hall.capacity = 3
    site.main_hall.save()
    fill(site, site.main_hall, 2)
    assert services.watch(site.summit, now=NOW) == NOTHING


def test_a_full_zone_is_raised_again_only_a_while_after_its_incident_closed(site):
    site.main_hall.capacity = 1
    site.main_hall.save()
    fill(site, site.main_hall, 1)
    services.watch(site.summit, now=NOW)
    services.change_status(Incident.objects.get(), "resolved", by=operator(), note="Gate closed.")

    soon = services.watch(site.summit, now=NOW + dt.timedelta(minutes=5))
    later = services.watch(site.summit, now=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=31))

    assert (soon, later) == (NOTHING, {**NOTHING, "crowding": 1})
    assert Incident.objects.filter(status=IncidentStatus.NEW).count() == 1


def test_a_silent_gate_device_raises_one_equipment_incident_per_outage(site):
    silent, _token = site.gate()
    alive, _token = site.gate()
    _never, _token = site.gate()
    revoked, _token = site.gate()
    GateDevice.objects.filter(pk__in=[silent.pk, revoked.pk]).update(
        last_seen_at=NOW - dt.timedelta(minutes=10)
    )
    GateDevice.objects.filter(pk=alive.pk).update(last_seen_at=NOW - dt.timedelta(minutes=1))
    GateDevice.objects.filter(pk=revoked.pk).update(active=False)

    assert services.watch(site.summit, now=NOW) == {**NOTHING, "equipment": 1}
    incident = Incident.objects.get()
    assert (incident.kind, incident.zone, incident.needs) == ("equipment", site.main_hall, ["it"])
    assert incident.place == silent.name
    # Raised by no reader: said in each language, whatever the watcher's.
    stamp = timezone.localtime(NOW - dt.timedelta(minutes=10), site.summit.tz).strftime("%H:%M")
    assert incident.description.splitlines() == [
        f"闸机设备“{silent.name}”自{stamp}起失去联系。",
        f"Gate device “{silent.name}” has not been heard from since {stamp}.",
    ]

    # Resolved while still silent: the same outage is not raised again.
    services.change_status(incident, "cancelled", by=operator(), note="Counted twice.")
    GateDevice.objects.filter(pk=alive.pk).update(last_seen_at=NOW + dt.timedelta(minutes=59))
    assert services.watch(site.summit, now=NOW + dt.timedelta(hours=1)) == NOTHING
    # Back, then silent again: a new outage.
    GateDevice.objects.filter(pk=silent.pk).update(last_seen_at=NOW + dt.timedelta(minutes=30))
    assert services.watch(site.summit, now=NOW + dt.timedelta(hours=1)) == {
        **NOTHING,
        "equipment": 1,
    }


def test_a_gate_silent_since_just_before_midnight_is_raised_just_after(site):
    gate, _token = site.gate()
    GateDevice.objects.filter(pk=gate.pk).update(last_seen_at=at(0, 23, 58))
    assert services.watch(site.summit, now=at(1, 0, 2)) == {**NOTHING, "equipment": 1}


def test_a_gate_put_away_after_yesterdays_session_raises_nothing(site):
    gate, _token = site.gate()
    GateDevice.objects.filter(pk=gate.pk).update(last_seen_at=at(0, 18))
    assert services.watch(site.summit, now=at(1, 8)) == NOTHING


def no_show(summit, *, critical: bool, **post_fields) -> DutyRecord:
    slot = vf.PostShiftFactory(post__summit=summit, post__is_critical=critical, **post_fields)
    assignment = vf.AssignmentFactory(post_shift=slot, application__name="Zhao Lei")
    return DutyRecord.objects.create(assignment=assignment, no_show=True)


def test_a_no_show_at_a_critical_post_raises_one_staffing_incident(summit, events, committed):
    duty = no_show(
        summit,
        critical=True,
        post__required_skills=["interpreting"],
        post__required_languages=["fr"],
        post__min_language_level=3,
    )
    no_show(summit, critical=False)

    first = committed(services.watch, summit, now=NOW)
    again = committed(services.watch, summit, now=NOW + dt.timedelta(minutes=1))

    incident = Incident.objects.get()
    post = duty.assignment.post_shift.post
    assert (first, again) == ({**NOTHING, "staffing": 1}, NOTHING)
    assert (incident.kind, incident.priority, incident.post, incident.venue) == (
        "staffing",
        Priority.HIGH,
        post,
        post.venue,
    )
    assert incident.needs == ["interpreting", "fr:3"]
    assert "Zhao Lei" in incident.description
    assert [alert["reason"] for alert in events.alerts()] == ["auto_raised"]

    services.change_status(incident, "cancelled", by=operator(), note="Counted twice.")
    assert services.watch(summit, now=NOW + dt.timedelta(minutes=2)) == NOTHING


def test_a_no_show_of_a_shift_begun_just_before_midnight_is_raised_just_after(summit):
    no_show(summit, critical=True, shift__start=at(0, 23, 50), shift__end=at(1, 2))
    assert services.watch(summit, now=at(1, 0, 6)) == {**NOTHING, "staffing": 1}


def test_a_no_show_of_yesterday_morning_raises_nothing(summit):
    no_show(summit, critical=True)
    assert services.watch(summit, now=at(1, 11)) == NOTHING


def test_the_watch_looks_at_every_summit_under_way(site):
    site.main_hall.capacity = 1
    site.main_hall.save()
    fill(site, site.main_hall, 1)
    assert site.summit.is_current
    assert services.watch(now=NOW) == {**NOTHING, "crowding": 1}
    assert services.watch(now=NOW) == NOTHING
