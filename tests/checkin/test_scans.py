"""Scans by QR badge: the gates' rules per zone, idempotency, presence and exits."""

import datetime as dt

import pytest
from django.utils import translation

from huiwu.checkin import access, messages, services
from huiwu.checkin.models import Decision, Direction, Method, Presence, ScanEvent
from huiwu.core.models import ActionLog
from huiwu.registration import services as registration_services
from huiwu.registration.badges import badge_token
from huiwu.registration.models import SeatStatus, Status
from tests import factories
from tests.checkin.factories import make_site, moment
from tests.registration import factories as rf
from tests.registration.factories import GuestCategoryFactory

pytestmark = pytest.mark.django_db


def qr(device, guest, key="k1", when=None, **extra):
    """A scan answered as soon as captured, unless ``now`` says when the server got it."""
    token = guest if isinstance(guest, str) else badge_token(guest)
    extra.setdefault("now", when or moment())
    return services.scan(
        device, idempotency_key=key, captured_at=when or moment(), qr_token=token, **extra
    )


def test_an_approved_guest_is_admitted_once_and_counted_inside(site):
    guest = site.guest()
    gate, _token = site.gate()

    result = qr(gate, guest)

    assert (result.decision, result.reason, result.replayed) == (Decision.ADMIT, None, False)
    assert result.message == "Welcome."
    event = ScanEvent.objects.get()
    assert (event.registration, event.method, event.moved, event.zone) == (
        guest,
        Method.QR,
        True,
        site.main_hall,
    )
    assert list(Presence.objects.values_list("registration", "inside")) == [(guest.pk, True)]


def test_a_retry_with_the_same_key_gets_the_first_answer_and_records_nothing_new(site):
    guest = site.guest()
    gate, _token = site.gate()
    first = qr(gate, guest)

    again = qr(gate, guest)

    assert again.replayed is True
    assert (again.event.pk, again.decision) == (first.event.pk, Decision.ADMIT)
    assert ScanEvent.objects.count() == 1


def test_a_reused_key_with_other_content_is_refused_and_changes_nothing(site):
    guest, other = site.guest(), site.guest()
    gate, _token = site.gate()
    qr(gate, guest)

    with pytest.raises(services.ReplayConflict) as refused:
        qr(gate, other)

    assert refused.value.field == "idempotency_key"
    assert ScanEvent.objects.count() == 1
    assert not Presence.objects.filter(registration=other).exists()
    with pytest.raises(services.ReplayConflict):
        qr(gate, guest, when=moment(1))


def test_keys_are_per_device(site):
    guest = site.guest()
    (first, _t1), (second, _t2) = site.gate(), site.gate(direction=Direction.OUT)

    qr(first, guest)
    left = qr(second, guest, when=moment(5))

    assert (left.decision, left.replayed) == (Decision.ADMIT, False)
    assert ScanEvent.objects.count() == 2


def test_a_guest_inside_is_refused_at_another_entry_until_leaving(site):
    guest = site.guest()
    (entry, _t1), (other_entry, _t2) = site.gate(), site.gate()
    (exit_gate, _t3) = site.gate(direction=Direction.OUT)
    qr(entry, guest)

    again = qr(other_entry, guest, when=moment(1))
    assert (again.decision, again.reason) == (Decision.DENY, messages.ALREADY_INSIDE)

    left = qr(exit_gate, guest, when=moment(2))
    assert (left.decision, left.reason, left.event.moved) == (Decision.ADMIT, None, True)
    back = qr(other_entry, guest, key="k2", when=moment(3))
    assert back.decision == Decision.ADMIT
    assert Presence.objects.get(registration=guest).inside is True


def test_leaving_without_a_recorded_entry_is_let_through_without_changing_the_count(site):
    guest = site.guest()
    exit_gate, _token = site.gate(direction=Direction.OUT)

    result = qr(exit_gate, guest)

    assert (result.decision, result.reason, result.event.moved) == (
        Decision.ADMIT,
        messages.NOT_INSIDE,
        False,
    )
    assert result.message == "Goodbye."
    assert not Presence.objects.filter(inside=True).exists()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            lambda guest: guest.__class__.objects.filter(pk=guest.pk).update(status="submitted"),
            messages.NOT_APPROVED,
        ),
        (
            lambda guest: registration_services.revoke_badge(guest, by=None, reason="lost"),
            messages.REVOKED,
        ),
    ],
    ids=["not-approved", "revoked"],
)
def test_a_badge_that_no_longer_holds_is_refused_with_the_reason(site, change, reason):
    guest = site.guest()
    token = badge_token(guest)
    gate, _token = site.gate()
    change(guest)

    result = qr(gate, token)

    assert (result.decision, result.reason, result.registration) == (Decision.DENY, reason, None)
    assert not Presence.objects.exists()


@pytest.mark.parametrize(
    "token",
    ["", "not-a-badge", "abc.1:forgedsignature", "x" * 500],
    ids=["empty-after-strip", "garbage", "forged", "long"],
)
def test_a_forged_badge_is_refused(site, token):
    gate, _token = site.gate()
    if not token:
        with pytest.raises(services.CheckinError):
            qr(gate, "   ")
        assert not ScanEvent.objects.exists()
        return
    result = qr(gate, token)
    assert (result.decision, result.reason) == (Decision.DENY, messages.INVALID_BADGE)
    assert result.message == "This is not a valid badge of this summit."


def test_a_badge_of_another_summit_is_not_valid_here(site):
    elsewhere = make_site(factories.SummitFactory())
    gate, _token = site.gate()

    result = qr(gate, elsewhere.guest())

    assert (result.decision, result.reason) == (Decision.DENY, messages.INVALID_BADGE)


def test_a_category_without_the_zone_is_refused_at_its_gates(site):
    gate, _token = site.gate(site.vip_lounge)

    result = qr(gate, site.guest())

    assert (result.decision, result.reason) == (Decision.DENY, messages.WRONG_ZONE)


@pytest.mark.parametrize(
    ("seat", "minutes", "reason"),
    [
        (SeatStatus.CONFIRMED, 0, None),
        (SeatStatus.CONFIRMED, -85, None),  # 8:35, doors open half an hour before 9:00
        (SeatStatus.CONFIRMED, -95, messages.NO_SEAT),  # 8:25, doors still closed
        (SeatStatus.CONFIRMED, 125, messages.NO_SEAT),  # 12:05, the forum is over
        (SeatStatus.WAITLISTED, 0, messages.NO_SEAT),
        (SeatStatus.CANCELLED, 0, messages.NO_SEAT),
        (None, 0, messages.NO_SEAT),
    ],
)
def test_a_forum_room_admits_confirmed_seat_holders_during_the_forum(site, seat, minutes, reason):
    guest = site.guest()
    if seat is not None:
        site.seat(guest, seat)
    gate, _token = site.gate(site.forum_room)

    result = qr(gate, guest, when=moment(minutes))

    assert result.reason == reason
    assert result.decision == (Decision.ADMIT if reason is None else Decision.DENY)


def test_a_forum_room_without_exit_gates_admits_the_guest_again_for_its_next_forum(site):
    afternoon = factories.ForumFactory(
        summit=site.summit,
        room=site.forum.room,
        starts_at=factories.at(0, 14),
        ends_at=factories.at(0, 17),
    )
    guest = site.guest()
    site.seat(guest)
    rf.SeatRequestFactory(registration=guest, forum=afternoon, status=SeatStatus.CONFIRMED)
    gate, _token = site.gate(site.forum_room)
    qr(gate, guest, key="morning")

    again = qr(gate, guest, key="coffee", when=moment(30))
    later = qr(gate, guest, key="afternoon", when=moment(4 * 60 - 20))  # 13:40, doors open

    assert (again.decision, again.reason) == (Decision.DENY, messages.ALREADY_INSIDE)
    assert (later.decision, later.reason, later.event.moved) == (Decision.ADMIT, None, False)
    assert later.message == "Welcome."
    assert Presence.objects.get(registration=guest, zone=site.forum_room).inside


def test_the_list_of_admissible_guests_agrees_with_the_refusals(site):
    """``admissible`` (for 1:N searches and offline lists) and ``refusal`` (one guest) are two
    readings of the same rules."""
    other_category = GuestCategoryFactory(summit=site.summit, code="press")
    guests = [
        site.guest(),
        site.guest(status=Status.SUBMITTED),
        site.guest(badge_revoked=True),
        site.guest(category=other_category),
        site.guest(),
        site.guest(),
    ]
    site.seat(guests[4])
    site.seat(guests[5], SeatStatus.WAITLISTED)
    site.seat(guests[1])
    for zone in (site.main_hall, site.forum_room, site.vip_lounge):
        for when in (moment(), moment(-120), moment(180)):
            listed = set(access.admissible(zone, when).values_list("pk", flat=True))
            allowed = {g.pk for g in guests if access.refusal(g, zone, when) is None}
            assert listed == allowed, (zone.kind, when)
    assert set(access.admissible(site.forum_room, moment()).values_list("pk", flat=True)) == {
        guests[4].pk
    }


def test_a_capture_time_in_the_future_is_refused_and_records_nothing(site):
    gate, _token = site.gate()
    future = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)

    with pytest.raises(services.CheckinError) as refused:
        qr(gate, site.guest(), when=future, now=None)

    assert refused.value.field == "captured_at"
    assert not ScanEvent.objects.exists()


@pytest.mark.parametrize(
    "when",
    [dt.datetime(1, 1, 1), factories.at(-1, 0) - dt.timedelta(minutes=1)],
    ids=["year-1", "two-days-before"],
)
def test_a_capture_time_before_the_summit_is_refused_and_records_nothing(site, when):
    gate, _token = site.gate()

    with pytest.raises(services.CheckinError) as refused:
        qr(gate, site.guest(), when=when, now=None)

    assert (refused.value.field, refused.value.message) == (
        "captured_at",
        "The capture time lies before the summit; check the device's clock.",
    )
    assert not ScanEvent.objects.exists()
    assert qr(gate, site.guest(), when=factories.at(-1, 0), now=None).decision == Decision.ADMIT


def test_an_online_scan_is_judged_when_the_server_gets_it_not_when_the_gate_claims(site):
    guest = site.guest()
    site.seat(guest)
    gate, _token = site.gate(site.forum_room)

    # Sent at 13:00, an hour after the forum, claiming to be from 10:00, when it was held.
    result = qr(gate, guest, when=moment(0), now=moment(180))

    assert (result.decision, result.reason) == (Decision.DENY, messages.NO_SEAT)
    assert result.event.captured_at == moment(0)


def test_a_delayed_scan_older_than_the_guests_last_one_is_recorded_without_moving_them(site):
    guest = site.guest()
    entry, _t1 = site.gate()
    exit_gate, _t2 = site.gate(direction=Direction.OUT)
    qr(entry, guest, key="in", when=moment(0))
    qr(exit_gate, guest, key="out", when=moment(30))

    late = qr(entry, guest, key="late", when=moment(10), now=moment(31))

    assert (late.decision, late.event.moved, late.event.captured_at) == (
        Decision.ADMIT,
        False,
        moment(10),
    )
    presence = Presence.objects.get(registration=guest)
    assert (presence.inside, presence.last_scan_at) == (False, moment(30))


def test_a_retry_sending_the_capture_time_in_another_time_zone_gets_the_first_answer(site):
    guest = site.guest()
    gate, _token = site.gate()
    first = qr(gate, guest, when=moment())

    again = qr(gate, guest, when=moment().astimezone(dt.UTC))

    assert (again.replayed, again.event.pk) == (True, first.event.pk)
    assert ScanEvent.objects.count() == 1


@pytest.mark.parametrize("key", ["", " ", "k" * 101, "line\nbreak"])
def test_a_bad_idempotency_key_is_refused(site, key):
    gate, _token = site.gate()
    with pytest.raises(services.CheckinError) as refused:
        qr(gate, site.guest(), key=key)
    assert refused.value.field == "idempotency_key"
    assert not ScanEvent.objects.exists()


def test_a_scan_with_nothing_to_decide_on_is_refused(site):
    gate, _token = site.gate()
    with pytest.raises(services.CheckinError):
        services.scan(gate, idempotency_key="k", captured_at=moment())
    assert not ScanEvent.objects.exists()


# --- Manual lane ------------------------------------------------------------------------------
def test_gate_staff_check_a_guest_in_by_hand_with_the_gates_rules_and_an_audit_entry(site):
    staff = factories.UserFactory(roles=["gate_staff"])
    guest = site.guest()

    result = services.manual_checkin(staff, guest, site.main_hall, Direction.IN)
    again = services.manual_checkin(staff, guest, site.main_hall, Direction.IN)

    assert (result.decision, result.event.method, result.event.staff) == (
        Decision.ADMIT,
        Method.MANUAL,
        staff,
    )
    assert (again.decision, again.reason) == (Decision.DENY, messages.ALREADY_INSIDE)
    logged = ActionLog.objects.filter(action="checkin.manual", actor=staff)
    assert [entry.data["decision"] for entry in logged.order_by("pk")] == ["admit", "deny"]


def test_only_gate_staff_and_the_secretariat_check_in_by_hand(site, organiser):
    guest = site.guest()
    for user in (factories.UserFactory(roles=["volunteer"]), factories.UserFactory()):
        with pytest.raises(services.NotAllowed):
            services.manual_checkin(user, guest, site.main_hall, Direction.IN)
    assert not ScanEvent.objects.exists()
    assert services.manual_checkin(organiser, guest, site.main_hall, "in").decision == "admit"


def test_the_manual_lane_refuses_a_guest_of_another_summit(site):
    staff = factories.UserFactory(roles=["gate_staff"])
    stranger = make_site(factories.SummitFactory()).guest()
    with pytest.raises(services.CheckinError):
        services.manual_checkin(staff, stranger, site.main_hall, Direction.IN)
    with pytest.raises(services.CheckinError):
        services.manual_checkin(staff, site.guest(), site.main_hall, "sideways")
    assert not ScanEvent.objects.exists()


# --- A zone that stops entry when full ----------------------------------------------------------
def full_hall(site, places: int):
    site.main_hall.capacity, site.main_hall.stop_when_full = places, True
    site.main_hall.save()
    return site.main_hall


def test_a_zone_that_stops_entry_when_full_refuses_the_guest_past_its_capacity(site):
    full_hall(site, 2)
    gate, _token = site.gate()
    first, second, third = site.guest(), site.guest(), site.guest()

    answers = [qr(gate, guest, key=f"k{guest.pk}") for guest in (first, second, third)]

    assert [(a.decision, a.reason) for a in answers] == [
        (Decision.ADMIT, None),
        (Decision.ADMIT, None),
        (Decision.DENY, messages.FULL),
    ]
    assert answers[2].message == "This area is full; please wait until someone leaves."
    assert not ScanEvent.objects.get(registration=third).moved
    assert Presence.objects.filter(inside=True).count() == 2


def test_leaving_frees_a_place_and_a_guest_inside_is_told_they_already_entered(site):
    full_hall(site, 1)
    entry, exit_gate = site.gate()[0], site.gate(direction=Direction.OUT)[0]
    first, second = site.guest(), site.guest()
    qr(entry, first, key="in-1")

    assert qr(entry, first, key="again").reason == messages.ALREADY_INSIDE
    assert qr(entry, second, key="in-2").reason == messages.FULL
    assert qr(exit_gate, first, key="out-1", when=moment(1)).decision == Decision.ADMIT
    assert qr(entry, second, key="in-2b", when=moment(2)).decision == Decision.ADMIT


def test_the_places_of_a_zone_without_its_own_capacity_are_its_rooms_seats(site):
    room = site.main_hall.rooms.get()
    room.capacity = 1
    room.save()
    site.main_hall.stop_when_full = True
    site.main_hall.save()
    gate, _token = site.gate()

    assert site.main_hall.places() == 1
    assert qr(gate, site.guest(), key="a").decision == Decision.ADMIT
    assert qr(gate, site.guest(), key="b").reason == messages.FULL


def test_a_zone_that_does_not_stop_entry_lets_guests_in_past_its_capacity(site):
    site.main_hall.capacity = 1
    site.main_hall.save()
    gate, _token = site.gate()

    answers = [qr(gate, site.guest(), key=f"k{n}") for n in range(3)]

    assert {answer.decision for answer in answers} == {Decision.ADMIT}


def test_the_staffed_lane_stops_at_capacity_too(site):
    full_hall(site, 1)
    staff = factories.UserFactory(roles=["gate_staff"])
    services.manual_checkin(staff, site.guest(), site.main_hall, Direction.IN)

    refused = services.manual_checkin(staff, site.guest(), site.main_hall, Direction.IN)

    assert (refused.decision, refused.reason) == (Decision.DENY, messages.FULL)


def test_an_offline_gate_could_not_know_and_its_entries_are_recorded_as_they_happened(site):
    full_hall(site, 1)
    gate, _token = site.gate()
    qr(gate, site.guest(), key="online")
    late = site.guest()

    [outcome] = services.sync(
        gate, [services.OfflineScan("offline", moment(1), badge_token(late), Decision.ADMIT)]
    )

    assert outcome.outcome == "recorded"
    assert (outcome.event.decision, outcome.event.moved) == (Decision.ADMIT, True)
    assert Presence.objects.filter(inside=True).count() == 2


def test_the_full_message_is_in_chinese_too(site):
    full_hall(site, 1)
    gate, _token = site.gate()
    qr(gate, site.guest(), key="first")
    with translation.override("zh-hans"):
        message = qr(gate, site.guest(), key="second").message
    assert message == "此区域已满员，请等候有人离场。"  # noqa: RUF001
