"""A guest gives up seats or asks for more from the personal page, after submitting."""

import pytest
from django.utils import timezone

from huiwu.core.i18n import localized
from huiwu.registration import services
from huiwu.registration.models import SeatRequest, SeatStatus, Status
from tests import factories
from tests.registration import test_views
from tests.registration.factories import RegistrationFactory, wrong_key
from tests.registration.test_views import text, url

# The guests' pages' fixtures, shared rather than copied.
category = test_views.category
forums = test_views.forums

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """Django's clock, moved so that ``clock(moment)`` is now and time goes on from there;
    the day before the test summit (in 2024) unless a test moves it."""
    real_now = timezone.now

    def move(moment) -> None:
        offset = moment - real_now()
        monkeypatch.setattr(timezone, "now", lambda: real_now() + offset)

    move(factories.at(-1, 9))
    return move


@pytest.fixture
def guest(category):
    return RegistrationFactory(summit=category.summit, category=category)


def seats() -> list[tuple]:
    return list(SeatRequest.objects.order_by("id").values_list("id", "registration", "status"))


def give_up(client, registration, seat, **kwargs):
    return client.post(url("give_up_seat", registration.access_key, seat.pk), **kwargs)


def ask(client, registration, forum, **kwargs):
    return client.post(url("ask_seat", registration.access_key, forum.pk), **kwargs)


def title(forum, language: str = "en") -> str:
    return localized(forum.title, language)


# --- Giving up ------------------------------------------------------------------------------
def test_giving_up_a_seat_gives_it_to_the_first_guest_waiting(client, guest, forums):
    forums[1].capacity = 1
    forums[1].save()
    seat = services.request_seat(guest, forums[1])
    waiting = services.request_seat(RegistrationFactory(summit=guest.summit), forums[1])

    response = give_up(client, guest, seat)
    page = text(client.get(response["Location"]))

    assert response["Location"] == f"{url('guest', guest.access_key)}#seats"
    seat.refresh_from_db()
    waiting.refresh_from_db()
    assert (seat.status, waiting.status) == (SeatStatus.CANCELLED, SeatStatus.CONFIRMED)
    assert (
        f"You gave up your seat in “{title(forums[1])}”: it goes to the next guest waiting." in page
    )


def test_leaving_the_waitlist_keeps_the_others_in_their_order(client, guest, forums):
    forums[1].capacity = 1
    forums[1].save()
    first = services.request_seat(RegistrationFactory(summit=guest.summit), forums[1])
    seat = services.request_seat(guest, forums[1])
    last = services.request_seat(RegistrationFactory(summit=guest.summit), forums[1])

    page = text(give_up(client, guest, seat, follow=True))

    statuses = [SeatRequest.objects.get(pk=s.pk).status for s in (first, seat, last)]
    assert statuses == [SeatStatus.CONFIRMED, SeatStatus.CANCELLED, SeatStatus.WAITLISTED]
    assert f"You left the waitlist of “{title(forums[1])}”." in page


# --- Asking ---------------------------------------------------------------------------------
def test_asking_for_a_forum_with_room_gives_a_seat(client, guest, forums):
    services.request_seat(guest, forums[0])

    page = text(ask(client, guest, forums[1], follow=True))

    active = guest.seat_requests.exclude(status=SeatStatus.CANCELLED).order_by("forum__starts_at")
    assert [(s.forum, s.status) for s in active] == [
        (forums[0], SeatStatus.CONFIRMED),
        (forums[1], SeatStatus.CONFIRMED),
    ]
    assert f"You have a seat in “{title(forums[1])}”." in page


def test_asking_for_a_full_forum_puts_the_guest_on_its_waitlist(client, guest, forums):
    forums[1].capacity = 1
    forums[1].save()
    services.request_seat(RegistrationFactory(summit=guest.summit), forums[1])

    page = text(ask(client, guest, forums[1], follow=True))

    assert guest.seat_requests.get().status == SeatStatus.WAITLISTED
    assert (
        f"“{title(forums[1])}” is full: you are on its waitlist, and we will write to you "
        "when a seat frees up." in page
    )
    assert "Waitlist, number 1" in page


def test_a_guest_asked_for_more_information_may_change_seats(client, guest, forums, organiser):
    services.request_info(guest, by=organiser, reason="Please send a clearer photo.")

    ask(client, guest, forums[1])

    assert guest.seat_requests.get().status == SeatStatus.CONFIRMED


def test_a_forum_at_the_same_time_as_a_seat_is_refused(client, guest, forums):
    services.request_seat(guest, forums[0])
    same_time = factories.ForumFactory(
        summit=guest.summit, starts_at=factories.at(0, 11), ends_at=factories.at(0, 13)
    )
    before = seats()

    page = text(ask(client, guest, same_time, follow=True))

    assert seats() == before
    assert (
        f"“{title(same_time)}” takes place at the same time as “{title(forums[0])}”, where you "
        "already have a seat or a waitlist place. Give that one up first if you prefer this "
        "forum." in page
    )


def test_asking_twice_for_the_same_forum_says_so(client, guest, forums):
    services.request_seat(guest, forums[1])
    before = seats()

    page = text(ask(client, guest, forums[1], follow=True))

    assert seats() == before
    assert f"You already have a seat or a waitlist place in “{title(forums[1])}”." in page


# --- Refused --------------------------------------------------------------------------------
def test_another_guests_seat_cannot_be_given_up(client, guest, forums):
    other = services.request_seat(RegistrationFactory(summit=guest.summit), forums[0])
    before = seats()

    page = text(give_up(client, guest, other, follow=True))

    assert seats() == before
    assert "This seat is not on your registration, or you gave it up already." in page


def test_a_forum_not_offered_to_the_guest_is_refused(client, guest, forums):
    elsewhere = factories.ForumFactory()  # another summit's
    plenary = factories.ForumFactory(summit=guest.summit, kind="plenary")
    hidden = factories.ForumFactory(summit=guest.summit, is_public=False)

    pages = [text(ask(client, guest, forum, follow=True)) for forum in (elsewhere, plenary, hidden)]

    assert seats() == []
    for page in pages:
        assert (
            "You cannot ask for a seat in this forum from your page; please write to the "
            "secretariat." in page
        )


def test_nothing_changes_once_a_forum_has_begun(client, guest, forums, clock):
    seat = services.request_seat(guest, forums[0])
    clock(factories.at(0, 10))  # the first forum runs, the second is tomorrow
    before = seats()

    gave_up = text(give_up(client, guest, seat, follow=True))
    asked = text(ask(client, RegistrationFactory(summit=guest.summit), forums[0], follow=True))

    assert seats() == before
    begun = f"“{title(forums[0])}” has already begun: its seats can no longer be changed."
    assert begun in gave_up
    assert begun in asked


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "A registration that is “Rejected” cannot be changed this way."),
        ("zh-hans", "状态为“未通过”的报名不能以此方式变更。"),
    ],
)
def test_a_rejected_guest_cannot_ask_for_seats(client, guest, forums, organiser, language, message):
    services.reject(guest, by=organiser, reason="The summit is full.")

    response = client.post(url("ask_seat", guest.access_key, forums[1].pk, language=language))
    page = text(client.get(response["Location"]))

    assert seats() == []
    assert message in page


@pytest.mark.parametrize("status", [Status.DRAFT, Status.WITHDRAWN])
def test_a_draft_or_withdrawn_registration_changes_no_seat(client, category, forums, status):
    registration = RegistrationFactory(summit=category.summit, category=category, status=status)
    seat = SeatRequest.objects.create(
        registration=registration, forum=forums[0], status=SeatStatus.CONFIRMED
    )
    before = seats()

    pages = [
        text(give_up(client, registration, seat, follow=True)),
        text(ask(client, registration, forums[1], follow=True)),
    ]

    assert seats() == before
    refusal = f"A registration that is “{registration.get_status_display()}” cannot be changed"
    assert all(refusal in page for page in pages)


def test_a_get_changes_nothing_and_says_what_to_do(client, guest, forums):
    seat = services.request_seat(guest, forums[0])
    before = seats()

    pages = [
        text(client.get(url("give_up_seat", guest.access_key, seat.pk), follow=True)),
        text(client.get(url("ask_seat", guest.access_key, forums[1].pk), follow=True)),
    ]

    assert seats() == before
    for page in pages:
        assert "Please use the buttons of your page to change your seats." in page


def test_a_wrong_key_is_not_found(client, guest, forums):
    seat = services.request_seat(guest, forums[0])
    wrong = wrong_key(guest.access_key)
    before = seats()

    responses = [
        client.post(url("give_up_seat", wrong, seat.pk)),
        client.post(url("ask_seat", wrong, forums[1].pk)),
        client.get(url("ask_seat", wrong, forums[1].pk)),
    ]

    assert [response.status_code for response in responses] == [404, 404, 404]
    assert seats() == before


# --- The personal page ----------------------------------------------------------------------
def test_the_page_offers_to_give_up_each_seat_and_to_ask_for_the_other_forums(
    client,
    guest,
    forums,
):
    forums[1].capacity = 1
    forums[1].save()
    services.request_seat(RegistrationFactory(summit=guest.summit), forums[1])
    seat = services.request_seat(guest, forums[0])
    other = factories.ForumFactory(
        summit=guest.summit, starts_at=factories.at(2, 9), ends_at=factories.at(2, 12)
    )

    page = text(client.get(url("guest", guest.access_key)))

    assert url("give_up_seat", guest.access_key, seat.pk) in page
    assert "Give up this seat" in page
    assert "Other forums you may join" in page
    assert url("ask_seat", guest.access_key, forums[0].pk) not in page  # already seated
    assert url("ask_seat", guest.access_key, forums[1].pk) in page
    assert url("ask_seat", guest.access_key, other.pk) in page
    assert "Waitlist" in page  # forums[1] is full
    assert f"{other.seats} seats left" in page


def test_a_waitlist_place_is_offered_to_leave(client, guest, forums):
    forums[1].capacity = 0
    forums[1].save()
    seat = services.request_seat(guest, forums[1])

    page = text(client.get(url("guest", guest.access_key)))

    assert url("give_up_seat", guest.access_key, seat.pk) in page
    assert "Leave the waitlist" in page
    assert "Give up this seat" not in page


def test_the_page_offers_nothing_for_a_forum_that_has_begun(client, guest, forums, clock):
    seat = services.request_seat(guest, forums[0])
    clock(factories.at(0, 10))

    page = text(client.get(url("guest", guest.access_key)))

    assert url("give_up_seat", guest.access_key, seat.pk) not in page
    assert url("ask_seat", guest.access_key, forums[1].pk) in page


@pytest.mark.parametrize("status", [Status.DRAFT, Status.REJECTED, Status.WITHDRAWN])
def test_the_page_offers_no_seat_changes_to_a_registration_that_cannot_have_them(
    client,
    category,
    forums,
    status,
):
    registration = RegistrationFactory(summit=category.summit, category=category, status=status)
    SeatRequest.objects.create(
        registration=registration, forum=forums[0], status=SeatStatus.CONFIRMED
    )

    page = text(client.get(url("guest", registration.access_key)))

    assert "/seats/" not in page
    assert "Other forums you may join" not in page
