"""A winner's certificate: one A4 landscape page in Chinese and English, drawn with reportlab.

Fonts are those of the badges (``registration.badges_pdf.font_for``): Chinese in the CID font
every PDF reader ships, so no font file is embedded.
"""

import io

from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from huiwu.awards.models import Decision
from huiwu.core.i18n import localized
from huiwu.registration.badges_pdf import font_for

WIDTH, HEIGHT = landscape(A4)
GOLD = HexColor("#b08d3c")
INK = HexColor("#101828")
MUTED = HexColor("#5d6b82")


def _line(canvas: Canvas, text: str, y: float, size: float, *, bold=False, colour=INK) -> None:
    if not text:
        return
    font = font_for(text, bold=bold) or font_for("?")
    # Shrink a long line to fit between the borders.
    while size > 8 and canvas.stringWidth(text, font, size) > WIDTH - 60 * mm:
        size -= 1
    canvas.setFont(font, size)
    canvas.setFillColor(colour)
    canvas.drawCentredString(WIDTH / 2, y, text)


def render_certificate(decision: Decision) -> bytes:
    """The certificate of a prize decision, as PDF bytes."""
    submission = decision.submission
    programme = submission.programme
    summit = programme.summit
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(WIDTH, HEIGHT))
    canvas.setTitle(f"{localized(programme.name, 'en')} — {submission.title}")
    canvas.setStrokeColor(GOLD)
    canvas.setLineWidth(3)
    canvas.rect(12 * mm, 12 * mm, WIDTH - 24 * mm, HEIGHT - 24 * mm)
    canvas.setLineWidth(0.8)
    canvas.rect(16 * mm, 16 * mm, WIDTH - 32 * mm, HEIGHT - 32 * mm)
    top = HEIGHT - 38 * mm
    _line(canvas, localized(summit.name, "zh-hans"), top, 16, colour=MUTED)
    _line(canvas, localized(summit.name, "en"), top - 8 * mm, 12, colour=MUTED)
    _line(canvas, "荣誉证书", top - 26 * mm, 34, bold=True, colour=GOLD)
    _line(canvas, "Certificate of Award", top - 38 * mm, 20, bold=True, colour=GOLD)
    holder = submission.nominee or submission.organisation_name
    _line(canvas, holder, top - 56 * mm, 22, bold=True)
    _line(canvas, submission.title, top - 67 * mm, 15)
    tier_zh = f"{localized(programme.name, 'zh-hans')} · {localized(decision.tier.name, 'zh-hans')}"
    tier_en = f"{localized(programme.name, 'en')} · {localized(decision.tier.name, 'en')}"
    _line(canvas, "荣获", top - 82 * mm, 13, colour=MUTED)
    _line(canvas, tier_zh, top - 92 * mm, 18, bold=True)
    _line(canvas, "is awarded", top - 102 * mm, 11, colour=MUTED)
    _line(canvas, tier_en, top - 111 * mm, 16, bold=True)
    when = programme.published_at or decision.decided_at
    _line(
        canvas,
        f"{localized(summit.city, 'zh-hans')} · {when:%Y年%m月%d日}",
        26 * mm,
        11,
        colour=MUTED,
    )
    _line(canvas, f"{localized(summit.city, 'en')} · {when:%d %B %Y}", 20 * mm, 10, colour=MUTED)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
