"""A guest registers in a real browser, in English and in Chinese, is approved, and downloads
the badge; screenshots of every step."""

import io
import re
from pathlib import Path

import pypdf
import pypdfium2
import pytest
import zxingcpp

from huiwu.core.i18n import i18n
from huiwu.registration import badges, services
from huiwu.registration.models import Registration, SeatStatus, Status
from tests import factories
from tests.e2e.conftest import PHONE
from tests.registration.factories import DelegationFactory, GuestCategoryFactory
from tests.shared_data import FACES

pytestmark = pytest.mark.e2e


@pytest.fixture
def registration_open(wuzhen, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    GuestCategoryFactory(
        summit=wuzhen["summit"],
        code="business",
        name=i18n(zh_hans="企业代表", en="Business"),
        badge_colour="#0e8a83",
        required_fields=["organisation", "id_document", "photo"],
        public=True,
    )
    return wuzhen


GUESTS = {
    "en": {
        "locale": "en-GB",
        "viewport": None,
        "name": "Amy Adams",
        "name_latin": "Amy Adams",
        "nationality": "US",
        "email": "amy.adams@example.org",
        "organisation": "Screen Actors Guild",
        "id_type": "passport",
        "id_number": "X12345678",
        "photo": FACES / "amy_adams" / "adams.jpg",
        "consent": "yes",
        "forum": "ai",
    },
    "zh-hans": {
        "locale": "zh-CN",
        "viewport": PHONE,
        "name": "李娜",
        "name_latin": "Li Na",
        "nationality": "CN",
        "email": "li.na@example.org",
        "organisation": "清华大学",
        "id_type": "cn_id",
        "id_number": "11010519491231002X",
        "photo": FACES / "kate_siegel" / "kate_siegel_1.jpg",
        "consent": "no",
        "forum": "data",
    },
}


def capture(screenshot, page, name: str, language: str) -> None:
    """A full-page screenshot from the top, so that the sticky header is where it belongs."""
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, name, language)


def check_badge_pdf(path: Path, registration: Registration) -> None:
    content = path.read_bytes()
    reader = pypdf.PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 1
    assert registration.name_latin in reader.pages[0].extract_text()
    image = pypdfium2.PdfDocument(content)[0].render(scale=200 / 72).to_pil()
    [code] = zxingcpp.read_barcodes(image)
    assert badges.registration_for_token(code.text) == registration


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_guest_registers_is_approved_and_downloads_the_badge(
    registration_open, open_page, screenshot, language
):
    guest = GUESTS[language]
    forums = registration_open["forums"]
    page = open_page(f"/{language}/register/", locale=guest["locale"], viewport=guest["viewport"])
    capture(screenshot, page, "registration-start", language)

    page.click(f"a[href='/{language}/register/new/business/']")
    page.wait_for_url(re.compile(rf"/{language}/register/new/business/$"))
    assert page.locator("input[name=face_consent]:checked").count() == 0
    page.fill("#id_name", guest["name"])
    page.fill("#id_name_latin", guest["name_latin"])
    page.select_option("#id_nationality", guest["nationality"])
    page.fill("#id_email", guest["email"])
    page.fill("#id_phone", "+86 571 8888 8888")
    page.fill("#id_organisation_name", guest["organisation"])
    page.fill("#id_position", "Director")
    page.select_option("#id_id_type", guest["id_type"])
    page.fill("#id_id_number", guest["id_number"])
    page.fill("#id_arrival_date", "2024-11-19")
    page.fill("#id_departure_date", "2024-11-22")
    page.set_input_files("#id_photo", str(guest["photo"]))
    page.check(f"input[name=face_consent][value={guest['consent']}]")
    page.check(f"input[name=forums][value='{forums[guest['forum']].pk}']")
    capture(screenshot, page, "registration-form", language)

    page.click("button[value=submit]")
    page.wait_for_url(re.compile(rf"/{language}/register/r/[\w-]+/$"))
    registration = Registration.objects.get(email=guest["email"])
    assert registration.status == Status.SUBMITTED
    assert registration.face_consent is (guest["consent"] == "yes")
    assert registration.photo
    assert [(s.forum.slug, s.status) for s in registration.seat_requests.all()] == [
        (guest["forum"], SeatStatus.CONFIRMED)
    ]
    assert page.locator(".status-submitted").count() == 1
    capture(screenshot, page, "registration-submitted", language)

    services.approve(registration, by=factories.UserFactory(username="organiser"))
    page.reload()
    assert page.locator(".status-approved").count() == 1
    assert page.locator(".ebadge-qr svg").is_visible()
    assert page.locator(".ebadge-photo").evaluate("img => img.naturalWidth") > 0
    assert page.locator(".my-session").count() == 3
    capture(screenshot, page, "registration-badge", language)

    with page.expect_download() as download:
        page.click("a[href$='/badge.pdf']")
    check_badge_pdf(Path(download.value.path()), registration)


def test_a_bad_photo_is_refused_in_the_browser_with_its_message(
    registration_open, open_page, screenshot, tmp_path
):
    truncated = tmp_path / "truncated.jpg"
    data = (FACES / "amy_adams" / "adams.jpg").read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    page = open_page("/en/register/new/business/", viewport=PHONE)

    page.fill("#id_name", "Amy Adams")
    page.fill("#id_name_latin", "Amy Adams")
    page.select_option("#id_nationality", "US")
    page.fill("#id_email", "not-an-address")
    page.set_input_files("#id_photo", str(truncated))
    page.click("button[value=draft]")

    assert page.locator("#error-summary").is_visible()
    assert page.inner_text("#id_photo_errors") == (
        "This file is not a readable image (or it is cut short); please send a JPEG or PNG photo."
    )
    assert page.inner_text("#id_email_errors") == "Enter a valid email address."
    assert Registration.objects.count() == 0
    capture(screenshot, page, "registration-errors", "en")


def test_delegation_leader_adds_members_and_sees_their_status(
    registration_open, open_page, screenshot
):
    team = DelegationFactory(summit=registration_open["summit"], name="Délégation française")
    page = open_page(f"/en/register/delegation/{team.access_key}/")

    for index, (name, email) in enumerate(
        [("Marie Curie", "marie@example.org"), ("Pierre Curie", "pierre@example.org")]
    ):
        page.fill(f"#id_members-{index}-name", name)
        page.fill(f"#id_members-{index}-name_latin", name)
        page.fill(f"#id_members-{index}-email", email)
    page.select_option("#id_members-0-id_type", "passport")
    page.fill("#id_members-0-id_number", "18FR12345")
    page.click("form.member-rows button[type=submit]")

    assert page.locator(".members-table tbody tr").count() == 2
    assert page.locator(".members-table .status-draft").count() == 2
    assert Registration.objects.filter(delegation=team).count() == 2
    capture(screenshot, page, "registration-delegation", "en")
