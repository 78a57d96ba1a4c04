"""Occupancy per zone and venue, arrivals per minute and the summit in figures."""

import datetime as dt

import pytest

from huiwu.checkin import selectors, services
from huiwu.checkin.models import Direction
from huiwu.core import figures
from huiwu.registration.badges import badge_token
from tests import factories
from tests.checkin.factories import moment

pytestmark = pytest.mark.django_db


def scan(gate, guest, key, minutes):
    return services.scan(
        gate,
        idempotency_key=key,
        captured_at=moment(minutes),
        qr_token=badge_token(guest),
        now=moment(minutes),
    )


@pytest.fixture
def morning(site):
    """Three guests enter the main hall at 10:00, 10:00 and 10:02; one leaves at 10:05, one is
    refused (already inside), one goes on to the forum room."""
    guests = [site.guest() for _ in range(3)]
    site.seat(guests[2])
    entry, _t = site.gate()
    exit_gate, _t = site.gate(direction=Direction.OUT)
    forum_entry, _t = site.gate(site.forum_room)
    scan(entry, guests[0], "a", 0)
    scan(entry, guests[1], "b", 0)
    scan(entry, guests[2], "c", 2)
    scan(entry, guests[2], "d", 3)  # already inside: refused
    scan(exit_gate, guests[0], "e", 5)
    scan(forum_entry, guests[2], "f", 6)
    return guests


def test_each_zone_counts_entries_minus_exits(site, morning):
    rows = {row.zone: row for row in selectors.zone_occupancy(site.summit)}
    assert {zone: (r.entries, r.exits, r.inside) for zone, r in rows.items()} == {
        site.main_hall: (3, 1, 2),
        site.forum_room: (1, 0, 1),
        site.vip_lounge: (0, 0, 0),
    }


def test_a_venue_counts_each_guest_inside_once(site, morning):
    venue = site.main_hall.venue
    other = factories.VenueFactory(summit=site.summit)
    # Guest 2 is inside the main hall and the forum room of the same venue: one person.
    assert selectors.venue_occupancy(site.summit) == {venue: 2, other: 0}


def test_arrivals_are_counted_per_minute(site, morning):
    start = moment(-60)
    assert selectors.arrivals_per_minute(site.summit, start, start + dt.timedelta(hours=2)) == [
        (moment(0), 2),
        (moment(2), 1),
        (moment(6), 1),
    ]
    assert selectors.arrivals_per_minute(
        site.summit, start, start + dt.timedelta(hours=2), zone=site.forum_room
    ) == [(moment(6), 1)]
    assert selectors.arrivals_per_minute(site.summit, moment(1), moment(2)) == []


def test_the_figures_count_the_guests_checked_in(site, morning):
    site.guest()  # never came
    assert figures.summit_figures(site.summit)["guests_checked_in"] == 3
