"""Universities' lists of applicants: each row imported or refused whole, a report row by
row, nothing twice, a dry run that changes nothing."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from huiwu.registration.imports import DONE, EXISTS, REFUSED, TableError, read_table
from huiwu.volunteers.imports import import_applications
from huiwu.volunteers.models import Application
from tests import factories
from tests.volunteers import factories as vf

pytestmark = pytest.mark.django_db

HEADER = "姓名,学号,邮箱,手机,学校,语言,技能,可服务时间,紧急联系人,紧急联系人电话,T恤尺码\n"
GOOD = (
    "王芳,3210100001,wangfang@zju.edu.example,13800000001,ZJU,zh:5;en:4,interpreting,"
    "2024-11-20 08:00-18:00;2024-11-21 08:00-12:00,王强,13900000001,m\n"
)
BAD_LANGUAGE = (
    "陈晨,3210100002,chenchen@zju.edu.example,13800000002,ZJU,klingon:3,,"
    "2024-11-20 08:00-18:00,陈父,13900000002,L\n"
)
BAD_TIMES = (
    "刘洋,3210100003,liuyang@zju.edu.example,13800000003,浙江大学,zh:5,juggling,"
    "2024-11-20 18:00-08:00,刘母,13900000003,S\n"
)
UNKNOWN_UNIVERSITY = (
    "赵磊,001,zhaolei@mit.example,13800000004,MIT,zh:5,,2024-11-20 08:00-12:00,赵父,13900000004,M\n"
)


@pytest.fixture
def office(db):
    return factories.UserFactory(roles=["volunteer_office"])


@pytest.fixture
def zju(db):
    return vf.UniversityFactory(short_name="ZJU", name={"zh-hans": "浙江大学", "en": "ZJU"})


def run(summit, office, text, **kwargs):
    return import_applications(summit, read_table(text=text), by=office, **kwargs)


def test_good_rows_are_imported_and_bad_rows_reported_by_row_and_column(summit, office, zju):
    report = run(summit, office, HEADER + GOOD + BAD_LANGUAGE + BAD_TIMES + UNKNOWN_UNIVERSITY)

    assert [(row.row, row.outcome) for row in report.rows] == [
        (2, DONE),
        (3, REFUSED),
        (4, REFUSED),
        (5, REFUSED),
    ]
    assert [str(problem) for problem in report.problems] == [
        "Row 3, column languages: “klingon” is not a language code; use ISO 639-1 codes such as "
        "zh, en, fr.",
        "Row 4, column skills: “juggling” is not one of: "
        "interpreting, first_aid, driving, it, press, protocol, guiding, photography, "
        "registration.",
        "Row 4, column availability: On 2024-11-20 you are free from 18:00 to 08:00: the end "
        "must come after the start.",
        "Row 5, column university: There is no university “MIT”; give its short name, e.g. ZJU.",
    ]
    application = Application.objects.get()
    assert (application.name, application.university, application.tshirt_size) == (
        "王芳",
        zju,
        "M",
    )
    assert application.languages == [{"code": "zh", "level": 5}, {"code": "en", "level": 4}]
    assert application.location_consent is False


def test_importing_twice_creates_nothing_twice(summit, office, zju):
    run(summit, office, HEADER + GOOD)
    report = run(summit, office, HEADER + GOOD)

    assert [row.outcome for row in report.rows] == [EXISTS]
    assert Application.objects.count() == 1


def test_a_dry_run_reports_and_changes_nothing(summit, office, zju):
    report = run(summit, office, HEADER + GOOD + BAD_LANGUAGE, dry_run=True)

    assert [row.outcome for row in report.rows] == [DONE, REFUSED]
    assert Application.objects.count() == 0


def test_a_universitys_own_list_refuses_rows_of_another(summit, office, zju):
    other = vf.UniversityFactory(short_name="NBU")
    report = run(summit, office, HEADER + GOOD, default_university=other)

    assert report.rows[0].outcome == REFUSED
    assert "a row of another university" in str(report.problems[0])


def test_an_excel_list_is_read(summit, office, zju):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER.strip().split(","))
    sheet.append(GOOD.strip().split(","))
    data = io.BytesIO()
    workbook.save(data)
    upload = SimpleUploadedFile("zju.xlsx", data.getvalue())

    report = import_applications(summit, read_table(upload), by=office)
    assert [row.outcome for row in report.rows] == [DONE]


def test_a_list_without_the_needed_columns_is_refused_whole(summit, office):
    with pytest.raises(TableError, match="no “student_number” column"):
        run(summit, office, "name,email\n王芳,wf@example.org\n")
