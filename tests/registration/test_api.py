"""The registration API: integrations register guests, guests read their status with their key,
organisers list what they may see; bad input is refused with nothing stored."""

import json
import uuid

import pytest
from django.core import mail
from django.test import Client

from huiwu.core.models import Membership
from huiwu.registration import services
from huiwu.registration.models import Invitation, Registration, SeatRequest, Status
from tests import factories
from tests.registration import factories as rf

pytestmark = pytest.mark.django_db

URL = "/api/v1/registrations"


@pytest.fixture
def api():
    """A client reading English."""
    return Client(headers={"accept-language": "en"})


def post(client, payload, **kwargs):
    return client.post(URL, json.dumps(payload), content_type="application/json", **kwargs)


@pytest.fixture
def business(summit):
    return rf.GuestCategoryFactory(
        summit=summit, code="business", required_fields=["organisation"], public=True
    )


@pytest.fixture
def government(summit):
    return rf.GuestCategoryFactory(summit=summit, code="government", public=False)


@pytest.fixture
def guest_data(programme, business):
    return {
        "category": "business",
        "name": "李华",
        "name_latin": "Li Hua",
        "nationality": "cn",
        "email": "li.hua@example.org",
        "organisation_name": "Alibaba",
        "id_type": "cn_id",
        "id_number": "11010519491231002X",
        "arrival_date": "2024-11-19",
        "departure_date": "2024-11-22",
        "face_consent": False,
        "forums": ["ai"],
    }


def nothing_stored() -> bool:
    return not Registration.objects.exists() and not SeatRequest.objects.exists()


# --- Creating -----------------------------------------------------------------------------------
def test_post_registers_and_submits_with_seats(api, guest_data, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api, guest_data | {"forums": ["ai", "data"]})
    assert response.status_code == 201, response.json()
    registration = Registration.objects.get()
    assert response.json() == {
        "id": str(registration.public_id),
        "status": "submitted",
        "personal_link": services.personal_link(registration),
        "seats": [
            {"forum": "ai", "status": "confirmed"},
            {"forum": "data", "status": "confirmed"},
        ],
    }
    assert (registration.status, registration.nationality.code, registration.language) == (
        Status.SUBMITTED,
        "CN",
        "en",
    )
    assert registration.face_consent is False and registration.face_consent_at is not None
    [message] = mail.outbox
    assert message.to == ["li.hua@example.org"]
    assert registration.access_key in message.body


def test_post_puts_the_guest_on_the_waitlist_of_a_full_forum(api, guest_data, programme):
    ai = programme["forums"][0]
    ai.capacity = 1
    ai.save()
    rf.RegistrationFactory(summit=ai.summit).seat_requests.create(forum=ai, status="confirmed")
    response = post(api, guest_data)
    assert response.json()["seats"] == [{"forum": "ai", "status": "waitlisted"}]


def test_post_writes_to_the_guest_in_the_language_of_the_request(guest_data):
    response = post(Client(headers={"accept-language": "zh-hans"}), guest_data)
    assert response.status_code == 201
    assert Registration.objects.get().language == "zh-hans"
    assert "/zh-hans/register/" in response.json()["personal_link"]


def test_post_with_an_invitation_uses_its_category_and_delegation(api, guest_data, government):
    delegation = rf.DelegationFactory(summit=government.summit, name="Delegation of France")
    invitation = rf.InvitationFactory(
        summit=government.summit, category=government, delegation=delegation
    )
    data = guest_data | {"invitation": invitation.code}
    del data["category"]
    assert post(api, data).status_code == 201
    registration = Registration.objects.get()
    assert (registration.category, registration.delegation, registration.invitation) == (
        government,
        delegation,
        invitation,
    )
    response = post(api, data | {"email": "other@example.org"})
    assert response.status_code == 422
    assert response.json() == {
        "detail": "This invitation has already been used; open your personal link instead.",
        "field": "invitation",
    }
    assert Registration.objects.count() == 1


def test_post_with_an_invitation_registers_for_the_invitation_s_summit(api, guest_data, summit):
    other = factories.SummitFactory(slug="asia-pacific-2025", is_current=False)
    category = rf.GuestCategoryFactory(summit=other, code="business", required_fields=[])
    first, second = rf.InvitationFactory.create_batch(2, summit=other, category=category)
    data = guest_data | {"invitation": first.code, "forums": []}
    assert post(api, data).status_code == 201
    assert Registration.objects.get().summit == other
    response = post(api, data | {"invitation": second.code, "summit": summit.slug})
    assert (response.status_code, response.json()["detail"]) == (
        422,
        "This invitation is for another summit; leave out “summit”.",
    )
    assert Registration.objects.count() == 1


def test_post_refuses_everything_at_once_and_lists_every_problem(api, guest_data):
    response = post(
        api,
        guest_data
        | {
            "id_number": "123",
            "email": "nobody",
            "arrival_date": "2024-01-01",
            "nationality": "XX",
        },
    )
    assert response.status_code == 422
    body = response.json()
    assert {error["field"] for error in body["errors"]} == {
        "id_number",
        "email",
        "arrival_date",
        "nationality",
    }
    assert (body["detail"], body["field"]) == (
        body["errors"][0]["message"],
        body["errors"][0]["field"],
    )
    assert nothing_stored()


@pytest.mark.parametrize(
    ("change", "field", "detail"),
    [
        ({"name": None}, "name", "Enter text."),
        ({"face_consent": None}, "face_consent", "Enter true or false."),
        ({"forums": "ai"}, "forums", "Enter a list of values."),
        (
            {"status": "approved"},
            "status",
            "This field is not known; the API description lists the fields to send.",
        ),
        ({"name": "Li\x00Hua"}, "name", "Remove the NUL character from this text."),
        ({"arrival_date": "tomorrow"}, "arrival_date", "Enter a valid date."),
        (
            {"id_number": "110105194912310021"},
            "id_number",
            "The last character of this identity card number does not match; please check it.",
        ),
        (
            {"id_type": "passport", "id_number": "E1"},
            "id_number",
            "This does not look like a number of that document; it should look like E12345678.",
        ),
        (
            {"id_type": None, "id_number": "E12345678"},
            "id_type",
            "Choose the type of your identity document.",
        ),
        (
            {"departure_date": "2024-12-31"},
            "departure_date",
            "Give a date between 2024-11-13 and 2024-11-29, around the summit.",
        ),
        ({"organisation_name": ""}, "organisation_name", "Please give your organisation."),
        ({"category": "nobody"}, "category", "There is no guest category “nobody” in this summit."),
        (
            {"category": "government"},
            "category",
            "Guests of the category “Guest category 1” register by invitation only.",
        ),
        (
            {"forums": ["ai", "nowhere"]},
            "forums",
            "There is no forum “nowhere” in this summit; see /api/v1/forums.",
        ),
        (
            {"invitation": "forged-code"},
            "invitation",
            "This invitation link is not valid; please check it or write to the secretariat.",
        ),
        (
            {"summit": "wuzhen-1999"},
            "summit",
            "There is no published summit “wuzhen-1999”; give the slug of a summit from /summits.",
        ),
    ],
)
def test_post_refuses_bad_input_and_stores_nothing(
    api, guest_data, government, change, field, detail, django_capture_on_commit_callbacks
):
    government.name = {"en": "Guest category 1", "zh-hans": "嘉宾类别1"}
    government.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api, guest_data | change)
    assert response.status_code == 422, response.json()
    body = response.json()
    assert (body["detail"], body["field"]) == (detail, field)
    assert nothing_stored()
    assert mail.outbox == []


def test_post_needs_the_face_consent_answered(api, guest_data):
    del guest_data["face_consent"]
    response = post(api, guest_data)
    assert (response.status_code, response.json()["field"]) == (422, "face_consent")
    assert nothing_stored()


def test_post_refuses_a_second_registration_with_the_same_address(api, guest_data):
    assert post(api, guest_data).status_code == 201
    response = post(api, guest_data)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(
        "There is already a registration with this e-mail address for this summit"
    )
    assert Registration.objects.count() == 1


def test_post_refuses_an_unpublished_forum(api, guest_data, programme):
    factories.ForumFactory(summit=programme["summit"], slug="secret", is_public=False)
    response = post(api, guest_data | {"forums": ["secret"]})
    assert (response.status_code, response.json()["field"]) == (422, "forums")
    assert nothing_stored()


def test_refusals_come_in_the_language_of_the_request(guest_data):
    del guest_data["name"]
    response = post(Client(headers={"accept-language": "zh-hans"}), guest_data)
    # Django's own catalogue words this one, so it is Chinese before ours is made.
    assert response.json()["detail"] == "这个字段是必填项。"


def test_post_ignores_the_session_of_a_logged_in_organiser(api, guest_data, organiser, government):
    """The endpoint is open and so not protected against cross-site requests: a session gives
    no right to skip the invitation."""
    api.force_login(organiser)
    response = post(api, guest_data | {"category": "government"})
    assert (response.status_code, response.json()["field"]) == (422, "category")


# --- The guest's view ----------------------------------------------------------------------------
@pytest.fixture
def registered(api, guest_data, programme):
    ai = programme["forums"][0]
    ai.capacity = 1
    ai.save()
    rf.RegistrationFactory(summit=ai.summit).seat_requests.create(forum=ai, status="confirmed")
    response = post(api, guest_data | {"forums": ["ai", "data"]})
    return Registration.objects.get(public_id=response.json()["id"])


def test_guest_reads_the_status_with_the_key(api, registered, programme):
    response = api.get(f"{URL}/{registered.public_id}", {"key": registered.access_key})
    assert response.status_code == 200
    ai, data = programme["forums"]
    assert response.json() == {
        "id": str(registered.public_id),
        "summit": registered.summit.slug,
        "status": "submitted",
        "category": {"code": "business", "name": registered.category.name.data},
        "name": "李华",
        "name_latin": "Li Hua",
        "participation": "on_site",
        "face_consent": False,
        "submitted_at": response.json()["submitted_at"],
        "reason": "",
        "seats": [
            {
                "forum": "ai",
                "title": ai.title.data,
                "status": "waitlisted",
                "waitlist_position": 1,
            },
            {
                "forum": "data",
                "title": data.title.data,
                "status": "confirmed",
                "waitlist_position": None,
            },
        ],
    }
    assert "11010519491231002X" not in response.content.decode()


def test_guest_reads_why_more_information_is_needed(api, registered, organiser):
    services.request_info(registered, by=organiser, reason="Please add your position.")
    response = api.get(f"{URL}/{registered.public_id}", {"key": registered.access_key})
    assert (response.json()["status"], response.json()["reason"]) == (
        "info_requested",
        "Please add your position.",
    )


@pytest.mark.parametrize("which", ["wrong key", "other id", "not an id", "no key"])
def test_status_without_the_right_key_is_not_found(api, registered, which):
    public_id, query = registered.public_id, {"key": registered.access_key}
    if which == "wrong key":
        query = {"key": rf.wrong_key(registered.access_key)}
    elif which == "other id":
        public_id = uuid.uuid4()
    elif which == "not an id":
        public_id = "12"
    else:
        query = {}
    response = api.get(f"{URL}/{public_id}", query)
    if which == "no key":
        assert (response.status_code, response.json()["field"]) == (422, "key")
    else:
        assert response.status_code == 404
        assert response.json() == {
            "detail": "No registration has this id and key; "
            "open the personal link from your e-mail."
        }


# --- Organisers ----------------------------------------------------------------------------------
@pytest.fixture
def guests(programme, business):
    """Three guests: one in the AI forum, one in the data forum, one in a forum of others."""
    summit = programme["summit"]
    ai, data = programme["forums"]
    elsewhere = factories.ForumFactory(summit=summit, slug="elsewhere")
    factories.ForumOrganiserFactory(forum=elsewhere)
    media = rf.GuestCategoryFactory(summit=summit, code="media")
    made = {
        "ai": rf.RegistrationFactory(summit=summit, category=business, nationality="FR"),
        "data": rf.RegistrationFactory(summit=summit, category=media, nationality="BR"),
        "elsewhere": rf.RegistrationFactory(
            summit=summit, category=business, nationality="FR", status=Status.APPROVED
        ),
    }
    services.request_seat(made["ai"], ai)
    services.request_seat(made["ai"], elsewhere)
    services.request_seat(made["data"], data)
    services.request_seat(made["elsewhere"], elsewhere)
    return made


@pytest.fixture
def co_organiser(programme):
    """A co-organiser acting for the host of the AI forum only."""
    ai = programme["forums"][0]
    host = factories.OrganisationFactory(short_name="AIA")
    factories.ForumOrganiserFactory(forum=ai, organisation=host, role="co_host")
    user = factories.UserFactory(username="co", roles=["forum_organiser"])
    Membership.objects.create(user=user, organisation=host)
    return user


def listed(client, **query):
    response = client.get(URL, query)
    assert response.status_code == 200, response.json()
    return response.json()


def test_secretariat_lists_every_registration_with_id_documents(api, organiser, guests):
    api.force_login(organiser)
    body = listed(api)
    assert body["count"] == 3
    by_id = {item["id"]: item for item in body["items"]}
    ai_guest = by_id[str(guests["ai"].public_id)]
    assert ai_guest["id_number"] == guests["ai"].id_number
    assert ai_guest["nationality"] == {"code": "FR", "name": "France"}
    assert ai_guest["seats"] == [
        {"forum": "ai", "status": "confirmed"},
        {"forum": "elsewhere", "status": "confirmed"},
    ]
    assert ai_guest["has_photo"] is False
    assert "photo" not in ai_guest


def test_co_organiser_sees_guests_of_its_forums_only_without_id_documents(
    api, co_organiser, guests
):
    api.force_login(co_organiser)
    body = listed(api)
    assert [item["id"] for item in body["items"]] == [str(guests["ai"].public_id)]
    [item] = body["items"]
    assert (item["id_type"], item["id_number"]) == (None, None)
    assert item["seats"] == [{"forum": "ai", "status": "confirmed"}]
    assert guests["ai"].id_number not in json.dumps(body)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "approved"}, ["elsewhere"]),
        ({"category": "media"}, ["data"]),
        ({"country": "fr"}, ["ai", "elsewhere"]),
        ({"forum": "elsewhere"}, ["ai", "elsewhere"]),
        ({"forum": "elsewhere", "status": "submitted"}, ["ai"]),
    ],
)
def test_secretariat_filters_the_list(api, organiser, guests, query, expected):
    api.force_login(organiser)
    ids = {item["id"] for item in listed(api, **query)["items"]}
    assert ids == {str(guests[key].public_id) for key in expected}


def test_list_comes_in_pages(api, organiser, guests):
    api.force_login(organiser)
    first, second = listed(api, limit=2), listed(api, limit=2, offset=2)
    assert (first["count"], len(first["items"]), len(second["items"])) == (3, 2, 1)
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}


def test_list_needs_a_session(api, guests):
    response = api.get(URL)
    assert (response.status_code, response.json()) == (401, {"detail": "Log in to do this."})


def test_list_is_refused_to_users_without_a_role(api, guests):
    api.force_login(factories.UserFactory(username="visitor"))
    response = api.get(URL)
    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only the secretariat and forum co-organisers can see registrations."
    }


def test_list_refuses_a_bad_filter(api, organiser, guests):
    api.force_login(organiser)
    response = api.get(URL, {"status": "lost"})
    assert (response.status_code, response.json()["field"]) == (422, "status")


def test_registration_api_is_documented(api):
    schema = api.get("/api/v1/openapi.json").json()
    operations = [
        schema["paths"]["/api/v1/registrations"]["post"],
        schema["paths"]["/api/v1/registrations"]["get"],
        schema["paths"]["/api/v1/registrations/{public_id}"]["get"],
    ]
    for operation in operations:
        assert operation["tags"] == ["Registrations"]
        assert len(operation["description"]) > 100
    assert "face_consent" in schema["components"]["schemas"]["RegistrationIn"]["required"]
    assert not Invitation.objects.exists()
