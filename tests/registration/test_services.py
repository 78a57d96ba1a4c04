"""Registration services: the lifecycle, what a complete registration needs, forum seats,
e-mails and badge tokens; a refusal always leaves the database as it was."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict

from huiwu.core.i18n import i18n
from huiwu.core.models import ActionLog
from huiwu.registration import badges, notifications, services
from huiwu.registration.models import (
    Invitation,
    Registration,
    SeatRequest,
    SeatStatus,
    Status,
)
from huiwu.registration.services import RegistrationError
from tests import factories
from tests.registration import factories as rf

pytestmark = pytest.mark.django_db


def stored(registration: Registration) -> dict:
    """What the database holds for the registration (not the object in memory)."""
    return model_to_dict(Registration.objects.get(pk=registration.pk))


def seats(forum) -> dict[str, list[str]]:
    """The forum's seat requests by status, as guests' e-mails in request order."""
    result: dict[str, list[str]] = {}
    for seat in SeatRequest.objects.filter(forum=forum).order_by("requested_at", "id"):
        result.setdefault(seat.status, []).append(seat.registration.email)
    return result


@pytest.fixture
def category(summit):
    return rf.GuestCategoryFactory(summit=summit, code="business", required_fields=[])


@pytest.fixture
def draft(summit, category):
    return services.save_draft(
        Registration(summit=summit, category=category),
        {
            "name": "Marie Dupont",
            "name_latin": "Marie Dupont",
            "nationality": "FR",
            "email": "marie@example.org",
            "id_type": "passport",
            "id_number": "E12345678",
            "organisation_name": "Orange",
        },
        face_consent=False,
    )


def guest(summit, **kwargs) -> Registration:
    return rf.RegistrationFactory(summit=summit, **kwargs)


# --- Lifecycle ----------------------------------------------------------------------------------
def test_save_draft_stores_a_draft_and_logs_it(draft):
    assert stored(draft)["status"] == Status.DRAFT
    assert draft.access_key and len(draft.access_key) >= 32
    assert list(ActionLog.objects.values_list("action", flat=True)) == ["registration.created"]


def test_submit_sends_the_draft_to_the_secretariat(draft):
    services.submit(draft)
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED
    assert draft.submitted_at is not None
    assert "registration.submitted" in ActionLog.objects.values_list("action", flat=True)


def test_submit_uses_up_the_invitation(summit, category):
    invitation = rf.InvitationFactory(summit=summit, category=category)
    registration = guest(summit, category=category, status=Status.DRAFT, invitation=invitation)
    services.submit(registration)
    invitation.refresh_from_db()
    assert invitation.used_at is not None
    with pytest.raises(RegistrationError, match="already been used"):
        services.open_invitation(invitation.code)


def test_open_invitation_refuses_a_wrong_code(db):
    with pytest.raises(RegistrationError, match="not valid"):
        services.open_invitation("no-such-code")


def test_invite_refuses_a_bad_address_and_stores_nothing(summit, category):
    with pytest.raises(RegistrationError) as error:
        services.invite(summit, email="not an address", category=category, language="en")
    assert error.value.field == "email"
    assert not Invitation.objects.exists()


def act(action: str, registration: Registration, organiser):
    """Run one lifecycle service, as an organiser would."""
    if action == "submit":
        return services.submit(registration)
    if action == "approve":
        return services.approve(registration, by=organiser)
    if action == "reject":
        return services.reject(registration, by=organiser, reason="Not a guest of this summit.")
    if action == "request_info":
        return services.request_info(registration, by=organiser, reason="Send a clearer photo.")
    return services.withdraw(registration)


@pytest.mark.parametrize(
    ("start", "action", "end"),
    [
        (Status.DRAFT, "submit", Status.SUBMITTED),
        (Status.INFO_REQUESTED, "submit", Status.SUBMITTED),
        (Status.SUBMITTED, "approve", Status.APPROVED),
        (Status.INFO_REQUESTED, "approve", Status.APPROVED),
        (Status.REJECTED, "approve", Status.APPROVED),
        (Status.SUBMITTED, "reject", Status.REJECTED),
        (Status.INFO_REQUESTED, "reject", Status.REJECTED),
        (Status.APPROVED, "reject", Status.REJECTED),
        (Status.SUBMITTED, "request_info", Status.INFO_REQUESTED),
        (Status.DRAFT, "withdraw", Status.WITHDRAWN),
        (Status.SUBMITTED, "withdraw", Status.WITHDRAWN),
        (Status.APPROVED, "withdraw", Status.WITHDRAWN),
    ],
)
def test_lifecycle_allows(summit, organiser, start, action, end):
    registration = guest(summit, status=start)
    act(action, registration, organiser)
    assert stored(registration)["status"] == end


@pytest.mark.parametrize(
    ("start", "action"),
    [
        (Status.SUBMITTED, "submit"),
        (Status.APPROVED, "submit"),
        (Status.REJECTED, "submit"),
        (Status.WITHDRAWN, "submit"),
        (Status.DRAFT, "approve"),
        (Status.APPROVED, "approve"),
        (Status.WITHDRAWN, "approve"),
        (Status.DRAFT, "reject"),
        (Status.REJECTED, "reject"),
        (Status.WITHDRAWN, "reject"),
        (Status.DRAFT, "request_info"),
        (Status.APPROVED, "request_info"),
        (Status.INFO_REQUESTED, "request_info"),
        (Status.REJECTED, "request_info"),
    ],
)
def test_lifecycle_refuses_and_changes_nothing(
    summit, organiser, start, action, django_capture_on_commit_callbacks
):
    registration = guest(summit, status=start)
    before, logged = stored(registration), ActionLog.objects.count()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RegistrationError):
        act(action, registration, organiser)
    assert stored(registration) == before
    assert ActionLog.objects.count() == logged
    assert mail.outbox == []


@pytest.mark.parametrize("action", ["reject", "request_info"])
def test_decisions_against_the_guest_need_a_reason(summit, organiser, action):
    registration = guest(summit)
    before = stored(registration)
    function = getattr(services, action)
    with pytest.raises(RegistrationError) as error:
        function(registration, by=organiser, reason="  ")
    assert error.value.field == "reason"
    assert stored(registration) == before


def test_decision_records_who_and_why(summit, organiser):
    registration = guest(summit)
    services.reject(registration, by=organiser, reason="Duplicate of another registration.")
    data = stored(registration)
    assert (data["decided_by"], data["decision_reason"]) == (
        organiser.pk,
        "Duplicate of another registration.",
    )
    log = ActionLog.objects.get(action="registration.rejected")
    assert log.data == {"reason": "Duplicate of another registration."}


def test_guest_may_edit_after_info_requested_but_not_after_approval(summit, organiser):
    registration = guest(summit, status=Status.INFO_REQUESTED)
    services.save_draft(registration, {"position": "Chief Executive"})
    assert stored(registration)["position"] == "Chief Executive"
    services.submit(registration)
    services.approve(registration, by=organiser)
    with pytest.raises(RegistrationError, match="can no longer be changed"):
        services.save_draft(registration, {"position": "Intern"})
    assert stored(registration)["position"] == "Chief Executive"


def test_save_draft_refuses_fields_guests_may_not_write(draft):
    before = stored(draft)
    with pytest.raises(RegistrationError, match="Unknown fields: status"):
        services.save_draft(draft, {"status": Status.APPROVED})
    assert stored(draft) == before


def test_withdrawn_guest_may_register_again_with_the_same_address(summit, category):
    first = guest(summit, category=category, email="again@example.org")
    services.withdraw(first)
    second = guest(summit, category=category, email="again@example.org")
    assert second.status == Status.SUBMITTED


def test_second_active_registration_with_the_same_address_is_refused(draft, summit, category):
    data = {
        "name": "Marie Dupont",
        "name_latin": "Marie Dupont",
        "nationality": "FR",
        "email": "marie@example.org",
    }
    with pytest.raises(ValidationError) as error:
        services.save_draft(Registration(summit=summit, category=category), data)
    assert "already a registration with this e-mail" in str(error.value)
    assert Registration.objects.count() == 1


def test_bulk_decide_changes_those_it_can_and_skips_the_others(summit, organiser):
    waiting = [guest(summit) for _ in range(3)]
    draft = guest(summit, status=Status.DRAFT)
    assert services.bulk_decide([*waiting, draft], "approve", by=organiser) == 3
    assert [stored(r)["status"] for r in waiting] == [Status.APPROVED] * 3
    assert stored(draft)["status"] == Status.DRAFT


def test_bulk_rejection_needs_a_reason(summit, organiser):
    registration = guest(summit)
    with pytest.raises(RegistrationError):
        services.bulk_decide([registration], "reject", by=organiser)
    assert stored(registration)["status"] == Status.SUBMITTED


# --- Completeness per category ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("required", "blank", "field"),
    [
        ("organisation", {"organisation_name": ""}, "organisation_name"),
        ("position", {"position": ""}, "position"),
        ("phone", {"phone": ""}, "phone"),
        ("id_document", {"id_type": "", "id_number": ""}, "id_number"),
        ("photo", {}, "photo"),
        ("travel_dates", {"arrival_date": None}, "arrival_date"),
    ],
)
def test_submit_refuses_what_the_category_requires_and_is_missing(
    summit, required, blank, field, django_capture_on_commit_callbacks
):
    category = rf.GuestCategoryFactory(summit=summit, required_fields=[required])
    registration = guest(summit, category=category, status=Status.DRAFT, **blank)
    before = stored(registration)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RegistrationError) as error,
    ):
        services.submit(registration)
    assert error.value.field == field
    assert stored(registration) == before
    assert mail.outbox == []


def test_category_without_requirements_accepts_name_and_email_only(summit):
    category = rf.GuestCategoryFactory(summit=summit, required_fields=[])
    registration = guest(
        summit,
        category=category,
        status=Status.DRAFT,
        organisation_name="",
        position="",
        phone="",
        id_type="",
        id_number="",
        arrival_date=None,
        departure_date=None,
    )
    services.submit(registration)
    assert stored(registration)["status"] == Status.SUBMITTED


def test_online_guest_needs_no_travel_dates(summit):
    category = rf.GuestCategoryFactory(summit=summit, required_fields=["travel_dates"])
    registration = guest(
        summit,
        category=category,
        status=Status.DRAFT,
        participation="online",
        arrival_date=None,
        departure_date=None,
    )
    services.submit(registration)
    assert stored(registration)["status"] == Status.SUBMITTED


# --- Identity documents ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("id_type", "typed", "kept"),
    [
        ("passport", "E12345678", "E12345678"),
        ("passport", "e 1234 5678", "E12345678"),
        ("passport", "G1234567890123", "G1234567890123"),
        ("cn_id", "11010519491231002X", "11010519491231002X"),
        ("cn_id", "11010519491231002x", "11010519491231002X"),
        ("cn_id", "110101199003074477", "110101199003074477"),
        ("hk_mo_permit", "H12345678", "H12345678"),
        ("hk_mo_permit", "M1234567890", "M1234567890"),
        ("tw_permit", "12345678", "12345678"),
    ],
)
def test_id_numbers_of_the_right_shape_are_kept_normalised(draft, id_type, typed, kept):
    services.save_draft(draft, {"id_type": id_type, "id_number": typed})
    assert (stored(draft)["id_type"], stored(draft)["id_number"]) == (id_type, kept)


@pytest.mark.parametrize(
    ("id_type", "typed", "message"),
    [
        ("passport", "E1", "should look like E12345678"),
        ("passport", "E1234567/8", "should look like E12345678"),
        ("cn_id", "110105194912310021", "last character"),
        ("cn_id", "11010519491231002", "should look like 11010519491231002X"),
        ("cn_id", "X10105194912310021", "should look like 11010519491231002X"),
        ("hk_mo_permit", "X12345678", "should look like H12345678"),
        ("hk_mo_permit", "H123", "should look like H12345678"),
        ("tw_permit", "1234567", "should look like 12345678"),
        ("tw_permit", "A2345678", "should look like 12345678"),
    ],
)
def test_id_numbers_of_the_wrong_shape_are_refused(draft, id_type, typed, message):
    before = stored(draft)
    with pytest.raises(ValidationError) as error:
        services.save_draft(draft, {"id_type": id_type, "id_number": typed})
    assert list(error.value.message_dict) == ["id_number"]
    assert message in error.value.message_dict["id_number"][0]
    assert stored(draft) == before


def test_id_number_without_a_document_type_asks_for_the_type(draft):
    with pytest.raises(ValidationError) as error:
        services.save_draft(draft, {"id_type": "", "id_number": "E12345678"})
    assert error.value.message_dict == {"id_type": ["Choose the type of your identity document."]}


def test_save_draft_reports_every_problem_at_once(draft):
    with pytest.raises(ValidationError) as error:
        services.save_draft(
            draft,
            {
                "id_type": "cn_id",
                "id_number": "123",
                "email": "not-an-address",
                "arrival_date": dt.date(2020, 1, 1),
            },
        )
    assert set(error.value.message_dict) == {"id_number", "email", "arrival_date"}


# --- Dates ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("arrival", "departure", "field"),
    [
        (-8, 2, "arrival_date"),
        (0, 10, "departure_date"),
        (1, 0, "departure_date"),
    ],
)
def test_travel_dates_far_from_the_summit_or_reversed_are_refused(
    draft, summit, arrival, departure, field
):
    before = stored(draft)
    with pytest.raises(ValidationError) as error:
        services.save_draft(
            draft,
            {
                "arrival_date": summit.start_date + dt.timedelta(days=arrival),
                "departure_date": summit.start_date + dt.timedelta(days=departure),
            },
        )
    assert list(error.value.message_dict) == [field]
    assert stored(draft) == before


def test_travel_dates_a_week_around_the_summit_are_accepted(draft, summit):
    services.save_draft(
        draft,
        {
            "arrival_date": summit.start_date - dt.timedelta(days=7),
            "departure_date": summit.end_date + dt.timedelta(days=7),
        },
    )
    assert stored(draft)["departure_date"] == summit.end_date + dt.timedelta(days=7)


# --- Face check-in consent ---------------------------------------------------------------------
def test_submit_needs_the_face_consent_question_answered(summit):
    registration = guest(summit, status=Status.DRAFT, face_consent=None)
    with pytest.raises(RegistrationError) as error:
        services.submit(registration)
    assert error.value.field == "face_consent"
    assert stored(registration)["status"] == Status.DRAFT


@pytest.mark.parametrize("consent", [True, False])
def test_either_answer_to_face_consent_lets_the_guest_submit(summit, consent):
    registration = guest(summit, status=Status.DRAFT, face_consent=None)
    services.set_face_consent(registration, consent)
    services.submit(registration)
    registration.refresh_from_db()
    assert (registration.status, registration.face_consent) == (Status.SUBMITTED, consent)
    assert registration.face_consent_at is not None


def test_withdrawing_face_consent_is_always_possible_and_logged(summit, organiser):
    registration = guest(summit, status=Status.APPROVED, face_consent=True)
    services.set_face_consent(registration, False)
    assert stored(registration)["face_consent"] is False
    log = ActionLog.objects.get(action="registration.face_consent")
    assert log.data == {"consent": False}


# --- Seats --------------------------------------------------------------------------------------
@pytest.fixture
def small_forum(summit):
    return factories.ForumFactory(summit=summit, slug="small", capacity=3)


def test_seats_are_confirmed_until_capacity_then_waitlisted(summit, small_forum):
    guests = [guest(summit, email=f"g{i}@example.org") for i in range(5)]
    statuses = [services.request_seat(g, small_forum).status for g in guests]
    assert statuses == [SeatStatus.CONFIRMED] * 3 + [SeatStatus.WAITLISTED] * 2
    assert services.seats_free(small_forum) == 0


def test_reserved_seats_are_not_given_to_the_public(summit, small_forum):
    rf.SeatHoldFactory(forum=small_forum, seats=2)
    assert services.seats_free(small_forum) == 1
    guests = [guest(summit, email=f"g{i}@example.org") for i in range(3)]
    statuses = [services.request_seat(g, small_forum).status for g in guests]
    assert statuses == [SeatStatus.CONFIRMED, SeatStatus.WAITLISTED, SeatStatus.WAITLISTED]


def test_reserved_seats_go_to_guests_named_for_them_up_to_their_number(summit, small_forum):
    hold = rf.SeatHoldFactory(forum=small_forum, seats=2)
    public = guest(summit, email="public@example.org")
    assert services.request_seat(public, small_forum).status == SeatStatus.CONFIRMED
    vips = [guest(summit, email=f"vip{i}@example.org") for i in range(3)]
    for vip in vips[:2]:
        seat = services.request_seat(vip, small_forum, hold=hold)
        assert (seat.status, seat.hold) == (SeatStatus.CONFIRMED, hold)
    with pytest.raises(RegistrationError, match="All 2 reserved seats “VIP: 2” are given"):
        services.request_seat(vips[2], small_forum, hold=hold)
    assert not SeatRequest.objects.filter(registration=vips[2]).exists()
    assert SeatRequest.objects.filter(forum=small_forum, status="confirmed").count() == 3


def test_reserved_seats_of_another_forum_are_refused(summit, small_forum):
    other_hold = rf.SeatHoldFactory(forum=factories.ForumFactory(summit=summit))
    with pytest.raises(RegistrationError, match="another forum"):
        services.request_seat(guest(summit), small_forum, hold=other_hold)
    assert not SeatRequest.objects.exists()


def test_cancelling_a_seat_promotes_the_first_on_the_waitlist(summit, small_forum):
    guests = [guest(summit, email=f"g{i}@example.org") for i in range(6)]
    requests = [services.request_seat(g, small_forum) for g in guests]
    promoted = services.cancel_seat(requests[1])
    assert [seat.registration.email for seat in promoted] == ["g3@example.org"]
    assert seats(small_forum) == {
        "confirmed": ["g0@example.org", "g2@example.org", "g3@example.org"],
        "cancelled": ["g1@example.org"],
        "waitlisted": ["g4@example.org", "g5@example.org"],
    }


def test_cancelling_a_cancelled_seat_changes_nothing(summit, small_forum):
    seat = services.request_seat(guest(summit), small_forum)
    services.cancel_seat(seat)
    assert services.cancel_seat(seat) == []
    assert ActionLog.objects.filter(action="seat.cancelled").count() == 1


@pytest.mark.parametrize("decision", ["reject", "withdraw"])
def test_rejection_and_withdrawal_free_the_seats_for_the_waitlist(
    summit, organiser, small_forum, decision
):
    guests = [guest(summit, email=f"g{i}@example.org") for i in range(4)]
    for registration in guests:
        services.request_seat(registration, small_forum)
    act(decision, guests[0], organiser)
    assert seats(small_forum) == {
        "cancelled": ["g0@example.org"],
        "confirmed": ["g1@example.org", "g2@example.org", "g3@example.org"],
    }


def test_rejected_or_withdrawn_guests_cannot_hold_seats(summit, small_forum):
    for status in (Status.REJECTED, Status.WITHDRAWN):
        with pytest.raises(RegistrationError, match="cannot hold seats"):
            services.request_seat(guest(summit, status=status), small_forum)
    assert not SeatRequest.objects.exists()


def test_forum_of_another_summit_is_refused(summit):
    forum = factories.ForumFactory()
    with pytest.raises(RegistrationError, match="another summit"):
        services.request_seat(guest(summit), forum)
    assert not SeatRequest.objects.exists()


def test_asking_twice_for_the_same_forum_returns_the_first_request(summit, small_forum):
    registration = guest(summit)
    first = services.request_seat(registration, small_forum)
    second = services.request_seat(registration, small_forum)
    assert second.pk == first.pk
    assert SeatRequest.objects.filter(registration=registration).count() == 1


def test_after_cancelling_a_guest_may_ask_again_and_queues_behind(summit, small_forum):
    guests = [guest(summit, email=f"g{i}@example.org") for i in range(4)]
    first, *_others = [services.request_seat(g, small_forum) for g in guests]
    services.cancel_seat(first)
    again = services.request_seat(guests[0], small_forum)
    assert again.pk != first.pk
    assert again.status == SeatStatus.WAITLISTED


def test_submit_requests_seats_in_the_chosen_forums(summit, small_forum):
    other = factories.ForumFactory(summit=summit, slug="other", capacity=1)
    guest(summit).seat_requests.create(forum=other, status=SeatStatus.CONFIRMED)
    registration = guest(summit, status=Status.DRAFT)
    services.submit(registration, forums=[other, small_forum])
    assert dict(registration.seat_requests.values_list("forum__slug", "status")) == {
        "small": SeatStatus.CONFIRMED,
        "other": SeatStatus.WAITLISTED,
    }


def test_submit_refuses_a_forum_of_another_summit_and_stores_nothing(summit):
    registration = guest(summit, status=Status.DRAFT)
    with pytest.raises(RegistrationError) as error:
        services.submit(registration, forums=[factories.ForumFactory()])
    assert error.value.field == "forums"
    assert stored(registration)["status"] == Status.DRAFT
    assert not SeatRequest.objects.exists()


def test_growing_capacity_lets_the_waitlist_move_up(summit, small_forum):
    guests = [guest(summit, email=f"g{i}@example.org") for i in range(5)]
    for registration in guests:
        services.request_seat(registration, small_forum)
    small_forum.capacity = 4
    small_forum.save()
    promoted = services.promote_waitlist(small_forum)
    assert [seat.registration.email for seat in promoted] == ["g3@example.org"]
    assert seats(small_forum)["waitlisted"] == ["g4@example.org"]


# --- E-mails ------------------------------------------------------------------------------------
def test_submission_mails_the_guest_the_personal_link(draft, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.submit(draft)
    [message] = mail.outbox
    assert message.to == ["marie@example.org"]
    assert message.subject == (
        "We have received your registration for the World Internet Conference Wuzhen Summit"
    )
    assert message.body.startswith("Dear Marie Dupont,\n")
    assert services.personal_link(draft) in message.body
    assert draft.access_key in message.body
    assert "The secretariat of the World Internet Conference Wuzhen Summit" in message.body


def test_guest_writing_chinese_gets_mail_in_chinese(summit, django_capture_on_commit_callbacks):
    registration = guest(
        summit, status=Status.DRAFT, name="李华", name_latin="Li Hua", language="zh-hans"
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.submit(registration)
    [message] = mail.outbox
    # The summit's name comes from the data in the guest's language, whatever the catalogue.
    assert "世界互联网大会乌镇峰会" in message.subject
    assert "World Internet" not in message.subject + message.body
    assert "李华" in message.body and "Li Hua" not in message.body
    assert "/zh-hans/" in message.body


def test_approval_mails_the_guest_the_badge_page(
    summit, organiser, django_capture_on_commit_callbacks
):
    registration = guest(summit, name="Jean O'Brien", name_latin="Jean O'Brien")
    with django_capture_on_commit_callbacks(execute=True):
        services.approve(registration, by=organiser)
    [message] = mail.outbox
    assert message.subject == (
        "Your registration for the World Internet Conference Wuzhen Summit is approved"
    )
    # Text mail: nothing HTML-escaped.
    assert message.body.startswith("Dear Jean O'Brien,\n")
    assert services.personal_link(registration) in message.body


def test_rejection_mail_gives_the_reason(summit, organiser, django_capture_on_commit_callbacks):
    registration = guest(summit)
    with django_capture_on_commit_callbacks(execute=True):
        services.reject(
            registration, by=organiser, reason="The forum is for invited guests & staff."
        )
    [message] = mail.outbox
    assert "The forum is for invited guests & staff." in message.body
    assert registration.access_key not in message.body


def test_information_request_mail_says_what_is_missing(
    summit, organiser, django_capture_on_commit_callbacks
):
    registration = guest(summit)
    with django_capture_on_commit_callbacks(execute=True):
        services.request_info(registration, by=organiser, reason="Your photo is blurred.")
    [message] = mail.outbox
    assert message.subject.endswith("more information needed")
    assert "Your photo is blurred." in message.body
    assert services.personal_link(registration) in message.body


def test_promotion_mails_the_guest_the_forum(
    summit, small_forum, django_capture_on_commit_callbacks
):
    small_forum.title = i18n(zh_hans="数据论坛", en="Data Forum")
    small_forum.save()
    guests = [guest(summit, email=f"g{i}@example.org") for i in range(3)]
    guests.append(guest(summit, email="waiting@example.org", language="zh-hans"))
    seats_ = [services.request_seat(g, small_forum) for g in guests]
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_seat(seats_[0])
    [message] = mail.outbox
    assert message.to == ["waiting@example.org"]
    assert "数据论坛" in message.subject
    assert "Data Forum" not in message.body


def test_invitation_mails_a_single_use_link(summit, category, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invite(
            summit, email="vip@example.org", name="Ana Silva", category=category, language="en"
        )
    [message] = mail.outbox
    assert message.subject == "Your invitation to the World Internet Conference Wuzhen Summit"
    assert message.body.startswith("Dear Ana Silva,\n")
    assert invitation.code in message.body
    assert "Guest category" in message.body


def test_no_mail_for_a_write_that_is_rolled_back(summit, django_capture_on_commit_callbacks):
    registration = guest(summit, status=Status.DRAFT, face_consent=None)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RegistrationError):
        services.submit(registration)
    assert mail.outbox == []


@pytest.mark.parametrize(
    "event", ["invited", "submitted", "approved", "rejected", "info_requested", "promoted"]
)
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_event_has_a_one_line_subject_and_a_signed_body(
    summit, event, language, django_capture_on_commit_callbacks
):
    registration = guest(summit, language=language)
    context = {
        "registration": registration,
        "invitation": rf.InvitationFactory(summit=summit, category=registration.category),
        "summit": summit,
        "link": "https://huiwu.example/link",
        "reason": "A reason.",
        "forum": factories.ForumFactory(summit=summit),
    }
    with django_capture_on_commit_callbacks(execute=True):
        notifications.send(event, to="guest@example.org", language=language, context=context)
    [message] = mail.outbox
    assert message.subject and "\n" not in message.subject
    # Signed by the secretariat of the summit, in the guest's language.
    assert summit.name.localize(language) in message.body.rstrip().splitlines()[-1]
    assert "{" not in message.body and "&#" not in message.body
    assert "\n\n\n" not in message.body
    if event != "invited":
        assert registration.name_latin in message.body.splitlines()[0]
    if event not in {"rejected", "info_requested"}:
        assert "https://huiwu.example/link" in message.body


# --- Badge tokens -----------------------------------------------------------------------------
@pytest.fixture
def approved(summit, organiser):
    return services.approve(guest(summit), by=organiser)


def test_badge_token_opens_for_the_approved_guest(approved):
    token = badges.badge_token(approved)
    assert badges.registration_for_token(token) == approved
    # The public id and the badge version, signed: never the database id.
    assert token.split(":")[0] == f"{approved.public_id.hex}.1"


def test_forged_badge_token_is_refused(approved):
    token = badges.badge_token(approved)
    other = rf.RegistrationFactory(summit=approved.summit, status=Status.APPROVED)
    forged = token.replace(approved.public_id.hex, other.public_id.hex)
    for bad in (forged, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), "garbage", ""):
        with pytest.raises(badges.BadgeError, match="not a valid badge"):
            badges.registration_for_token(bad)


def test_revoked_badge_is_refused_and_a_reissued_one_works(approved, organiser):
    old = badges.badge_token(approved)
    services.revoke_badge(approved, by=organiser, reason="Lost at the hotel.")
    with pytest.raises(badges.BadgeError, match="revoked"):
        badges.registration_for_token(old)
    with pytest.raises(badges.BadgeError, match="revoked"):
        badges.registration_for_token(badges.badge_token(approved))
    services.reissue_badge(approved, by=organiser)
    assert badges.registration_for_token(badges.badge_token(approved)) == approved
    with pytest.raises(badges.BadgeError, match="revoked"):
        badges.registration_for_token(old)


@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.REJECTED, Status.WITHDRAWN])
def test_badge_of_a_guest_not_approved_is_refused(summit, status):
    registration = guest(summit, status=status)
    with pytest.raises(badges.BadgeError, match="not approved"):
        badges.registration_for_token(badges.badge_token(registration))


def test_badge_stops_working_when_the_approval_is_withdrawn(approved, organiser):
    token = badges.badge_token(approved)
    services.reject(approved, by=organiser, reason="Security check failed.")
    with pytest.raises(badges.BadgeError, match="not approved"):
        badges.registration_for_token(token)
