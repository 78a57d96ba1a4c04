"""Applications sent in bulk by universities (CSV or Excel), with a row-by-row report.

The import behaves as the guest-list import of registration does (``registration.imports``,
whose table reading and reports it reuses):

- **Each row is all or nothing**, in its own savepoint; the good rows are imported and the
  report names every problem by row number (the header is row 1) and column.
- **The same rules as the form**: a row becomes an application through ``services.apply``,
  after ``services.check_application`` found every problem of the row at once.
- **Importing twice creates nothing twice**: a student number already applied for at that
  university is reported and skipped.
- **Nobody consents for a student**: imported applicants have not agreed to location on duty;
  they may on their own page.
- **A dry run** does all of it and rolls it back, so its report is what the import will do.
"""

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from huiwu.core.services import log_action
from huiwu.registration.imports import (
    DONE,
    EXISTS,
    REFUSED,
    Report,
    RowProblems,
    RowReport,
    Table,
    TableError,
    cell_text,
    choice,
)
from huiwu.summit.models import Summit
from huiwu.volunteers import services
from huiwu.volunteers.models import (
    Application,
    ApplicationStatus,
    Gender,
    Skill,
    TShirtSize,
    University,
)
from huiwu.volunteers.services import VolunteerError

#: The columns of a list: the applicant's fields, but the photo (a spreadsheet cannot carry it).
COLUMNS = [field for field in services.APPLICANT_FIELDS if field != "photo"]
# Headings people write for our columns (compared after lowering the case and turning spaces
# and hyphens into underscores, as registration's import does).
HEADING_ALIASES = {
    "姓名": "name",
    "性别": "gender",
    "手机": "phone",
    "电话": "phone",
    "邮箱": "email",
    "电子邮件": "email",
    "e_mail": "email",
    "学校": "university",
    "高校": "university",
    "学号": "student_number",
    "语言": "languages",
    "language": "languages",
    "skill": "skills",
    "外语": "languages",
    "技能": "skills",
    "特长": "skills",
    "经历": "experience",
    "志愿经历": "experience",
    "可服务时间": "availability",
    "服务时间": "availability",
    "尺码": "tshirt_size",
    "t恤尺码": "tshirt_size",
    "t_shirt": "tshirt_size",
    "紧急联系人": "emergency_name",
    "紧急联系人电话": "emergency_phone",
}
SEPARATORS = r"[,;\uff0c\uff1b\u3001\n]+"
PERIOD = re.compile(
    r"^(\d{4}-\d{1,2}-\d{1,2})\s+(\d{1,2}:\d{2})\s*[-\u2013~\u81f3]\s*(\d{1,2}:\d{2})$"
)


def _columns(table: Table) -> Table:
    """The table with our aliases of headings applied."""

    def rename(column: str) -> str:
        return HEADING_ALIASES.get(column, column)

    return Table(
        columns=[rename(column) for column in table.columns],
        rows=[
            (number, {rename(key): value for key, value in values.items()})
            for number, values in table.rows
        ],
    )


def _university(text: str, default: University | None, problems: RowProblems):
    if not text:
        if default is None:
            problems.add("university", _("Give the university (its short name, e.g. ZJU)."))
        return default
    for university in University.objects.all():
        names = {university.short_name.lower(), *(v.lower() for v in university.name.data.values())}
        if text.lower() in names:
            if default is not None and university != default:
                problems.add(
                    "university",
                    _("This list is for %(university)s; a row of another university was sent.")
                    % {"university": default},
                )
            return university
    problems.add(
        "university",
        _("There is no university “%(value)s”; give its short name, e.g. ZJU.") % {"value": text},
    )
    return None


def _languages(text: str, problems: RowProblems) -> list[dict]:
    """``en:4; ja:2`` → ``[{"code": "en", "level": 4}, …]``."""
    items = []
    for part in (p.strip() for p in re.split(SEPARATORS, text) if p.strip()):
        code, _sep, level = part.replace("\uff1a", ":").partition(":")
        if not level:
            problems.add(
                "languages",
                _("Write each language as code:level, e.g. en:4; “%(part)s” has no level.")
                % {"part": part},
            )
            return []
        items.append({"code": code.strip(), "level": level.strip()})
    return items


def _skills(text: str, problems: RowProblems) -> list[str]:
    return [
        choice(part.strip(), Skill.choices, "skills", problems)
        for part in re.split(SEPARATORS, text)
        if part.strip()
    ]


def _availability(text: str, problems: RowProblems) -> list[dict]:
    """``2024-11-20 08:00-18:00; 2024-11-21 08:00-12:00`` → periods."""
    periods = []
    for part in (p.strip() for p in re.split(r"[;\uff1b\n]+", text) if p.strip()):
        match = PERIOD.match(part)
        if match is None:
            problems.add(
                "availability",
                _(
                    "Write each period as YYYY-MM-DD HH:MM-HH:MM, separated by semicolons; "
                    "“%(part)s” is not."
                )
                % {"part": part},
            )
            return []
        day, start, end = match.groups()
        year, month, date = day.split("-")
        periods.append(
            {
                "date": f"{year}-{int(month):02d}-{int(date):02d}",
                "from": start.zfill(5),
                "to": end.zfill(5),
            }
        )
    return periods


def _data(values: dict, university, problems: RowProblems) -> dict:
    data = {
        "name": cell_text(values, "name"),
        "phone": cell_text(values, "phone"),
        "email": cell_text(values, "email"),
        "university": university,
        "student_number": cell_text(values, "student_number"),
        "languages": _languages(cell_text(values, "languages"), problems),
        "skills": _skills(cell_text(values, "skills"), problems),
        "experience": cell_text(values, "experience"),
        "availability": _availability(cell_text(values, "availability"), problems),
        "emergency_name": cell_text(values, "emergency_name"),
        "emergency_phone": cell_text(values, "emergency_phone"),
    }
    if gender := cell_text(values, "gender"):
        data["gender"] = choice(gender, Gender.choices, "gender", problems)
    if size := cell_text(values, "tshirt_size"):
        data["tshirt_size"] = choice(size.upper(), TShirtSize.choices, "tshirt_size", problems)
    return data


def _existing(summit: Summit, university, number: str, email: str) -> Application | None:
    same = Q(email__iexact=email) if email else Q(pk__in=[])
    if university is not None and number:
        same |= Q(university=university, student_number=number)
    return (
        Application.objects.filter(summit=summit)
        .exclude(status=ApplicationStatus.WITHDRAWN)
        .filter(same)
        .first()
    )


def _import_row(summit, number, values, *, by, default_university) -> RowReport:
    problems = RowProblems(number)
    name = cell_text(values, "name")
    email = cell_text(values, "email").lower()
    university = _university(cell_text(values, "university"), default_university, problems)
    student_number = cell_text(values, "student_number")
    if (existing := _existing(summit, university, student_number, email)) is not None:
        return RowReport(
            number,
            email,
            name,
            EXISTS,
            note=_("Already applied (%(status)s); left as it is.")
            % {"status": existing.get_status_display()},
        )
    data = _data(values, university, problems)
    if university is not None:
        try:
            services.check_application(Application(summit=summit, **data))
        except ValidationError as error:
            problems.add_validation(error)
    if problems or university is None:
        return RowReport(number, email, name, REFUSED, problems.items)
    with transaction.atomic():
        try:
            application = services.apply(summit, data, by=by)
        except VolunteerError as error:
            problems.add(error.field, error.message)
            transaction.set_rollback(True)
            return RowReport(number, email, name, REFUSED, problems.items)
        log_action(application, "volunteers.imported", by=by)
    return RowReport(number, email, name, DONE)


def import_applications(
    summit: Summit,
    table: Table,
    *,
    by,
    default_university: University | None = None,
    dry_run: bool = False,
) -> Report:
    """Submit an application per row of ``table`` (see the module's docstring for the rules);
    ``default_university`` is the university sending its list (rows may then leave it out).
    With ``dry_run``, only report what would happen."""
    table = _columns(table)
    missing = [c for c in ("name", "student_number", "email") if c not in table.columns]
    if missing:
        raise TableError(
            _("The file has no “%(column)s” column; the first row must name the columns.")
            % {"column": missing[0]}
        )
    report = Report(
        dry_run=dry_run,
        ignored_columns=[column for column in table.columns if column not in COLUMNS],
    )
    with transaction.atomic():
        for number, values in table.rows:
            report.rows.append(
                _import_row(summit, number, values, by=by, default_university=default_university)
            )
        if dry_run:
            transaction.set_rollback(True)
    return report
