"""Guest lists from spreadsheets (CSV or Excel): invitations in bulk, and the registrations that
co-organisers send to the secretariat.

How an import behaves, decided for issue #3:

- **Each row is all or nothing.** A row with any problem is refused whole, in its own savepoint,
  so that no registration, seat or e-mail is ever left from half a row; the good rows are
  imported. The report names every problem by the row number the spreadsheet shows (the header
  is row 1) and by column: "Row 7, column id_number: …".
- **The same rules as the guests' form.** A row becomes a registration through the services
  the form uses — ``check_registration`` finds every problem of the row at once (the shape of
  each field, what the category requires), ``save_draft`` writes it, ``submit`` requests the
  forums' seats — so an import cannot let in what the form refuses. Imported rows are
  *submitted* registrations waiting in the review queue, and the guests get the e-mail with
  their personal link.
- **Importing twice creates nothing twice.** An e-mail address is registered once per summit: a
  row whose address is already registered is reported as such and skipped (as is the same
  address further down the same file).
- **Nobody consents for a guest.** A spreadsheet cannot carry the guest's own consent to face
  check-in, so imported guests are recorded as not consenting (they get a QR badge) and may
  give consent themselves on their personal page. Nor can it carry a photo: a category that
  requires one must invite its guests instead.
- **A dry run** does all of the above and rolls it back, so its report is exactly what the
  import will do.

Invitations follow the same rules: a row per guest, each row invited or refused whole, an
address already invited (and not yet registered) or registered is skipped.
"""

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django_countries import countries
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from huiwu.core.services import DomainError, log_action
from huiwu.registration import services
from huiwu.registration.models import (
    GuestCategory,
    IdType,
    Invitation,
    Participation,
    Registration,
    Status,
)
from huiwu.registration.rules import can_invite_to_forum
from huiwu.registration.services import RegistrationError
from huiwu.summit.models import Forum, Summit

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000

#: The columns of a guest list, in the order a template shows them.
REGISTRATION_COLUMNS = [
    "email",
    "name",
    "name_latin",
    "nationality",
    "category",
    "organisation",
    "position",
    "phone",
    "id_type",
    "id_number",
    "participation",
    "arrival_date",
    "departure_date",
    "dietary",
    "accessibility",
    "language",
    "forums",
]
INVITATION_COLUMNS = ["email", "name", "language", "category", "forum"]
# "forum" and "forums" both name the forums, in either kind of list.
FORUM_COLUMNS = {"forum", "forums"}

# Headings people write for our columns, in English and in Chinese; compared after lowering
# the case and turning spaces and hyphens into underscores.
HEADING_ALIASES = {
    "e_mail": "email",
    "mail": "email",
    "邮箱": "email",
    "电子邮件": "email",
    "电子邮箱": "email",
    "姓名": "name",
    "name_in_own_script": "name",
    "latin_name": "name_latin",
    "name_in_latin_letters": "name_latin",
    "拼音": "name_latin",
    "英文名": "name_latin",
    "country": "nationality",
    "国籍": "nationality",
    "类别": "category",
    "嘉宾类别": "category",
    "organization": "organisation",
    "单位": "organisation",
    "机构": "organisation",
    "title": "position",
    "职务": "position",
    "电话": "phone",
    "手机": "phone",
    "document": "id_type",
    "证件类型": "id_type",
    "document_number": "id_number",
    "证件号码": "id_number",
    "参会方式": "participation",
    "arrival": "arrival_date",
    "抵达日期": "arrival_date",
    "departure": "departure_date",
    "离开日期": "departure_date",
    "饮食": "dietary",
    "无障碍": "accessibility",
    "语言": "language",
    "论坛": "forum",
}
LANGUAGE_ALIASES = {
    "zh": "zh-hans",
    "zh-cn": "zh-hans",
    "chinese": "zh-hans",
    "中文": "zh-hans",
    "简体中文": "zh-hans",
    "english": "en",
    "英文": "en",
    "英语": "en",
}
# Guests from these places read the platform's Chinese when the list says no language.
CHINESE_READERS = {"CN", "HK", "MO", "TW"}
# Guest fields that a column of another name fills.
COLUMN_OF_FIELD = {"organisation_name": "organisation"}


class TableError(DomainError):
    """A file that cannot be read as a table at all (as opposed to a bad row)."""


# --- Reading a table -------------------------------------------------------------------------


@dataclass
class Table:
    """The rows of a spreadsheet: each one its row number (the header is row 1) and its values
    by column name, every value as text, or a ``date`` for date cells of a workbook."""

    columns: list[str]
    rows: list[tuple[int, dict[str, object]]]


def _column_name(heading) -> str:
    text = re.sub(r"[\s\-]+", "_", str(heading or "").strip().lower())
    return HEADING_ALIASES.get(text, text)


def _cell(value) -> object:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, float) and value.is_integer():
        # Excel keeps every number as a float: 13800138000.0 is a phone number.
        return str(int(value))
    return str(value).strip()


def _table(records) -> Table:
    records = iter(records)
    header = next(records, None)
    if header is None or not any(_cell(value) for value in header):
        raise TableError(_("The file is empty; the first row must name the columns."))
    columns = [_column_name(heading) for heading in header]
    rows = []
    for number, record in enumerate(records, start=2):
        values = [_cell(value) for value in record]
        if not any(values):
            continue
        if len(rows) >= MAX_ROWS:
            raise TableError(
                _("The file has more than %(count)d rows; please split it.") % {"count": MAX_ROWS}
            )
        rows.append((number, dict(zip(columns, values, strict=False))))
    return Table(columns=[column for column in columns if column], rows=rows)


def _decode(data: bytes) -> str:
    # Excel on a Chinese Windows saves CSV in GB18030 (GBK); everything else in UTF-8.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableError(_("The file's characters cannot be read; please save it as UTF-8 CSV."))


def _csv_table(text: str) -> Table:
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        # One column, or a sample Sniffer cannot decide on: pasted from Excel means tabs.
        dialect = csv.excel_tab if "\t" in sample else csv.excel
    return _table(csv.reader(io.StringIO(text), dialect))


def read_table(upload=None, *, text: str = "") -> Table:
    """The table in an uploaded ``.xlsx`` or ``.csv`` file, or in pasted ``text`` (CSV, or cells
    copied from a spreadsheet). Raises ``TableError`` saying what to do when it cannot."""
    if upload is None:
        if not text.strip():
            raise TableError(_("Paste a list or choose a file."))
        return _csv_table(text)
    if upload.size > MAX_FILE_BYTES:
        raise TableError(
            _("The file is larger than %(size)d MB; please split it.")
            % {"size": MAX_FILE_BYTES // 1024 // 1024}
        )
    data = upload.read()
    if Path(upload.name or "").suffix.lower() in {".xlsx", ".xlsm"} or data[:2] == b"PK":
        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
            raise TableError(
                _("This file is not an Excel workbook that can be read; save it as .xlsx or CSV.")
            ) from None
        try:
            return _table(workbook.worksheets[0].iter_rows(values_only=True))
        finally:
            workbook.close()
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise TableError(
            _("This is an old Excel file (.xls); please save it as .xlsx or CSV first.")
        )
    return _csv_table(_decode(data))


# --- Reports -----------------------------------------------------------------------------------


@dataclass
class Problem:
    row: int
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.column:
            return _("Row %(row)d, column %(column)s: %(message)s") % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        return _("Row %(row)d: %(message)s") % {"row": self.row, "message": self.message}


#: What became of a row.
DONE, EXISTS, REFUSED = "done", "exists", "refused"


@dataclass
class RowReport:
    row: int
    email: str
    name: str
    outcome: str
    problems: list[Problem] = field(default_factory=list)
    note: str = ""


@dataclass
class Report:
    """What an import or a bulk invitation did (or, in a dry run, would do), row by row."""

    dry_run: bool
    rows: list[RowReport] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def done(self) -> int:
        return self.count(DONE)

    @property
    def existing(self) -> int:
        return self.count(EXISTS)

    @property
    def refused(self) -> int:
        return self.count(REFUSED)

    @property
    def problems(self) -> list[Problem]:
        return [problem for row in self.rows for problem in row.problems]


class RowProblems:
    def __init__(self, row: int):
        self.row = row
        self.items: list[Problem] = []

    def add(self, column: str | None, message) -> None:
        self.items.append(Problem(self.row, column, str(message)))

    def add_validation(self, error: ValidationError) -> None:
        """The messages of ``error``, except for columns already found wrong (a value that
        could not be read is also, say, missing)."""
        known = {problem.column for problem in self.items}
        for name, messages in error.message_dict.items():
            column = None if name == "__all__" else COLUMN_OF_FIELD.get(name, name)
            if column in known and column is not None:
                continue
            for message in messages:
                if name == "photo":
                    self.add(
                        "category",
                        _(
                            "This category requires a portrait photo, which a spreadsheet "
                            "cannot carry; invite this guest instead, so that they upload it."
                        ),
                    )
                else:
                    self.add(column, message)

    def __bool__(self) -> bool:
        return bool(self.items)


# --- Reading values ----------------------------------------------------------------------------


def cell_text(values: dict, column: str) -> str:
    value = values.get(column, "")
    return value.isoformat() if isinstance(value, dt.date) else str(value).strip()


def choice(value: str, choices, column: str, problems: RowProblems) -> str:
    """The choice whose value, or whose label in any language, is ``value``."""
    wanted = value.strip().lower()
    for code, label in choices:
        if wanted == str(code).lower():
            return code
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                if wanted == str(label).lower():
                    return code
    problems.add(
        column,
        _("“%(value)s” is not one of: %(choices)s.")
        % {"value": value, "choices": ", ".join(str(code) for code, _label in choices)},
    )
    return ""


def _language(value: str, problems: RowProblems) -> str:
    code = LANGUAGE_ALIASES.get(value.strip().lower(), value.strip().lower())
    return choice(code, settings.LANGUAGES, "language", problems)


def _country(value: str, problems: RowProblems) -> str:
    code = countries.alpha2(value)
    if not code:
        for language, _name in settings.LANGUAGES:
            code = countries.by_name(value, language=language)
            if code:
                break
    if not code:
        problems.add(
            "nationality",
            _("“%(value)s” is not a country or region; give its code, e.g. CN, FR, BR.")
            % {"value": value},
        )
    return code


def _date(values: dict, column: str, problems: RowProblems) -> dt.date | None:
    value = values.get(column, "")
    if isinstance(value, dt.date):
        return value
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value).strip().replace("/", "-"))
    except ValueError:
        problems.add(
            column, _("“%(value)s” is not a date; write it as YYYY-MM-DD.") % {"value": value}
        )
        return None


def _category(
    summit: Summit, code: str, default: GuestCategory | None, problems: RowProblems
) -> GuestCategory | None:
    if not code:
        if default is None:
            problems.add("category", _("Give the guest's category (its code)."))
        return default
    category = GuestCategory.objects.filter(summit=summit, code__iexact=code).first()
    if category is None:
        codes = GuestCategory.objects.filter(summit=summit).values_list("code", flat=True)
        problems.add(
            "category",
            _("There is no category “%(code)s”; the categories are: %(codes)s.")
            % {"code": code, "codes": ", ".join(codes)},
        )
    return category


def _forums(summit: Summit, text: str, column: str, problems: RowProblems) -> list[Forum]:
    # Commas, semicolons or spaces, Western or Chinese (full-width comma and semicolon, 、).
    slugs = [slug for slug in re.split(r"[\s,;\uff0c\uff1b\u3001]+", text) if slug]
    forums = {forum.slug: forum for forum in Forum.objects.filter(summit=summit, slug__in=slugs)}
    unknown = [slug for slug in slugs if slug not in forums]
    if unknown:
        problems.add(
            column,
            _("No forum of this summit has the short name %(slugs)s.")
            % {"slugs": ", ".join(f"“{slug}”" for slug in unknown)},
        )
    return [forums[slug] for slug in dict.fromkeys(slugs) if slug in forums]


def _registered(summit: Summit, email: str) -> Registration | None:
    return (
        Registration.objects.filter(summit=summit, email__iexact=email)
        .exclude(status=Status.WITHDRAWN)
        .first()
    )


# --- Registrations -----------------------------------------------------------------------------


def _registration_data(values: dict, problems: RowProblems) -> dict:
    """The guest fields of a row, each one read and checked for its kind."""
    data = {
        "email": cell_text(values, "email"),
        "name": cell_text(values, "name"),
        "name_latin": cell_text(values, "name_latin") or cell_text(values, "name"),
        "organisation_name": cell_text(values, "organisation"),
        "position": cell_text(values, "position"),
        "phone": cell_text(values, "phone"),
        "id_number": cell_text(values, "id_number"),
        "dietary": cell_text(values, "dietary"),
        "accessibility": cell_text(values, "accessibility"),
        "arrival_date": _date(values, "arrival_date", problems),
        "departure_date": _date(values, "departure_date", problems),
    }
    if nationality := cell_text(values, "nationality"):
        data["nationality"] = _country(nationality, problems)
    if id_type := cell_text(values, "id_type"):
        data["id_type"] = choice(id_type, IdType.choices, "id_type", problems)
    if participation := cell_text(values, "participation"):
        data["participation"] = choice(
            participation, Participation.choices, "participation", problems
        )
    if language := cell_text(values, "language"):
        data["language"] = _language(language, problems)
    else:
        data["language"] = "zh-hans" if data.get("nationality") in CHINESE_READERS else "en"
    return data


def _import_row(
    summit: Summit,
    number: int,
    values: dict,
    *,
    by,
    default_category: GuestCategory | None,
    source: str,
) -> RowReport:
    problems = RowProblems(number)
    email = cell_text(values, "email")
    name = cell_text(values, "name") or cell_text(values, "name_latin")
    if email and (existing := _registered(summit, email)) is not None:
        return RowReport(
            number,
            email,
            name,
            EXISTS,
            note=_("Already registered (%(status)s); left as it is.")
            % {"status": existing.get_status_display()},
        )
    category = _category(summit, cell_text(values, "category"), default_category, problems)
    data = _registration_data(values, problems)
    forum_column = "forums" if cell_text(values, "forums") else "forum"
    forums = _forums(summit, cell_text(values, forum_column), forum_column, problems)
    if category is None:
        return RowReport(number, email, name, REFUSED, problems.items)
    try:
        # Every problem at once, on a copy that is never saved: shapes, what the category
        # requires, and what the database would refuse.
        services.check_registration(
            Registration(summit=summit, category=category, face_consent=False, **data),
            complete=True,
        )
    except ValidationError as error:
        problems.add_validation(error)
    if problems:
        return RowReport(number, email, name, REFUSED, problems.items)
    with transaction.atomic():
        try:
            registration = services.save_draft(
                Registration(summit=summit, category=category), data, face_consent=False
            )
            services.submit(registration, forums=forums)
        except ValidationError as error:
            problems.add_validation(error)
        except RegistrationError as error:
            problems.add(COLUMN_OF_FIELD.get(error.field, error.field), error.message)
        if problems:
            transaction.set_rollback(True)
            return RowReport(number, email, name, REFUSED, problems.items)
        log_action(registration, "registration.imported", by=by, data={"source": source})
    return RowReport(number, email, name, DONE)


def import_registrations(
    summit: Summit,
    table: Table,
    *,
    by,
    default_category: GuestCategory | None = None,
    dry_run: bool = False,
    source: str = "",
) -> Report:
    """Register the guests of ``table`` as submitted registrations, row by row (see the module's
    docstring for the rules); with ``dry_run``, only report what would happen."""
    report = Report(
        dry_run=dry_run,
        ignored_columns=[
            column
            for column in table.columns
            if column not in REGISTRATION_COLUMNS and column not in FORUM_COLUMNS
        ],
    )
    if "email" not in table.columns:
        raise TableError(_("The file has no “email” column; the first row must name it."))
    with transaction.atomic():
        for number, values in table.rows:
            report.rows.append(
                _import_row(
                    summit,
                    number,
                    values,
                    by=by,
                    default_category=default_category,
                    source=source,
                )
            )
        if dry_run:
            transaction.set_rollback(True)
    return report


# --- Invitations -------------------------------------------------------------------------------


def _already_invited(summit: Summit, email: str) -> Invitation | None:
    return Invitation.objects.filter(
        summit=summit, email__iexact=email, used_at__isnull=True
    ).first()


def _invite_row(
    summit: Summit,
    number: int,
    values: dict,
    *,
    by,
    forum: Forum | None,
    default_category: GuestCategory | None,
    default_language: str,
) -> RowReport:
    problems = RowProblems(number)
    email = cell_text(values, "email")
    name = cell_text(values, "name")
    if not email:
        problems.add("email", _("Give the guest's e-mail address."))
    elif _registered(summit, email) is not None:
        return RowReport(number, email, name, EXISTS, note=_("Already registered."))
    elif _already_invited(summit, email) is not None:
        return RowReport(
            number, email, name, EXISTS, note=_("Already invited; the invitation is unused.")
        )
    category = _category(summit, cell_text(values, "category"), default_category, problems)
    language = cell_text(values, "language")
    language = _language(language, problems) if language else default_language
    forum_column = "forum" if cell_text(values, "forum") else "forums"
    if slug := cell_text(values, forum_column):
        chosen = _forums(summit, slug, forum_column, problems)
        forum = chosen[0] if chosen else None
    if not can_invite_to_forum(by, forum):
        problems.add(
            "forum",
            _("You may invite guests only to the forums you co-organise; name one of them."),
        )
    if problems:
        return RowReport(number, email, name, REFUSED, problems.items)
    try:
        services.invite(
            summit,
            email=email,
            name=name,
            category=category,
            language=language,
            forum=forum,
            by=by,
        )
    except RegistrationError as error:
        problems.add(error.field, error.message)
        return RowReport(number, email, name, REFUSED, problems.items)
    return RowReport(number, email, name, DONE)


def invite_many(
    summit: Summit,
    table: Table,
    *,
    by,
    forum: Forum | None = None,
    default_category: GuestCategory | None = None,
    default_language: str = "en",
    dry_run: bool = False,
) -> Report:
    """Send one personal invitation per row of ``table`` (e-mail, and optionally name, language,
    category code, forum short name, else the defaults given); each row is invited or refused
    whole, and addresses already invited or registered are skipped. With ``dry_run``, only
    report what would happen (no e-mail leaves)."""
    if "email" not in table.columns:
        raise TableError(_("The list has no “email” column; the first row must name it."))
    report = Report(
        dry_run=dry_run,
        ignored_columns=[
            column
            for column in table.columns
            if column not in INVITATION_COLUMNS and column not in FORUM_COLUMNS
        ],
    )
    with transaction.atomic():
        for number, values in table.rows:
            report.rows.append(
                _invite_row(
                    summit,
                    number,
                    values,
                    by=by,
                    forum=forum,
                    default_category=default_category,
                    default_language=default_language,
                )
            )
        if dry_run:
            transaction.set_rollback(True)
    return report
