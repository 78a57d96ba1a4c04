"""Guest lists from spreadsheets: reading CSV and Excel, importing registrations row by row
(each row whole or not at all), re-imports that create nothing twice, invitations in bulk."""

import datetime as dt
import io
import re
from html import unescape

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from huiwu.core.models import ActionLog
from huiwu.registration import imports
from huiwu.registration.imports import DONE, EXISTS, REFUSED
from huiwu.registration.models import Invitation, Registration, SeatRequest, Status
from tests import factories
from tests.registration.factories import GuestCategoryFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

HEADER = "email,name,name_latin,nationality,category,organisation,id_type,id_number,forums"
GOOD = "ana@example.br,Ana Souza,Ana Souza,BR,gov,USP,passport,FA1234567,ai"
# Row 3 of the file: a Chinese ID number with a wrong check character, an unknown forum.
BAD = "li@example.cn,李娜,Li Na,CN,gov,CAC,cn_id,110105194912310021,ai nowhere"
OTHER_GOOD = "jean@example.fr,Jean Dupont,Jean Dupont,France,gov,CNRS,passport,AB123456,"


def upload(text: str, name: str = "guests.csv", encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), "text/csv")


def workbook(rows: list[list]) -> SimpleUploadedFile:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("guests.xlsx", buffer.getvalue())


@pytest.fixture
def category(summit):
    return GuestCategoryFactory(
        summit=summit, code="gov", required_fields=["organisation", "id_document"]
    )


@pytest.fixture
def forum(summit):
    return factories.ForumFactory(summit=summit, slug="ai")


def run(summit, text: str, *, by=None, dry_run=False) -> imports.Report:
    return imports.import_registrations(
        summit, imports.read_table(upload(text)), by=by, dry_run=dry_run, source="guests.csv"
    )


# --- Reading tables ----------------------------------------------------------------------------


def test_reads_csv_with_a_byte_order_mark_and_chinese_headings():
    table = imports.read_table(upload("\ufeff邮箱,姓名,国籍\nli@example.cn,李娜,CN\n"))

    assert table.columns == ["email", "name", "nationality"]
    assert table.rows == [(2, {"email": "li@example.cn", "name": "李娜", "nationality": "CN"})]


def test_reads_csv_saved_by_a_chinese_excel_in_gb18030():
    table = imports.read_table(upload("email;name\nli@example.cn;李娜\n", encoding="gb18030"))

    assert table.rows == [(2, {"email": "li@example.cn", "name": "李娜"})]


def test_reads_cells_pasted_from_a_spreadsheet():
    table = imports.read_table(text="E-mail\tName\n\nli@example.cn\t李娜\n")

    assert table.rows == [(3, {"email": "li@example.cn", "name": "李娜"})]


def test_reads_excel_dates_and_numbers_as_the_guest_wrote_them():
    table = imports.read_table(
        workbook(
            [
                ["email", "phone", "arrival_date"],
                ["li@example.cn", 13800138000, dt.datetime(2024, 11, 19)],
            ]
        )
    )

    assert table.rows == [
        (
            2,
            {
                "email": "li@example.cn",
                "phone": "13800138000",
                "arrival_date": dt.date(2024, 11, 19),
            },
        )
    ]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.csv", "The file is empty"),
        (b"PK\x03\x04not really a zip", "guests.xlsx", "not an Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "guests.xls", "old Excel file (.xls)"),
        (b"\xff\xfe\xfa", "guests.csv", "cannot be read"),
    ],
)
def test_files_that_are_not_tables_are_refused_with_a_reason(content, name, message):
    with pytest.raises(imports.TableError, match=re.escape(message)):
        imports.read_table(SimpleUploadedFile(name, content))


# --- Importing registrations -------------------------------------------------------------------


def test_good_rows_are_imported_as_submitted_registrations_with_their_seats(
    summit, category, forum, organiser
):
    report = run(summit, f"{HEADER}\n{GOOD}\n{OTHER_GOOD}\n", by=organiser)

    assert [(row.row, row.outcome) for row in report.rows] == [(2, DONE), (3, DONE)]
    ana = Registration.objects.get(email="ana@example.br")
    jean = Registration.objects.get(email="jean@example.fr")
    assert (ana.status, ana.category, ana.nationality.code, ana.language) == (
        Status.SUBMITTED,
        category,
        "BR",
        "en",
    )
    assert jean.nationality.code == "FR"
    assert list(ana.seat_requests.values_list("forum__slug", "status")) == [("ai", "confirmed")]
    # Nobody consents to face check-in for a guest: the guest gets a QR badge.
    assert ana.face_consent is False
    assert ActionLog.objects.get(action="registration.imported", object_id=str(ana.pk)).actor == (
        organiser
    )


def test_a_bad_row_is_refused_whole_and_the_report_names_row_and_column(
    summit, category, forum, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = run(summit, f"{HEADER}\n{GOOD}\n{BAD}\n")

    assert [(row.row, row.outcome) for row in report.rows] == [(2, DONE), (3, REFUSED)]
    assert [str(problem) for problem in report.problems] == [
        "Row 3, column forums: No forum of this summit has the short name “nowhere”.",
        "Row 3, column id_number: The last character of this identity card number does not "
        "match; please check it.",
    ]
    # Nothing of row 3 is left: no registration, no seat, no e-mail.
    assert list(Registration.objects.values_list("email", flat=True)) == ["ana@example.br"]
    assert SeatRequest.objects.count() == 1
    assert [message.to for message in mail.outbox] == [["ana@example.br"]]


def test_every_problem_of_a_row_is_reported_at_once(summit, category):
    report = run(
        summit,
        "email,name,nationality,category,arrival_date,participation\n"
        "not-an-address,,Atlantis,gov,2024-13-40,by pigeon\n",
    )

    assert sorted((p.column, p.message) for p in report.problems) == sorted(
        [
            (
                "nationality",
                "“Atlantis” is not a country or region; give its code, e.g. CN, FR, BR.",
            ),
            ("arrival_date", "“2024-13-40” is not a date; write it as YYYY-MM-DD."),
            ("participation", "“by pigeon” is not one of: on_site, online."),
            ("email", "Enter a valid email address."),
            ("name", "This field cannot be blank."),
            ("name_latin", "This field cannot be blank."),
            ("organisation", "Please give your organisation."),
            ("id_number", "Please give the number of your identity document."),
        ]
    )
    assert Registration.objects.count() == 0


def test_an_unknown_category_names_the_categories_there_are(summit, category, forum):
    report = run(summit, f"{HEADER}\n{GOOD.replace(',gov,', ',army,')}\n")

    assert [str(problem) for problem in report.problems] == [
        "Row 2, column category: There is no category “army”; the categories are: gov."
    ]


def test_a_category_requiring_a_photo_asks_to_invite_the_guest_instead(summit):
    GuestCategoryFactory(summit=summit, code="gov", required_fields=["photo"])

    report = run(summit, "email,name,nationality,category\nana@example.br,Ana,BR,gov\n")

    assert [(p.column, p.message) for p in report.problems] == [
        (
            "category",
            "This category requires a portrait photo, which a spreadsheet cannot carry; "
            "invite this guest instead, so that they upload it.",
        )
    ]


def test_importing_the_same_file_again_creates_nothing_twice(summit, category, forum):
    text = f"{HEADER}\n{GOOD}\n{OTHER_GOOD}\n"
    run(summit, text)

    again = run(summit, text)

    assert [row.outcome for row in again.rows] == [EXISTS, EXISTS]
    assert again.rows[0].note == "Already registered (Submitted); left as it is."
    assert (Registration.objects.count(), SeatRequest.objects.count()) == (2, 1)


def test_the_same_address_twice_in_a_file_is_imported_once(summit, category, forum):
    report = run(summit, f"{HEADER}\n{GOOD}\n{GOOD.replace('ana@', 'ANA@')}\n")

    assert [row.outcome for row in report.rows] == [DONE, EXISTS]
    assert Registration.objects.count() == 1


def test_a_withdrawn_guest_can_be_imported_again(summit, category, forum):
    RegistrationFactory(
        summit=summit, category=category, email="ana@example.br", status=Status.WITHDRAWN
    )

    report = run(summit, f"{HEADER}\n{GOOD}\n")

    assert [row.outcome for row in report.rows] == [DONE]


def test_a_dry_run_reports_exactly_and_writes_nothing(
    summit, category, forum, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = run(summit, f"{HEADER}\n{GOOD}\n{BAD}\n{GOOD}\n", dry_run=True)

    assert [row.outcome for row in report.rows] == [DONE, REFUSED, EXISTS]
    assert (Registration.objects.count(), SeatRequest.objects.count(), len(mail.outbox)) == (
        0,
        0,
        0,
    )
    assert not ActionLog.objects.filter(action__startswith="registration.").exists()


def test_chinese_guests_read_chinese_unless_the_list_says_otherwise(summit, category):
    run(
        summit,
        "email,name,name_latin,nationality,category,organisation,id_type,id_number,language\n"
        "li@example.cn,李娜,Li Na,CN,gov,CAC,cn_id,11010519491231002X,\n"
        "wang@example.cn,王芳,Wang Fang,CN,gov,CAC,passport,E12345678,English\n",
    )

    assert dict(Registration.objects.values_list("email", "language")) == {
        "li@example.cn": "zh-hans",
        "wang@example.cn": "en",
    }


def test_a_file_without_an_email_column_is_refused(summit, category):
    with pytest.raises(imports.TableError, match="no “email” column"):
        run(summit, "name,nationality\nAna,BR\n")


# --- The import page ---------------------------------------------------------------------------


def test_import_page_checks_first_and_imports_on_confirmation(
    client, organiser, summit, category, forum
):
    client.force_login(organiser)
    address = reverse("secretariat:import") + f"?summit={summit.slug}"

    checked = client.post(address, {"file": upload(f"{HEADER}\n{GOOD}\n{BAD}\n")})
    token = re.search(r'name="token" value="([0-9a-f]+)"', checked.content.decode())[1]
    page = unescape(checked.content.decode())
    assert Registration.objects.count() == 0
    assert "Row 3, column id_number:" in page
    assert "Import 1 guest" in page

    imported = client.post(address, {"token": token})

    assert "1 guest imported." in unescape(imported.content.decode())
    assert list(Registration.objects.values_list("email", flat=True)) == ["ana@example.br"]
    # The list is gone once imported: confirming twice imports nothing more.
    again = client.post(address, {"token": token})
    assert again.status_code == 400
    assert Registration.objects.count() == 1


def test_import_page_refuses_a_file_that_is_no_table(client, organiser, summit, category):
    client.force_login(organiser)

    response = client.post(
        reverse("secretariat:import") + f"?summit={summit.slug}",
        {
            "file": SimpleUploadedFile(
                "guests.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64
            )
        },
    )

    assert response.status_code == 400
    assert "please save it as .xlsx or CSV first" in unescape(response.content.decode())


# --- Invitations -------------------------------------------------------------------------------


def test_invitations_skip_addresses_already_invited_or_registered(summit, category, organiser):
    RegistrationFactory(summit=summit, category=category, email="known@example.org")
    table = imports.read_table(
        text="email,name\nnew@example.org,New\nknown@example.org,Known\nnew@example.org,Again\n"
    )

    report = imports.invite_many(summit, table, by=organiser, default_category=category)

    assert [(row.outcome, row.note) for row in report.rows] == [
        (DONE, ""),
        (EXISTS, "Already registered."),
        (EXISTS, "Already invited; the invitation is unused."),
    ]
    assert list(Invitation.objects.values_list("email", flat=True)) == ["new@example.org"]


def test_a_co_organiser_invites_to_its_own_forums_only(summit, category):
    mine, theirs = factories.ForumFactory(summit=summit), factories.ForumFactory(summit=summit)
    host = factories.OrganisationFactory()
    factories.ForumOrganiserFactory(forum=mine, organisation=host)
    co_organiser = factories.UserFactory(roles=["forum_organiser"])
    factories.MembershipFactory(user=co_organiser, organisation=host)
    table = imports.read_table(
        text=f"email,forum\nours@example.org,{mine.slug}\ntheirs@example.org,{theirs.slug}\n"
        "nowhere@example.org,\n"
    )

    report = imports.invite_many(summit, table, by=co_organiser, default_category=category)

    assert [row.outcome for row in report.rows] == [DONE, REFUSED, REFUSED]
    assert {str(problem) for problem in report.problems} == {
        "Row 3, column forum: You may invite guests only to the forums you co-organise; "
        "name one of them.",
        "Row 4, column forum: You may invite guests only to the forums you co-organise; "
        "name one of them.",
    }
    assert list(Invitation.objects.values_list("email", "forum")) == [("ours@example.org", mine.pk)]


def test_invitation_rows_with_bad_values_name_their_column(summit, category, organiser):
    table = imports.read_table(text="email,language,category\nnot-mail,klingon,\n")

    report = imports.invite_many(summit, table, by=organiser)

    assert {str(problem) for problem in report.problems} == {
        "Row 2, column category: Give the guest's category (its code).",
        "Row 2, column language: “klingon” is not one of: zh-hans, en.",
    }
    assert Invitation.objects.count() == 0
