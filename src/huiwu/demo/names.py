# ruff: noqa: RUF001, RUF003  (this module's job is letters of other scripts that look Latin)
"""Names that look real in their own languages, for the demo's speakers (pure: no Django).

A country names its people by one or more *schemes* (see ``data/countries.json``). Each scheme
gives a pair ``(name, name_latin)``: the name as the person writes it, and the same name in Latin
letters as in a passport. Native scripts come either from Faker's locales, transliterated here
with the national passport conventions (Cyrillic, Greek, Georgian, Armenian, Hangul), or from our
own short lists of names with their usual Latin spelling (``data/names.json``), where no rule can
recover the vowels (Arabic, Persian) or Faker has no locale.

Every random choice comes from the ``random.Random`` passed in and from Faker instances seeded
from it, so the same seed always gives the same people.
"""

import random
import re
import unicodedata
import zlib

from faker import Faker


def _letters(script: str, latin: str) -> dict[str, str]:
    """A letter-for-letter table: the letters of ``script`` and their Latin spellings, separated
    by spaces (``_`` for a letter that is not written)."""
    return dict(zip(script, latin.split(), strict=True))


# Cyrillic → Latin, the usual passport spelling; per-language tables add or replace letters.
_CYRILLIC = _letters(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch _ y _ e yu ya",
)
_CYRILLIC_BY_LANGUAGE = {
    "ru": {},
    "uk": {"г": "h", "ґ": "g", "и": "y", "й": "i", "і": "i", "ї": "yi", "є": "ye", "'": "_"}
    | {"’": "_"},
    "bg": {"х": "h", "щ": "sht", "ъ": "a", "ь": "y"},
    "mk": {"х": "h", "ц": "c", "ѓ": "gj", "ќ": "kj", "ѕ": "dz", "ј": "j", "љ": "lj", "њ": "nj"}
    | {"џ": "dzh"},
    "sr": {"ђ": "đ", "ж": "ž", "ј": "j", "љ": "lj", "њ": "nj", "ћ": "ć", "х": "h", "ц": "c"}
    | {"ч": "č", "џ": "dž", "ш": "š"},
    "kk": {"ә": "a", "ғ": "g", "қ": "k", "ң": "ng", "ө": "o", "ұ": "u", "ү": "u", "һ": "h"}
    | {"і": "i"},
    "ky": {"ң": "ng", "ө": "o", "ү": "u"},
    "tg": {"ғ": "gh", "ӣ": "i", "қ": "q", "ӯ": "u", "ҳ": "h", "ҷ": "j"},
    "mn": {"ө": "u", "ү": "u", "е": "e"},
}

_GREEK_DIGRAPHS = [("ου", "ou"), ("αυ", "av"), ("ευ", "ev"), ("ηυ", "iv"), ("γγ", "ng")]
_GREEK_DIGRAPHS += [("γκ", "gk"), ("γξ", "nx"), ("γχ", "nch"), ("μπ", "mp"), ("ντ", "nt")]
_GREEK = _letters(
    "αβγδεζηθικλμνξοπρσςτυφχψω",
    "a v g d e z i th i k l m n x o p r s s t y f ch ps o",
)

# Georgian and Armenian as in their passports (national systems, no apostrophes).
_GEORGIAN = _letters(
    "აბგდევზთიკლმნოპჟრსტუფქღყშჩცძწჭხჯჰ",
    "a b g d e v z t i k l m n o p zh r s t u p k gh q sh ch ts dz ts ch kh j h",
)
_ARMENIAN = _letters(
    "աբգդեզէըթժիլխծկհձղճմյնշոչպջռսվտրցւփքօֆ",
    "a b g d e z e y t zh i l kh ts k h dz gh ch m y n sh o ch p j r s v t r ts v p k o f",
)

# Hangul: initial, medial and final jamo in the Revised Romanization of Korean.
_KO_INITIAL = list(
    _letters(
        "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ", "g kk n d tt r m b pp s ss _ j jj ch k t p h"
    ).values()
)
_KO_MEDIAL = list(
    _letters(
        "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ",
        "a ae ya yae eo e yeo ye o wa wae oe yo u wo we wi yu eu ui i",
    ).values()
)
_KO_FINAL = [
    "_",
    *list(
        _letters(
            "ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ",
            "k k k n n n t l k m l l l p l m p p t t ng t t k t p t",
        ).values()
    ),
]

# Khmer and Southeast Asian Chinese names put the family name first, in Latin letters too.
_FAMILY_FIRST = {"km", "sea_chinese"}
_FEMALE_SHARE = 0.38


def _transliterate(text: str, table: dict[str, str]) -> str:
    """Letter by letter; a capital source letter gives a capitalised Latin letter group."""
    out = []
    for char in text:
        lower = char.lower()
        latin = table.get(lower)
        if latin is None:
            out.append(char)
            continue
        latin = "" if latin == "_" else latin
        out.append(latin.capitalize() if char != lower else latin)
    return "".join(out)


def cyrillic_to_latin(text: str, language: str = "ru") -> str:
    """Cyrillic in Latin letters as the passports of ``language`` spell it."""
    table = _CYRILLIC | _CYRILLIC_BY_LANGUAGE[language]
    return _transliterate(text, table)


def greek_to_latin(text: str) -> str:
    """Greek in Latin letters (ELOT 743, simplified as in passports)."""
    stripped = "".join(
        char
        for char in unicodedata.normalize("NFD", text.lower())
        if unicodedata.category(char) != "Mn"
    )
    # At the start of a word these digraphs are read b, d, g.
    stripped = re.sub(r"\b(μπ|ντ|γκ)", lambda m: {"μπ": "b", "ντ": "d", "γκ": "g"}[m[1]], stripped)
    for greek, latin in _GREEK_DIGRAPHS:
        stripped = stripped.replace(greek, latin)
    return _capitalise_words(_transliterate(stripped, _GREEK))


def georgian_to_latin(text: str) -> str:
    return _capitalise_words(_transliterate(text, _GEORGIAN))


def armenian_to_latin(text: str) -> str:
    words = []
    for word in text.lower().split():
        word = word.replace("ու", "u").replace("և", "ev")
        # ե and ո are read "ye" and "vo" at the start of a word.
        if word.startswith("ե"):
            word = "ye" + word[1:]
        elif word.startswith("ո"):
            word = "vo" + word[1:]
        words.append(_transliterate(word, _ARMENIAN))
    return _capitalise_words(" ".join(words))


def hangul_to_latin(text: str) -> str:
    """Syllable by syllable in the Revised Romanization (as in ``Min-jun``)."""
    syllables = []
    for char in text:
        code = ord(char) - 0xAC00
        if not 0 <= code < 11172:
            syllables.append(char)
            continue
        initial, medial, final = code // 588, (code % 588) // 28, code % 28
        parts = (_KO_INITIAL[initial], _KO_MEDIAL[medial], _KO_FINAL[final] if final else "_")
        syllables.append("".join(part for part in parts if part != "_"))
    return "-".join(syllables).capitalize()


def ascii_fold(text: str) -> str:
    """Latin letters without diacritics, as Vietnamese passports print names."""
    text = text.replace("Đ", "D").replace("đ", "d")
    return "".join(
        char for char in unicodedata.normalize("NFD", text) if unicodedata.category(char) != "Mn"
    )


def _capitalise_words(text: str) -> str:
    return " ".join(
        "-".join(part.capitalize() for part in word.split("-")) for word in text.split()
    )


class NameMaker:
    """Makes ``(name, name_latin)`` pairs for a country's naming schemes, deterministically."""

    def __init__(self, rng: random.Random, lists: dict) -> None:
        self.rng = rng
        self.lists = lists
        self._fakers: dict[str, Faker] = {}

    def person(self, schemes: list[tuple[str, int]]) -> tuple[str, str, bool]:
        """A person's name in a scheme drawn from ``schemes`` (``[(scheme, weight), …]``):
        ``(name, name_latin, female)``."""
        scheme = self.rng.choices([s for s, _w in schemes], weights=[w for _s, w in schemes])[0]
        female = self.rng.random() < _FEMALE_SHARE
        kind, _sep, argument = scheme.partition(":")
        maker = getattr(self, f"_{kind}")
        name, latin = maker(argument, female)
        return name, latin, female

    # -- schemes ---------------------------------------------------------------------------------

    def _zh(self, variant: str, female: bool) -> tuple[str, str]:
        """Han characters with pinyin (``zh``) or, for Hong Kong and Macao, traditional characters
        with Cantonese spelling (``yue``)."""
        data = self.lists["yue" if variant == "yue" else "zh"]
        family, family_latin = self.rng.choice(data["family"])
        pool = data["female" if female else "male"] + data["neutral"]
        count = 2 if self.rng.random() < 0.75 else 1
        chars = [self.rng.choice(pool) for _ in range(count)]
        given = "".join(char for char, _latin in chars)
        if variant == "yue":
            given_latin = "-".join(latin for _char, latin in chars).capitalize()
        else:
            given_latin = "".join(latin for _char, latin in chars).capitalize()
        return f"{family}{given}", f"{family_latin} {given_latin}"

    def _ja(self, _argument: str, female: bool) -> tuple[str, str]:
        faker = self.faker("ja_JP")
        family, _kana, family_latin = faker.last_name_pair()
        pair = faker.first_name_female_pair() if female else faker.first_name_male_pair()
        given, _kana, given_latin = pair
        return f"{family}{given}", f"{given_latin} {family_latin}"

    def _ko(self, _argument: str, female: bool) -> tuple[str, str]:
        family, family_latin = self.rng.choice(self.lists["ko_family"])
        faker = self.faker("ko_KR")
        given = faker.first_name_female() if female else faker.first_name_male()
        return f"{family}{given}", f"{family_latin} {hangul_to_latin(given)}"

    def _cyr(self, argument: str, female: bool) -> tuple[str, str]:
        """Faker's Cyrillic names, ``cyr:LANGUAGE:LOCALE``."""
        language, _sep, locale = argument.partition(":")
        faker = self.faker(locale)
        given = faker.first_name_female() if female else faker.first_name_male()
        family = faker.last_name_female() if female else faker.last_name_male()
        name = f"{given} {family}"
        return name, cyrillic_to_latin(name, language)

    def _cyrlist(self, language: str, female: bool) -> tuple[str, str]:
        """Our own Cyrillic lists (Central Asia, Mongolia, Serbia)."""
        data = self.lists["cyrillic"][language]
        given = self.rng.choice(data["female" if female else "male"])
        family = self.rng.choice(data["family"])
        if female and data.get("female_suffix"):
            family += data["female_suffix"]
        name = f"{given} {family}"
        return name, cyrillic_to_latin(name, language)

    def _el(self, _argument: str, female: bool) -> tuple[str, str]:
        faker = self.faker("el_GR")
        given = faker.first_name_female() if female else faker.first_name_male()
        family = faker.last_name_female() if female else faker.last_name_male()
        name = f"{given} {family}"
        return name, greek_to_latin(name)

    def _ka(self, _argument: str, female: bool) -> tuple[str, str]:
        faker = self.faker("ka_GE")
        given = faker.first_name_female() if female else faker.first_name_male()
        name = f"{given} {faker.last_name()}"
        return name, georgian_to_latin(name)

    def _hy(self, _argument: str, female: bool) -> tuple[str, str]:
        faker = self.faker("hy_AM")
        given = faker.first_name_female() if female else faker.first_name_male()
        name = f"{given} {faker.last_name()}"
        return name, armenian_to_latin(name)

    def _pairs(self, key: str, female: bool) -> tuple[str, str]:
        """Our own lists of ``[native, latin]`` names (Arabic, Persian, Hindi, Thai …)."""
        data = self.lists["pairs"][key]
        given, given_latin = self.rng.choice(data["female" if female else "male"])
        family, family_latin = self.rng.choice(data["family"])
        if key in _FAMILY_FIRST:
            return f"{family} {given}", f"{family_latin} {given_latin}"
        return f"{given} {family}", f"{given_latin} {family_latin}"

    def _burmese(self, _argument: str, female: bool) -> tuple[str, str]:
        """Burmese names have no family name: two or three syllables."""
        data = self.lists["pairs"]["my"]
        pool = data["female" if female else "male"]
        count = self.rng.choice([2, 2, 3])
        parts = [self.rng.choice(pool) for _ in range(count)]
        return "".join(n for n, _l in parts), " ".join(latin for _n, latin in parts)

    def _vi(self, _argument: str, female: bool) -> tuple[str, str]:
        data = self.lists["latin"]["vietnam"]
        family = self.rng.choice(data["family"])
        middle = self.rng.choice(data["middle_female" if female else "middle_male"])
        given = self.rng.choice(data["female" if female else "male"])
        name = f"{family} {middle} {given}"
        return name, ascii_fold(name)

    def _malay(self, _argument: str, female: bool) -> tuple[str, str]:
        data = self.lists["latin"]["malay"]
        given = self.rng.choice(data["female" if female else "male"])
        father = self.rng.choice(data["male"])
        name = f"{given} {'binti' if female else 'bin'} {father}"
        return name, name

    def _latin(self, key: str, female: bool) -> tuple[str, str]:
        data = self.lists["latin"][key]
        given = self.rng.choice(data["female" if female else "male"])
        family = self.rng.choice(data["family"])
        name = f"{family} {given}" if key in _FAMILY_FIRST else f"{given} {family}"
        return name, name

    def _faker(self, locale: str, female: bool) -> tuple[str, str]:
        """Faker's Latin-script names of ``locale`` (``faker:LOCALE``), the same in both fields."""
        faker = self.faker(locale)
        given = faker.first_name_female() if female else faker.first_name_male()
        family = faker.last_name_female() if female else faker.last_name_male()
        # Faker's Hungarian surnames include married forms ("Kovácsné"), which nobody
        # signs a speaker form with.
        while family.endswith("né"):
            family = faker.last_name()
        name = f"{family} {given}" if locale == "hu_HU" else f"{given} {family}"
        return name, name

    def faker(self, locale: str) -> Faker:
        """The Faker of ``locale``, seeded from this maker's random generator on first use."""
        if locale not in self._fakers:
            faker = Faker(locale)
            faker.seed_instance(zlib.crc32(locale.encode()) ^ self.rng.getrandbits(32))
            self._fakers[locale] = faker
        return self._fakers[locale]
