"""Volunteers services before duty: applying, assessment, selection, posts and shifts, manual
roster edits. A refusal always leaves the database as it was."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.forms.models import model_to_dict

from huiwu.core.models import ActionLog
from huiwu.volunteers import services
from huiwu.volunteers.models import (
    Application,
    ApplicationStatus,
    Assignment,
    DutyRecord,
    Interview,
    Post,
    PostKind,
    SelectionExplanation,
    SelectionRun,
    Shift,
    Skill,
)
from huiwu.volunteers.services import VolunteerError
from tests import factories
from tests.factories import at
from tests.volunteers import factories as vf

pytestmark = pytest.mark.django_db


@pytest.fixture
def university(db):
    return vf.UniversityFactory(short_name="ZJU")


def form(summit, university, **changes) -> dict:
    data = {
        "name": "李明",
        "gender": "male",
        "phone": "13800138000",
        "email": "liming@zju.edu.example",
        "university": university,
        "student_number": "3210101234",
        "languages": [{"code": "zh", "level": 5}, {"code": "EN", "level": "4"}],
        "skills": ["interpreting", "first_aid"],
        "experience": "杭州亚运会志愿者",
        "availability": [
            {"date": "2024-11-20", "from": "08:00", "to": "18:00"},
            {"date": "2024-11-21", "from": "08:00", "to": "12:00"},
        ],
        "tshirt_size": "L",
        "emergency_name": "李华",
        "emergency_phone": "13900139000",
    }
    return data | changes


def stored(application: Application) -> dict:
    return model_to_dict(Application.objects.get(pk=application.pk))


# --- Applying ------------------------------------------------------------------------------------


def test_apply_creates_the_application_and_an_account(summit, university):
    application = services.apply(summit, form(summit, university), password="s3cret-Pass!")

    assert application.status == ApplicationStatus.SUBMITTED
    assert application.languages == [{"code": "zh", "level": 5}, {"code": "en", "level": 4}]
    assert application.location_consent is False
    assert application.user.username == "liming@zju.edu.example"
    assert application.user.check_password("s3cret-Pass!")
    assert ActionLog.objects.filter(action="volunteers.applied").count() == 1


def test_apply_records_the_separate_location_consent_with_its_time(summit, university):
    application = services.apply(summit, form(summit, university), location_consent=True)

    assert application.location_consent is True
    assert application.location_consent_at is not None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"languages": [{"code": "xx", "level": 3}]},
            "languages",
            "“xx” is not a language code; use ISO 639-1 codes such as zh, en, fr.",
        ),
        (
            {"languages": [{"code": "en", "level": 7}]},
            "languages",
            "Give the level of en as a number from 1 to 5.",
        ),
        ({"languages": []}, "languages", "Give at least one language with its level."),
        (
            {"availability": [{"date": "2024-11-20", "from": "18:00", "to": "08:00"}]},
            "availability",
            "On 2024-11-20 you are free from 18:00 to 08:00: the end must come after the start.",
        ),
        (
            {"availability": [{"date": "2025-03-01", "from": "08:00", "to": "12:00"}]},
            "availability",
            "2025-03-01 is not a day of the summit; give days from 2024-11-13 to 2024-11-22.",
        ),
        (
            {"availability": [{"date": "2024-11-20", "from": "25:00", "to": "26:00"}]},
            "availability",
            "Write the hours as HH:MM, for example 08:00 and 17:30.",
        ),
        (
            {
                "availability": [
                    {"date": "2024-11-20", "from": "08:00", "to": "12:00"},
                    {"date": "2024-11-20", "from": "11:00", "to": "14:00"},
                ]
            },
            "availability",
            "Two periods overlap on 2024-11-20; join them into one.",
        ),
        (
            {"skills": ["juggling"]},
            "skills",
            "Unknown skill: juggling. Choose among: " + ", ".join(Skill.values) + ".",
        ),
        (
            {"phone": "call me"},
            "phone",
            "“call me” is not a phone number; write digits, e.g. 13800138000.",
        ),
        ({"email": "not-an-address"}, "email", "Enter a valid email address."),
        ({"name": ""}, "name", "This field cannot be blank."),
    ],
)
def test_apply_refuses_bad_input_and_stores_nothing(summit, university, changes, field, message):
    with pytest.raises(VolunteerError) as refused:
        services.apply(summit, form(summit, university, **changes))

    assert (refused.value.field, refused.value.message) == (field, message)
    assert Application.objects.count() == 0
    assert get_user_model().objects.count() == 0


def test_apply_refuses_unknown_fields(summit, university):
    with pytest.raises(VolunteerError, match=r"Unknown fields: status\."):
        services.apply(summit, form(summit, university, status="selected"))


def test_a_student_number_applies_once_per_university(summit, university):
    services.apply(summit, form(summit, university))
    with pytest.raises(VolunteerError) as refused:
        services.apply(
            summit, form(summit, university, email="other@zju.edu.example", phone="13800000001")
        )

    assert refused.value.message == (
        "This student number of this university has already applied to this summit."
    )
    assert Application.objects.count() == 1


def test_apply_refuses_an_address_with_an_account_and_says_to_log_in(summit, university):
    factories.UserFactory(username="liming@zju.edu.example")

    with pytest.raises(VolunteerError) as refused:
        services.apply(summit, form(summit, university))

    assert refused.value.field == "email"
    assert "log in" in refused.value.message
    assert Application.objects.count() == 0


def test_a_logged_in_user_applies_once(summit, university):
    user = factories.UserFactory()
    services.apply(summit, form(summit, university), user=user)
    with pytest.raises(VolunteerError, match="already applied"):
        services.apply(summit, form(summit, university, student_number="999"), user=user)


def test_update_changes_an_undecided_application_and_refuses_bad_values(summit):
    application = vf.ApplicationFactory(summit=summit)
    before = stored(application)

    with pytest.raises(VolunteerError):
        services.update_application(
            application, {"availability": [{"date": "x"}]}, by=application.user
        )
    assert stored(application) == before
    assert application.availability == before["availability"]

    services.update_application(application, {"tshirt_size": "XL"}, by=application.user)
    assert stored(application)["tshirt_size"] == "XL"


def test_update_is_refused_once_decided(summit):
    application = vf.SelectedFactory(summit=summit)
    with pytest.raises(VolunteerError, match="decided"):
        services.update_application(application, {"tshirt_size": "XL"}, by=application.user)


def test_two_no_shows_block_self_service_but_not_the_office(summit):
    assignments = [
        vf.AssignmentFactory(
            post_shift__post__summit=summit,
            post_shift__shift__start=at(day, 8),
            post_shift__shift__end=at(day, 12),
        )
        for day in (0, 1)
    ]
    application = assignments[0].application
    assignments[1].application = application
    assignments[1].save()
    third = vf.AssignmentFactory(
        post_shift__post__summit=summit,
        application=application,
        post_shift__shift__start=at(2, 8),
        post_shift__shift__end=at(2, 12),
    )
    DutyRecord.objects.bulk_create(DutyRecord(assignment=a, no_show=True) for a in assignments)

    with pytest.raises(VolunteerError) as refused:
        services.unassign(third, by=application.user)
    assert refused.value.message == (
        "You missed 2 shifts without signing in, so changes now go through the volunteer "
        "office; please contact them."
    )
    assert Assignment.objects.filter(pk=third.pk).exists()

    office = factories.UserFactory(roles=["volunteer_office"])
    services.unassign(third, by=office)
    assert not Assignment.objects.filter(pk=third.pk).exists()


def test_withdraw_frees_future_shifts_and_keeps_worked_ones(summit):
    future = vf.AssignmentFactory(
        post_shift__post__summit=summit,
        post_shift__shift__start=dt.datetime(2099, 1, 1, 8, tzinfo=dt.UTC),
        post_shift__shift__end=dt.datetime(2099, 1, 1, 12, tzinfo=dt.UTC),
    )
    application = future.application
    worked = vf.AssignmentFactory(post_shift__post__summit=summit, application=application)

    services.withdraw(application, by=application.user)

    assert application.status == ApplicationStatus.WITHDRAWN
    assert list(Assignment.objects.filter(application=application)) == [worked]
    with pytest.raises(VolunteerError, match="already been withdrawn"):
        services.withdraw(application)


def test_location_consent_can_be_withdrawn_and_is_logged(summit):
    application = vf.ApplicationFactory(summit=summit)
    services.set_location_consent(application, False, by=application.user)

    assert stored(application)["location_consent"] is False
    assert ActionLog.objects.filter(action="volunteers.location_consent").count() == 1


# --- Assessment ----------------------------------------------------------------------------------


def test_total_score_combines_rubric_and_interviews(summit):
    application = vf.ApplicationFactory(summit=summit)
    office = factories.UserFactory(roles=["volunteer_office"])

    services.score_application(application, "80", by=office)
    assert application.score == Decimal("80.00")
    services.record_interview(application, 1, 90, "fluent", by=office)
    application.refresh_from_db()
    # 0.4 * 80 + 0.6 * 90
    assert application.score == Decimal("86.00")


@pytest.mark.parametrize("score", ["101", "-1", "ninety", None])
def test_scores_outside_0_to_100_are_refused(summit, score):
    application = vf.ApplicationFactory(summit=summit)
    with pytest.raises(VolunteerError, match="from 0 to 100"):
        services.score_application(application, score)
    assert stored(application)["rubric_score"] is None


def test_second_interview_needs_the_first_and_the_shortlist(summit):
    application = vf.ApplicationFactory(summit=summit)
    with pytest.raises(VolunteerError, match="first interview first"):
        services.record_interview(application, 2, 80)
    services.record_interview(application, 1, 80)
    with pytest.raises(VolunteerError, match="Shortlist"):
        services.record_interview(application, 2, 80)

    assert services.shortlist(Application.objects.filter(pk=application.pk)) == 1
    application.refresh_from_db()
    services.record_interview(application, 2, 70)
    assert Interview.objects.filter(application=application).count() == 2
    with pytest.raises(VolunteerError, match="round is 1 or 2"):
        services.record_interview(application, 3, 70)


# --- Selection -----------------------------------------------------------------------------------


@pytest.fixture
def applicants(summit):
    """Ten applicants scored 91 … 100: six at ZJU, four at NBU; the NBU ones score lowest."""
    zju, nbu = vf.UniversityFactory(short_name="ZJU"), vf.UniversityFactory(short_name="NBU")
    return [
        vf.ApplicationFactory(
            summit=summit, university=zju if index < 6 else nbu, score=Decimal(100 - index)
        )
        for index in range(10)
    ]


def test_selection_takes_the_best_under_quotas_and_explains_each(summit, applicants):
    run = services.run_selection(
        summit, 4, [{"kind": "university", "value": "NBU", "minimum": 2}], reserve_ratio=0.5
    )

    statuses = {a.pk: a.status for a in Application.objects.filter(summit=summit)}
    selected = [a.pk for a in applicants if statuses[a.pk] == ApplicationStatus.SELECTED]
    assert selected == [applicants[0].pk, applicants[1].pk, applicants[6].pk, applicants[7].pk]
    assert [a.pk for a in applicants if statuses[a.pk] == ApplicationStatus.RESERVE] == [
        applicants[2].pk,
        applicants[3].pk,
    ]
    assert (run.selected, run.reserve, run.applied) == (4, 2, True)
    assert SelectionExplanation.objects.filter(run=run).count() == 10
    explanation = SelectionExplanation.objects.get(run=run, application=applicants[6])
    assert explanation.code == "quota_minimum"


def test_selection_with_an_impossible_quota_names_it_and_changes_nothing(summit, applicants):
    with pytest.raises(VolunteerError) as refused:
        services.run_selection(summit, 4, [{"kind": "university", "value": "NBU", "minimum": 5}])

    assert refused.value.message == (
        "The quota for University 1 asks for at least 5, but only 4 applicants qualify; lower it."
    ).replace("University 1", str(applicants[-1].university))
    assert SelectionRun.objects.count() == 0
    assert set(Application.objects.values_list("status", flat=True)) == {"submitted"}


@pytest.mark.parametrize(
    ("quota", "message"),
    [
        ({"kind": "colour", "value": "red"}, "its kind is one of university"),
        ({"kind": "university", "value": "MIT"}, "“MIT” is not a known university"),
        ({"kind": "language", "value": "xx"}, "“xx” is not a known language"),
        ({"kind": "post_type", "value": "chef"}, "“chef” is not a known post_type"),
        ({"kind": "language", "value": "en", "minimum": 3, "maximum": 1}, "maximum is below"),
    ],
)
def test_selection_refuses_malformed_quotas(summit, applicants, quota, message):
    with pytest.raises(VolunteerError, match=message):
        services.run_selection(summit, 4, [quota])
    assert SelectionRun.objects.count() == 0


def test_selecting_more_than_the_applicants_is_refused(summit, applicants):
    with pytest.raises(VolunteerError) as refused:
        services.run_selection(summit, 11)
    assert refused.value.field == "n"
    assert refused.value.message == (
        "Only 10 applicants are in the running; select at most that many."
    )


def test_a_previewed_selection_is_applied_later(summit, applicants):
    run = services.run_selection(summit, 3, apply=False)
    assert set(Application.objects.values_list("status", flat=True)) == {"submitted"}

    services.apply_selection(run)
    assert Application.objects.filter(status=ApplicationStatus.SELECTED).count() == 3
    with pytest.raises(VolunteerError, match="already been applied"):
        services.apply_selection(run)


def test_notify_tells_each_decided_applicant_once(summit, applicants):
    services.run_selection(summit, 3, reserve_ratio=0)
    assert services.notify_decisions(summit, language="en") == 10
    assert services.notify_decisions(summit, language="en") == 0

    subjects = sorted({message.subject for message in mail.outbox})
    assert len(mail.outbox) == 10
    assert subjects == [
        "You are a volunteer of World Internet Conference Wuzhen Summit",
        "Your volunteer application to World Internet Conference Wuzhen Summit",
    ]


# --- Posts, shifts, manual roster ----------------------------------------------------------------


def test_post_requirements_are_checked(summit):
    venue = factories.VenueFactory(summit=summit)
    post = Post(summit=summit, venue=venue, name={"zh-hans": "翻译", "en": "Interpreter"})
    post.kind = PostKind.INTERPRETER
    post.required_languages = ["klingon"]
    with pytest.raises(VolunteerError, match="not a language code"):
        services.save_post(post)
    post.required_languages = ["FR"]
    post.required_skills = ["interpreting"]
    services.save_post(post)
    assert Post.objects.get().required_languages == ["fr"]

    other = factories.VenueFactory()
    post.venue = other
    with pytest.raises(VolunteerError, match="another summit"):
        services.save_post(post)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (at(0, 12), at(0, 8), "must end after it starts"),
        (at(0, 0), at(0, 20), "at most 16 hours"),
        (at(30, 8), at(30, 12), "must start between"),
    ],
)
def test_impossible_shifts_are_refused(summit, start, end, message):
    with pytest.raises(VolunteerError, match=message):
        services.save_shift(
            Shift(summit=summit, name={"zh-hans": "班", "en": "S"}, start=start, end=end)
        )
    assert Shift.objects.count() == 0


def test_manual_assignment_never_overfills_a_slot(summit):
    slot = vf.PostShiftFactory(post__summit=summit, headcount=1)
    first, second = vf.SelectedFactory.create_batch(2, summit=summit)
    services.assign_manually(slot, first)

    with pytest.raises(VolunteerError) as refused:
        services.assign_manually(slot, second)
    assert refused.value.message == (
        "This slot is full (1 of 1); unassign someone first or raise its headcount."
    )
    assert list(slot.assignments.values_list("application", flat=True)) == [first.pk]


def test_manual_assignment_refuses_overlaps_and_unselected(summit):
    slot = vf.PostShiftFactory(post__summit=summit, headcount=3)
    overlapping = vf.PostShiftFactory(
        post__summit=summit, shift__start=at(0, 10), shift__end=at(0, 14)
    )
    volunteer = vf.SelectedFactory(summit=summit)
    services.assign_manually(slot, volunteer)

    with pytest.raises(VolunteerError, match="already works at that time"):
        services.assign_manually(overlapping, volunteer)
    with pytest.raises(VolunteerError, match="already on this slot"):
        services.assign_manually(slot, volunteer)
    with pytest.raises(VolunteerError, match="not a selected volunteer"):
        services.assign_manually(slot, vf.ApplicationFactory(summit=summit))
    assert Assignment.objects.count() == 1


def test_headcount_cannot_drop_below_the_assigned(summit):
    assignment = vf.AssignmentFactory(post_shift__post__summit=summit, post_shift__headcount=2)
    slot = assignment.post_shift
    with pytest.raises(VolunteerError, match="already assigned"):
        services.set_headcount(slot.post, slot.shift, 0)
    assert services.set_headcount(slot.post, slot.shift, 5).headcount == 5


def test_unassign_is_refused_after_sign_in(summit):
    assignment = vf.AssignmentFactory(post_shift__post__summit=summit)
    DutyRecord.objects.create(assignment=assignment, signed_in_at=at(0, 8))
    with pytest.raises(VolunteerError, match="signed in"):
        services.unassign(assignment)
    assert Assignment.objects.filter(pk=assignment.pk).exists()


def test_training_attendance_only_for_selected_volunteers(summit):
    session = summit.volunteer_trainings.create(
        name={"zh-hans": "培训", "en": "Briefing"}, start=at(-2, 14), end=at(-2, 17)
    )
    with pytest.raises(VolunteerError, match="Only selected"):
        services.record_attendance(session, vf.ApplicationFactory(summit=summit))
    volunteer = vf.SelectedFactory(summit=summit)
    services.record_attendance(session, volunteer)
    services.record_attendance(session, volunteer, attended=False)
    assert list(session.attendances.values_list("attended", flat=True)) == [False]


def test_deleting_a_summit_takes_its_volunteers_along_but_a_venue_alone_is_kept(summit):
    from django.db.models import RestrictedError

    assignment = vf.AssignmentFactory(post_shift__post__summit=summit)
    with pytest.raises(RestrictedError):
        assignment.post_shift.post.venue.delete()

    summit.delete()
    assert (Application.objects.count(), Post.objects.count(), Assignment.objects.count()) == (
        0,
        0,
        0,
    )
