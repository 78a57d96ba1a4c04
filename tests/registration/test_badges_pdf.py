"""Badge PDFs: a valid PDF, one page per guest, the name readable, the QR code a valid token."""

import io

import pypdf
import pypdfium2
import pytest
import zxingcpp
from django.core.files.base import ContentFile

from huiwu.core.i18n import i18n
from huiwu.registration import badges
from huiwu.registration.badges_pdf import font_for, render_badges
from huiwu.registration.models import Status
from tests.registration.factories import GuestCategoryFactory, RegistrationFactory
from tests.shared_data import FACES

pytestmark = pytest.mark.django_db


def decoded_qr_codes(pdf: bytes, page_index: int = 0) -> list[str]:
    """The QR codes a scanner reads on one page printed at 200 dpi."""
    document = pypdfium2.PdfDocument(pdf)
    image = document[page_index].render(scale=200 / 72).to_pil()
    return [code.text for code in zxingcpp.read_barcodes(image)]


@pytest.fixture
def approved(summit, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    category = GuestCategoryFactory(
        summit=summit,
        name=i18n(zh_hans="政府代表", en="Government"),
        badge_colour="#b42318",
    )
    registration = RegistrationFactory(
        summit=summit,
        category=category,
        status=Status.APPROVED,
        name="李娜",
        name_latin="Li Na",
        organisation_name="Tsinghua University",
    )
    photo = (FACES / "amy_adams" / "adams.jpg").read_bytes()
    registration.photo.save("adams.jpg", ContentFile(photo))
    return registration


def test_badge_pdf_is_a_valid_pdf_with_the_name_and_a_qr_code_of_the_badge_token(approved):
    stream = io.BytesIO()

    count = render_badges([approved], stream)

    pdf = stream.getvalue()
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert count == 1
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "Li Na" in text
    assert "Tsinghua University" in text
    assert "Government" in text
    [token] = decoded_qr_codes(pdf)
    assert token == badges.badge_token(approved)
    assert badges.registration_for_token(token) == approved


def test_badges_of_many_guests_are_one_page_each_in_order_with_progress(summit):
    guests = [
        RegistrationFactory(summit=summit, status=Status.APPROVED, name_latin=name, name=name)
        for name in ("Ana Souza", "Jean Dupont", "Amara Okafor")
    ]
    seen = []
    stream = io.BytesIO()

    count = render_badges(guests, stream, progress=seen.append)

    reader = pypdf.PdfReader(io.BytesIO(stream.getvalue()))
    assert count == 3
    assert seen == [1, 2, 3]
    names_found = [
        guest.name_latin in page.extract_text()
        for page, guest in zip(reader.pages, guests, strict=True)
    ]
    assert names_found == [True, True, True]
    tokens = [decoded_qr_codes(stream.getvalue(), index) for index in range(3)]
    assert tokens == [[badges.badge_token(guest)] for guest in guests]


def test_a_name_in_a_script_without_a_font_is_printed_in_latin_letters(summit):
    guest = RegistrationFactory(
        summit=summit, status=Status.APPROVED, name="Иван Петров", name_latin="Ivan Petrov"
    )
    stream = io.BytesIO()

    render_badges([guest], stream)

    text = pypdf.PdfReader(io.BytesIO(stream.getvalue())).pages[0].extract_text()
    assert "Ivan Petrov" in text
    assert font_for("Иван Петров") is None


def test_each_script_gets_a_font_that_covers_it():
    assert [
        font_for(text) for text in ("Zoë Müller", "李娜", "山田 はなこ", "김민준", "Иван", "محمد")
    ] == ["Helvetica", "STSong-Light", "HeiseiMin-W3", "HYSMyeongJo-Medium", None, None]


def test_a_badge_without_photo_still_has_its_qr_code(summit):
    guest = RegistrationFactory(summit=summit, status=Status.APPROVED, name_latin="Ana Souza")
    stream = io.BytesIO()

    render_badges([guest], stream)

    assert decoded_qr_codes(stream.getvalue()) == [badges.badge_token(guest)]
