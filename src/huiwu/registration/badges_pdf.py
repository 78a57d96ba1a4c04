"""Printable badges: one A6 page per approved guest, for one guest or a whole print run.

Each badge carries the summit's name, the guest's portrait, the name in the guest's own script
and in Latin letters, the organisation, the category's name on a band of its colour, and the QR
code of ``badges.badge_token`` drawn as vector squares (sharp at any printer's resolution).

PDF's standard fonts only cover Western European letters. Chinese, Japanese and Korean text is
set in the CID fonts every PDF reader ships (Adobe's Asian font packs), so no font file is
embedded; a name in any other script (Cyrillic, Arabic, Thai …) is left to its Latin spelling.
"""

import io
import re
from collections.abc import Callable, Iterable

import segno
from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageOps
from reportlab.lib.colors import Color, HexColor, white
from reportlab.lib.pagesizes import A6
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from huiwu.core.i18n import localized
from huiwu.registration.badges import badge_token
from huiwu.registration.models import Registration

PAGE_WIDTH, PAGE_HEIGHT = A6
MARGIN = 7 * mm
HEADER_HEIGHT = 15 * mm
FOOTER_HEIGHT = 19 * mm
PHOTO_WIDTH, PHOTO_HEIGHT = 30 * mm, 38 * mm
QR_SIZE = 38 * mm
# Portraits are scaled down to 300 dpi at their printed size before they are embedded.
PHOTO_PIXELS = (round(PHOTO_WIDTH / 72 * 300), round(PHOTO_HEIGHT / 72 * 300))

LATIN = "Helvetica"
LATIN_BOLD = "Helvetica-Bold"
CHINESE = "STSong-Light"
JAPANESE = "HeiseiMin-W3"
KOREAN = "HYSMyeongJo-Medium"
INK = HexColor("#101828")
MUTED = HexColor("#5d6b82")
PLACEHOLDER = HexColor("#e8f0fa")

_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
_registered: set[str] = set()


def _cid_font(name: str) -> str:
    if name not in _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(name))
        _registered.add(name)
    return name


def font_for(text: str, *, bold: bool = False) -> str | None:
    """The font that can set ``text``, or None when no font we have covers its script."""
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        pass
    else:
        return LATIN_BOLD if bold else LATIN
    if _HANGUL.search(text):
        return _cid_font(KOREAN)
    if _KANA.search(text):
        return _cid_font(JAPANESE)
    if _HAN.search(text):
        # Latin letters and digits mixed into a Chinese name are in the CID font too.
        return _cid_font(CHINESE)
    return None


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy line breaking: between words, and between any two characters of CJK text,
    which has no spaces."""
    cjk = font not in {LATIN, LATIN_BOLD}
    tokens = list(text) if cjk else text.split()
    joiner = "" if cjk else " "
    lines: list[str] = []
    line = ""
    for token in tokens:
        candidate = f"{line}{joiner}{token}" if line else token
        if line and pdfmetrics.stringWidth(candidate, font, size) > width:
            lines.append(line)
            line = token.lstrip() if cjk else token
        else:
            line = candidate
    if line:
        lines.append(line)
    return lines


def fit_text(text: str, font: str, sizes: tuple[float, float], width: float, max_lines: int):
    """The largest size from ``sizes`` (largest, smallest) at which ``text`` fits in
    ``max_lines`` lines, and those lines; at the smallest size the last line is cut short."""
    largest, smallest = sizes
    size = largest
    while True:
        lines = _wrap(text, font, size, width)
        if len(lines) <= max_lines:
            return size, lines
        if size <= smallest:
            kept = lines[:max_lines]
            last = kept[-1]
            while last and pdfmetrics.stringWidth(f"{last}…", font, size) > width:
                last = last[:-1]
            kept[-1] = f"{last}…"
            return size, kept
        size -= 0.5


def _text_block(
    canvas: Canvas,
    text: str,
    *,
    top: float,
    sizes: tuple[float, float],
    colour: Color,
    bold: bool = False,
    max_lines: int = 2,
) -> float:
    """Draw ``text`` centred below ``top``; returns the bottom of the block (``top`` itself
    when the text is empty or in a script no font covers)."""
    font = font_for(text, bold=bold) if text else None
    if font is None:
        return top
    size, lines = fit_text(text, font, sizes, PAGE_WIDTH - 2 * MARGIN, max_lines)
    canvas.setFillColor(colour)
    canvas.setFont(font, size)
    y = top
    for line in lines:
        y -= size * 1.2
        canvas.drawCentredString(PAGE_WIDTH / 2, y + size * 0.25, line)
    return y


def _text_colour_on(background: Color) -> Color:
    """White on a dark band, ink on a light one (relative luminance, WCAG's formula)."""

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.03928 else ((channel + 0.055) / 1.055) ** 2.4

    luminance = (
        0.2126 * linear(background.red)
        + 0.7152 * linear(background.green)
        + 0.0722 * linear(background.blue)
    )
    return white if luminance < 0.45 else INK


def _portrait(registration: Registration) -> ImageReader | None:
    """The guest's photo cropped to the badge's 3:4 frame, as a JPEG reportlab embeds as is;
    None without a photo or when the file cannot be read any more."""
    if not registration.photo:
        return None
    try:
        with registration.photo.open("rb") as stored, Image.open(stored) as image:
            # A JPEG decodes at a reduced scale (still at least twice the printed pixels):
            # several times faster for a print run of thousands.
            image.draft("RGB", (PHOTO_PIXELS[0] * 2, PHOTO_PIXELS[1] * 2))
            image = ImageOps.exif_transpose(image).convert("RGB")
            framed = ImageOps.fit(image, PHOTO_PIXELS, Image.Resampling.BICUBIC)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    buffer = io.BytesIO()
    framed.save(buffer, format="JPEG", quality=85)
    buffer.seek(0)
    return ImageReader(buffer)


def _draw_qr(canvas: Canvas, token: str, *, left: float, bottom: float, size: float) -> None:
    """The token as a QR code of vector squares, one rectangle per run of dark modules."""
    code = segno.make(token, error="m", micro=False)
    border = 2
    rows = list(code.matrix_iter(scale=1, border=border))
    module = size / len(rows)
    canvas.setFillColor(white)
    canvas.rect(left, bottom, size, size, stroke=0, fill=1)
    canvas.setFillColor(INK)
    path = canvas.beginPath()
    for row_index, row in enumerate(rows):
        y = bottom + size - (row_index + 1) * module
        column = 0
        while column < len(row):
            if not row[column]:
                column += 1
                continue
            start = column
            while column < len(row) and row[column]:
                column += 1
            path.rect(left + start * module, y, (column - start) * module, module)
    canvas.drawPath(path, stroke=0, fill=1)


def _draw_badge(canvas: Canvas, registration: Registration) -> None:
    summit = registration.summit
    category = registration.category
    band = HexColor(category.badge_colour)
    on_band = _text_colour_on(band)
    middle = PAGE_WIDTH / 2

    # Header: the summit's name in both languages.
    canvas.setFillColor(band)
    canvas.rect(0, PAGE_HEIGHT - HEADER_HEIGHT, PAGE_WIDTH, HEADER_HEIGHT, stroke=0, fill=1)
    header_top = PAGE_HEIGHT - 3.5 * mm
    for language in ("zh-hans", "en"):
        header_top = _text_block(
            canvas,
            localized(summit.name, language),
            top=header_top,
            sizes=(8.5, 6),
            colour=on_band,
            bold=True,
            max_lines=1,
        )

    # Portrait, or the initial of the name in its frame.
    photo_top = PAGE_HEIGHT - HEADER_HEIGHT - 5 * mm
    photo_left = middle - PHOTO_WIDTH / 2
    portrait = _portrait(registration)
    if portrait is not None:
        canvas.drawImage(portrait, photo_left, photo_top - PHOTO_HEIGHT, PHOTO_WIDTH, PHOTO_HEIGHT)
    else:
        canvas.setFillColor(PLACEHOLDER)
        canvas.roundRect(
            photo_left, photo_top - PHOTO_HEIGHT, PHOTO_WIDTH, PHOTO_HEIGHT, 2 * mm, 0, 1
        )
        initial = (registration.name_latin or "?")[:1].upper()
        if font_for(initial):
            canvas.setFillColor(band if on_band == white else INK)
            canvas.setFont(LATIN_BOLD, 40)
            canvas.drawCentredString(middle, photo_top - PHOTO_HEIGHT / 2 - 14, initial)

    # Names: the own script first when a font covers it, then the Latin spelling.
    top = photo_top - PHOTO_HEIGHT - 2.5 * mm
    own = registration.name.strip()
    latin = registration.name_latin.strip()
    if own and own != latin and font_for(own):
        top = _text_block(canvas, own, top=top, sizes=(17, 11), colour=INK, bold=True)
        top = _text_block(canvas, latin, top=top, sizes=(11, 8), colour=INK, max_lines=1)
    else:
        top = _text_block(canvas, latin or own, top=top, sizes=(17, 11), colour=INK, bold=True)
    _text_block(
        canvas, registration.organisation_name, top=top, sizes=(9, 7), colour=MUTED, max_lines=1
    )

    # QR code above the footer.
    _draw_qr(
        canvas,
        badge_token(registration),
        left=middle - QR_SIZE / 2,
        bottom=FOOTER_HEIGHT + 4 * mm,
        size=QR_SIZE,
    )

    # Footer: the category in both languages, on its colour.
    canvas.setFillColor(band)
    canvas.rect(0, 0, PAGE_WIDTH, FOOTER_HEIGHT, stroke=0, fill=1)
    footer_top = FOOTER_HEIGHT - 4.5 * mm
    names = [localized(category.name, language) for language, _name in settings.LANGUAGES]
    for index, name in enumerate(dict.fromkeys(names)):
        footer_top = _text_block(
            canvas,
            name,
            top=footer_top,
            sizes=(13, 8) if index == 0 else (10, 7),
            colour=on_band,
            bold=True,
            max_lines=1,
        )


def render_badges(
    registrations: Iterable[Registration],
    stream,
    *,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write one badge page per registration, in the order given, as a PDF to the binary
    ``stream``; ``progress(done)`` is called after each badge. Returns the number of badges.

    The caller chooses whom to print (approved guests whose badge is not revoked): this
    function draws whatever it is given."""
    canvas = Canvas(stream, pagesize=A6, pageCompression=1)
    canvas.setTitle(_("Badges"))
    canvas.setCreator("Huiwu")
    done = 0
    for registration in registrations:
        _draw_badge(canvas, registration)
        canvas.showPage()
        done += 1
        if progress is not None:
            progress(done)
    canvas.save()
    return done
