"""The gate pages without a browser: the kiosk page's configuration, who may open the manual
lane, its search, check-ins by hand, and bad input that changes nothing."""

import json
import re

import pytest
from django.urls import reverse
from django.utils import translation

from huiwu.checkin.models import Decision, Method, Presence, ScanEvent
from huiwu.core.models import ActionLog
from tests import factories
from tests.checkin.factories import OBAMA, first_photo, with_photo

pytestmark = pytest.mark.django_db


def url(name: str, *args, language: str = "en") -> str:
    with translation.override(language):
        return reverse(name, args=args)


def as_role(client, role: str | None):
    if role is not None:
        client.force_login(factories.UserFactory(username=f"user-{role}", roles=[role]))
    return client


def lane_results(response) -> list[str]:
    return re.findall(r'<p class="lane-guest-name">([^<]+)', response.content.decode())


@pytest.mark.parametrize(("language", "title"), [("en", "Gate kiosk"), ("zh-hans", None)])
def test_kiosk_page_gives_its_script_the_api_and_the_page_language(client, language, title):
    response = client.get(url("checkin:kiosk", language=language))
    assert response.status_code == 200
    html = response.content.decode()
    config = json.loads(re.search(r'id="kiosk-config"[^>]*>(.*?)</script>', html, re.S)[1])
    assert (config["api"], config["language"]) == ("/api/v1/checkin/", language)
    assert set(config["strings"]) >= {"admitted", "denied", "noMatch", "admittedOffline"}
    assert "/static/checkin/kiosk.js" in html
    if title:
        assert config["strings"]["kiosk"] == title


@pytest.mark.parametrize(
    ("role", "expected"),
    [("gate_staff", 200), ("organiser", 200), ("volunteer", 403), ("forum_organiser", 403)],
)
def test_manual_lane_is_for_gate_staff_and_the_secretariat(client, site, role, expected):
    assert as_role(client, role).get(url("checkin:manual")).status_code == expected


def test_manual_lane_sends_strangers_to_the_staff_sign_in(client, site):
    lane = url("checkin:manual")
    response = client.get(lane)
    assert response.status_code == 302
    assert response["Location"] == f"{url('checkin:login')}?next={lane}"


def test_gate_staff_sign_in_and_land_on_the_lane(client, site):
    factories.UserFactory(username="keeper", roles=["gate_staff"])
    response = client.post(
        url("checkin:login"), {"username": "keeper", "password": "secret-pass-123"}
    )
    assert response.status_code == 302
    assert response["Location"] == url("checkin:manual")


def test_the_lane_opens_on_the_main_hall_then_where_the_staff_member_worked_last(client, site):
    staff = as_role(client, "gate_staff")

    def chosen() -> tuple[int, str]:
        form = staff.get(url("checkin:manual")).context["form"]
        return form["zone"].value(), form["direction"].value()

    assert chosen() == (site.main_hall.pk, "in")
    staff.get(url("checkin:manual"), {"zone": site.forum_room.pk, "direction": "out", "q": ""})
    assert chosen() == (site.forum_room.pk, "out")


def test_search_finds_guests_by_either_name_or_the_document_number(client, site):
    site.guest(name="李娜", name_latin="Li Na", id_number="E12345678")
    site.guest(name="Jean Dupont", name_latin="Jean Dupont")
    staff = as_role(client, "gate_staff")

    def search(text):
        params = {"zone": site.main_hall.pk, "direction": "in", "q": text}
        return lane_results(staff.get(url("checkin:manual"), params))

    assert search("li na") == ["李娜 "]
    assert search("L") == []  # one Latin letter names nobody
    assert search("李") == ["李娜 "]  # one Chinese character may be a surname
    assert search("李娜") == ["李娜 "]
    assert search("E 1234 5678") == ["李娜 "]
    assert search("E1234567") == []  # a document number matches whole, never in part
    assert search("Dupont") == ["Jean Dupont"]


def test_htmx_search_answers_the_results_alone(client, site):
    site.guest(name="Jean Dupont", name_latin="Jean Dupont")
    response = as_role(client, "gate_staff").get(
        url("checkin:manual"),
        {"zone": site.main_hall.pk, "direction": "in", "q": "Dupont"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="lane-results"')
    assert "<html" not in html


def test_staff_check_a_guest_in_by_hand_and_it_is_audited(client, site):
    guest = site.guest(name="Jean Dupont", name_latin="Jean Dupont")
    response = as_role(client, "gate_staff").post(
        url("checkin:manual_checkin"),
        {"guest": guest.public_id, "zone": site.main_hall.pk, "direction": "in", "q": "Jean"},
    )
    assert response.status_code == 200
    assert 'class="lane-outcome lane-outcome-admit"' in response.content.decode()
    event = ScanEvent.objects.get()
    assert (event.registration, event.method, event.decision) == (
        guest,
        Method.MANUAL,
        Decision.ADMIT,
    )
    assert Presence.objects.get(zone=site.main_hall, registration=guest).inside
    assert ActionLog.objects.filter(action="checkin.manual").count() == 1
    assert "Inside" in response.content.decode()


def test_a_refusal_at_the_lane_says_why(client, site):
    guest = site.guest(name="Jean Dupont", name_latin="Jean Dupont")
    response = as_role(client, "gate_staff").post(
        url("checkin:manual_checkin"),
        {"guest": guest.public_id, "zone": site.vip_lounge.pk, "direction": "in"},
    )
    html = response.content.decode()
    assert 'class="lane-outcome lane-outcome-deny"' in html
    assert "This badge does not give access to this area." in html
    assert not Presence.objects.filter(inside=True).exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"guest": "not-a-uuid"}, "Choose a guest from the search results."),
        ({"guest": "00000000-0000-4000-8000-000000000000"}, "no such guest at this summit"),
        ({"zone": "999999"}, "Choose one of this summit&#x27;s zones."),
        ({"direction": "sideways"}, "Select a valid choice."),
        ({"zone": ""}, "This field is required."),
    ],
)
def test_bad_check_in_requests_change_nothing_and_say_why(client, site, change, message):
    guest = site.guest()
    data = {"guest": guest.public_id, "zone": site.main_hall.pk, "direction": "in", **change}
    response = as_role(client, "gate_staff").post(url("checkin:manual_checkin"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ScanEvent.objects.exists()
    assert not ActionLog.objects.filter(action="checkin.manual").exists()


def test_a_guest_or_zone_of_another_summit_is_refused(client, site):
    other = factories.SummitFactory(slug="other")
    stranger_zone = factories.ZoneFactory(summit=other)
    guest = site.guest()
    response = as_role(client, "gate_staff").post(
        url("checkin:manual_checkin"),
        {"guest": guest.public_id, "zone": stranger_zone.pk, "direction": "in"},
    )
    assert response.status_code == 400
    assert not ScanEvent.objects.exists()


def test_check_in_needs_a_post_and_the_role(client, site):
    guest = site.guest()
    data = {"guest": guest.public_id, "zone": site.main_hall.pk, "direction": "in"}
    assert as_role(client, "gate_staff").get(url("checkin:manual_checkin")).status_code == 405
    client.logout()
    assert as_role(client, "volunteer").post(url("checkin:manual_checkin"), data).status_code == 403
    assert not ScanEvent.objects.exists()


def test_the_lane_shows_a_guests_portrait_to_staff_only(client, site):
    guest = with_photo(site.guest(), first_photo(OBAMA))
    photo = url("checkin:manual_photo", guest.public_id)
    assert client.get(photo).status_code == 302
    response = as_role(client, "gate_staff").get(photo)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    without = site.guest()
    assert client.get(url("checkin:manual_photo", without.public_id)).status_code == 404
