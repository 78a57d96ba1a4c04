"""The languages a volunteer may declare: ISO 639-1 codes, with levels 1 to 5.

Django's ``LANGUAGES`` lists the interface languages only; volunteers speak many more (Swahili,
Kazakh, Lao …), so the app keeps the whole ISO 639-1 list. Names come from Django's own table
where it has one, so they are translated; the code stands in for the rest.
"""

from django.conf.locale import LANG_INFO
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

_CODES = (
    "aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv "
    "cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho "
    "hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku "
    "kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn "
    "no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm "
    "sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi "
    "vo wa wo xh yi yo za zh zu "
)
ISO_639_1 = frozenset(_CODES.split())

MIN_LEVEL, MAX_LEVEL = 1, 5

#: What each level means, so applicants and the office read the same scale (CET-6 is 4).
LEVELS = {
    1: gettext_lazy("1 — basic"),
    2: gettext_lazy("2 — conversational"),
    3: gettext_lazy("3 — working (CET-4)"),
    4: gettext_lazy("4 — fluent (CET-6)"),
    5: gettext_lazy("5 — native or interpreter"),
}


# Widely spoken languages Django's table lacks (it lists interface translations, not "zh").
_MORE_NAMES = {
    "zh": gettext_lazy("Chinese"),
    "am": gettext_lazy("Amharic"),
    "as": gettext_lazy("Assamese"),
    "bo": gettext_lazy("Tibetan"),
    "gu": gettext_lazy("Gujarati"),
    "ha": gettext_lazy("Hausa"),
    "jv": gettext_lazy("Javanese"),
    "ku": gettext_lazy("Kurdish"),
    "lo": gettext_lazy("Lao"),
    "mg": gettext_lazy("Malagasy"),
    "ny": gettext_lazy("Chichewa"),
    "om": gettext_lazy("Oromo"),
    "or": gettext_lazy("Odia"),
    "ps": gettext_lazy("Pashto"),
    "rw": gettext_lazy("Kinyarwanda"),
    "sd": gettext_lazy("Sindhi"),
    "si": gettext_lazy("Sinhala"),
    "sn": gettext_lazy("Shona"),
    "so": gettext_lazy("Somali"),
    "ti": gettext_lazy("Tigrinya"),
    "xh": gettext_lazy("Xhosa"),
    "yo": gettext_lazy("Yoruba"),
    "zu": gettext_lazy("Zulu"),
}


def language_name(code: str) -> str:
    if code in _MORE_NAMES:
        return str(_MORE_NAMES[code])
    info = LANG_INFO.get(code)
    if info is None:
        return code
    return _(info["name"])


def language_choices() -> list[tuple[str, str]]:
    """(code, name) for every ISO 639-1 language, the interface's languages first."""
    first = ["zh", "en"]
    rest = sorted(ISO_639_1 - set(first), key=language_name)
    return [(code, language_name(code)) for code in first + rest]


def normalise_code(code: object) -> str:
    """``"EN"`` → ``"en"``, ``"zh-hans"`` → ``"zh"``: the ISO 639-1 part of a language tag."""
    return str(code).strip().lower().replace("_", "-").split("-")[0]
