"""Personal data is visible only to the guest, the secretariat and the co-organisers of the
guest's forums: each role tries each page, export, API list and photo, and sees exactly what it
may.

The cast: guest A asked for a seat in forum X, guest B in forum Y; the organiser (the
secretariat); the co-organiser of X and the co-organiser of Y; guests A and B signed in with
accounts of their own; and an anonymous visitor.
"""

import csv
import io
import re
from html import unescape

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import translation
from PIL import Image

from huiwu.registration.models import Registration, SeatRequest, SeatStatus, Status
from tests import factories
from tests.registration.factories import (
    GuestCategoryFactory,
    RegistrationFactory,
    SeatRequestFactory,
    wrong_key,
)

pytestmark = pytest.mark.django_db

ROLES = ["organiser", "co_x", "co_y", "guest_a", "guest_b", "anonymous"]
LOGIN = "/en/admin/login/"


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 400), (180, 140, 120)).save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture
def world(summit, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    # Six accounts per test: a fast hasher keeps the matrix quick (nobody types the passwords).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    category = GuestCategoryFactory(summit=summit, code="gov")
    forums = {}
    users = {"organiser": factories.UserFactory(username="organiser", roles=["organiser"])}
    for name in ("x", "y"):
        forum = factories.ForumFactory(summit=summit, slug=name)
        host = factories.OrganisationFactory()
        factories.ForumOrganiserFactory(forum=forum, organisation=host)
        co_organiser = factories.UserFactory(username=f"co-{name}", roles=["forum_organiser"])
        factories.MembershipFactory(user=co_organiser, organisation=host)
        forums[name] = forum
        users[f"co_{name}"] = co_organiser
    guests = {}
    for name, forum in (("a", forums["x"]), ("b", forums["y"])):
        account = factories.UserFactory(username=f"guest-{name}")
        guest = RegistrationFactory(
            summit=summit,
            category=category,
            name=f"Guest {name.upper()}",
            name_latin=f"Guest {name.upper()}",
            email=f"{name}@example.org",
            id_number=f"E{name.upper()}1234567",
            user=account,
        )
        guest.photo.save(f"{name}.jpg", ContentFile(jpeg()))
        SeatRequestFactory(registration=guest, forum=forum)
        guests[name] = guest
        users[f"guest_{name}"] = account
    return {"summit": summit, "forums": forums, "users": users, "guests": guests}


@pytest.fixture
def as_role(client, world):
    def become(role: str):
        if role != "anonymous":
            client.force_login(world["users"][role])
        return client

    return become


def url(name: str, *args, **query) -> str:
    with translation.override("en"):
        path = reverse(name, args=args)
    if query:
        path += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return path


def outcome(response) -> str:
    """What a visitor got: a page, a refusal, "not found", or sent to sign in."""
    if response.status_code == 302:
        return "sign in" if response["Location"].startswith(LOGIN) else "redirect"
    return {200: "page", 401: "sign in", 403: "refused", 404: "not found"}.get(
        response.status_code, str(response.status_code)
    )


def guests_in(html: str) -> set[str]:
    return set(re.findall(r"Guest [AB]", unescape(html)))


QUEUE = {
    "organiser": ("page", {"Guest A", "Guest B"}),
    "co_x": ("page", {"Guest A"}),
    "co_y": ("page", {"Guest B"}),
    "guest_a": ("refused", set()),
    "guest_b": ("refused", set()),
    "anonymous": ("sign in", set()),
}


@pytest.mark.parametrize("role", ROLES)
def test_review_queue_lists_only_the_guests_the_role_may_see(as_role, world, role):
    response = as_role(role).get(url("secretariat:queue", summit=world["summit"].slug))

    assert (outcome(response), guests_in(response.content.decode())) == QUEUE[role]


GUEST_A_FILE = {
    "organiser": ("page", True),
    "co_x": ("page", False),
    "co_y": ("not found", False),
    "guest_a": ("refused", False),
    "guest_b": ("refused", False),
    "anonymous": ("sign in", False),
}


@pytest.mark.parametrize("role", ROLES)
def test_guest_a_file_is_open_to_the_secretariat_and_forum_x_only(as_role, world, role):
    guest = world["guests"]["a"]

    response = as_role(role).get(url("secretariat:registration", guest.public_id))

    page = response.content.decode()
    shows_id_number = "EA1234567" in page
    assert (outcome(response), shows_id_number) == GUEST_A_FILE[role]
    if outcome(response) == "page":
        assert "a@example.org" in page


PHOTO = {
    "organiser": "page",
    "co_x": "page",
    "co_y": "not found",
    "guest_a": "refused",
    "guest_b": "refused",
    "anonymous": "sign in",
}


@pytest.mark.parametrize("role", ROLES)
def test_guest_a_photo_through_the_secretariat(as_role, world, role):
    response = as_role(role).get(url("secretariat:photo", world["guests"]["a"].public_id))

    assert outcome(response) == PHOTO[role]
    if outcome(response) == "page":
        assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
        assert response["Cache-Control"] == "private, no-store"


EXPORT = {
    "organiser": ("page", {"a@example.org", "b@example.org"}, True),
    "co_x": ("page", {"a@example.org"}, False),
    "co_y": ("page", {"b@example.org"}, False),
    "guest_a": ("refused", set(), False),
    "guest_b": ("refused", set(), False),
    "anonymous": ("sign in", set(), False),
}


@pytest.mark.parametrize("role", ROLES)
def test_export_holds_only_the_guests_the_role_may_see_and_id_numbers_for_the_secretariat(
    as_role, world, role
):
    response = as_role(role).get(url("secretariat:export", "csv", summit=world["summit"].slug))

    emails, with_ids = set(), False
    if response.status_code == 200:
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        emails = {row["E-mail"] for row in rows}
        with_ids = "Document number" in rows[0]
    assert (outcome(response), emails, with_ids) == EXPORT[role]


API = {
    "organiser": ("page", {"a@example.org", "b@example.org"}),
    "co_x": ("page", {"a@example.org"}),
    "co_y": ("page", {"b@example.org"}),
    "guest_a": ("refused", set()),
    "guest_b": ("refused", set()),
    "anonymous": ("sign in", set()),
}


@pytest.mark.parametrize("role", ROLES)
def test_api_list_of_registrations_holds_only_what_the_role_may_see(as_role, world, role):
    response = as_role(role).get(f"/api/v1/registrations?summit={world['summit'].slug}")

    emails = set()
    if response.status_code == 200:
        emails = {item["email"] for item in response.json()["items"]}
    assert (outcome(response), emails) == API[role]


FORUM_X_SEATS = {
    "organiser": "page",
    "co_x": "page",
    "co_y": "not found",
    "guest_a": "refused",
    "guest_b": "refused",
    "anonymous": "sign in",
}


@pytest.mark.parametrize("role", ROLES)
def test_forum_x_seats_are_managed_by_the_secretariat_and_forum_x_only(as_role, world, role):
    response = as_role(role).get(url("secretariat:forum", "x", summit=world["summit"].slug))

    assert outcome(response) == FORUM_X_SEATS[role]
    if outcome(response) == "page":
        assert guests_in(response.content.decode()) == {"Guest A"}


ADMIN = {
    "organiser": ("page", {"Guest A", "Guest B"}),
    "co_x": ("refused", set()),
    "co_y": ("refused", set()),
    "guest_a": ("sign in", set()),
    "guest_b": ("sign in", set()),
    "anonymous": ("sign in", set()),
}


@pytest.mark.parametrize("role", ROLES)
def test_registration_admin_is_the_secretariats_alone(as_role, world, role):
    response = as_role(role).get(url("admin:registration_registration_changelist"))

    if response.status_code == 302:
        location = response["Location"]
        got = ("sign in" if "/admin/login/" in location else "redirect", set())
    else:
        got = (outcome(response), guests_in(response.content.decode()))
    assert got == ADMIN[role]


@pytest.mark.parametrize("role", ["co_x", "co_y", "guest_a"])
def test_only_the_secretariat_decides_on_a_guest(as_role, world, role):
    guest = world["guests"]["a"]
    client = as_role(role)

    single = client.post(url("secretariat:decide", guest.public_id), {"action": "approve"})
    bulk = client.post(
        url("secretariat:bulk"),
        {"summit": world["summit"].slug, "action": "approve", "ids": [str(guest.public_id)]},
    )
    badge = client.post(url("secretariat:badge", guest.public_id), {"action": "revoke"})

    expected = "not found" if role == "co_y" else "refused"
    assert [outcome(single), outcome(bulk), outcome(badge)] == [
        expected,
        "refused",
        expected,
    ]
    guest.refresh_from_db()
    assert (guest.status, guest.badge_version) == (Status.SUBMITTED, 1)


def test_co_organiser_of_y_cannot_touch_a_seat_in_forum_x(as_role, world):
    seat = SeatRequest.objects.get(registration=world["guests"]["a"])

    response = as_role("co_y").post(url("secretariat:seat", seat.pk), {"action": "cancel"})

    assert outcome(response) == "not found"
    assert SeatRequest.objects.get(pk=seat.pk).status == SeatStatus.CONFIRMED


def test_co_organiser_sees_a_guests_seats_in_its_own_forums_only(as_role, world):
    guest = world["guests"]["a"]
    SeatRequestFactory(registration=guest, forum=world["forums"]["y"])

    page = as_role("co_x").get(url("secretariat:registration", guest.public_id))
    other = as_role("co_y").get(url("secretariat:registration", guest.public_id))

    titles = {forum: str(world["forums"][forum].title.localize("en")) for forum in "xy"}
    assert titles["x"] in unescape(page.content.decode())
    assert titles["y"] not in unescape(page.content.decode())
    # Asking for a seat in Y makes guest A a guest of Y too, seen with that seat only.
    assert outcome(other) == "page"
    assert titles["x"] not in unescape(other.content.decode())


def test_each_guest_reads_only_their_own_page_by_their_personal_link(client, world):
    a, b = world["guests"]["a"], world["guests"]["b"]

    own = client.get(url("registration:guest", a.access_key))
    photo = client.get(url("registration:photo", a.access_key))
    guessed = client.get(url("registration:guest", wrong_key(a.access_key)))

    assert outcome(own) == "page"
    assert guests_in(own.content.decode()) == {"Guest A"}
    assert "b@example.org" not in own.content.decode()
    assert outcome(photo) == "page"
    assert outcome(guessed) == "not found"
    assert Registration.objects.get(pk=b.pk).status == Status.SUBMITTED
