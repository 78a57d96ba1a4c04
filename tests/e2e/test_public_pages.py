"""The public pages in a real browser, in both languages, with screenshots."""

import re

import pytest

from huiwu.core.i18n import i18n
from huiwu.summit.models import Venue
from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.e2e


def test_home_opens_in_the_browsers_language_and_switches_on_the_same_page(
    wuzhen, open_page, screenshot
):
    page = open_page("/", locale="zh-CN")

    assert page.url.endswith("/zh-hans/")
    assert page.get_attribute("html", "lang") == "zh-hans"
    assert page.inner_text("h1") == "世界互联网大会乌镇峰会"
    screenshot(page, "home", "zh-hans")

    page.goto(page.url + "forums/ai/")
    page.click("#language-switcher button")
    page.wait_for_url(re.compile(r"/en/forums/ai/$"))
    assert page.get_attribute("html", "lang") == "en"
    assert page.inner_text("h1") == "Forum on AI"

    page.click("nav.site-nav >> text=Home")
    assert page.inner_text("h1") == "World Internet Conference Wuzhen Summit"
    screenshot(page, "home", "en")


@pytest.mark.parametrize(
    ("language", "locale", "title"),
    [("zh-hans", "zh-CN", "人工智能论坛"), ("en", "en-GB", "Forum on AI")],
)
def test_agenda_shows_the_day_by_room_and_leads_to_the_forum(
    wuzhen, open_page, screenshot, language, locale, title
):
    page = open_page(f"/{language}/agenda/", locale=locale)

    assert page.locator(".agenda-room").count() == 2
    assert page.locator(".agenda-block").count() == 2
    assert page.locator(f"a[href='/{language}/agenda/agenda.ics']").count() >= 1
    screenshot(page, "agenda", language)

    page.click(f"text={title}")
    page.wait_for_url(re.compile(rf"/{language}/forums/ai/$"))
    assert page.inner_text("h1") == title
    assert page.locator(".timeline-item").count() == 3
    screenshot(page, "forum", language)


def test_agenda_days_switch_in_place_and_keep_an_address(wuzhen, open_page):
    page = open_page("/en/agenda/")
    page.evaluate("window.stayedOnPage = true")

    page.click(".day-tabs >> text=Thu 21 Nov")
    page.wait_for_url(re.compile(r"/en/agenda/\?day=2024-11-21$"))

    assert page.locator(".agenda-block-title").all_inner_texts() == ["Data Forum"]
    assert page.evaluate("window.stayedOnPage") is True
    switcher_next = page.get_attribute("#language-switcher input[name=next]", "value")
    assert switcher_next == "/zh-hans/agenda/?day=2024-11-21"


def test_agenda_on_a_phone_is_a_list_by_time(wuzhen, open_page, screenshot):
    page = open_page("/zh-hans/agenda/", locale="zh-CN", viewport=PHONE)

    assert not page.locator(".agenda-room").first.is_visible()
    assert page.locator(".agenda-block-title").all_inner_texts() == ["开幕式", "人工智能论坛"]
    assert page.locator(".agenda-block-room").first.is_visible()
    screenshot(page, "agenda-phone", "zh-hans")


def test_forum_filter_updates_the_list_without_reloading(wuzhen, open_page):
    page = open_page("/en/forums/")
    page.evaluate("window.stayedOnPage = true")

    page.click(".chips >> text=Governance and security")
    page.wait_for_url(re.compile(r"/en/forums/\?track=governance$"))

    assert page.locator(".forum-card .card-title").all_inner_texts() == ["Data Forum"]
    assert page.evaluate("window.stayedOnPage") is True


def test_speaker_search_filters_as_you_type(wuzhen, open_page, screenshot):
    page = open_page("/zh-hans/speakers/", locale="zh-CN")
    assert page.locator(".speaker-card").count() == 3

    page.fill("#speaker-search", "souza")
    page.wait_for_url(re.compile(r"q=souza"))

    assert page.locator(".speaker-card .person-name").all_inner_texts() == ["Ana Souza"]
    screenshot(page, "speakers", "zh-hans")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_venue_page_draws_the_venues_on_our_own_map(wuzhen, open_page, screenshot, language):
    page = open_page(f"/{language}/venues/wiicc/")
    page.wait_for_selector("[data-venue-map][data-ready=true]")

    # The two venues with an outline are polygons; the theatre is a marker.
    assert page.locator(".leaflet-overlay-pane path.venue-shape").count() == 2
    assert page.locator(".leaflet-marker-pane img").count() == 1
    assert page.locator(".venue-label-own").inner_text() in {
        "乌镇互联网国际会展中心",
        "Wuzhen Internet International Convention Centre",
    }
    assert page.locator(".leaflet-tile").count() == 0
    screenshot(page, "venue", language)


def test_venue_names_are_drawn_as_text_never_as_markup(wuzhen, open_page):
    hostile = '<img src=x onerror="document.body.dataset.injected=1">'
    Venue.objects.filter(slug="banquet").update(name=i18n(zh_hans=hostile, en=hostile))

    page = open_page("/en/venues/wiicc/")
    page.wait_for_selector("[data-venue-map][data-ready=true]")
    page.locator("path.venue-shape").nth(1).hover()

    assert page.evaluate("document.body.dataset.injected") is None
    assert page.locator(".leaflet-tooltip img").count() == 0
