"""Filters and tags of the public pages: per-language texts, names, dates, navigation."""

import datetime as dt
from dataclasses import dataclass

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils.dateformat import format as format_date
from django.utils.html import format_html
from django.utils.translation import get_language, get_language_info, pgettext
from django.utils.translation import gettext_lazy as _
from django_countries.fields import Country

from huiwu.core.i18n import localized
from huiwu.core.models import Organisation
from huiwu.summit.models import Forum, OrganiserRole

register = template.Library()

# Date formats per language (Django format characters): the day with its weekday on agenda
# tabs, the short day in lists. Chinese reads "11月20日 星期三", English "Wed 20 Nov".
DAY_FORMATS = {"zh-hans": "n月j日 l", "en": "D j M"}
SHORT_DAY_FORMATS = {"zh-hans": "n月j日", "en": "j M"}
EN_DASH = "\N{EN DASH}"


def _format_for(formats: dict[str, str]) -> str:
    language = get_language() or settings.LANGUAGE_CODE
    return formats.get(language, formats["en"])


@register.filter
def loc(value) -> str:
    """A per-language text in the active language."""
    return localized(value)


@register.filter
def listing(items) -> str:
    """Items one after another as the language lists them: "first aid, protocol" in English,
    "急救、礼宾礼仪" in Chinese."""
    return pgettext("list separator", ", ").join(str(item) for item in items)


@register.filter
def person_name(person) -> str:
    """The speaker's name as a reader of the active language reads it."""
    return person.display_name(get_language() or settings.LANGUAGE_CODE)


@register.filter
def other_name(person) -> str:
    """The speaker's name in the other writing, or "" when both writings are the same."""
    shown = person_name(person)
    for name in (person.name, person.name_latin):
        if name and name != shown:
            return name
    return ""


@register.filter
def flag(country) -> str:
    """The flag of a country (a ``Country`` or a code) as a small image from django-countries.

    An image rather than an emoji: Windows and many Linux desktops draw flag emoji as two
    letters or empty boxes.
    """
    if not country:
        return ""
    if not isinstance(country, Country):
        country = Country(str(country))
    if not country.flag:
        return ""
    return format_html('<img class="flag" src="{}" alt="" width="16" height="11">', country.flag)


@register.filter
def country_name(code) -> str:
    """The name of a country code in the active language."""
    return Country(str(code)).name if code else ""


@register.filter
def language_name(code: str) -> str:
    """The name of a language code in the active language ("fr" → "French" / "法语")."""
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code


@register.filter(expects_localtime=True)
def day_label(value) -> str:
    """A day with its weekday: "11月20日 星期三" in Chinese, "Wed 20 Nov" in English."""
    return format_date(value, _format_for(DAY_FORMATS)) if value else ""


@register.filter(expects_localtime=True)
def short_day(value) -> str:
    """A day without its year: "11月20日" in Chinese, "20 Nov" in English."""
    return format_date(value, _format_for(SHORT_DAY_FORMATS)) if value else ""


@register.simple_tag
def date_span(start: dt.date, end: dt.date) -> str:
    """The days of an event: "2024年11月20日至22日" in Chinese, "20-22 November 2024" (with an
    en dash) in English; months and years are repeated only where they change."""
    chinese = (get_language() or "").startswith("zh")
    if chinese:
        first = format_date(start, "Y年n月j日")
        if start == end:
            return first
        if start.year != end.year:
            return f"{first}至{format_date(end, 'Y年n月j日')}"
        if start.month != end.month:
            return f"{first}至{format_date(end, 'n月j日')}"
        return f"{first}至{format_date(end, 'j日')}"
    if start == end:
        return format_date(start, "j F Y")
    if start.year != end.year:
        return f"{format_date(start, 'j F Y')} {EN_DASH} {format_date(end, 'j F Y')}"
    if start.month != end.month:
        return f"{format_date(start, 'j F')} {EN_DASH} {format_date(end, 'j F Y')}"
    return f"{format_date(start, 'j')}{EN_DASH}{format_date(end, 'j F Y')}"


@dataclass(frozen=True)
class LanguageLink:
    code: str
    name: str
    url: str
    is_current: bool


def _swap_prefix(path: str, current: str, code: str) -> str:
    prefix = f"/{current}/"
    if path.startswith(prefix):
        return f"/{code}/{path[len(prefix) :]}"
    return path


@register.simple_tag(takes_context=True)
def language_links(context) -> list[LanguageLink]:
    """This page in every interface language. A page Django cannot resolve (a 404) keeps its
    path and only changes its language prefix."""
    request = context.get("request")
    path = request.get_full_path() if request else "/"
    current = get_language() or settings.LANGUAGE_CODE
    links = []
    for code, name in settings.LANGUAGES:
        url = translate_url(path, code)
        if url == path and code != current:
            url = _swap_prefix(path, current, code)
        links.append(LanguageLink(code=code, name=name, url=url, is_current=code == current))
    return links


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str
    is_active: bool


NAVIGATION = [
    ("home", _("Home"), {"home"}),
    ("forums", _("Forums"), {"forums", "forum"}),
    ("agenda", _("Agenda"), {"agenda"}),
    ("speakers", _("Speakers"), {"speakers", "speaker"}),
    ("venues", _("Venues"), {"venues", "venue"}),
    ("editions", _("Editions"), {"editions"}),
]


@register.simple_tag(takes_context=True)
def navigation(context) -> list[NavItem]:
    """The site's sections, the one of the current page marked active."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    current = match.url_name if match and match.namespace == "summit" else None
    return [
        NavItem(url_name=f"summit:{name}", label=str(label), is_active=current in names)
        for name, label, names in NAVIGATION
    ]


@register.filter
def organisers(forum: Forum, role: str) -> list[Organisation]:
    """The forum's institutions in ``role`` ("host" or "co_host"), in their order."""
    return forum.hosts() if role == OrganiserRole.HOST else forum.co_hosts()


@register.filter
def affiliation(person) -> str:
    """Position and organisation as a reader of the active language writes them:
    "Professor, Tsinghua University" in English, "清华大学 教授" in Chinese."""
    position = localized(person.position) if person.position else ""
    organisation = localized(person.organisation.name) if person.organisation else ""
    if (get_language() or "").startswith("zh"):
        return " ".join(part for part in (organisation, position) if part)
    return ", ".join(part for part in (position, organisation) if part)
