"""The guests' pages: the form, invitations, the personal page, the e-badge, delegations."""

import io
import re
from html import unescape
from pathlib import Path

import pypdf
import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from icalendar import Calendar
from PIL import Image

from huiwu.core.i18n import i18n, localized
from huiwu.registration import badges, services
from huiwu.registration.models import Registration, SeatStatus, Status
from tests import factories
from tests.registration.factories import (
    DelegationFactory,
    GuestCategoryFactory,
    InvitationFactory,
    RegistrationFactory,
    wrong_key,
)
from tests.shared_data import FACES

pytestmark = pytest.mark.django_db

LANGUAGES = ["zh-hans", "en"]
PORTRAIT = FACES / "amy_adams" / "adams.jpg"


def url(name: str, *args, language: str = "en") -> str:
    with translation.override(language):
        return reverse(f"registration:{name}", args=args)


def text(response) -> str:
    return unescape(response.content.decode())


def field_errors(response, field: str) -> list[str]:
    """The messages shown next to one field of the form."""
    html = response.content.decode()
    found = re.search(rf'<ul class="field-errors" id="id_{field}_errors">(.*?)</ul>', html, re.S)
    if found is None:
        return []
    return [unescape(item) for item in re.findall(r"<li>(.*?)</li>", found[1], re.S)]


def checked_consent(response) -> list[str]:
    inputs = re.findall(r'<input[^>]*name="face_consent"[^>]*>', response.content.decode())
    assert len(inputs) == 2
    return [tag for tag in inputs if "checked" in tag]


def portrait(name: str = "me.jpg", content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content or PORTRAIT.read_bytes(), "image/jpeg")


def stored_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def category(summit):
    return GuestCategoryFactory(
        summit=summit,
        code="business",
        name=i18n(zh_hans="企业代表", en="Business"),
        badge_colour="#0e8a83",
        required_fields=["organisation", "id_document"],
        public=True,
    )


@pytest.fixture
def forums(programme):
    return programme["forums"]


def form_data(**changes) -> dict:
    data = {
        "name": "Jean Dupont",
        "name_latin": "Jean Dupont",
        "nationality": "FR",
        "email": "jean.dupont@example.org",
        "phone": "+33 1 23 45 67 89",
        "organisation_name": "Institut Pasteur",
        "position": "Director",
        "id_type": "passport",
        "id_number": "E12345678",
        "participation": "on_site",
        "arrival_date": "2024-11-19",
        "departure_date": "2024-11-22",
        "dietary": "",
        "accessibility": "",
        "language": "en",
        "face_consent": "no",
        "action": "draft",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


# --- Start and form pages -------------------------------------------------------------------
@pytest.mark.parametrize("language", LANGUAGES)
def test_start_page_offers_the_public_categories_in_the_page_language(
    client, category, summit, language
):
    GuestCategoryFactory(
        summit=summit, code="vip", name=i18n(zh_hans="贵宾", en="VIP"), public=False
    )

    response = client.get(url("start", language=language))

    assert response.status_code == 200
    body = text(response)
    assert f'<html lang="{language}">' in body
    assert localized(category.name, language) in body
    assert url("new", "business", language=language) in body
    assert localized(i18n(zh_hans="贵宾", en="VIP"), language) not in body
    assert Registration.objects.count() == 0


@pytest.mark.parametrize("language", LANGUAGES)
def test_form_shows_forums_with_seats_left_and_no_consent_preselected(
    client, category, forums, language
):
    response = client.get(url("new", "business", language=language))

    assert response.status_code == 200
    assert checked_consent(response) == []
    body = text(response)
    for forum in forums:
        assert localized(forum.title, language) in body
        assert f'name="forums" value="{forum.pk}"' in body
    if language == "en":
        assert "1200 seats left" in body
        assert "200 seats left" in body
    assert Registration.objects.count() == 0


def test_form_for_a_category_that_is_not_public_is_not_found(client, summit):
    GuestCategoryFactory(summit=summit, code="vip", public=False)

    assert client.get(url("new", "vip")).status_code == 404
    assert client.get(url("new", "nothing")).status_code == 404


def test_full_forum_shows_waitlist(client, category, forums):
    forums[1].capacity = 1
    forums[1].save()
    seat_holder = RegistrationFactory(summit=category.summit, category=category)
    services.request_seat(seat_holder, forums[1])

    body = text(client.get(url("new", "business")))

    option = re.search(rf'value="{forums[1].pk}".*?</label>', body, re.S)[0]
    assert "Waitlist" in option


# --- Saving and submitting ------------------------------------------------------------------
def test_saving_a_draft_stores_it_and_opens_the_personal_page(client, category, forums, media):
    data = form_data(forums=[str(forums[0].pk)], photo=portrait("Jean Dupont passport.jpg"))

    response = client.post(url("new", "business"), data)

    registration = Registration.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("guest", registration.access_key)
    assert (registration.status, registration.category, registration.name_latin) == (
        Status.DRAFT,
        category,
        "Jean Dupont",
    )
    assert registration.face_consent is False
    assert registration.seat_requests.count() == 0
    assert re.fullmatch(r"portraits/[0-9a-f]{32}\.jpg", registration.photo.name)
    page = text(client.get(response["Location"]))
    assert "Your draft is saved" in page
    assert localized(forums[0].title, "en") in page


def test_submitting_requests_seats_and_sends_a_confirmation(
    client, category, forums, django_capture_on_commit_callbacks
):
    data = form_data(action="submit", forums=[str(forum.pk) for forum in forums], photo=portrait())

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("new", "business"), data)

    registration = Registration.objects.get()
    assert response.status_code == 302
    assert registration.status == Status.SUBMITTED
    seats = registration.seat_requests.order_by("forum__starts_at")
    assert [(seat.forum, seat.status) for seat in seats] == [
        (forums[0], SeatStatus.CONFIRMED),
        (forums[1], SeatStatus.CONFIRMED),
    ]
    assert [message.to for message in mail.outbox] == [["jean.dupont@example.org"]]


def test_draft_forums_become_seat_requests_when_submitted_from_the_personal_page(
    client, category, forums
):
    client.post(url("new", "business"), form_data(forums=[str(forums[1].pk)]))
    registration = Registration.objects.get()

    response = client.post(url("submit", registration.access_key))

    registration.refresh_from_db()
    assert response.status_code == 302
    assert registration.status == Status.SUBMITTED
    assert [seat.forum for seat in registration.seat_requests.all()] == [forums[1]]


def test_draft_forums_are_kept_with_the_draft_not_the_browser(client, category, forums):
    client.post(url("new", "business"), form_data(forums=[str(forums[1].pk)]))
    registration = Registration.objects.get()

    # The guest comes back on another device, by the personal link alone.
    elsewhere = Client()
    response = elsewhere.post(url("submit", registration.access_key))

    registration.refresh_from_db()
    assert response.status_code == 302
    assert [seat.forum for seat in registration.seat_requests.all()] == [forums[1]]
    assert list(registration.chosen_forums.all()) == []


def test_submitting_an_incomplete_draft_from_the_personal_page_leads_back_to_the_form(
    client, category
):
    client.post(url("new", "business"), form_data(face_consent=None))
    registration = Registration.objects.get()

    response = client.post(url("submit", registration.access_key), follow=True)

    registration.refresh_from_db()
    assert registration.status == Status.DRAFT
    assert response.redirect_chain == [(url("edit", registration.access_key), 302)]
    assert "Your registration is not complete yet" in text(response)


def test_submit_lists_every_missing_required_field_and_saves_nothing(client, category, media):
    data = form_data(
        action="submit", organisation_name="", id_type="", id_number="", face_consent=None
    )

    response = client.post(url("new", "business"), data)

    assert response.status_code == 400
    assert field_errors(response, "organisation_name") == ["Please give your organisation."]
    assert field_errors(response, "id_number") == [
        "Please give the number of your identity document."
    ]
    assert field_errors(response, "face_consent") == [
        "Please say whether you agree to face check-in (you may refuse)."
    ]
    assert Registration.objects.count() == 0
    assert stored_files(media) == []


def test_a_draft_may_leave_the_consent_unanswered(client, category):
    response = client.post(url("new", "business"), form_data(face_consent=None))

    assert response.status_code == 302
    assert Registration.objects.get().face_consent is None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"email": "jean.dupont"}, "email", "Enter a valid email address."),
        ({"nationality": "XX"}, "nationality", None),
        (
            {"id_number": "E1"},
            "id_number",
            "This does not look like a number of that document; it should look like E12345678.",
        ),
        (
            {"id_type": "cn_id", "id_number": "110105194912310021"},
            "id_number",
            "The last character of this identity card number does not match; please check it.",
        ),
        (
            {"id_type": "", "id_number": "E12345678"},
            "id_type",
            "Choose the type of your identity document.",
        ),
        (
            {"arrival_date": "2024-10-01"},
            "arrival_date",
            "Give a date between 2024-11-13 and 2024-11-29, around the summit.",
        ),
        (
            {"arrival_date": "2024-11-21", "departure_date": "2024-11-20"},
            "departure_date",
            "The departure cannot be before the arrival.",
        ),
        ({"departure_date": "22/11/2024"}, "departure_date", "Enter a valid date."),
        ({"participation": "by_pigeon"}, "participation", None),
    ],
)
def test_bad_input_is_shown_next_to_its_field_and_nothing_is_saved(
    client, category, changes, field, message, media
):
    data = form_data(action="draft", photo=portrait(), **changes)

    response = client.post(url("new", "business"), data)

    assert response.status_code == 400
    errors = field_errors(response, field)
    assert len(errors) == 1
    if message is not None:
        assert errors == [message]
    assert Registration.objects.count() == 0
    assert stored_files(media) == []


def test_errors_are_in_the_language_of_the_page(client, category):
    response = client.post(url("new", "business", language="zh-hans"), form_data(name=""))

    assert response.status_code == 400
    assert '<html lang="zh-hans">' in text(response)
    assert field_errors(response, "name") == ["这个字段是必填项。"]


def truncated_jpeg() -> bytes:
    data = PORTRAIT.read_bytes()
    return data[: len(data) // 2]


def decompression_bomb() -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buffer, format="PNG")
    return buffer.getvalue()


def small_image() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 150), "grey").save(buffer, format="JPEG")
    return buffer.getvalue()


def gif_image() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 500), "grey").save(buffer, format="GIF")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"%PDF-1.4 not a photo at all",
            "This file is not a readable image (or it is cut short); "
            "please send a JPEG or PNG photo.",
        ),
        (
            truncated_jpeg(),
            "This file is not a readable image (or it is cut short); "
            "please send a JPEG or PNG photo.",
        ),
        (b"\xff" * (9 * 1024 * 1024), "The photo is 9.0 MB; please send one of at most 8 MB."),
        (decompression_bomb(), "The photo has too many pixels; please send a smaller one."),
        (
            small_image(),
            "The photo is only 120 x 150 pixels; please send one of at least 200 pixels on "
            "each side.",
        ),
        (gif_image(), "Please send the photo as a JPEG, PNG or WebP image."),
    ],
    ids=["not-an-image", "truncated", "9-mb", "decompression-bomb", "too-small", "gif"],
)
def test_a_bad_photo_gets_its_own_message_and_nothing_is_saved(
    client, category, content, message, media
):
    data = form_data(photo=portrait("photo.jpg", content))

    response = client.post(url("new", "business"), data)

    assert response.status_code == 400
    assert field_errors(response, "photo") == [message]
    assert "please choose it again" not in text(response)
    assert Registration.objects.count() == 0
    assert stored_files(media) == []


def test_a_good_photo_sent_with_other_errors_is_asked_again(client, category, media):
    response = client.post(url("new", "business"), form_data(email="", photo=portrait()))

    assert response.status_code == 400
    assert "please choose it again" in text(response)
    assert stored_files(media) == []


# --- Invitations ----------------------------------------------------------------------------
@pytest.fixture
def invitation(summit):
    category = GuestCategoryFactory(
        summit=summit, code="government", name=i18n(zh_hans="政府", en="Government"), public=False
    )
    return InvitationFactory(
        summit=summit, category=category, email="minister@example.org", name="Ana Souza"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_invitation_opens_the_form_prefilled_with_the_category_fixed(client, invitation, language):
    response = client.get(url("invitation", invitation.code, language=language))

    assert response.status_code == 200
    body = text(response)
    assert 'value="minister@example.org"' in body
    assert 'value="Ana Souza"' in body
    assert localized(invitation.category.name, language) in body
    assert 'name="category"' not in body
    assert checked_consent(response) == []


def test_registering_by_invitation_links_it_and_the_link_then_leads_to_the_draft(
    client, invitation, django_capture_on_commit_callbacks
):
    response = client.post(url("invitation", invitation.code), form_data(email=invitation.email))

    registration = Registration.objects.get()
    assert response.status_code == 302
    assert (registration.invitation, registration.category) == (invitation, invitation.category)
    again = client.get(url("invitation", invitation.code))
    assert again["Location"] == url("edit", registration.access_key)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("submit", registration.access_key))

    invitation.refresh_from_db()
    assert invitation.used_at is not None
    used = client.get(url("invitation", invitation.code))
    assert used.status_code == 410
    assert "This invitation has already been used" in text(used)


def test_an_invitation_to_a_forum_offers_it_ticked_whatever_its_kind(client, invitation, forums):
    ministerial = factories.ForumFactory(
        summit=invitation.summit, kind="ministerial", room=forums[0].room
    )
    invitation.forum = ministerial
    invitation.save()

    body = text(client.get(url("invitation", invitation.code)))

    ticked = re.findall(r'<input type="checkbox" name="forums" value="(\d+)" checked>', body)
    assert ticked == [str(ministerial.pk)]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_wrong_invitation_code_says_what_to_do(client, invitation, language):
    response = client.get(url("invitation", "not-a-real-code", language=language))

    assert response.status_code == 404
    assert f'<html lang="{language}">' in text(response)
    if language == "en":
        assert (
            "This invitation link is not valid; please check it or write to the secretariat."
            in text(response)
        )
    posted = client.post(url("invitation", "not-a-real-code"), form_data())
    assert posted.status_code == 404
    assert Registration.objects.count() == 0


# --- Editing --------------------------------------------------------------------------------
@pytest.fixture
def draft(category, media):
    registration = RegistrationFactory(
        summit=category.summit, category=category, status=Status.DRAFT, face_consent=None
    )
    registration.photo.save("first.jpg", ContentFile(PORTRAIT.read_bytes()))
    return registration


def test_edit_shows_the_current_photo_through_the_private_view(client, draft):
    response = client.get(url("edit", draft.access_key))

    body = text(response)
    assert response.status_code == 200
    assert f'src="{url("photo", draft.access_key)}"' in body
    assert "/media/" not in body
    assert checked_consent(response) == []


def test_edit_with_a_bad_photo_changes_nothing(client, draft, media):
    before = stored_files(media)
    first = draft.photo.name
    data = form_data(email=draft.email, name="Changed", photo=portrait("x.jpg", truncated_jpeg()))

    response = client.post(url("edit", draft.access_key), data)

    assert response.status_code == 400
    draft.refresh_from_db()
    assert draft.name != "Changed"
    assert draft.photo.name == first
    assert stored_files(media) == before


def test_edit_replaces_the_photo_and_deletes_the_old_file(client, draft, media):
    first = draft.photo.name
    response = client.post(
        url("edit", draft.access_key), form_data(email=draft.email, photo=portrait())
    )

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.photo.name != first
    assert stored_files(media) == [media / draft.photo.name]


def test_a_submitted_registration_cannot_be_edited(client, category):
    registration = RegistrationFactory(summit=category.summit, category=category)

    response = client.post(url("edit", registration.access_key), form_data(name="Changed"))

    assert response["Location"] == url("guest", registration.access_key)
    registration.refresh_from_db()
    assert registration.name != "Changed"


def test_info_requested_shows_the_question_and_resubmits_with_the_new_forum_choice(
    client, category, forums, organiser
):
    registration = RegistrationFactory(summit=category.summit, category=category)
    services.request_seat(registration, forums[0])
    services.request_info(registration, by=organiser, reason="Please send a clearer photo.")

    page = text(client.get(url("guest", registration.access_key)))
    form = text(client.get(url("edit", registration.access_key)))
    response = client.post(
        url("edit", registration.access_key),
        form_data(email=registration.email, action="submit", forums=[str(forums[1].pk)]),
    )

    assert "Please send a clearer photo." in page
    assert "Please send a clearer photo." in form
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.status == Status.SUBMITTED
    active = registration.seat_requests.exclude(status=SeatStatus.CANCELLED)
    assert [seat.forum for seat in active] == [forums[1]]


# --- The personal page ----------------------------------------------------------------------
@pytest.mark.parametrize("language", LANGUAGES)
def test_personal_page_shows_the_status_in_both_languages(client, draft, language):
    response = client.get(url("guest", draft.access_key, language=language))

    assert response.status_code == 200
    body = text(response)
    assert f'<html lang="{language}">' in body
    assert draft.name in body
    assert url("edit", draft.access_key, language=language) in body
    assert "E00" not in body  # the document number is masked
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_wrong_key_opens_nothing(client, draft):
    other = RegistrationFactory(summit=draft.summit, category=draft.category)
    wrong = wrong_key(draft.access_key)
    for name in ("guest", "edit", "photo", "badge_pdf", "agenda_ics"):
        assert client.get(url(name, wrong)).status_code == 404, name
    for name in ("submit", "withdraw", "consent"):
        assert client.post(url(name, "wrong-key"), {"face_consent": "yes"}).status_code == 404
    assert client.get(url("photo", other.access_key)).status_code == 404  # other has no photo
    assert client.get(url("delegation", draft.access_key)).status_code == 404


def test_photo_view_serves_the_guests_own_photo_privately(client, draft):
    response = client.get(url("photo", draft.access_key))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == PORTRAIT.read_bytes()


def test_consent_can_be_given_and_withdrawn_at_any_time(client, draft):
    client.post(url("consent", draft.access_key), {"face_consent": "yes"})
    draft.refresh_from_db()
    given = (draft.face_consent, draft.face_consent_at is not None)
    client.post(url("consent", draft.access_key), {"face_consent": "no"})
    draft.refresh_from_db()
    withdrawn = draft.face_consent
    response = client.post(url("consent", draft.access_key), {"face_consent": "maybe"}, follow=True)
    draft.refresh_from_db()

    assert given == (True, True)
    assert withdrawn is False
    assert draft.face_consent is False
    assert "Please choose whether you agree to face check-in." in text(response)


def test_withdrawing_frees_the_seats(client, category, forums):
    registration = RegistrationFactory(summit=category.summit, category=category)
    seat = services.request_seat(registration, forums[0])

    client.post(url("withdraw", registration.access_key))

    registration.refresh_from_db()
    seat.refresh_from_db()
    assert (registration.status, seat.status) == (Status.WITHDRAWN, SeatStatus.CANCELLED)


def test_no_badge_before_approval(client, draft):
    page = text(client.get(url("guest", draft.access_key)))

    assert 'class="ebadge' not in page
    assert client.get(url("badge_pdf", draft.access_key)).status_code == 404


@pytest.fixture
def approved(category, forums, organiser, media):
    forums[1].capacity = 1
    forums[1].save()
    first = RegistrationFactory(summit=category.summit, category=category)
    services.request_seat(first, forums[1])
    guest = RegistrationFactory(
        summit=category.summit,
        category=category,
        name="李娜",
        name_latin="Li Na",
        organisation_name="Tsinghua University",
    )
    guest.photo.save("li.jpg", ContentFile(PORTRAIT.read_bytes()))
    services.request_seat(guest, forums[0])
    services.request_seat(guest, forums[1])
    services.approve(guest, by=organiser)
    return guest


@pytest.mark.parametrize("language", LANGUAGES)
def test_approved_guest_sees_the_e_badge_seats_and_agenda(client, approved, forums, language):
    response = client.get(url("guest", approved.access_key, language=language))

    body = text(response)
    assert response.status_code == 200
    assert '<svg viewBox="0 0' in body
    assert url("badge_pdf", approved.access_key, language=language) in body
    assert url("agenda_ics", approved.access_key, language=language) in body
    assert f'src="{url("photo", approved.access_key, language=language)}"' in body
    assert "#0e8a83" in body
    for session in forums[0].sessions.all():
        assert localized(session.title, language) in body
    for session in forums[1].sessions.all():
        assert localized(session.title, language) not in body
    if language == "en":
        assert "Waitlist, number 1" in body
        assert "Confirmed" in body


@pytest.mark.parametrize(
    ("language", "held", "explained"),
    [
        ("en", "Held for you", "A seat held for you is yours once your registration is approved."),
        ("zh-hans", "已为您保留", "报名获批后，为您保留的座位即归您所有。"),  # noqa: RUF001
    ],
)
def test_a_guest_awaiting_approval_sees_a_seat_held_not_confirmed(
    client, category, forums, language, held, explained
):
    guest = RegistrationFactory(summit=category.summit, category=category)
    services.request_seat(guest, forums[0])

    body = text(client.get(url("guest", guest.access_key, language=language)))

    assert held in body and explained in body
    assert "Confirmed" not in body and "已确认" not in body


def test_badge_pdf_carries_the_name_and_a_valid_token(client, approved):
    import pypdfium2
    import zxingcpp

    response = client.get(url("badge_pdf", approved.access_key))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="badge-li-na.pdf"'
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    assert "Li Na" in reader.pages[0].extract_text()
    image = pypdfium2.PdfDocument(response.content)[0].render(scale=200 / 72).to_pil()
    [code] = zxingcpp.read_barcodes(image)
    assert badges.registration_for_token(code.text) == approved


def test_a_revoked_badge_is_neither_shown_nor_printed(client, approved, organiser):
    services.revoke_badge(approved, by=organiser, reason="Lost")

    page = text(client.get(url("guest", approved.access_key)))

    assert 'class="ebadge' not in page
    assert "Your badge has been revoked" in page
    assert client.get(url("badge_pdf", approved.access_key)).status_code == 404


def test_personal_agenda_calendar_lists_the_confirmed_forums_sessions(client, approved, forums):
    response = client.get(url("agenda_ics", approved.access_key))

    calendar = Calendar.from_ical(response.content)
    summaries = sorted(str(event["summary"]) for event in calendar.walk("VEVENT"))
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert summaries == sorted(localized(s.title, "en") for s in forums[0].sessions.all())


# --- Delegations ----------------------------------------------------------------------------
@pytest.fixture
def delegation(summit):
    team = DelegationFactory(summit=summit, name="Délégation française", country="FR")
    category = GuestCategoryFactory(
        summit=summit, code="government", name=i18n(zh_hans="政府", en="Government"), public=False
    )
    InvitationFactory(summit=summit, category=category, delegation=team)
    return team


def member_rows(*rows: dict, total: int = 5) -> dict:
    data = {
        "members-TOTAL_FORMS": str(total),
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "30",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"members-{index}-{key}"] = value
    return data


MEMBERS = [
    {
        "name": "Marie Curie",
        "name_latin": "Marie Curie",
        "email": "marie@example.org",
        "position": "Minister",
        "id_type": "passport",
        "id_number": "18FR12345",
    },
    {"name": "Pierre Curie", "name_latin": "Pierre Curie", "email": "pierre@example.org"},
]


@pytest.mark.parametrize("language", LANGUAGES)
def test_delegation_page_in_both_languages(client, delegation, language):
    response = client.get(url("delegation", delegation.access_key, language=language))

    assert response.status_code == 200
    assert f'<html lang="{language}">' in text(response)
    assert "Délégation française" in text(response)


def test_leader_registers_members_in_one_go_and_sees_their_status(client, delegation):
    response = client.post(url("delegation", delegation.access_key), member_rows(*MEMBERS))

    assert response.status_code == 302
    members = Registration.objects.filter(delegation=delegation).order_by("email")
    assert [(m.name_latin, m.status, m.category.code, m.nationality.code) for m in members] == [
        ("Marie Curie", Status.DRAFT, "government", "FR"),
        ("Pierre Curie", Status.DRAFT, "government", "FR"),
    ]
    page = text(client.get(response["Location"]))
    for member in members:
        assert url("guest", member.access_key) in page
        assert member.get_status_display() in page


def test_a_bad_member_row_saves_no_member(client, delegation):
    rows = [MEMBERS[0], {**MEMBERS[1], "id_type": "cn_id", "id_number": "12345"}]

    response = client.post(url("delegation", delegation.access_key), member_rows(*rows))

    assert response.status_code == 400
    assert Registration.objects.count() == 0
    assert (
        "This does not look like a number of that document; it should look like "
        "11010519491231002X." in text(response)
    )


def test_the_same_member_twice_is_refused(client, delegation):
    rows = [MEMBERS[0], {**MEMBERS[1], "email": MEMBERS[0]["email"]}]

    response = client.post(url("delegation", delegation.access_key), member_rows(*rows))

    assert response.status_code == 400
    assert Registration.objects.count() == 0
    assert "There is already a registration with this e-mail address" in text(response)


def test_an_empty_delegation_form_asks_for_a_member(client, delegation):
    response = client.post(url("delegation", delegation.access_key), member_rows())

    assert response.status_code == 400
    assert "Fill in at least one member." in text(response)


def test_without_an_invitation_members_get_the_first_public_category(client, summit, category):
    team = DelegationFactory(summit=summit)

    page = text(client.get(url("delegation", team.access_key)))
    client.post(url("delegation", team.access_key), member_rows(MEMBERS[1]))

    assert "has not chosen a category" in page
    assert Registration.objects.get().category == category


def test_wrong_delegation_key_is_not_found(client, delegation):
    assert client.get(url("delegation", "nope")).status_code == 404


def test_site_navigation_links_to_registration(client, programme):
    body = text(client.get("/en/"))

    assert f'<a href="{url("start")}">Register</a>' in body
