"""Dispatch in real browsers: an operator opens an incident and sends the nearest volunteer with
one click; the volunteer's phone page, open before, shows the task without a reload and
acknowledges it; the incident page and the list follow. When nobody acknowledges in time, the
escalation offers the task to the next volunteer, whose phone shows it, and the incident page
shows the alert; a broadcast appears on the phone as it is sent. Screenshots of every incidents
page in both languages (the phone at 390 by 844).
"""

import datetime as dt
import io
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.utils import timezone
from PIL import Image

from huiwu.command import services
from huiwu.command.models import Dispatch, DispatchStatus, Incident, IncidentStatus
from huiwu.core.i18n import i18n
from tests import factories
from tests.command.factories import IncidentFactory, on_duty, operator
from tests.e2e.conftest import DESKTOP, PHONE, outline, sign_in
from tests.volunteers import factories as vf

pytestmark = pytest.mark.e2e

CENTRE = (30.7483, 120.4906)
# About 110 m and 330 m north of the centre's point.
NEAR = (CENTRE[0] + 0.001, CENTRE[1])
FARTHER = (CENTRE[0] + 0.003, CENTRE[1])
LOCALES = {"en": "en-GB", "zh-hans": "zh-CN"}


@pytest.fixture
def site(transactional_db, settings, tmp_path):
    """A summit under way at the Wuzhen convention centre: a post, two volunteers on duty near
    it (one 110 m away, one 330 m), a command operator, and a medical incident at the centre."""
    settings.MEDIA_ROOT = tmp_path / "media"
    today = timezone.localdate(timezone=factories.SHANGHAI)
    summit = factories.SummitFactory(
        is_current=True, start_date=today - dt.timedelta(days=1), end_date=today
    )
    venue = factories.VenueFactory(
        summit=summit,
        slug="wiicc",
        name=i18n(
            zh_hans="乌镇互联网国际会展中心", en="Wuzhen Internet International Convention Centre"
        ),
        latitude=f"{CENTRE[0]:.6f}",
        longitude=f"{CENTRE[1]:.6f}",
        outline=outline(CENTRE[1], CENTRE[0], 0.0022, 0.0012),
    )
    post = vf.PostFactory(
        summit=summit, venue=venue, name=i18n(zh_hans="东门引导", en="East door guiding")
    )
    first = on_duty(summit, position=NEAR, post=post, skills=["first_aid"], name="林小雨")
    second = on_duty(summit, position=FARTHER, post=post, skills=["first_aid"], name="Amy Chen")
    incident = IncidentFactory(
        summit=summit,
        venue=venue,
        kind="medical",
        priority=2,
        lat=CENTRE[0],
        lon=CENTRE[1],
        place="East hall, row 12",
        description="A guest feels faint and sits on the floor.",
        needs=["first_aid"],
    )
    return {
        "summit": summit,
        "venue": venue,
        "first": first,
        "second": second,
        "incident": incident,
        "operator": operator(),
    }


def off_loop(call, *args, **kwargs):
    """Run a service in a thread of its own: Playwright's event loop runs in the test's thread,
    where the live layer cannot send the service's events."""

    def run():
        try:
            return call(*args, **kwargs)
        finally:
            connections.close_all()  # the thread's own: the test database must be droppable

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def signed_in(browser, user, *, language, viewport, position=None):
    """A browser tab signed in as ``user``, in ``language``; with ``position``, the phone's
    location is allowed and set there."""
    options = {"locale": LOCALES[language], "viewport": viewport}
    if position is not None:
        options |= {
            "geolocation": {"latitude": position[0], "longitude": position[1]},
            "permissions": ["geolocation"],
        }
    context = browser.new_context(**options)
    context.set_default_timeout(30_000)
    sign_in(context, user)
    return context, context.new_page()


def phone_is_live(page) -> None:
    """The phone page is connected: a change now reaches it. A marker on ``window`` tells later
    whether the page was reloaded."""
    page.wait_for_selector("[data-phone-connection][data-state=live]")
    page.evaluate("window.__notReloaded = true")


def not_reloaded(page) -> bool:
    return page.evaluate("window.__notReloaded === true")


def test_a_dispatch_reaches_the_phone_at_once_and_is_acknowledged(
    site, browser, asgi_server, screenshot
):
    incident, first = site["incident"], site["first"]
    phone_context, phone = signed_in(
        browser, first.user, language="zh-hans", viewport=PHONE, position=NEAR
    )
    staff_context, staff = signed_in(browser, site["operator"], language="en", viewport=DESKTOP)
    listing = staff_context.new_page()
    try:
        phone.goto(f"{asgi_server.url}/zh-hans/volunteers/duty/")
        phone_is_live(phone)
        assert phone.locator("[data-task-card]").count() == 0
        listing.goto(f"{asgi_server.url}/en/command/incidents/")
        listing.wait_for_selector("[data-connection][data-state=live]")
        listing.evaluate("window.__notReloaded = true")
        assert "nobody yet" in listing.locator(".incident-row").inner_text()

        staff.goto(f"{asgi_server.url}/en/command/incidents/{incident.public_id}/")
        staff.wait_for_selector("[data-connection][data-state=live]")
        suggestions = staff.locator(".suggestion")
        assert suggestions.first.locator("strong").first.inner_text() == "林小雨"
        assert "m straight line" in suggestions.first.inner_text()
        screenshot(staff, "command-incident-suggestions", "en")
        staff.locator(f"[data-dispatch='{first.pk}']").click()
        staff.wait_for_selector("[data-incident-status=dispatched]")

        card = phone.locator("[data-task-card]")
        card.wait_for()
        assert not_reloaded(phone)
        assert "East hall, row 12" in card.inner_text()
        assert [b.get_attribute("data-answer") for b in card.locator("button").all()] == [
            "acknowledge",
            "decline",
        ]
        phone.wait_for_function("document.querySelector('[data-countdown]').textContent.length > 0")
        phone.evaluate("window.scrollTo(0, 0)")
        screenshot(phone, "command-phone-task", "zh-hans")
        # The list of incidents follows too.
        listing.locator(".incident-row .on-it", has_text="林小雨").wait_for()
        assert not_reloaded(listing)

        staff.evaluate("window.__notReloaded = true")
        phone.locator("[data-answer=acknowledge]").click()
        phone.wait_for_selector("[data-answer=on_scene]")
        assert Dispatch.objects.get().status == DispatchStatus.ACKNOWLEDGED
        phone.evaluate("window.scrollTo(0, 0)")
        screenshot(phone, "command-phone-acknowledged", "zh-hans")

        staff.wait_for_selector("[data-incident-status=acknowledged]")
        assert not_reloaded(staff)
        assert staff.locator("[data-dispatch-status=acknowledged]").count() == 1
        screenshot(staff, "command-incident-acknowledged", "en")
    finally:
        phone_context.close()
        staff_context.close()


def test_escalation_offers_the_task_to_the_next_volunteer(
    site, browser, asgi_server, settings, screenshot
):
    settings.COMMAND_ACK_TIMEOUT_SECONDS = 1
    incident, first, second = site["incident"], site["first"], site["second"]
    phone_context, phone = signed_in(
        browser, second.user, language="zh-hans", viewport=PHONE, position=FARTHER
    )
    staff_context, staff = signed_in(
        browser, site["operator"], language="zh-hans", viewport=DESKTOP
    )
    try:
        phone.goto(f"{asgi_server.url}/zh-hans/volunteers/duty/")
        phone_is_live(phone)
        staff.goto(f"{asgi_server.url}/zh-hans/command/incidents/{incident.public_id}/")
        staff.wait_for_selector("[data-connection][data-state=live]")
        staff.evaluate("window.__notReloaded = true")

        offer = off_loop(services.dispatch, incident, first, by=site["operator"])
        staff.wait_for_selector("[data-incident-status=dispatched]")
        # Nobody acknowledges: at the deadline the worker runs the escalation.
        off_loop(services.escalate, offer.pk, now=offer.respond_by)

        card = phone.locator("[data-task-card]")
        card.wait_for()
        assert not_reloaded(phone)
        next_offer = Dispatch.objects.get(volunteer=second)
        assert next_offer.status == DispatchStatus.OFFERED
        assert next_offer.offered_by is None

        off_loop(
            services.broadcast,
            site["summit"],
            audience="all",
            text="请在东门集合。",
            by=site["operator"],
        )
        phone.locator("[data-broadcast-item]", has_text="请在东门集合。").wait_for()
        assert not_reloaded(phone)

        staff.wait_for_selector(".incident-alert")
        assert not_reloaded(staff)
        assert "林小雨" in staff.locator(".incident-alert").inner_text()
        assert staff.locator("[data-dispatch-status=timed_out]").count() == 1
        assert staff.locator("[data-dispatch-status=offered]").count() == 1
        screenshot(staff, "command-incident-escalated", "zh-hans")
        phone.evaluate("window.scrollTo(0, 0)")
        screenshot(phone, "command-phone-escalated", "zh-hans")
    finally:
        phone_context.close()
        staff_context.close()


def photo() -> SimpleUploadedFile:
    data = io.BytesIO()
    Image.new("RGB", (640, 480), (210, 80, 60)).save(data, "JPEG")
    return SimpleUploadedFile("scene.jpg", data.getvalue(), content_type="image/jpeg")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_incidents_page_in_both_languages(site, browser, asgi_server, screenshot, language):
    summit, staff_user = site["summit"], site["operator"]
    busy = off_loop(
        services.report_incident,
        summit,
        kind="crowding",
        priority=1,
        venue=site["venue"],
        place="Main hall entrance",
        description="The queue blocks the entrance.",
        photo=photo(),
        by=staff_user,
    )
    off_loop(services.dispatch, busy, site["second"], by=staff_user)
    closed = IncidentFactory(summit=summit, venue=site["venue"], kind="lost_item", priority=4)
    off_loop(services.change_status, closed, IncidentStatus.CANCELLED, by=staff_user, note="Found.")
    off_loop(
        services.broadcast,
        summit,
        audience="all",
        text="Lunch for volunteers from 12:30 at the canteen.",
        by=staff_user,
    )
    staff_context, staff = signed_in(browser, staff_user, language=language, viewport=DESKTOP)
    phone_context, phone = signed_in(
        browser,
        site["second"].user,
        language=language,
        viewport=PHONE,
        position=FARTHER,
    )
    try:
        base = f"{asgi_server.url}/{language}/command"
        staff.goto(f"{base}/incidents/")
        assert staff.locator(".incident-row").count() == 3
        screenshot(staff, "command-incidents", language)

        staff.goto(f"{base}/incidents/new/")
        staff.locator("[data-volunteer-map][data-ready=true]").wait_for()
        staff.locator("[data-volunteer-map]").click(position={"x": 200, "y": 150})
        assert staff.locator("#id_lat").input_value() != ""
        screenshot(staff, "command-incident-new", language)
        staff.locator("#id_kind").select_option("security")
        staff.locator("#id_place").fill("North gate")
        staff.locator("form[data-incident-form] button[type=submit]").click()
        staff.wait_for_url(re.compile(r"/command/incidents/[0-9a-f-]{36}/$"))
        assert Incident.objects.filter(kind="security", place="North gate").exists()

        staff.goto(f"{base}/incidents/new/")
        staff.locator("#id_lat").fill("200")
        staff.locator("#id_lon").fill("120")
        staff.locator("form[data-incident-form] button[type=submit]").click()
        staff.locator("#error-summary").wait_for()
        screenshot(staff, "command-incident-new-refused", language)

        staff.goto(f"{base}/incidents/{busy.public_id}/")
        screenshot(staff, "command-incident", language)
        staff.goto(f"{base}/incidents/{closed.public_id}/")
        screenshot(staff, "command-incident-closed", language)

        staff.goto(f"{base}/broadcasts/")
        staff.locator("#id_audience").select_option("venue")
        assert staff.locator("#id_venue").is_visible()
        assert not staff.locator("#id_post").is_visible()
        staff.locator("#id_text").fill("Doors open in ten minutes.")
        assert "26 / 500" in staff.locator("[data-counter]").inner_text()
        screenshot(staff, "command-broadcasts", language)

        phone.goto(f"{asgi_server.url}/{language}/volunteers/duty/")
        phone.locator("[data-task-card]").wait_for()
        phone.locator("[data-phone-connection][data-state=live]").wait_for()
        phone.locator(".phone-report summary").click()
        phone.evaluate("window.scrollTo(0, 0)")
        screenshot(phone, "command-phone", language)
    finally:
        staff_context.close()
        phone_context.close()
