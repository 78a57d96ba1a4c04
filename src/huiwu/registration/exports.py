"""What leaves the platform as files: the guest list (Excel and CSV) and the badges of many
guests as one PDF, written by a background job whose progress the browser follows.

A guest list holds exactly the registrations it is given (the caller narrows them to what the
reader may see) and identity documents only when asked for. Texts the guests typed are written
as text, never as formulas: a name starting with "=" stays a name in Excel.

A badge job keeps its state in a small JSON file beside its PDF, under ``MEDIA_ROOT/badges/``:
the web page and the worker may be different processes (``huiwu worker``), and the PDF must be
on the shared disk anyway. Jobs older than ``BADGE_JOB_DAYS`` are deleted when a new one starts,
since a badge PDF carries names and photos.
"""

import csv
import datetime as dt
import io
import json
import os
import re
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from huiwu.core.i18n import localized
from huiwu.core.spreadsheets import write_sheet
from huiwu.registration.badges_pdf import render_badges
from huiwu.registration.models import Registration, SeatRequest, SeatStatus, Status
from huiwu.summit.models import Forum, Summit

# --- The guest list ----------------------------------------------------------------------------

# Spreadsheets run a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    heading: str
    value: Callable[[Registration], object]
    width: int = 16


def _consent(registration: Registration) -> str:
    if registration.face_consent is None:
        return _("not asked yet")
    return _("yes") if registration.face_consent else _("no")


def _forums(registration: Registration, status: str) -> str:
    return "; ".join(
        localized(seat.forum.title)
        for seat in registration.seat_requests.all()
        if seat.status == status
    )


def _local(moment: dt.datetime | None, summit: Summit) -> dt.datetime | None:
    # Excel has no time zones: write the summit's local time, as the pages show it.
    return timezone.localtime(moment, summit.tz).replace(tzinfo=None) if moment else None


def guest_list_columns(*, with_id_documents: bool) -> list[Column]:
    """The columns of the guest list, headed in the active language."""
    columns = [
        Column(_("Reference"), lambda r: r.public_id.hex[:12], 14),
        Column(_("Status"), lambda r: r.get_status_display(), 14),
        Column(_("Category"), lambda r: localized(r.category.name), 18),
        Column(_("Category code"), lambda r: r.category.code, 12),
        Column(_("Name"), lambda r: r.name, 20),
        Column(_("Name in Latin letters"), lambda r: r.name_latin, 22),
        Column(_("Nationality"), lambda r: r.nationality.name, 18),
        Column(_("Country code"), lambda r: r.nationality.code, 8),
        Column(_("E-mail"), lambda r: r.email, 28),
        Column(_("Phone"), lambda r: r.phone, 18),
        Column(_("Organisation"), lambda r: r.organisation_name, 28),
        Column(_("Position"), lambda r: r.position, 22),
        Column(_("Delegation"), lambda r: r.delegation.name if r.delegation else "", 20),
        Column(_("Participation"), lambda r: r.get_participation_display(), 12),
        Column(_("Arrival"), lambda r: r.arrival_date, 12),
        Column(_("Departure"), lambda r: r.departure_date, 12),
        Column(_("Dietary needs"), lambda r: r.dietary, 18),
        Column(_("Accessibility needs"), lambda r: r.accessibility, 18),
        Column(_("Language"), lambda r: r.language, 9),
        Column(_("Face check-in consent"), _consent, 12),
        Column(_("Forums (seat confirmed)"), lambda r: _forums(r, SeatStatus.CONFIRMED), 36),
        Column(_("Forums (waitlisted)"), lambda r: _forums(r, SeatStatus.WAITLISTED), 28),
        Column(_("Submitted"), lambda r: _local(r.submitted_at, r.summit), 17),
        Column(_("Decided"), lambda r: _local(r.decided_at, r.summit), 17),
        Column(_("Decided by"), lambda r: r.decided_by.get_username() if r.decided_by else "", 14),
        Column(_("Reason"), lambda r: r.decision_reason, 30),
        Column(_("Badge revoked"), lambda r: _("yes") if r.badge_revoked else "", 10),
    ]
    if with_id_documents:
        columns += [
            Column(_("Identity document"), lambda r: r.get_id_type_display(), 18),
            Column(_("Document number"), lambda r: r.id_number, 20),
        ]
    return columns


def for_guest_list(
    registrations: QuerySet[Registration], *, forums: QuerySet[Forum]
) -> QuerySet[Registration]:
    """``registrations`` with what the guest list reads, in a few queries; the seats listed are
    those in ``forums`` (the forums the reader manages)."""
    seats = (
        SeatRequest.objects.exclude(status=SeatStatus.CANCELLED)
        .filter(forum__in=forums)
        .select_related("forum")
    )
    return registrations.select_related(
        "summit", "category", "delegation", "decided_by"
    ).prefetch_related(Prefetch("seat_requests", queryset=seats))


def _rows(registrations: Iterable[Registration], columns: list[Column]) -> Iterator[list]:
    for registration in registrations:
        yield [column.value(registration) for column in columns]


def write_xlsx(registrations: Iterable[Registration], stream, *, with_id_documents: bool) -> None:
    """The guest list as an Excel workbook, one guest per row, headings frozen and filterable."""
    columns = guest_list_columns(with_id_documents=with_id_documents)
    workbook = Workbook(write_only=True)
    write_sheet(
        workbook,
        _("Guests"),
        [column.heading for column in columns],
        _rows(registrations, columns),
        [column.width for column in columns],
    )
    workbook.save(stream)


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def write_csv(registrations: Iterable[Registration], stream, *, with_id_documents: bool) -> None:
    """The guest list as CSV in UTF-8 with a byte-order mark, which Excel needs to read Chinese
    (without it, Excel guesses the system's code page). ``stream`` is a binary stream."""
    columns = guest_list_columns(with_id_documents=with_id_documents)
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow([column.heading for column in columns])
    for values in _rows(registrations, columns):
        writer.writerow([_csv_value(value) for value in values])
    text.flush()
    text.detach()


# --- Badges ------------------------------------------------------------------------------------

BADGE_JOB_DAYS = 2
_JOB_ID = re.compile(r"^[0-9a-f]{32}$")


def badge_registrations(
    summit: Summit, *, status: str = Status.APPROVED, category: str = ""
) -> QuerySet[Registration]:
    """The guests whose badges a batch prints: of ``status`` (approved by default), of the
    category with code ``category`` when given, never a revoked badge; by category, then name."""
    registrations = Registration.objects.filter(
        summit=summit, status=status, badge_revoked=False
    ).select_related("summit", "category", "delegation")
    if category:
        registrations = registrations.filter(category__code=category)
    return registrations.order_by("category__order", "category__id", "name_latin", "id")


def _badge_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "badges"


@dataclass
class BadgeJob:
    """A batch of badges printed in the background: what to print, how far it is, and where
    the PDF is once done. ``state`` is queued, running, done or failed."""

    id: str
    summit: str
    status: str
    category: str = ""
    by: int | None = None
    state: str = "queued"
    done: int = 0
    total: int = 0
    created_at: str = field(default_factory=lambda: timezone.now().isoformat())
    error: str = ""

    @classmethod
    def start(cls, summit: Summit, *, status: str, category: str, by) -> "BadgeJob":
        """A new job, saved; old jobs and their PDFs are deleted first."""
        cls.purge()
        job = cls(
            id=secrets.token_hex(16),
            summit=summit.slug,
            status=status,
            category=category,
            by=by.pk if by is not None and by.is_authenticated else None,
        )
        job.save()
        return job

    @classmethod
    def load(cls, job_id: str) -> "BadgeJob | None":
        if not _JOB_ID.match(job_id or ""):
            return None
        try:
            data = json.loads((_badge_dir() / f"{job_id}.json").read_text())
        except (OSError, ValueError):
            return None
        return cls(**data)

    @classmethod
    def recent(cls, limit: int = 10) -> list["BadgeJob"]:
        jobs = [cls.load(path.stem) for path in _badge_dir().glob("*.json")]
        jobs = [job for job in jobs if job is not None]
        return sorted(jobs, key=lambda job: job.created_at, reverse=True)[:limit]

    @classmethod
    def purge(cls) -> None:
        limit = timezone.now() - dt.timedelta(days=BADGE_JOB_DAYS)
        for job in cls.recent(limit=10_000):
            if job.started < limit:
                job.pdf_path.unlink(missing_ok=True)
                job.state_path.unlink(missing_ok=True)

    @property
    def state_path(self) -> Path:
        return _badge_dir() / f"{self.id}.json"

    @property
    def pdf_path(self) -> Path:
        return _badge_dir() / f"{self.id}.pdf"

    @property
    def started(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.created_at)

    @property
    def status_label(self) -> str:
        return str(Status(self.status).label)

    @property
    def percent(self) -> int:
        if self.state == "done":
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.state in {"done", "failed"}

    def save(self) -> None:
        # Written whole and renamed, so that a reader never sees half a file.
        _badge_dir().mkdir(parents=True, exist_ok=True)
        temporary = self.state_path.with_suffix(".tmp")
        temporary.write_text(json.dumps(asdict(self)))
        os.replace(temporary, self.state_path)

    def update(self, **changes) -> None:
        for name, value in changes.items():
            setattr(self, name, value)
        self.save()

    def progress(self, done: int, total: int) -> None:
        """Record progress, about once per percent (saving for every badge of 2,000 would
        write more state than badges)."""
        step = max(1, total // 100)
        if done == total or done % step == 0:
            self.update(done=done, total=total, state="running")

    def registrations(self) -> QuerySet[Registration]:
        summit = Summit.objects.get(slug=self.summit)
        return badge_registrations(summit, status=self.status, category=self.category)


def write_badges(
    registrations: Iterable[Registration],
    path: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Render the badges of ``registrations`` into the PDF at ``path``, calling
    ``progress(done, total)`` as it goes; the file appears only once complete. Returns the
    number of badges."""
    registrations = list(registrations)
    total = len(registrations)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".part")
    try:
        with temporary.open("wb") as stream:
            printed = render_badges(
                registrations,
                stream,
                progress=None if progress is None else lambda done: progress(done, total),
            )
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return printed
