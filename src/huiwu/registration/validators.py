"""Checks of what guests type and upload; each raises a ValidationError that says what to do."""

import re
import warnings

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_PHOTO_PIXELS = 40_000_000
MIN_PHOTO_SIDE = 200

# The shapes of identity-document numbers, by document type.
ID_PATTERNS = {
    # 18 characters: 17 digits and a check character (digit or X).
    "cn_id": re.compile(r"^\d{17}[\dX]$"),
    # Home-return permit: H or M and 8 digits (older cards 10 digits).
    "hk_mo_permit": re.compile(r"^[HM]\d{8}(\d{2})?$"),
    # Taiwan residents' permit: 8 digits.
    "tw_permit": re.compile(r"^\d{8}$"),
    # Passports differ by country: 5 to 20 letters and digits (ICAO 9303 allows up to 9 in
    # the machine-readable zone, some countries print longer numbers).
    "passport": re.compile(r"^[A-Z0-9]{5,20}$"),
}
ID_EXAMPLES = {
    "cn_id": "11010519491231002X",
    "hk_mo_permit": "H12345678",
    "tw_permit": "12345678",
    "passport": "E12345678",
}
_CN_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_CN_ID_CHECK = "10X98765432"


def normalise_id_number(number: str) -> str:
    return re.sub(r"[\s-]", "", number or "").upper()


def validate_id_number(id_type: str, number: str) -> None:
    """The number has the shape of its document type (and, for Chinese ID cards, the right
    check character)."""
    pattern = ID_PATTERNS.get(id_type)
    if pattern is None:
        raise ValidationError(_("Choose the type of your identity document."), code="id_type")
    if not pattern.match(number):
        raise ValidationError(
            _("This does not look like a number of that document; it should look like %(example)s.")
            % {"example": ID_EXAMPLES[id_type]},
            code="id_number",
        )
    if id_type == "cn_id":
        total = sum(
            int(digit) * weight for digit, weight in zip(number[:17], _CN_ID_WEIGHTS, strict=True)
        )
        if _CN_ID_CHECK[total % 11] != number[17]:
            raise ValidationError(
                _(
                    "The last character of this identity card number does not match; "
                    "please check it."
                ),
                code="id_number",
            )


def validate_portrait(upload) -> None:
    """An image file Pillow can decode whole, not too large in bytes or pixels, big enough to
    show a face. The file's position is restored afterwards."""
    if upload.size > MAX_PHOTO_BYTES:
        raise ValidationError(
            _("The photo is %(size).1f MB; please send one of at most %(limit)d MB.")
            % {"size": upload.size / 1024 / 1024, "limit": MAX_PHOTO_BYTES // 1024 // 1024},
            code="photo_size",
        )
    position = upload.tell()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                width, height = image.size
                if width * height > MAX_PHOTO_PIXELS:
                    raise ValidationError(
                        _(
                            "The photo has too many pixels (%(width)d x %(height)d); "
                            "please send a smaller one."
                        )
                        % {"width": width, "height": height},
                        code="photo_pixels",
                    )
                if image.format not in {"JPEG", "PNG", "WEBP"}:
                    raise ValidationError(
                        _("Please send the photo as a JPEG, PNG or WebP image."),
                        code="photo_format",
                    )
                image.load()  # decodes every pixel: a truncated file fails here
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(
            _("The photo has too many pixels; please send a smaller one."), code="photo_pixels"
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(
            _(
                "This file is not a readable image (or it is cut short); "
                "please send a JPEG or PNG photo."
            ),
            code="photo_unreadable",
        ) from None
    finally:
        upload.seek(position)
    if min(width, height) < MIN_PHOTO_SIDE:
        raise ValidationError(
            _(
                "The photo is only %(width)d x %(height)d pixels; "
                "please send one of at least %(min)d pixels on each side."
            )
            % {"width": width, "height": height, "min": MIN_PHOTO_SIDE},
            code="photo_small",
        )
