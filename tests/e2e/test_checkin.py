"""The gates in a real browser: the kiosk with Chromium's fake camera fed real face photos
(admits the enrolled guest from another photo of the same person, refuses a stranger, checks
badge and face together), the offline queue across a network cut, and the manual lane; in
English and in Chinese, with screenshots."""

import re
from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile

from huiwu.checkin import services
from huiwu.checkin.models import Decision, FaceDescriptor, Method, Mode, Presence, ScanEvent
from huiwu.core.i18n import i18n
from huiwu.registration.badges import badge_token
from huiwu.registration.models import Status
from huiwu.summit.models import ZoneKind
from tests import factories
from tests.e2e.camera import fake_camera
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.registration.factories import GuestCategoryFactory, RegistrationFactory
from tests.shared_data import FACES

pytestmark = pytest.mark.e2e

TABLET = {"width": 1280, "height": 800}
TABLET_UPRIGHT = {"width": 800, "height": 1280}
LANGUAGES = [("en", "en-GB"), ("zh-hans", "zh-CN")]
# Enrolled from one photo, seen by the camera in another.
OBAMA_ENROLLED = FACES / "barack_obama" / "obama.jpg"
OBAMA_AT_GATE = FACES / "barack_obama" / "obama2.jpg"
BIDEN_ENROLLED = FACES / "joe_biden" / "biden.jpg"
# Nobody of the summit: an impostor of the labelled set.
STRANGER = FACES / "steve_carell" / "carell.jpg"
WAIT_MS = 30_000


@pytest.fixture
def gate(transactional_db, settings, tmp_path):
    """A summit with a main hall that government guests may enter, and a VIP lounge that
    they may not."""
    settings.MEDIA_ROOT = tmp_path / "media"
    summit = factories.SummitFactory(is_current=True)
    hall = factories.ZoneFactory(
        summit=summit, kind=ZoneKind.MAIN_HALL, name=i18n(zh_hans="主会场", en="Main hall")
    )
    lounge = factories.ZoneFactory(
        summit=summit, kind=ZoneKind.VIP_LOUNGE, name=i18n(zh_hans="贵宾室", en="VIP lounge")
    )
    category = GuestCategoryFactory(
        summit=summit, code="gov", name=i18n(zh_hans="政府代表", en="Government")
    )
    category.zones.add(hall)
    return SimpleNamespace(summit=summit, hall=hall, lounge=lounge, category=category)


def guest(gate, name: str, name_latin: str, photo=None, **fields):
    """An approved guest; with ``photo``, consenting to face check-in and enrolled."""
    fields = {"category": gate.category, **fields}
    registration = RegistrationFactory(
        summit=gate.summit,
        status=Status.APPROVED,
        name=name,
        name_latin=name_latin,
        face_consent=photo is not None,
        **fields,
    )
    if photo is not None:
        registration.photo.save(photo.name, ContentFile(photo.read_bytes()))
        services.enrol_face(registration)
        assert FaceDescriptor.objects.filter(registration=registration).exists()
    return registration


def device(gate, mode: str, *, zone=None) -> str:
    _device, token = services.register_device(
        gate.summit, name=f"Gate {mode}", zone=zone or gate.hall, mode=mode
    )
    return token


@pytest.fixture
def camera_browser(browser, tmp_path):
    """``camera_browser(photo)``: a Chromium whose webcam films ``photo``."""
    launched = []

    def launch(photo):
        video = fake_camera(photo, tmp_path / f"{photo.stem}.y4m")
        args = [
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ]
        camera = browser.browser_type.launch(executable_path=str(CHROMIUM), args=args)
        launched.append(camera)
        return camera

    yield launch
    for camera in launched:
        camera.close()


def open_kiosk(browser, live_server, token: str, language: str, locale: str, viewport=TABLET):
    context = browser.new_context(locale=locale, viewport=viewport)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.goto(f"{live_server.url}/{language}/checkin/kiosk/")
    page.fill("#setup-token", token)
    page.click("#setup-form button[type=submit]")
    page.wait_for_selector("#stage:not([hidden])")
    return page


def result(page) -> dict:
    """The decision on screen, once one shows."""
    page.wait_for_selector("#result:not([hidden])")
    return page.evaluate(
        """() => ({
            decision: document.getElementById("result").dataset.decision,
            title: document.getElementById("result-title").textContent,
            name: document.getElementById("result-name").textContent,
            message: document.getElementById("result-message").textContent,
            photo: document.getElementById("result-photo").hidden ? "" :
                document.getElementById("result-photo").src,
        })"""
    )


def dismiss(page) -> None:
    page.click("#result")
    page.wait_for_selector("#result", state="hidden")


def scan_badge(page, token: str) -> None:
    page.wait_for_selector("#qr-input:visible")
    page.fill("#qr-input", token)
    page.press("#qr-input", "Enter")


@pytest.mark.parametrize(("language", "locale"), LANGUAGES)
def test_kiosk_admits_the_enrolled_guest_by_face(
    gate, live_server, camera_browser, screenshot, language, locale
):
    obama = guest(gate, "Barack Obama", "Barack Obama", OBAMA_ENROLLED)
    guest(gate, "Joe Biden", "Joe Biden", BIDEN_ENROLLED)
    token = device(gate, Mode.IDENTIFY)
    page = open_kiosk(camera_browser(OBAMA_AT_GATE), live_server, token, language, locale)
    expected_detail = "Main hall" if language == "en" else "主会场"
    assert expected_detail in page.inner_text("#gate-detail")

    shown = result(page)
    assert shown["decision"] == "admit"
    assert shown["name"] == "Barack Obama"
    assert shown["photo"], "the admitted guest's photo is shown for the guest to confirm"
    screenshot(page, "checkin-kiosk-admit", language)
    admitted = ScanEvent.objects.filter(decision=Decision.ADMIT)
    assert list(admitted.values_list("registration", "method")) == [(obama.pk, Method.FACE)]
    assert Presence.objects.get(zone=gate.hall, registration=obama).inside
    # He lingers in front of the camera: the kiosk does not turn red at him.
    page.wait_for_function(
        """() => document.getElementById("hint").textContent ===
            JSON.parse(document.getElementById("kiosk-config").textContent).strings.walkThrough"""
    )
    assert page.is_hidden("#result")
    assert ScanEvent.objects.filter(reason="already_inside").exists()
    assert ScanEvent.objects.filter(decision=Decision.ADMIT).count() == 1


def test_kiosk_never_admits_a_stranger(gate, live_server, camera_browser, screenshot):
    guest(gate, "Barack Obama", "Barack Obama", OBAMA_ENROLLED)
    guest(gate, "Joe Biden", "Joe Biden", BIDEN_ENROLLED)
    token = device(gate, Mode.IDENTIFY)
    page = open_kiosk(camera_browser(STRANGER), live_server, token, "en", "en-GB")

    shown = result(page)
    assert shown["decision"] == "no_match"
    assert page.is_visible("#result-qr"), "the QR lane is offered to whoever is not recognised"
    screenshot(page, "checkin-kiosk-no-match", "en")
    dismiss(page)
    # The camera keeps filming the stranger: more scans, never an admission.
    page.wait_for_function("() => !document.getElementById('result').hidden", timeout=WAIT_MS)
    assert page.get_attribute("#result", "data-decision") == "no_match"
    decisions = set(ScanEvent.objects.values_list("decision", flat=True))
    assert decisions == {Decision.NO_MATCH}
    assert not Presence.objects.filter(inside=True).exists()


@pytest.mark.parametrize(("language", "locale"), LANGUAGES)
def test_kiosk_checks_badge_and_face_together(
    gate, live_server, camera_browser, screenshot, language, locale
):
    obama = guest(gate, "Barack Obama", "Barack Obama", OBAMA_ENROLLED)
    biden = guest(gate, "Joe Biden", "Joe Biden", BIDEN_ENROLLED)
    token = device(gate, Mode.VERIFY)
    page = open_kiosk(camera_browser(OBAMA_AT_GATE), live_server, token, language, locale)
    page.wait_for_selector("#qr-input:visible")
    assert page.is_hidden("#scan-now"), "a verify gate never decides on a face alone"
    screenshot(page, "checkin-kiosk-verify", language)

    # Joe Biden's badge, but Barack Obama's face: refused.
    scan_badge(page, badge_token(biden))
    shown = result(page)
    assert shown["decision"] == "deny"
    assert shown["message"]
    screenshot(page, "checkin-kiosk-deny", language)
    dismiss(page)

    # His own badge and face: admitted.
    scan_badge(page, badge_token(obama))
    shown = result(page)
    assert (shown["decision"], shown["name"]) == ("admit", "Barack Obama")
    events = ScanEvent.objects.order_by("pk").values_list("registration", "decision", "reason")
    assert list(events) == [
        (biden.pk, Decision.DENY, "face_mismatch"),
        (obama.pk, Decision.ADMIT, ""),
    ]


@pytest.mark.parametrize(("language", "locale"), LANGUAGES)
def test_kiosk_queues_badges_offline_and_uploads_them_once(
    gate, live_server, browser, screenshot, language, locale
):
    li = guest(gate, "李娜", "Li Na")
    jean = guest(gate, "Jean Dupont", "Jean Dupont")
    outsider = guest(
        gate, "Ana Souza", "Ana Souza", category=GuestCategoryFactory(summit=gate.summit)
    )
    token = device(gate, Mode.VERIFY)
    # No camera in this browser: the kiosk works with badges alone.
    page = open_kiosk(browser, live_server, token, language, locale, viewport=TABLET_UPRIGHT)
    page.wait_for_function("() => localStorage.getItem('huiwu.checkin.offlineList') !== null")

    page.context.set_offline(True)
    page.wait_for_selector("#connection[data-online=false]")
    scan_badge(page, badge_token(li))
    shown = result(page)
    assert (shown["decision"], shown["name"]) == ("admit", "李娜 (Li Na)")
    screenshot(page, "checkin-kiosk-offline", language)
    dismiss(page)
    scan_badge(page, badge_token(jean))
    assert result(page)["decision"] == "admit"
    dismiss(page)
    # Not allowed in this zone, so not on the gate's list.
    scan_badge(page, badge_token(outsider))
    assert result(page)["decision"] == "deny"
    dismiss(page)
    assert page.inner_text("#queue-count") == "3"
    screenshot(page, "checkin-kiosk-offline-queue", language)
    assert not ScanEvent.objects.exists()
    queued = page.evaluate("() => localStorage.getItem('huiwu.checkin.queue')")

    page.context.set_offline(False)
    page.wait_for_selector("#queue", state="hidden")
    assert page.get_attribute("#connection", "data-online") == "true"
    offline = ScanEvent.objects.filter(method=Method.OFFLINE)
    assert sorted(offline.values_list("registration", "decision")) == sorted(
        [(li.pk, Decision.ADMIT), (jean.pk, Decision.ADMIT), (outsider.pk, Decision.DENY)]
    )
    inside = Presence.objects.filter(zone=gate.hall, inside=True)
    assert set(inside.values_list("registration", flat=True)) == {li.pk, jean.pk}

    # The same batch uploaded again (as when an answer is lost on the way): merged by the
    # idempotency keys, never counted twice.
    page.evaluate("(queued) => localStorage.setItem('huiwu.checkin.queue', queued)", queued)
    page.reload()
    page.wait_for_selector("#stage:not([hidden])")
    page.wait_for_selector("#queue", state="hidden")
    assert ScanEvent.objects.count() == 3


def test_kiosk_refuses_unknown_tokens_and_forgets_a_revoked_device(
    gate, live_server, browser, screenshot
):
    device_, token = services.register_device(gate.summit, name="East gate 3", zone=gate.hall)
    context = browser.new_context(locale="en-GB", viewport=TABLET)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.goto(f"{live_server.url}/en/checkin/kiosk/")
    page.fill("#setup-token", "not-a-token")
    page.click("#setup-form button[type=submit]")
    page.wait_for_selector("#setup-error:visible")
    assert "unknown or has been revoked" in page.inner_text("#setup-error")
    assert page.evaluate("() => localStorage.getItem('huiwu.checkin.token')") is None
    screenshot(page, "checkin-kiosk-setup", "en")

    page.fill("#setup-token", token)
    page.click("#setup-form button[type=submit]")
    page.wait_for_selector("#stage:not([hidden])")
    assert page.inner_text("#gate-name") == "East gate 3"
    # The token survives a reload: it is pasted once.
    page.reload()
    page.wait_for_selector("#stage:not([hidden])")

    services.revoke_device(device_)
    scan_badge(page, "some badge")
    page.wait_for_selector("#setup-error:visible")
    assert page.evaluate("() => localStorage.getItem('huiwu.checkin.token')") is None
    assert not ScanEvent.objects.exists()
    context.close()


@pytest.mark.parametrize(("language", "locale"), LANGUAGES)
def test_staff_check_guests_in_by_hand(gate, live_server, browser, screenshot, language, locale):
    li = guest(gate, "李娜", "Li Na", id_type="passport", id_number="E12345678")
    outsider = guest(gate, "李娜娜", "Li Nana", category=GuestCategoryFactory(summit=gate.summit))
    factories.UserFactory(username="gatekeeper", roles=["gate_staff"])
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    lane = f"/{language}/checkin/manual/"
    page.goto(f"{live_server.url}{lane}")
    page.wait_for_url(re.compile(r"/checkin/login/"))
    page.fill("#id_username", "gatekeeper")
    page.fill("#id_password", "secret-pass-123")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#lane-search")
    assert page.url == f"{live_server.url}{lane}"

    page.fill("#lane-search", "Li Na")
    page.wait_for_selector(".lane-guest")
    assert page.locator(".lane-guest").count() == 2
    page.locator(".lane-guest", has_text="Li Nana").locator("button").click()
    page.wait_for_selector(".lane-outcome-deny")

    page.fill("#lane-search", "E 1234 5678")
    page.wait_for_selector(".lane-guest >> nth=0")
    page.wait_for_function("() => document.querySelectorAll('.lane-guest').length === 1")
    page.locator(".lane-guest button").click()
    page.wait_for_selector(".lane-outcome-admit")
    screenshot(page, "checkin-manual-lane", language)
    context.close()

    events = ScanEvent.objects.order_by("pk").values_list("registration", "method", "decision")
    assert list(events) == [
        (outsider.pk, Method.MANUAL, Decision.DENY),
        (li.pk, Method.MANUAL, Decision.ADMIT),
    ]
    assert Presence.objects.get(zone=gate.hall, registration=li).inside
