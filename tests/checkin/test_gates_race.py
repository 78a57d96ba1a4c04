"""Gates at once: real threads, each with its own database connection, scan the same guests
through the services; entries are counted once and occupancy stays exact. Runs on SQLite
(writers serialised by BEGIN IMMEDIATE) and on PostgreSQL (row locks), where it matters most."""

import threading
import time

import pytest
from django.db import connections

from huiwu.checkin import messages, selectors, services
from huiwu.checkin.models import Decision, Direction, Presence, ScanEvent
from huiwu.registration.badges import badge_token
from tests.checkin.factories import moment
from tests.registration.test_seats_race import race

pytestmark = pytest.mark.django_db(transaction=True)

GATES = 20


@pytest.mark.parametrize("returning", [False, True], ids=["first-entry", "back-from-a-break"])
def test_twenty_gates_scanning_the_same_guest_at_once_let_the_guest_in_once(site, returning):
    guest = site.guest()
    token = badge_token(guest)
    gates = [site.gate()[0] for _ in range(GATES)]
    if returning:
        # The guest came and left before: the presence row exists, so no insert serialises
        # the racers, only the row lock.
        exit_gate = site.gate(direction=Direction.OUT)[0]
        services.scan(gates[0], idempotency_key="early", captured_at=moment(-60), qr_token=token)
        services.scan(exit_gate, idempotency_key="break", captured_at=moment(-30), qr_token=token)

    results = race(
        [
            lambda gate=gate: services.scan(
                gate, idempotency_key="same-moment", captured_at=moment(), qr_token=token
            )
            for gate in gates
        ]
    )

    decisions = sorted((result.decision, result.reason) for result in results)
    assert decisions == [(Decision.ADMIT, None)] + [(Decision.DENY, messages.ALREADY_INSIDE)] * (
        GATES - 1
    )
    racing = ScanEvent.objects.filter(idempotency_key="same-moment")
    assert racing.count() == GATES
    assert racing.filter(moved=True).count() == 1
    assert list(Presence.objects.values_list("registration", "inside")) == [(guest.pk, True)]
    [hall] = [row for row in selectors.zone_occupancy(site.summit) if row.zone == site.main_hall]
    assert hall.inside == 1


def test_one_gate_retrying_a_scan_twenty_times_at_once_records_it_once(site):
    guest = site.guest()
    gate = site.gate()[0]
    token = badge_token(guest)

    results = race(
        [lambda: services.scan(gate, idempotency_key="retry", captured_at=moment(), qr_token=token)]
        * GATES
    )

    assert {result.event.pk for result in results} == {ScanEvent.objects.get().pk}
    assert {result.decision for result in results} == {Decision.ADMIT}
    assert sum(not result.replayed for result in results) == 1


def test_occupancy_stays_exact_when_many_guests_come_and_go_through_many_gates(site):
    guests = [site.guest() for _ in range(15)]
    entries = [site.gate()[0] for _ in range(4)]
    exits = [site.gate(direction=Direction.OUT)[0] for _ in range(3)]

    # Every guest is scanned in by every entry gate at once, then half of them leave through
    # every exit gate at once.
    race(
        [
            lambda gate=gate, guest=guest: services.scan(
                gate,
                idempotency_key=f"in-{guest.pk}",
                captured_at=moment(),
                qr_token=badge_token(guest),
            )
            for gate in entries
            for guest in guests
        ]
    )
    leaving = guests[::2]
    race(
        [
            lambda gate=gate, guest=guest: services.scan(
                gate,
                idempotency_key=f"out-{guest.pk}",
                captured_at=moment(5),
                qr_token=badge_token(guest),
            )
            for gate in exits
            for guest in leaving
        ]
    )

    [hall] = [row for row in selectors.zone_occupancy(site.summit) if row.zone == site.main_hall]
    assert (hall.entries, hall.exits) == (len(guests), len(leaving))
    inside = Presence.objects.filter(inside=True)
    assert hall.inside == inside.count() == len(guests) - len(leaving)
    assert set(inside.values_list("registration", flat=True)) == {g.pk for g in guests[1::2]}
    assert selectors.checkin_figures(site.summit) == {"guests_checked_in": len(guests)}


def test_gates_racing_for_the_last_places_of_a_zone_that_stops_when_full_never_overfill_it(site):
    site.main_hall.capacity, site.main_hall.stop_when_full = 5, True
    site.main_hall.save()
    guests = [site.guest() for _ in range(12)]
    gates = [site.gate()[0] for _ in range(4)]
    exit_gate = site.gate(direction=Direction.OUT)[0]
    services.scan(
        gates[0], idempotency_key="early", captured_at=moment(-1), qr_token=badge_token(guests[0])
    )

    # Twelve guests at four gates at once, and the first guest leaving meanwhile.
    results = race(
        [
            lambda n=n, guest=guest: services.scan(
                gates[n % len(gates)],
                idempotency_key=f"in-{guest.pk}",
                captured_at=moment(),
                qr_token=badge_token(guest),
            )
            for n, guest in enumerate(guests[1:])
        ]
        + [
            lambda: services.scan(
                exit_gate,
                idempotency_key="leaving",
                captured_at=moment(),
                qr_token=badge_token(guests[0]),
            )
        ]
    )

    admitted = [r for r in results[:-1] if r.decision == Decision.ADMIT]
    refused = [r for r in results[:-1] if r.decision == Decision.DENY]
    assert {r.reason for r in refused} <= {messages.FULL}
    # Five places; the guest who left freed one, if the exit came before the last entry.
    assert len(admitted) in (4, 5)
    assert len(admitted) + len(refused) == len(guests) - 1
    assert results[-1].event.moved  # the first guest left
    inside = Presence.objects.filter(zone=site.main_hall, inside=True).count()
    assert inside == len(admitted)


def test_an_exit_and_an_entry_of_the_same_guest_at_once_at_a_counted_zone_both_finish(
    site, monkeypatch
):
    """The exit holds the guest's presence and then writes its scan, whose foreign key reads
    the zone row; the entry holds the zone row and waits for the presence. Neither may wait
    for the other (on PostgreSQL a plain FOR UPDATE of the zone was a deadlock)."""
    site.main_hall.capacity, site.main_hall.stop_when_full = 5, True
    site.main_hall.save()
    guest = site.guest()
    token = badge_token(guest)
    entry, exit_gate = site.gate()[0], site.gate(direction=Direction.OUT)[0]
    services.scan(entry, idempotency_key="first", captured_at=moment(-60), qr_token=token)
    exit_holds_presence = threading.Event()
    lock_presence = services._lock_presence

    def held_a_while(zone, registration):
        presence = lock_presence(zone, registration)
        if threading.current_thread().name == "exit":
            exit_holds_presence.set()
            time.sleep(1.5)  # the entry takes the zone row meanwhile
        return presence

    monkeypatch.setattr(services, "_lock_presence", held_a_while)

    def leave():
        return services.scan(
            exit_gate, idempotency_key="out", captured_at=moment(-1), qr_token=token
        )

    def enter():
        exit_holds_presence.wait(10)
        time.sleep(0.2)
        return services.scan(entry, idempotency_key="in", captured_at=moment(), qr_token=token)

    results = {}

    def run(name, job):
        try:
            results[name] = job()
        except Exception as error:  # the failure is what the test reports
            results[name] = error
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=("exit", leave), name="exit"),
        threading.Thread(target=run, args=("entry", enter), name="entry"),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert results["exit"].decision == Decision.ADMIT
    assert (results["entry"].decision, results["entry"].reason) == (Decision.ADMIT, None)
    assert Presence.objects.get(registration=guest).inside
