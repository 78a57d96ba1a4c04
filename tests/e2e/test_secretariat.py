"""The secretariat in a real browser: the organiser signs in, filters the review queue, approves
guests in bulk and opens a guest's file, in English and in Chinese; screenshots of the queue."""

import re

import pypdf
import pytest

from huiwu.core.i18n import i18n
from huiwu.registration.models import Registration, SeatStatus, Status
from tests import factories
from tests.registration.factories import (
    GuestCategoryFactory,
    RegistrationFactory,
    SeatRequestFactory,
)

pytestmark = pytest.mark.e2e

# Guests from around the world: name in own script, Latin name, country, organisation, position.
GUESTS = [
    ("李娜", "Li Na", "CN", "清华大学", "教授"),
    ("Jean Dupont", "Jean Dupont", "FR", "CNRS", "Research Director"),
    ("Ana Souza", "Ana Souza", "BR", "Universidade de São Paulo", "Dean"),
    ("Олег Петров", "Oleg Petrov", "RU", "Ministry of Digital Development", "Deputy Minister"),
    ("محمد الأحمد", "Mohammed Al-Ahmad", "SA", "Saudi Data & AI Authority", "Director"),
    ("田中 美咲", "Tanaka Misaki", "JP", "NTT", "Senior Engineer"),
    ("Amara Okafor", "Amara Okafor", "NG", "Nigerian Communications Commission", "Commissioner"),
    ("王芳", "Wang Fang", "CN", "中国信息通信研究院", "副院长"),
    ("Sofia Rossi", "Sofia Rossi", "IT", "Politecnico di Milano", "Professor"),
    ("김민준", "Kim Min-jun", "KR", "Samsung Electronics", "Vice President"),
    ("Lucas Müller", "Lucas Müller", "DE", "Fraunhofer", "Head of Lab"),
    ("Priya Sharma", "Priya Sharma", "IN", "Infosys", "Chief Technology Officer"),
    ("陈伟", "Chen Wei", "CN", "阿里巴巴集团", "副总裁"),
    ("Fatima Zahra", "Fatima Zahra", "MA", "Agence du Digital", "Director General"),
]


@pytest.fixture
def review_queue(wuzhen, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    summit = wuzhen["summit"]
    forums = list(wuzhen["forums"].values())
    government = GuestCategoryFactory(
        summit=summit,
        code="gov",
        name=i18n(zh_hans="政府代表", en="Government"),
        badge_colour="#b42318",
        order=1,
    )
    business = GuestCategoryFactory(
        summit=summit,
        code="business",
        name=i18n(zh_hans="企业代表", en="Business"),
        badge_colour="#0e8a83",
        order=2,
    )
    statuses = [Status.SUBMITTED] * 9 + [Status.APPROVED] * 3 + [Status.INFO_REQUESTED] * 2
    for index, (name, latin, country, organisation, position) in enumerate(GUESTS):
        guest = RegistrationFactory(
            summit=summit,
            category=government if index % 2 == 0 else business,
            status=statuses[index],
            name=name,
            name_latin=latin,
            nationality=country,
            email=f"{latin.lower().replace(' ', '.')}@example.org",
            organisation_name=organisation,
            position=position,
        )
        SeatRequestFactory(registration=guest, forum=forums[index % len(forums)])
        if index % 4 == 1:
            SeatRequestFactory(
                registration=guest,
                forum=forums[(index + 1) % len(forums)],
                status=SeatStatus.WAITLISTED,
                confirmed_at=None,
            )
    factories.UserFactory(username="secretary", roles=["organiser"])
    return wuzhen


@pytest.mark.parametrize(("language", "locale"), [("en", "en-GB"), ("zh-hans", "zh-CN")])
def test_organiser_filters_the_queue_and_approves_in_bulk(
    review_queue, open_page, screenshot, language, locale
):
    queue = f"/{language}/secretariat/registrations/"
    page = open_page(f"/{language}/admin/login/?next={queue}", locale=locale)
    page.fill("#id_username", "secretary")
    page.fill("#id_password", "secret-pass-123")
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(rf"{queue}$"))
    assert page.locator("tbody .guest-name").count() == len(GUESTS)
    assert page.locator("#count-submitted").inner_text() == "9"

    # Government guests awaiting review: the status tab and the category filter, by htmx.
    page.locator("label.status-tab", has=page.locator("input[value=submitted]")).click()
    page.wait_for_url(re.compile(r"status=submitted"))
    page.select_option("select[name=category]", "gov")
    page.wait_for_url(re.compile(r"category=gov"))
    page.wait_for_function("document.querySelectorAll('tbody .guest-name').length === 5")
    assert page.locator("#count-submitted").inner_text() == "5"

    # Select two guests, then the whole page with the box in the header.
    boxes = page.locator("tbody input[name=ids]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    assert re.search(r"2", page.locator("[data-bulk-count]").inner_text())
    page.check("[data-select-all]")
    assert page.locator("tbody input[name=ids]:checked").count() == 5
    page.select_option("[data-bulk-action]", "approve")
    capture_top(page)
    screenshot(page, "secretariat-queue-selected", language)
    # The decision on five guests is asked once more; declining it changes nothing.
    questions = []

    def decline(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    def accept(dialog):
        questions.append(dialog.message)
        dialog.accept()

    page.once("dialog", decline)
    page.click("[data-bulk-submit]")
    assert Registration.objects.filter(status=Status.APPROVED).count() == 3
    page.once("dialog", accept)
    page.click("[data-bulk-submit]")

    page.wait_for_selector(".flash-success")
    approved = Registration.objects.filter(status=Status.APPROVED)
    assert approved.count() == 3 + 5
    assert set(approved.filter(category__code="gov").values_list("status", flat=True)) == {
        Status.APPROVED
    }
    assert page.locator("tbody .guest-name").count() == 0
    assert page.locator("#count-submitted").inner_text() == "0"
    assert len(questions) == 2
    assert "5" in questions[0] and questions[0] == questions[1]

    # Back to the whole queue: what the secretariat sees most of the day.
    page.click(f"a[href='{queue}?summit={review_queue['summit'].slug}']")
    page.wait_for_selector("tbody .guest-name")
    assert page.locator("tbody .guest-name").count() == len(GUESTS)
    capture_top(page)
    screenshot(page, "secretariat-queue", language)

    # A guest's file, and a decision with a reason there.
    page.click("a.guest-name >> text=Jean Dupont")
    page.wait_for_selector(".decision-panel")
    page.fill(".decision-panel textarea", "Please tell us which forum you speak at.")
    page.uncheck(".decision-panel input[name=next]")
    page.click(".decision-panel button[value=request_info]")
    page.wait_for_selector(".flash-success")
    assert Registration.objects.get(name_latin="Jean Dupont").status == Status.INFO_REQUESTED
    assert page.locator(".log-list li").count() >= 1
    capture_top(page)
    screenshot(page, "secretariat-guest", language)


def capture_top(page) -> None:
    page.evaluate("window.scrollTo(0, 0)")


IMPORT_CSV = (
    "email,name,name_latin,nationality,category,organisation,id_type,id_number,forums\n"
    "nadia@example.org,Nadia Benali,Nadia Benali,DZ,gov,Ministère de la Poste,passport,"
    "DZ1234567,ai\n"
    "zhou@example.org,周杰,Zhou Jie,CN,gov,中国移动,cn_id,110105194912310021,data\n"
    "li.na@example.org,李娜,Li Na,CN,gov,清华大学,cn_id,11010519491231002X,ai\n"
)


def sign_in(open_page, language: str, locale: str, target: str):
    page = open_page(f"/{language}/admin/login/?next={target}", locale=locale)
    page.fill("#id_username", "secretary")
    page.fill("#id_password", "secret-pass-123")
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(re.escape(target.split("?")[0])))
    return page


@pytest.mark.parametrize(("language", "locale"), [("en", "en-GB"), ("zh-hans", "zh-CN")])
def test_organiser_checks_a_guest_list_then_imports_it_and_prints_badges(
    review_queue, open_page, screenshot, settings, tmp_path, language, locale
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    summit = review_queue["summit"]
    listing = tmp_path / "guests.csv"
    listing.write_text(IMPORT_CSV, encoding="utf-8-sig")
    page = sign_in(open_page, language, locale, f"/{language}/secretariat/registrations/import/")

    page.set_input_files("#id_file", str(listing))
    page.click(".sec-form button[type=submit]")
    page.wait_for_selector(".report")
    assert page.locator(".report-table tr.report-done").count() == 1
    assert page.locator(".report-table tr.report-refused").count() == 1
    assert page.locator(".report-table tr.report-exists").count() == 1
    assert "id_number" in page.locator(".report-table tr.report-refused").inner_text()
    assert not Registration.objects.filter(email="nadia@example.org").exists()
    capture_top(page)
    screenshot(page, "secretariat-import", language)

    page.click(".confirm-panel button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert Registration.objects.get(email="nadia@example.org").status == Status.SUBMITTED
    assert not Registration.objects.filter(email="zhou@example.org").exists()

    page.click(f".secretariat-nav a[href$='/badges/?summit={summit.slug}']")
    page.click(".sec-form button[type=submit]")
    page.wait_for_selector(".badge-job-done")
    capture_top(page)
    screenshot(page, "secretariat-badges", language)
    with page.expect_download() as download:
        page.click(".badge-job-done a[download]")
    approved = Registration.objects.filter(summit=summit, status=Status.APPROVED).count()
    assert len(pypdf.PdfReader(download.value.path()).pages) == approved == 3
