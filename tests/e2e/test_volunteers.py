"""Volunteers in a real browser: two students apply on their phones, in Chinese and in English;
the volunteer office scores them, runs the selection and puts them on a post; on duty, one
signs in inside the venue (a faked geolocation) and the page sends positions while the other
signs in far away and is flagged; the office sees both on duty and a trajectory on the map.
Screenshots of every page in both languages (phone for the volunteers, desktop for the office).
"""

import datetime as dt
import re

import pytest
from django.utils import timezone

from huiwu.core.i18n import i18n
from huiwu.volunteers import services
from huiwu.volunteers.models import (
    Application,
    ApplicationStatus,
    DutyRecord,
    PositionPing,
    Post,
    PostShift,
    Shift,
    University,
)
from tests import factories
from tests.e2e.conftest import DESKTOP, PHONE, outline
from tests.shared_data import FACES

pytestmark = pytest.mark.e2e

CENTRE = {"latitude": 30.7483, "longitude": 120.4906}
OUTSIDE = {"latitude": 30.7612, "longitude": 120.4906}
STUDENTS = {
    "zh-hans": {
        "locale": "zh-CN",
        "name": "林小雨",
        "email": "lin.xiaoyu@example.org",
        "university": "ZJU",
        "number": "3210101234",
        "languages": [("zh", "5"), ("en", "4")],
        "skills": ["interpreting", "protocol"],
        "score": "92",
        "position": CENTRE,
    },
    "en": {
        "locale": "en-GB",
        "name": "Amy Chen",
        "email": "amy.chen@example.org",
        "university": "ZISU",
        "number": "2022330101",
        "languages": [("en", "5"), ("fr", "3")],
        "skills": ["guiding"],
        "score": "85",
        "position": OUTSIDE,
        "photo": FACES / "amy_adams" / "adams.jpg",
    },
}
PASSWORD = "wuzhen-volunteer-2024"


@pytest.fixture
def recruiting(transactional_db, settings, tmp_path):
    """A summit running today at the Wuzhen convention centre, two universities, a post with a
    shift that began an hour ago, and the volunteer office's account."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VOLUNTEER_PING_SECONDS = 1
    today = timezone.localdate(timezone=factories.SHANGHAI)
    summit = factories.SummitFactory(
        is_current=True,
        start_date=today - dt.timedelta(days=1),
        end_date=today + dt.timedelta(days=1),
        name=i18n(zh_hans="世界互联网大会乌镇峰会", en="World Internet Conference Wuzhen Summit"),
    )
    venue = factories.VenueFactory(
        summit=summit,
        slug="wiicc",
        name=i18n(
            zh_hans="乌镇互联网国际会展中心", en="Wuzhen Internet International Convention Centre"
        ),
        latitude="30.748300",
        longitude="120.490600",
        outline=outline(120.4906, 30.7483, 0.0022, 0.0012),
    )
    factories.VenueFactory(
        summit=summit,
        slug="banquet",
        kind="banquet",
        name=i18n(zh_hans="乌镇宴会中心", en="Wuzhen Banquet Centre"),
        latitude="30.745100",
        longitude="120.486200",
        outline=outline(120.4862, 30.7451, 0.0010, 0.0007),
    )
    University.objects.create(
        name=i18n(zh_hans="浙江大学", en="Zhejiang University"), short_name="ZJU"
    )
    University.objects.create(
        name=i18n(zh_hans="浙江外国语学院", en="Zhejiang International Studies University"),
        short_name="ZISU",
    )
    post = Post.objects.create(
        summit=summit,
        venue=venue,
        name=i18n(zh_hans="主会场注册台", en="Main registration desk"),
        kind="registration_desk",
    )
    start = timezone.now() - dt.timedelta(hours=1)
    shift = Shift.objects.create(
        summit=summit,
        name=i18n(zh_hans="早班", en="Morning shift"),
        start=start,
        end=start + dt.timedelta(hours=5),
    )
    slot = PostShift.objects.create(post=post, shift=shift, headcount=3)
    factories.UserFactory(username="office", roles=["volunteer_office"])
    return {"summit": summit, "slot": slot}


def capture(screenshot, page, name: str, language: str) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, name, language)


def new_page(browser, live_server, *, locale, viewport, position=None):
    options = {"locale": locale, "viewport": viewport}
    if position is not None:
        options |= {"geolocation": position, "permissions": ["geolocation"]}
    context = browser.new_context(**options)
    # A loaded machine (several test runs at once) can take long over a page.
    context.set_default_timeout(60_000)
    return context, context.new_page()


def apply(page, live_server, summit, language: str, student: dict) -> None:
    page.goto(f"{live_server.url}/{language}/volunteers/")
    form = page.locator("form.volunteer-form")
    form.locator("#id_name").fill(student["name"])
    form.locator("#id_phone").fill("+86 138 0000 1234")
    form.locator("#id_email").fill(student["email"])
    form.locator("#id_password").fill(PASSWORD)
    form.locator("#id_university").select_option(
        str(University.objects.get(short_name=student["university"]).pk)
    )
    form.locator("#id_student_number").fill(student["number"])
    for index, (code, level) in enumerate(student["languages"]):
        form.locator(f"#id_language_{index}").select_option(code)
        form.locator(f"#id_level_{index}").select_option(level)
    for skill in student["skills"]:
        form.locator(f"input[name=skills][value={skill}]").check()
    for day in summit.days:
        form.locator(f"#id_day_{day.isoformat()}").check()
    form.locator("#id_tshirt_size").select_option("M")
    form.locator("#id_emergency_name").fill("王芳")
    form.locator("#id_emergency_phone").fill("+86 139 0000 5678")
    if student.get("photo"):
        form.locator("#id_photo").set_input_files(str(student["photo"]))
    consent = form.locator("#id_location_consent")
    assert not consent.is_checked()
    consent.check()
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/volunteers/me/$"))


def office_sign_in(page, live_server, language: str) -> None:
    page.goto(f"{live_server.url}/{language}/volunteers/office/")
    page.locator("#id_username").fill("office")
    page.locator("#id_password").fill("secret-pass-123")
    page.locator("form.guest-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/volunteers/office/$"))


def test_volunteers_apply_get_selected_sign_in_and_are_seen_on_the_map(
    recruiting, browser, live_server, screenshot
):
    summit, slot = recruiting["summit"], recruiting["slot"]
    contexts = []
    phones = {}
    try:
        # --- Two students apply on their phones, in Chinese and in English.
        for language, student in STUDENTS.items():
            context, page = new_page(
                browser,
                live_server,
                locale=student["locale"],
                viewport=PHONE,
                position=student["position"],
            )
            contexts.append(context)
            page.goto(f"{live_server.url}/{language}/volunteers/")
            capture(screenshot, page, "volunteers-apply", language)
            apply(page, live_server, summit, language, student)
            assert page.locator("[data-status=submitted]").is_visible()
            capture(screenshot, page, "volunteers-status", language)
            phones[language] = page
        applications = {
            language: Application.objects.get(email=student["email"])
            for language, student in STUDENTS.items()
        }
        assert all(a.location_consent for a in applications.values())
        assert applications["zh-hans"].languages == [
            {"code": "zh", "level": 5},
            {"code": "en", "level": 4},
        ]

        # --- The volunteer office scores, selects and assigns them (desktop, both languages).
        context, office = new_page(browser, live_server, locale="zh-CN", viewport=DESKTOP)
        contexts.append(context)
        office_sign_in(office, live_server, "zh-hans")
        for language, student in STUDENTS.items():
            application = applications[language]
            office.goto(
                f"{live_server.url}/{language}/volunteers/office/a/{application.public_id}/"
            )
            office.locator("input[name=rubric_score]").fill(student["score"])
            office.locator("form:has(input[name=action][value=score]) button").click()
            office.wait_for_load_state()
        office.goto(f"{live_server.url}/en/volunteers/office/?language=en&level=4")
        assert office.locator("#application-results tbody tr").count() == 2
        capture(screenshot, office, "volunteers-office-applications", "en")
        office.goto(f"{live_server.url}/zh-hans/volunteers/office/")
        capture(screenshot, office, "volunteers-office-applications", "zh-hans")

        office.goto(f"{live_server.url}/en/volunteers/office/selection/")
        office.locator("#id_size").fill("2")
        office.locator("#id_reserve_ratio").fill("0")
        office.locator("#id_kind_0").select_option("language")
        office.locator("#id_value_0").select_option("language:en")
        office.locator("#id_minimum_0").fill("1")
        office.locator("#id_min_level_0").select_option("4")
        office.locator("form.office-form button[type=submit]").click()
        office.wait_for_url(re.compile(r"/selection/\d+/$"))
        assert "Ranked 1 by score" in office.locator("table").inner_text()
        office.locator("form:has(input[value=apply]) button").click()
        office.wait_for_load_state()
        capture(screenshot, office, "volunteers-office-selection-run", "en")
        office.goto(office.url.replace("/en/", "/zh-hans/"))
        capture(screenshot, office, "volunteers-office-selection-run", "zh-hans")
        assert {a.status for a in Application.objects.all()} == {ApplicationStatus.SELECTED}

        for language in applications:
            office.goto(f"{live_server.url}/{language}/volunteers/office/roster/{slot.pk}/")
            office.locator("input[name=q]").fill(STUDENTS[language]["number"])
            office.locator("form[role=search] button").click()
            office.locator("form.inline-form button").click()
            office.wait_for_load_state()
        assert slot.assignments.count() == 2
        for language in STUDENTS:
            office.goto(f"{live_server.url}/{language}/volunteers/office/roster/{slot.pk}/")
            capture(screenshot, office, "volunteers-office-slot", language)
        for language in STUDENTS:
            office.goto(f"{live_server.url}/{language}/volunteers/office/roster/")
            assert office.locator(".roster-cell a").inner_text() == "2/3"
            capture(screenshot, office, "volunteers-office-roster", language)

        # --- On duty: the Chinese student signs in inside the venue and is located.
        phone = phones["zh-hans"]
        phone.goto(f"{live_server.url}/zh-hans/volunteers/duty/")
        assert phone.locator("[data-off-duty]").is_visible()
        phone.locator("[data-volunteer-map][data-ready=true]").wait_for()
        capture(screenshot, phone, "volunteers-duty-off", "zh-hans")
        with phone.expect_navigation():
            phone.locator("form[action$='/duty/sign-in/'] button").click()
        banner = phone.locator("[data-on-duty]")
        assert banner.is_visible()
        # The page sends a position every second (the test's setting) while signed in.
        phone.wait_for_function(
            "document.querySelector('[data-on-duty]').dataset.sent >= 3", timeout=60_000
        )
        duty = DutyRecord.objects.get(assignment__application=applications["zh-hans"])
        assert duty.inside_geofence is True
        assert PositionPing.objects.filter(duty=duty).count() >= 3
        assert "sign-flagged" not in phone.locator("[data-sign-result]").get_attribute("class")
        phone.locator("[data-volunteer-map][data-ready=true]").wait_for()
        capture(screenshot, phone, "volunteers-duty-on", "zh-hans")

        # --- The English student signs in far from the venue: accepted, flagged.
        phone = phones["en"]
        phone.goto(f"{live_server.url}/en/volunteers/duty/")
        capture(screenshot, phone, "volunteers-duty-off", "en")
        with phone.expect_navigation():
            phone.locator("form[action$='/duty/sign-in/'] button").click()
        flagged = phone.locator(".sign-result.sign-flagged")
        assert flagged.is_visible()
        duty = DutyRecord.objects.get(assignment__application=applications["en"])
        assert duty.inside_geofence is False and duty.distance_m > 1000
        assert f"{round(duty.distance_m)} m" in flagged.inner_text()
        phone.wait_for_function(
            "document.querySelector('[data-on-duty]').dataset.sent >= 2", timeout=60_000
        )
        phone.locator("[data-volunteer-map][data-ready=true]").wait_for()
        capture(screenshot, phone, "volunteers-duty-on", "en")

        # --- The office sees both on duty, with the ages of their positions, and a trajectory.
        for language in STUDENTS:
            office.goto(f"{live_server.url}/{language}/volunteers/office/on-duty/")
            office.locator("[data-volunteer-map][data-ready=true]").wait_for()
            assert office.locator("#on-duty-results tbody tr").count() == 2
            assert office.locator(".flag-outside").count() == 1
            assert office.locator("path.position-dot").count() == 2
            capture(screenshot, office, "volunteers-office-on-duty", language)
        for language, application in applications.items():
            office.goto(
                f"{live_server.url}/{language}/volunteers/office/a/{application.public_id}/trajectory/"
            )
            office.locator("[data-volunteer-map][data-ready=true]").wait_for()
            shown = int(office.locator("[data-points]").inner_text())
            # The Chinese student's phone is still sending: more may have come since.
            assert 2 <= shown <= PositionPing.objects.filter(application=application).count()
            assert office.locator("path.position-dot").count() == shown
            office.locator("path.position-dot").last.dispatch_event("mouseover")
            tooltip = office.locator(".leaflet-tooltip").last.inner_text()
            assert re.search(r"\d\d:\d\d:\d\d", tooltip)
            capture(screenshot, office, "volunteers-office-trajectory", language)

        # --- The office's other pages, for the record.
        for language in STUDENTS:
            for name, path in [
                ("selection", "selection/"),
                ("import", "import/"),
                ("posts", "posts/"),
                ("training", "training/"),
                ("no-shows", "no-shows/"),
            ]:
                office.goto(f"{live_server.url}/{language}/volunteers/office/{path}")
                capture(screenshot, office, f"volunteers-office-{name}", language)

        # --- Signing out stops the locating.
        phone = phones["zh-hans"]
        phone.goto(f"{live_server.url}/zh-hans/volunteers/duty/")
        with phone.expect_navigation():
            phone.locator("form[action$='/duty/sign-out/'] button").click()
        assert phone.locator("[data-off-duty]").is_visible()
        assert phone.locator("[data-on-duty]").count() == 0
        sent = PositionPing.objects.filter(application=applications["zh-hans"]).count()
        phone.wait_for_timeout(2500)
        assert PositionPing.objects.filter(application=applications["zh-hans"]).count() == sent
        capture(screenshot, phone, "volunteers-duty-signed-out", "zh-hans")

        # --- Signed out elsewhere (another phone, the sweep at shift end), the phone that is
        # still open stops sending after its positions are refused, and says why.
        services.sign_out(applications["en"])
        phone = phones["en"]
        phone.wait_for_function(
            "document.querySelector('[data-on-duty]').dataset.state === 'stopped'",
            timeout=60_000,
        )
        assert "not on duty" in phone.locator("[data-ping-status]").inner_text()
    finally:
        for context in contexts:
            context.close()
