"""The volunteers' pages: the application form, the status page, the phone page on duty (sign in
and out with a position, the banner, the track, hours and the certificate), and the volunteer
office's pages (access, scoring and interviews, selection, roster edits, on duty, trajectories).
"""

import datetime as dt
import io
import re
from decimal import Decimal
from html import unescape

import pypdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from huiwu.core.i18n import i18n
from huiwu.core.models import ActionLog
from huiwu.volunteers.models import (
    Application,
    ApplicationStatus,
    Assignment,
    DutyRecord,
    HoursCorrection,
    Interview,
    PositionPing,
    Post,
    PostShift,
    SelectionRun,
    Shift,
    TrainingAttendance,
    TrainingSession,
    University,
)
from tests import factories
from tests.e2e.conftest import outline
from tests.shared_data import FACES

pytestmark = pytest.mark.django_db

LANGUAGES = ["zh-hans", "en"]
PORTRAIT = FACES / "amy_adams" / "adams.jpg"
# The convention centre of the test venue: a box of about 420 m by 270 m around this point.
CENTRE = (30.7483, 120.4906)
INSIDE = {"latitude": "30.7484", "longitude": "120.4907", "accuracy": "12"}
FAR_AWAY = {"latitude": "30.7600", "longitude": "120.4906", "accuracy": "15"}


def url(name: str, *args, language: str = "en") -> str:
    with translation.override(language):
        return reverse(f"volunteers:{name}", args=args)


def text(response) -> str:
    return unescape(response.content.decode())


def flashes(response) -> list[str]:
    return [
        unescape(m)
        for m in re.findall(r'<li class="flash[^"]*">(.*?)</li>', response.content.decode(), re.S)
    ]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def summit(db):
    """A summit running today, so that shifts are now."""
    today = timezone.localdate(timezone=factories.SHANGHAI)
    return factories.SummitFactory(
        is_current=True,
        start_date=today - dt.timedelta(days=1),
        end_date=today + dt.timedelta(days=1),
    )


@pytest.fixture
def venue(summit):
    return factories.VenueFactory(
        summit=summit,
        slug="wiicc",
        name=i18n(zh_hans="乌镇互联网国际会展中心", en="Wuzhen Convention Centre"),
        latitude=str(CENTRE[0]),
        longitude=str(CENTRE[1]),
        outline=outline(CENTRE[1], CENTRE[0], 0.0022, 0.0012),
    )


@pytest.fixture
def university(db):
    return University.objects.create(
        name=i18n(zh_hans="浙江大学", en="Zhejiang University"),
        short_name="ZJU",
        city=i18n(en="Hangzhou"),
    )


def make_application(
    summit, university, *, status=ApplicationStatus.SELECTED, consent=True, **extra
):
    number = Application.objects.count() + 1
    user = factories.UserFactory(username=f"student{number}@example.org")
    data = {
        "summit": summit,
        "user": user,
        "status": status,
        "name": f"学生{number}",
        "phone": "+86 138 0000 0000",
        "email": user.username,
        "university": university,
        "student_number": f"3200{number:04d}",
        "languages": [{"code": "zh", "level": 5}, {"code": "en", "level": 4}],
        "skills": ["interpreting"],
        "availability": [
            {"date": d.isoformat(), "from": "07:00", "to": "23:00"} for d in summit.days
        ],
        "tshirt_size": "M",
        "emergency_name": "王芳",
        "emergency_phone": "+86 139 0000 0000",
        "location_consent": consent,
        "location_consent_at": timezone.now() if consent else None,
        **extra,
    }
    return Application.objects.create(**data)


def make_slot(summit, venue, *, start, hours=4, headcount=2, name="Registration desk"):
    post = Post.objects.create(
        summit=summit, venue=venue, name=i18n(zh_hans="注册台", en=name), kind="registration_desk"
    )
    shift = Shift.objects.create(
        summit=summit,
        name=i18n(zh_hans="早班", en="Morning"),
        start=start,
        end=start + dt.timedelta(hours=hours),
    )
    return PostShift.objects.create(post=post, shift=shift, headcount=headcount)


@pytest.fixture
def slot(summit, venue):
    """A slot that began an hour ago and runs three more hours."""
    return make_slot(summit, venue, start=timezone.now() - dt.timedelta(hours=1))


@pytest.fixture
def volunteer(summit, university, slot):
    """A selected volunteer with location consent, on ``slot``."""
    application = make_application(summit, university)
    Assignment.objects.create(post_shift=slot, application=application, source="manual")
    return application


def signed_in_client(application) -> Client:
    client = Client()
    client.force_login(application.user)
    return client


@pytest.fixture
def office(db):
    return factories.UserFactory(username="office", roles=["volunteer_office"])


@pytest.fixture
def office_client(office) -> Client:
    client = Client()
    client.force_login(office)
    return client


# --- Applying ------------------------------------------------------------------------------------
def application_form(summit, school, **changes) -> dict:
    day = summit.days[0].isoformat()
    data = {
        "name": "林小雨",
        "gender": "female",
        "phone": "+86 138 1234 5678",
        "email": "lin.xiaoyu@example.org",
        "password": "summit-2024-pass",
        "university": str(school.pk),
        "student_number": "3210101234",
        "language_0": "zh",
        "level_0": "5",
        "language_1": "en",
        "level_1": "4",
        "skills": ["interpreting", "first_aid"],
        "experience": "Hangzhou Asian Games, 2023.",
        f"day_{day}": "on",
        f"from_{day}": "08:00",
        f"to_{day}": "18:00",
        "tshirt_size": "M",
        "emergency_name": "林芳",
        "emergency_phone": "+86 139 8765 4321",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@pytest.mark.parametrize("language", LANGUAGES)
def test_apply_form_asks_location_consent_apart_and_never_ticked(
    client, summit, university, language
):
    response = client.get(url("apply", language=language))
    assert response.status_code == 200
    consent = re.search(r'<input[^>]*name="location_consent"[^>]*>', response.content.decode())
    assert consent is not None and "checked" not in consent[0]
    assert "行踪轨迹" in text(response)
    # One row per summit day, to tick.
    assert len(re.findall(r'name="day_\d{4}-\d\d-\d\d"', response.content.decode())) == 3


def test_applying_creates_the_account_signs_in_and_shows_the_status(
    client, summit, university, media
):
    photo = SimpleUploadedFile("me.jpg", PORTRAIT.read_bytes(), "image/jpeg")
    response = client.post(
        url("apply"), application_form(summit, university, photo=photo, location_consent="on")
    )
    assert response.status_code == 302
    assert response["Location"] == url("status")
    application = Application.objects.get()
    assert application.languages == [{"code": "zh", "level": 5}, {"code": "en", "level": 4}]
    assert application.skills == ["interpreting", "first_aid"]
    assert application.availability == [
        {"date": summit.days[0].isoformat(), "from": "08:00", "to": "18:00"}
    ]
    assert application.location_consent is True and application.location_consent_at is not None
    assert application.user.check_password("summit-2024-pass")
    # The photo is stored under a random name, never the student's file name.
    assert application.photo and "me.jpg" not in application.photo.name
    status = client.get(response["Location"])
    assert status.status_code == 200
    assert "林小雨" in text(status) and 'data-status="submitted"' in text(status)


def test_consent_left_unticked_records_no_consent(client, summit, university):
    client.post(url("apply"), application_form(summit, university))
    assert Application.objects.get().location_consent is False


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"from_DAY": "18:00", "to_DAY": "08:00"}, None),
        ({"language_0": "xx"}, "Select a valid choice"),
        ({"level_0": ""}, "Choose your level in this language."),
        (
            {"language_0": "", "level_0": "", "language_1": "", "level_1": ""},
            "at least one language",
        ),
        ({"day_DAY": None}, "Tick at least one day"),
        ({"password": "short"}, "at least 8 characters"),
        ({"phone": "call me"}, None),
        ({"university": "999999"}, "Select a valid choice"),
    ],
)
def test_bad_applications_say_why_and_save_nothing(client, summit, university, changes, message):
    day = summit.days[0].isoformat()
    changes = {key.replace("DAY", day): value for key, value in changes.items()}
    response = client.post(url("apply"), application_form(summit, university, **changes))
    assert response.status_code == 400
    assert 'class="error-summary"' in response.content.decode()
    if message:
        assert message in text(response)
    assert not Application.objects.exists()
    assert not factories.UserFactory._meta.model.objects.filter(
        username="lin.xiaoyu@example.org"
    ).exists()


def test_a_second_application_with_the_same_student_number_is_refused(client, summit, university):
    make_application(
        summit, university, student_number="3210101234", status=ApplicationStatus.SUBMITTED
    )
    response = client.post(url("apply"), application_form(summit, university))
    assert response.status_code == 400
    assert "already applied" in text(response)
    assert Application.objects.count() == 1


def test_a_bad_photo_is_refused(client, summit, university):
    photo = SimpleUploadedFile("me.jpg", b"not an image", "image/jpeg")
    response = client.post(url("apply"), application_form(summit, university, photo=photo))
    assert response.status_code == 400
    assert "not a readable image" in text(response)
    assert not Application.objects.exists()


def test_errors_are_in_the_language_of_the_page(client, summit, university):
    day = summit.days[0].isoformat()
    english = client.post(
        url("apply"), application_form(summit, university, **{f"day_{day}": None})
    )
    chinese = client.post(
        url("apply", language="zh-hans"),
        application_form(summit, university, **{f"day_{day}": None}),
    )
    assert english.status_code == chinese.status_code == 400
    assert '<html lang="zh-hans">' in chinese.content.decode()


def test_status_needs_sign_in_and_shows_only_the_own_application(client, summit, university):
    response = client.get(url("status"))
    assert response.status_code == 302 and response["Location"].startswith(url("login"))
    mine = make_application(summit, university, status=ApplicationStatus.RESERVE)
    other = make_application(summit, university, status=ApplicationStatus.SELECTED)
    page = signed_in_client(mine).get(url("status"))
    assert mine.name in text(page) and other.name not in text(page)
    assert 'data-status="reserve"' in text(page)


def test_volunteer_signs_in_with_the_e_mail_and_password(summit, university):
    application = make_application(summit, university)
    client = Client()
    response = client.post(
        url("login"), {"username": application.user.username, "password": "secret-pass-123"}
    )
    assert response.status_code == 302 and response["Location"] == url("status")


def test_withdrawing_frees_future_shifts(summit, university, venue):
    application = make_application(summit, university)
    later = make_slot(summit, venue, start=timezone.now() + dt.timedelta(hours=5))
    Assignment.objects.create(post_shift=later, application=application, source="solver")
    response = signed_in_client(application).post(url("withdraw"))
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN
    assert not Assignment.objects.filter(application=application).exists()


def test_consent_can_be_withdrawn_and_given_from_the_status_page(summit, university):
    application = make_application(summit, university, consent=True)
    client = signed_in_client(application)
    client.post(url("consent"), {"consent": "no"})
    application.refresh_from_db()
    assert application.location_consent is False
    client.post(url("consent"), {"consent": "maybe"})
    application.refresh_from_db()
    assert application.location_consent is False
    client.post(url("consent"), {"consent": "yes"})
    application.refresh_from_db()
    assert application.location_consent is True


# --- On duty -------------------------------------------------------------------------------------
def test_off_duty_page_says_nothing_is_sent_and_offers_sign_in(volunteer):
    response = signed_in_client(volunteer).get(url("duty"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "data-off-duty" in html and "data-on-duty" not in html
    assert url("sign_in") in html and "data-locate" in html
    assert "Registration desk" in html


def test_sign_in_inside_the_venue_is_accepted_and_turns_on_the_banner(volunteer):
    client = signed_in_client(volunteer)
    assignment = volunteer.assignments.get()
    response = client.post(url("sign_in"), {"assignment": assignment.pk, **INSIDE})
    assert response.status_code == 302
    duty = DutyRecord.objects.get()
    assert duty.inside_geofence is True and duty.distance_m == 0
    page = client.get(url("duty"))
    html = page.content.decode()
    assert "You are being located" in html and "data-on-duty" in html
    assert 'data-positions-url="/api/v1/volunteers/positions"' in html
    assert url("sign_out") in html
    assert flashes(page) == ["You are signed in. Have a good shift!"]


def test_sign_in_outside_the_venue_is_flagged_with_the_distance(volunteer):
    client = signed_in_client(volunteer)
    response = client.post(
        url("sign_in"), {"assignment": volunteer.assignments.get().pk, **FAR_AWAY}, follow=True
    )
    duty = DutyRecord.objects.get()
    assert duty.inside_geofence is False
    assert 1000 < duty.distance_m < 1300
    assert flashes(response) == []
    shown = re.search(
        r'<p class="sign-result sign-flagged" data-sign-result>(.*?)</p>', text(response), re.S
    )
    assert f"{round(duty.distance_m)} m outside your venue" in shown[1]


def test_sign_in_for_a_shift_that_is_not_yours_is_refused(summit, university, volunteer):
    other = make_application(summit, university)
    response = signed_in_client(other).post(
        url("sign_in"), {"assignment": volunteer.assignments.get().pk, **INSIDE}, follow=True
    )
    assert flashes(response) == ["This shift is not yours."]
    assert not DutyRecord.objects.exists()


@pytest.mark.parametrize(
    "position, message",
    [
        ({"latitude": "91", "longitude": "120.49", "accuracy": "5"}, "is not a position on Earth"),
        ({"latitude": "abc", "longitude": "120.49", "accuracy": "5"}, "not a pair of numbers"),
        ({"latitude": "", "longitude": "", "accuracy": ""}, "Let the phone share its position"),
    ],
)
def test_sign_in_with_an_impossible_position_changes_nothing(volunteer, position, message):
    response = signed_in_client(volunteer).post(
        url("sign_in"), {"assignment": volunteer.assignments.get().pk, **position}, follow=True
    )
    [shown] = flashes(response)
    assert message in shown
    assert not DutyRecord.objects.exists() and not PositionPing.objects.exists()


def test_without_consent_sign_in_asks_no_position_and_keeps_none(summit, university, slot):
    application = make_application(summit, university, consent=False)
    assignment = Assignment.objects.create(
        post_shift=slot, application=application, source="manual"
    )
    client = signed_in_client(application)
    page = client.get(url("duty")).content.decode()
    assert not re.search(r"data-locate[ >]", page)
    client.post(url("sign_in"), {"assignment": assignment.pk})
    duty = DutyRecord.objects.get()
    assert duty.signed_in_at is not None and duty.sign_in_lat is None
    page = client.get(url("duty")).content.decode()
    assert "data-on-duty" not in page and "no position is sent" in page


def test_sign_out_records_the_hours_and_the_certificate_follows(volunteer):
    client = signed_in_client(volunteer)
    client.post(url("sign_in"), {"assignment": volunteer.assignments.get().pk, **INSIDE})
    DutyRecord.objects.update(signed_in_at=timezone.now() - dt.timedelta(hours=2, minutes=30))
    response = client.post(url("sign_out"), INSIDE, follow=True)
    message = flashes(response)[-1]
    assert message.startswith("You are signed out after 2.5 hours")
    html = response.content.decode()
    assert "data-off-duty" in html and "2.5" in html
    pdf = client.get(url("certificate"))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    content = pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert volunteer.name in content
    assert "2.5 hours of service" in content
    assert "Zhejiang University" in content


def test_certificate_shows_corrections_apart(volunteer, office):
    HoursCorrection.objects.create(
        application=volunteer, hours=Decimal("1.5"), reason="Setup", by=office
    )
    pdf = signed_in_client(volunteer).get(url("certificate"))
    content = pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "0.0 hours of service" in content
    assert "credited 1.5 hours besides" in content


def test_no_certificate_without_hours(volunteer):
    assert signed_in_client(volunteer).get(url("certificate")).status_code == 404


def test_duty_page_shows_my_track_of_today_only(volunteer):
    client = signed_in_client(volunteer)
    client.post(url("sign_in"), {"assignment": volunteer.assignments.get().pk, **INSIDE})
    duty = DutyRecord.objects.get()
    yesterday = timezone.now() - dt.timedelta(days=1, hours=1)
    PositionPing.objects.create(application=volunteer, duty=duty, at=yesterday, lat=30.7, lon=120.4)
    html = client.get(url("duty")).content.decode()
    track = re.search(r'<script id="my-track" type="application/json">(.*?)</script>', html, re.S)
    assert track[1].count('"lat"') == 1  # the sign-in's position, not yesterday's
    assert "Your positions of today" in html


def test_duty_page_needs_an_application(summit, university):
    client = Client()
    client.force_login(factories.UserFactory(username="nobody"))
    assert client.get(url("duty")).status_code == 404


# --- The office: access --------------------------------------------------------------------------
OFFICE_PAGES = [
    "office-applications",
    "office-import",
    "office-selection",
    "office-posts",
    "office-roster",
    "office-training",
    "office-on-duty",
    "office-no-shows",
]


@pytest.mark.parametrize("name", OFFICE_PAGES)
def test_office_pages_send_strangers_to_sign_in_and_refuse_volunteers(client, volunteer, name):
    response = client.get(url(name))
    assert response.status_code == 302 and response["Location"].startswith(url("login"))
    assert signed_in_client(volunteer).get(url(name)).status_code == 403


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", OFFICE_PAGES)
def test_office_pages_open_for_the_office_in_both_languages(
    office_client, volunteer, name, language
):
    response = office_client.get(url(name, language=language))
    assert response.status_code == 200
    assert f'<html lang="{language}">' in response.content.decode()


def test_command_operator_sees_who_is_on_duty_but_not_the_applications(volunteer):
    client = Client()
    client.force_login(factories.UserFactory(username="command", roles=["command_operator"]))
    assert client.get(url("office-on-duty")).status_code == 200
    assert client.get(url("office-applications")).status_code == 403
    assert client.get(url("office-trajectory", volunteer.public_id)).status_code == 200
    assert client.get(url("office-application", volunteer.public_id)).status_code == 403


# --- The office: applications, scores, interviews ---------------------------------------------
def test_application_list_filters_by_language_level_and_skill(office_client, summit, university):
    fluent = make_application(summit, university, status=ApplicationStatus.SUBMITTED)
    basic = make_application(
        summit,
        university,
        status=ApplicationStatus.SUBMITTED,
        languages=[{"code": "en", "level": 2}],
        skills=[],
    )
    html = text(office_client.get(url("office-applications") + "?language=en&level=4"))
    assert fluent.name in html and basic.name not in html
    html = text(office_client.get(url("office-applications") + "?skill=interpreting"))
    assert fluent.name in html and basic.name not in html
    html = text(office_client.get(url("office-applications") + "?language=en&level=2"))
    assert fluent.name in html and basic.name in html


def test_unknown_filter_values_are_ignored(office_client, summit, university):
    application = make_application(summit, university, status=ApplicationStatus.SUBMITTED)
    response = office_client.get(
        url("office-applications") + "?status=nope&language=xx&level=9&order=x"
    )
    assert response.status_code == 200 and application.name in text(response)


def test_scoring_and_two_interview_rounds(office_client, office, summit, university):
    application = make_application(summit, university, status=ApplicationStatus.SUBMITTED)
    page = url("office-application", application.public_id)
    assert office_client.post(page, {"action": "score", "rubric_score": "80"}).status_code == 302
    response = office_client.post(
        page, {"action": "interview", "round": "2", "round2-round": "2", "round2-score": "90"}
    )
    assert response.status_code == 400
    assert "Record the first interview first." in text(response)
    office_client.post(
        page,
        {
            "action": "interview",
            "round": "1",
            "round1-round": "1",
            "round1-score": "70",
            "round1-notes": "Calm.",
        },
    )
    application.refresh_from_db()
    assert application.rubric_score == Decimal("80")
    assert application.score == Decimal("74.00")  # 0.4 * 80 + 0.6 * 70
    interview = Interview.objects.get()
    assert (interview.round, interview.notes, interview.interviewer) == (1, "Calm.", office)
    html = text(office_client.get(page))
    assert "Interviewed" in html and "Rubric scored" in html


def test_a_score_out_of_range_is_refused_and_changes_nothing(office_client, summit, university):
    application = make_application(summit, university, status=ApplicationStatus.SUBMITTED)
    response = office_client.post(
        url("office-application", application.public_id), {"action": "score", "rubric_score": "120"}
    )
    assert response.status_code == 400
    application.refresh_from_db()
    assert application.rubric_score is None


def test_hours_corrections_need_a_reason(office_client, volunteer):
    page = url("office-application", volunteer.public_id)
    response = office_client.post(page, {"action": "correct", "hours": "2", "reason": ""})
    assert response.status_code == 400 and not HoursCorrection.objects.exists()
    office_client.post(page, {"action": "correct", "hours": "2", "reason": "Set-up day"})
    assert HoursCorrection.objects.get().hours == Decimal("2")


def test_shortlisting_the_ticked_applicants(office_client, summit, university):
    ticked = make_application(summit, university, status=ApplicationStatus.SUBMITTED)
    left = make_application(summit, university, status=ApplicationStatus.SUBMITTED)
    office_client.post(url("office-shortlist"), {"ids": [str(ticked.public_id), "not-a-uuid"]})
    ticked.refresh_from_db()
    left.refresh_from_db()
    assert (ticked.status, left.status) == (
        ApplicationStatus.SHORTLISTED,
        ApplicationStatus.SUBMITTED,
    )


# --- The office: selection ---------------------------------------------------------------------
def test_selection_is_previewed_explained_then_applied(office_client, summit, university):
    applicants = [
        make_application(
            summit, university, status=ApplicationStatus.SUBMITTED, score=Decimal(score)
        )
        for score in (90, 80, 70, 60)
    ]
    response = office_client.post(url("office-selection"), {"size": "2", "reserve_ratio": "0.5"})
    run = SelectionRun.objects.get()
    assert response["Location"] == url("office-selection-run", run.pk)
    assert (run.selected, run.reserve, run.applied) == (2, 1, False)
    for application in applicants:
        application.refresh_from_db()
        assert application.status == ApplicationStatus.SUBMITTED
    page = text(office_client.get(response["Location"]))
    assert "Ranked 1 by score" in page
    office_client.post(response["Location"], {"action": "apply"})
    statuses = [Application.objects.get(pk=a.pk).status for a in applicants]
    assert statuses == ["selected", "selected", "reserve", "rejected"]
    # The selection page says who has not been told and leads to where they are told.
    overview = text(office_client.get(url("office-selection")))
    assert "4 decided applicants have not been told yet." in overview
    assert f'href="{url("office-selection-run", run.pk)}">Tell them from the run in effect' in (
        office_client.get(url("office-selection")).content.decode()
    )


def test_selection_with_a_quota_that_cannot_be_met_names_it(office_client, summit, university):
    make_application(summit, university, status=ApplicationStatus.SUBMITTED, score=Decimal(50))
    response = office_client.post(
        url("office-selection"),
        {
            "size": "1",
            "reserve_ratio": "0",
            "kind_0": "language",
            "value_0": "language:fr",
            "minimum_0": "1",
        },
    )
    assert response.status_code == 400
    assert not SelectionRun.objects.exists()
    assert "French" in text(response) or "fr" in text(response)


def test_selection_quota_value_must_match_its_kind(office_client, summit, university):
    make_application(summit, university, status=ApplicationStatus.SUBMITTED, score=Decimal(50))
    response = office_client.post(
        url("office-selection"),
        {
            "size": "1",
            "reserve_ratio": "0",
            "kind_0": "university",
            "value_0": "language:en",
            "minimum_0": "1",
        },
    )
    assert response.status_code == 400
    assert "Choose a value of the quota" in text(response)
    assert not SelectionRun.objects.exists()


# --- The office: roster ------------------------------------------------------------------------
def test_roster_grid_shows_filled_over_headcount(office_client, volunteer, slot):
    html = office_client.get(url("office-roster")).content.decode()
    assert ">1/2</a>" in html and "fill-part" in html


def test_manual_assignment_never_overfills_a_slot(office_client, summit, university, venue):
    full = make_slot(summit, venue, start=timezone.now() + dt.timedelta(hours=6), headcount=1)
    first, second = make_application(summit, university), make_application(summit, university)
    page = url("office-slot", full.pk)
    office_client.post(page, {"volunteer": str(first.public_id)})
    response = office_client.post(page, {"volunteer": str(second.public_id)}, follow=True)
    assert "This slot is full" in flashes(response)[-1]
    assert list(full.assignments.values_list("application", flat=True)) == [first.pk]


def test_unassigning_and_finding_candidates(office_client, summit, university, venue):
    later = make_slot(summit, venue, start=timezone.now() + dt.timedelta(hours=6))
    application = make_application(summit, university, name="周杰")
    page = url("office-slot", later.pk)
    found = text(office_client.get(page + "?q=周"))
    assert "周杰" in found
    office_client.post(page, {"volunteer": str(application.public_id)})
    assignment = later.assignments.get()
    assert "周杰" not in text(office_client.get(page + "?q=周")).split("Assign by hand")[1]
    office_client.post(page, {"action": "unassign", "assignment": assignment.pk})
    assert not later.assignments.exists()


def test_training_attendance_is_recorded_for_the_ticked(office_client, summit, volunteer, slot):
    session = TrainingSession.objects.create(
        summit=summit,
        name=i18n(zh_hans="培训", en="Desk training"),
        start=timezone.now() - dt.timedelta(days=1),
        end=timezone.now() - dt.timedelta(days=1) + dt.timedelta(hours=2),
    )
    session.posts.add(slot.post)
    page = url("office-training-session", session.pk)
    assert volunteer.name in text(office_client.get(page))
    office_client.post(page, {"attended": [str(volunteer.public_id)]})
    assert TrainingAttendance.objects.get().attended is True
    office_client.post(page, {})
    assert TrainingAttendance.objects.get().attended is False


# --- The office: on duty, no-shows, trajectories ----------------------------------------------
def test_on_duty_page_lists_positions_with_their_age(office_client, volunteer):
    client = signed_in_client(volunteer)
    client.post(url("sign_in"), {"assignment": volunteer.assignments.get().pk, **FAR_AWAY})
    PositionPing.objects.update(at=timezone.now() - dt.timedelta(minutes=10))
    html = office_client.get(url("office-on-duty")).content.decode()
    assert volunteer.name in html
    age = int(re.search(r'data-age="(\d+)"', html)[1])
    assert 595 <= age <= 660
    assert "age-stale" in html and "m outside" in html


def test_no_shows_are_listed(office_client, volunteer):
    DutyRecord.objects.create(assignment=volunteer.assignments.get(), no_show=True)
    html = text(office_client.get(url("office-no-shows")))
    assert volunteer.name in html


def test_trajectory_shows_points_in_the_range_and_logs_the_viewing(
    office_client, office, volunteer
):
    client = signed_in_client(volunteer)
    client.post(url("sign_in"), {"assignment": volunteer.assignments.get().pk, **INSIDE})
    duty = DutyRecord.objects.get()
    now = timezone.now()
    for minutes in (1, 2, 3):
        PositionPing.objects.create(
            application=volunteer,
            duty=duty,
            at=now - dt.timedelta(minutes=minutes),
            lat=30.748,
            lon=120.49,
        )
    PositionPing.objects.create(
        application=volunteer, duty=duty, at=now - dt.timedelta(hours=5), lat=30.7, lon=120.4
    )
    html = office_client.get(url("office-trajectory", volunteer.public_id)).content.decode()
    points = re.search(
        r'<script id="trajectory" type="application/json">(.*?)</script>', html, re.S
    )[1]
    assert points.count('"age_seconds"') == 4  # three pings and the sign-in, not the old one
    assert ActionLog.objects.filter(action="volunteers.trajectory_viewed", actor=office).exists()


def test_trajectory_with_a_bad_range_says_so(office_client, volunteer):
    response = office_client.get(
        url("office-trajectory", volunteer.public_id)
        + "?start=2024-11-20T10:00&end=2024-11-20T09:00"
    )
    assert response.status_code == 400
    assert "The end must come after the start." in text(response)


def test_a_volunteer_sees_no_one_else_s_trajectory(summit, university, volunteer):
    other = make_application(summit, university)
    assert (
        signed_in_client(other).get(url("office-trajectory", volunteer.public_id)).status_code
        == 403
    )


def test_unknown_application_is_not_found(office_client, summit):
    assert (
        office_client.get(
            url("office-application", "0" * 8 + "-0000-0000-0000-" + "0" * 12)
        ).status_code
        == 404
    )


# --- The office: import ------------------------------------------------------------------------
IMPORT_CSV = (
    "姓名,学号,学校,email,phone,languages,availability,emergency_name,emergency_phone,tshirt_size\n"
    '陈静,3220100001,ZJU,chen.jing@example.org,+86 138 1111 2222,"zh:5, en:4",'
    "{day} 08:00-18:00,陈父,+86 139 1111 2222,M\n"
    "王伟,,ZJU,wang.wei@example.org,+86 138 3333 4444,en:9,{day} 08:00-18:00,王母,"
    "+86 139 3333 4444,L\n"
)


def test_import_checks_first_then_imports_the_good_rows(office_client, summit, university):
    csv = IMPORT_CSV.format(day=summit.days[0].isoformat()).encode()
    upload = SimpleUploadedFile("zju.csv", csv, "text/csv")
    response = office_client.post(url("office-import"), {"file": upload})
    assert response.status_code == 200
    assert "What the list would do" in text(response)
    assert not Application.objects.exists()
    upload = SimpleUploadedFile("zju.csv", csv, "text/csv")
    response = office_client.post(url("office-import"), {"file": upload, "write": "on"})
    assert "What the list did" in text(response)
    imported = Application.objects.get()
    assert (imported.name, imported.location_consent) == ("陈静", False)


def test_import_of_a_file_that_is_no_list_says_so(office_client, summit):
    upload = SimpleUploadedFile("list.csv", b"\x00\x01\x02garbage", "text/csv")
    response = office_client.post(url("office-import"), {"file": upload, "write": "on"})
    assert response.status_code == 400
    assert 'class="field-errors"' in response.content.decode()
    assert not Application.objects.exists()


def test_someone_signed_in_applies_with_the_own_account(summit, university):
    user = factories.UserFactory(username="returning@example.org")
    client = Client()
    client.force_login(user)
    assert 'name="password"' not in client.get(url("apply")).content.decode()
    response = client.post(url("apply"), application_form(summit, university, password=None))
    assert response.status_code == 302
    assert Application.objects.get().user == user


def test_the_office_signs_in_to_its_pages(office):
    response = Client().post(url("login"), {"username": "office", "password": "secret-pass-123"})
    assert response["Location"] == url("office-applications")


def test_sign_in_is_refused_with_the_reason_when_untrained_or_too_early(summit, university, venue):
    application = make_application(summit, university)
    trained_only = make_slot(summit, venue, start=timezone.now() - dt.timedelta(minutes=30))
    Post.objects.filter(pk=trained_only.post_id).update(needs_training=True)
    later = make_slot(summit, venue, start=timezone.now() + dt.timedelta(hours=5))
    client = signed_in_client(application)
    for slot_, expected in [(trained_only, "needs training"), (later, "Too early")]:
        assignment = Assignment.objects.create(
            post_shift=slot_, application=application, source="manual"
        )
        response = client.post(url("sign_in"), {"assignment": assignment.pk, **INSIDE}, follow=True)
        assert expected in flashes(response)[-1]
    assert not DutyRecord.objects.exists()


def test_on_duty_list_refreshes_as_a_fragment(office_client, volunteer):
    signed_in_client(volunteer).post(
        url("sign_in"), {"assignment": volunteer.assignments.get().pk, **INSIDE}
    )
    response = office_client.get(url("office-on-duty"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="on-duty-results">')
    assert volunteer.name in html and '<script id="people"' in html
