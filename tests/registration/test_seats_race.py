"""No overbooking under concurrency: real threads, each with its own database connection,
race for the last seats of a forum through the services, on SQLite and on PostgreSQL."""

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connections

from huiwu.registration import services
from huiwu.registration.models import Registration, SeatRequest, SeatStatus
from tests import factories
from tests.registration import factories as rf

pytestmark = pytest.mark.django_db(transaction=True)

RACERS = 50
CAPACITY = 100
LAST_SEATS = 10
# Long enough for 50 serialised writers on a slow disk; a hung thread fails the test.
JOIN_TIMEOUT = 120


def race(jobs: list[Callable[[], object]]) -> list[object]:
    """Run every job in its own thread, all released at once; each thread uses (and closes) its
    own database connection. Returns each job's result or the exception it raised."""
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def run(index: int, job: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[index] = job()
        except Exception as error:  # reported by the caller, with the job that raised it
            results[index] = error
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(index, job), daemon=True)
        for index, job in enumerate(jobs)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a racer never finished"
    errors = [result for result in results if isinstance(result, Exception)]
    assert errors == []
    return results


def guests(summit, count: int, prefix: str) -> list[Registration]:
    category = rf.GuestCategoryFactory(summit=summit, code="racers")
    return Registration.objects.bulk_create(
        rf.RegistrationFactory.build(
            summit=summit, category=category, email=f"{prefix}{index}@example.org"
        )
        for index in range(count)
    )


@pytest.fixture
def forum(db):
    """A forum of 100 seats, 90 of them already confirmed: 10 left."""
    summit = factories.SummitFactory()
    forum = factories.ForumFactory(summit=summit, slug="full-soon", capacity=CAPACITY)
    SeatRequest.objects.bulk_create(
        SeatRequest(registration=guest, forum=forum, status=SeatStatus.CONFIRMED)
        for guest in guests(summit, CAPACITY - LAST_SEATS, "early")
    )
    return forum


def confirmed(forum) -> int:
    return SeatRequest.objects.filter(forum=forum, status=SeatStatus.CONFIRMED).count()


def test_fifty_guests_racing_for_the_last_ten_seats_get_exactly_ten(forum):
    racers = guests(forum.summit, RACERS, "racer")
    results = race([lambda guest=guest: services.request_seat(guest, forum) for guest in racers])

    assert Counter(seat.status for seat in results) == {
        SeatStatus.CONFIRMED: LAST_SEATS,
        SeatStatus.WAITLISTED: RACERS - LAST_SEATS,
    }
    assert confirmed(forum) == CAPACITY
    assert services.seats_free(forum) == 0
    # Every racer holds exactly one request, the one it was given.
    stored = SeatRequest.objects.filter(registration__in=racers)
    assert sorted(stored.values_list("registration_id", flat=True)) == sorted(
        guest.pk for guest in racers
    )
    assert dict(stored.values_list("pk", "status")) == {seat.pk: seat.status for seat in results}


def test_cancellations_racing_requests_never_overbook_and_promote_in_order(forum):
    holders = list(
        SeatRequest.objects.filter(forum=forum).select_related("forum")[: LAST_SEATS * 2]
    )
    # Fill the forum, then queue 20 guests in a known order.
    for guest in guests(forum.summit, LAST_SEATS, "filler"):
        services.request_seat(guest, forum)
    waiting = [services.request_seat(g, forum) for g in guests(forum.summit, 20, "waiting")]
    assert {seat.status for seat in waiting} == {SeatStatus.WAITLISTED}
    newcomers = guests(forum.summit, 20, "newcomer")

    highest = []
    done = threading.Event()

    def watch() -> None:
        # Watches from its own connection, as a page would, while the race runs.
        try:
            while not done.is_set():
                highest.append(confirmed(forum))
        finally:
            connections.close_all()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        race(
            [lambda seat=seat: services.cancel_seat(seat) for seat in holders]
            + [lambda guest=guest: services.request_seat(guest, forum) for guest in newcomers]
        )
    finally:
        done.set()
        watcher.join(JOIN_TIMEOUT)

    assert highest and max(highest) <= CAPACITY
    assert confirmed(forum) == CAPACITY
    # 20 seats freed: the 20 who waited first got them, the newcomers queue behind.
    statuses = dict(
        SeatRequest.objects.filter(pk__in=[seat.pk for seat in waiting]).values_list("pk", "status")
    )
    assert set(statuses.values()) == {SeatStatus.CONFIRMED}
    assert set(
        SeatRequest.objects.filter(registration__in=newcomers).values_list("status", flat=True)
    ) == {SeatStatus.WAITLISTED}


def test_one_guest_asking_twenty_times_at_once_holds_one_request(forum):
    [guest] = guests(forum.summit, 1, "eager")
    results = race([lambda: services.request_seat(guest, forum)] * 20)

    assert {seat.pk for seat in results} == {results[0].pk}
    active = SeatRequest.objects.filter(registration=guest).exclude(status=SeatStatus.CANCELLED)
    assert list(active.values_list("status", flat=True)) == [SeatStatus.CONFIRMED]
    assert confirmed(forum) == CAPACITY - LAST_SEATS + 1


def test_guests_submitting_for_several_forums_at_once_never_deadlock(db):
    """Forums that share rooms, asked for in overlapping pairs: the locks of one submission must
    never wait on another's in a cycle (PostgreSQL would abort one with a deadlock)."""
    summit = factories.SummitFactory()
    venue = factories.VenueFactory(summit=summit)
    first, second = factories.RoomFactory(venue=venue), factories.RoomFactory(venue=venue)
    forums = [
        factories.ForumFactory(summit=summit, slug=f"f{index}", room=room, capacity=20)
        for index, room in enumerate([first, second, first, second])
    ]
    racers = guests(summit, RACERS, "multi")
    Registration.objects.filter(pk__in=[g.pk for g in racers]).update(status="draft")
    for racer in racers:
        racer.status = "draft"
    pairs = [forums[index % 3 : index % 3 + 2] for index in range(RACERS)]
    race(
        [
            lambda guest=guest, pair=pair: services.submit(guest, forums=pair)
            for guest, pair in zip(racers, pairs, strict=True)
        ]
    )
    for forum in forums:
        assert confirmed(forum) == min(20, sum(forum in pair for pair in pairs))
    assert SeatRequest.objects.filter(registration__in=racers).count() == 2 * RACERS


def test_withdrawals_racing_submissions_never_deadlock(db):
    summit = factories.SummitFactory()
    venue = factories.VenueFactory(summit=summit)
    rooms = [factories.RoomFactory(venue=venue) for _ in range(2)]
    forums = [
        factories.ForumFactory(summit=summit, slug=f"w{index}", room=rooms[index % 2], capacity=10)
        for index in range(4)
    ]
    leaving = guests(summit, 25, "leaving")
    for guest in leaving:
        for forum in reversed(forums):
            services.request_seat(guest, forum)
    coming = guests(summit, 25, "coming")
    Registration.objects.filter(pk__in=[g.pk for g in coming]).update(status="draft")
    for guest in coming:
        guest.status = "draft"
    race(
        [lambda guest=guest: services.withdraw(guest) for guest in leaving]
        + [lambda guest=guest: services.submit(guest, forums=forums) for guest in coming]
    )
    for forum in forums:
        assert confirmed(forum) == 10
    assert not SeatRequest.objects.filter(registration__in=leaving).exclude(status="cancelled")
