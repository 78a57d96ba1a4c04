"""What an uploaded attachment really is, told from its first bytes, never from its name.

Office files (.docx, .pptx, .xlsx) are ZIP archives; the part inside names which one it is.
"""

import zipfile

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from huiwu.awards.models import FileType, SubmissionField

_OFFICE_PARTS = {FileType.DOCX: "word/", FileType.PPTX: "ppt/", FileType.XLSX: "xl/"}


def sniff(upload) -> str | None:
    """The ``FileType`` of the file's content, or None when it is none we know. The file's
    position is restored afterwards."""
    position = upload.tell()
    try:
        upload.seek(0)
        head = upload.read(16)
        if head.startswith(b"%PDF-"):
            return FileType.PDF
        if head.startswith(b"\x89PNG\r\n\x1a\n"):
            return FileType.PNG
        if head.startswith(b"\xff\xd8\xff"):
            return FileType.JPEG
        if head[4:8] == b"ftyp":
            return FileType.MP4
        if head.startswith(b"PK\x03\x04"):
            upload.seek(0)
            try:
                with zipfile.ZipFile(upload) as archive:
                    names = archive.namelist()
            except (zipfile.BadZipFile, OSError, ValueError):
                return None
            for kind, prefix in _OFFICE_PARTS.items():
                if any(name.startswith(prefix) for name in names):
                    return kind
        return None
    finally:
        upload.seek(position)


def check_attachment(field: SubmissionField, upload) -> str:
    """Refuse a file that is larger than ``field`` allows or is not one of its types; return
    the file's type."""
    label = str(field)
    if upload.size > field.max_size_mb * 1024 * 1024:
        raise ValidationError(
            _("“%(field)s”: the file is %(size).1f MB; send one of at most %(limit)d MB.")
            % {"field": label, "size": upload.size / 1024 / 1024, "limit": field.max_size_mb}
        )
    kind = sniff(upload)
    if kind not in field.accepted_types:
        names = dict(FileType.choices)
        raise ValidationError(
            _("“%(field)s” accepts only %(types)s; this file is not one of them.")
            % {"field": label, "types": ", ".join(names[t] for t in field.accepted_types)}
        )
    return kind
