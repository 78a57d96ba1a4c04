"""The certificate of service: one A4 page in every interface language (Chinese above English),
for a volunteer with hours.

The hours printed are the service hours that sign-in and sign-out recorded; hours the volunteer
office added or took away are printed on their own line, never merged into them (as the
volunteer platforms of Zhejiang keep "service" and "credit" hours apart). Fonts are those of the
badges (``registration.badges_pdf``): CJK text in the CID fonts every PDF reader ships.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import formats, translation
from django.utils.translation import gettext as _
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from huiwu.core.i18n import localized
from huiwu.registration.badges_pdf import INK, MUTED, fit_text, font_for
from huiwu.volunteers.models import Application, Post

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 22 * mm
BRAND = HexColor("#14539a")
RULE = HexColor("#cfd6e1")


@dataclass(frozen=True)
class Certificate:
    """What the certificate states; the view gathers it, this module only draws it."""

    application: Application
    service_hours: float
    corrected_hours: float
    posts: list[Post]
    first_day: dt.date | None
    last_day: dt.date | None
    issued: dt.date


def _line(canvas: Canvas, text: str, *, top: float, sizes, colour=INK, bold=False, lines=2):
    """``text`` centred below ``top`` in the largest size that fits; returns its bottom."""
    font = font_for(text, bold=bold) if text else None
    if font is None:
        return top
    size, wrapped = fit_text(text, font, sizes, PAGE_WIDTH - 2 * MARGIN, lines)
    canvas.setFillColor(colour)
    canvas.setFont(font, size)
    for line in wrapped:
        top -= size * 1.35
        canvas.drawCentredString(PAGE_WIDTH / 2, top + size * 0.3, line)
    return top


def _hours(value: float) -> str:
    return formats.number_format(round(value, 1), decimal_pos=1)


def _statement(certificate: Certificate, language: str) -> list[tuple[str, tuple, bool]]:
    """The certificate's sentences in ``language``: (text, (largest, smallest size), bold)."""
    application = certificate.application
    summit = application.summit
    with translation.override(language):
        texts = [
            (_("Certificate of volunteer service"), (22, 14), True),
            (
                # The name is printed large above, once: a Chinese name inside an English
                # sentence would make the sentence break between letters.
                _(
                    "This certifies that the volunteer named above, a student of "
                    "%(university)s, served at the %(summit)s"
                )
                % {
                    "university": localized(application.university.name, language),
                    "summit": localized(summit.name, language),
                },
                (12, 9),
                False,
            ),
        ]
        if certificate.first_day and certificate.last_day:
            texts.append(
                (
                    _("from %(first)s to %(last)s,")
                    % {
                        "first": formats.date_format(certificate.first_day, "DATE_FORMAT"),
                        "last": formats.date_format(certificate.last_day, "DATE_FORMAT"),
                    },
                    (12, 9),
                    False,
                )
            )
        texts.append(
            (
                _("for %(hours)s hours of service, as recorded at sign-in and sign-out.")
                % {"hours": _hours(certificate.service_hours)},
                (12, 9),
                False,
            )
        )
        if certificate.corrected_hours:
            texts.append(
                (
                    _("The volunteer office credited %(hours)s hours besides.")
                    % {"hours": _hours(certificate.corrected_hours)},
                    (10, 8),
                    False,
                )
            )
        posts = "、" if language.startswith("zh") else ", "
        names = posts.join(
            dict.fromkeys(localized(post.name, language) for post in certificate.posts)
        )
        if names:
            texts.append((_("Posts: %(posts)s") % {"posts": names}, (10, 8), False))
    return texts


def render_certificate(certificate: Certificate, stream) -> None:
    """Write the certificate as a one-page PDF to the binary ``stream``."""
    application = certificate.application
    summit = application.summit
    canvas = Canvas(stream, pagesize=A4, pageCompression=1)
    canvas.setTitle(_("Certificate of volunteer service"))
    canvas.setCreator("Huiwu")

    # A frame and a band with the summit's name in every language.
    canvas.setStrokeColor(BRAND)
    canvas.setLineWidth(2)
    canvas.rect(12 * mm, 12 * mm, PAGE_WIDTH - 24 * mm, PAGE_HEIGHT - 24 * mm, stroke=1, fill=0)
    top = PAGE_HEIGHT - 30 * mm
    languages = [code for code, _name in settings.LANGUAGES]
    for language in languages:
        top = _line(
            canvas,
            localized(summit.name, language),
            top=top,
            sizes=(15, 10),
            colour=BRAND,
            bold=True,
            lines=1,
        )
    top -= 6 * mm

    # The volunteer's name, large, once: it is the same in every language.
    top = _line(canvas, application.name, top=top - 8 * mm, sizes=(30, 18), bold=True, lines=1)
    top -= 8 * mm

    for index, language in enumerate(languages):
        if index:
            canvas.setStrokeColor(RULE)
            canvas.setLineWidth(0.8)
            canvas.line(MARGIN * 2, top - 3 * mm, PAGE_WIDTH - MARGIN * 2, top - 3 * mm)
            top -= 9 * mm
        for text, sizes, bold in _statement(certificate, language):
            top = _line(canvas, text, top=top, sizes=sizes, bold=bold, lines=3)
            top -= 2 * mm

    # Issued on, and the number of the application it certifies (to check with the office).
    issued = formats.date_format(certificate.issued, "Y-m-d")
    footer = f"{issued} · No. {str(application.public_id)[:8].upper()}"
    _line(canvas, footer, top=32 * mm, sizes=(9, 8), colour=MUTED, lines=1)
    canvas.showPage()
    canvas.save()
