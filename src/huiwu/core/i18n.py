"""Helpers for per-language content (django-i18nfield) and the interface languages."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from i18nfield.strings import LazyI18nString


def language_names() -> dict[str, str]:
    return dict(settings.LANGUAGES)


def validate_required_languages(value) -> None:
    """A text that people read must exist in every required language (Chinese and English)."""
    data = value.data if isinstance(value, LazyI18nString) else value
    if isinstance(data, str) or data is None:
        data = {}
    missing = [
        language_names().get(code, code)
        for code in settings.REQUIRED_LANGUAGES
        if not str(data.get(code) or "").strip()
    ]
    if missing:
        raise ValidationError(
            _("Please fill in this text in every required language (missing: %(languages)s).")
            % {"languages": ", ".join(missing)},
            code="missing_language",
        )


def i18n(**texts: str) -> LazyI18nString:
    """``i18n(zh_hans="乌镇", en="Wuzhen")``: a per-language text from keyword arguments."""
    return LazyI18nString({code.replace("_", "-"): text for code, text in texts.items()})


def localized(value, language: str | None = None) -> str:
    """The text in the given (default: current) language, falling back to another one."""
    if value is None:
        return ""
    if not isinstance(value, LazyI18nString):
        value = LazyI18nString(value)
    return value.localize(language or get_language() or settings.LANGUAGE_CODE)


def as_dict(value) -> dict[str, str]:
    """All languages of a per-language text, for the API."""
    if isinstance(value, LazyI18nString):
        value = value.data
    if isinstance(value, dict):
        return {code: text for code, text in value.items() if text}
    return {settings.LANGUAGE_CODE: value} if value else {}
