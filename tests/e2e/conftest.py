"""Browser tests: Playwright driving Debian's chromium against pytest-django's live server."""

import datetime as dt
import os
from pathlib import Path

import pytest

from huiwu.core.i18n import i18n
from tests import factories

# Playwright's sync API runs an event loop in the test's thread, which Django's async-safety
# check takes for async code; the database calls of the tests are synchronous all the same.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"Browser tests need Debian's chromium at {CHROMIUM}; it is not installed.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser, live_server):
    """``open_page(path, locale=…, viewport=…)``: a fresh browser tab on the live server,
    whose Accept-Language is ``locale``."""
    contexts = []

    def open_(path: str, *, locale: str = "en-GB", viewport: dict | None = None):
        context = browser.new_context(locale=locale, viewport=viewport or DESKTOP)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server.url}{path}")
        return page

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot():
    """``screenshot(page, name, language)`` saves the full page as
    ``test-artifacts/screenshots/<name>-<language>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, language: str) -> Path:
        path = SCREENSHOTS / f"{name}-{language}.png"
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def outline(longitude: float, latitude: float, half_width: float, half_height: float) -> dict:
    west, east = longitude - half_width, longitude + half_width
    south, north = latitude - half_height, latitude + half_height
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture
def wuzhen(transactional_db):
    """A small summit in Wuzhen: two venues drawn as buildings, a theatre as a point, three
    forums over two days in three rooms, with hosts, sessions and speakers."""
    summit = factories.SummitFactory(
        is_current=True,
        theme=i18n(zh_hans="携手构建网络空间命运共同体", en="A shared future in cyberspace"),
    )
    centre = factories.VenueFactory(
        summit=summit,
        slug="wiicc",
        name=i18n(
            zh_hans="乌镇互联网国际会展中心", en="Wuzhen Internet International Convention Centre"
        ),
        latitude="30.748300",
        longitude="120.490600",
        outline=outline(120.4906, 30.7483, 0.0022, 0.0012),
    )
    banquet = factories.VenueFactory(
        summit=summit,
        slug="banquet",
        kind="banquet",
        name=i18n(zh_hans="乌镇宴会中心", en="Wuzhen Banquet Centre"),
        latitude="30.745100",
        longitude="120.486200",
        outline=outline(120.4862, 30.7451, 0.0010, 0.0007),
    )
    factories.VenueFactory(
        summit=summit,
        slug="theatre",
        kind="theatre",
        name=i18n(zh_hans="乌镇大剧院", en="Wuzhen Grand Theatre"),
        latitude="30.742400",
        longitude="120.482900",
    )
    hall = factories.RoomFactory(
        venue=centre, name=i18n(zh_hans="乌镇厅", en="Wuzhen Hall"), capacity=1500
    )
    side = factories.RoomFactory(venue=centre, name=i18n(zh_hans="1号厅", en="Hall 1"))
    dining = factories.RoomFactory(venue=banquet, name=i18n(zh_hans="宴会厅", en="Banquet Hall"))
    host = factories.OrganisationFactory(
        name=i18n(zh_hans="国际电信联盟", en="International Telecommunication Union"),
        country="CH",
    )
    specs = [
        ("opening", "ceremony", "development", hall, 0, 9, 10, "开幕式", "Opening Ceremony"),
        ("ai", "sub_forum", "technology", side, 0, 14, 17, "人工智能论坛", "Forum on AI"),
        ("data", "sub_forum", "governance", dining, 1, 9, 12, "数据治理论坛", "Data Forum"),
    ]
    speakers = [
        factories.PersonFactory(name="李娜", name_latin="Li Na", country="CN"),
        factories.PersonFactory(name="Jean Dupont", name_latin="Jean Dupont", country="FR"),
        factories.PersonFactory(name="Ana Souza", name_latin="Ana Souza", country="BR"),
    ]
    forums = {}
    for slug, kind, track, room, day, start, end, title_zh, title_en in specs:
        forum = factories.ForumFactory(
            summit=summit,
            slug=slug,
            kind=kind,
            track=track,
            room=room,
            starts_at=factories.at(day, start),
            ends_at=factories.at(day, end),
            title=i18n(zh_hans=title_zh, en=title_en),
        )
        factories.ForumOrganiserFactory(forum=forum, organisation=host)
        for index, person in enumerate(speakers):
            starts_at = factories.at(day, start) + dt.timedelta(minutes=20 * index)
            session = factories.SessionFactory(
                forum=forum, starts_at=starts_at, ends_at=starts_at + dt.timedelta(minutes=20)
            )
            factories.SessionSpeakerFactory(session=session, person=person)
        forums[slug] = forum
    return {"summit": summit, "forums": forums}


# --- An ASGI live server, for the pages that speak websockets ---------------------------------


@pytest.fixture
def asgi_server(transactional_db):
    """Uvicorn serving ``huiwu.asgi.application`` (HTTP and websockets) in a thread of the test
    process, on a free port: the same database as the test, and the same in-memory channel
    layer, so that what the test publishes reaches the pages. pytest-django's ``live_server``
    speaks WSGI only. Has ``.url``, like ``live_server``."""
    import socket
    import threading
    import time
    from types import SimpleNamespace

    import uvicorn

    from huiwu.asgi import application

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            application, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
    )
    thread = threading.Thread(target=server.run, name="asgi-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("The ASGI test server did not start.")
        time.sleep(0.05)
    yield SimpleNamespace(url=f"http://127.0.0.1:{port}", server=server)
    server.should_exit = True
    thread.join(timeout=10)


def sign_in(context, user) -> None:
    """Give a browser context the session of ``user`` (no sign-in form to fill)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies(
        [{"name": cookie.key, "value": cookie.value, "domain": "127.0.0.1", "path": "/"}]
    )


@pytest.fixture
def open_asgi_page(browser, asgi_server):
    """``open_asgi_page(path, user=…, locale=…, viewport=…)``: a fresh browser tab on the ASGI
    server, signed in as ``user`` when given, whose Accept-Language is ``locale``."""
    contexts = []

    def open_(path: str, *, user=None, locale: str = "en-GB", viewport: dict | None = None):
        context = browser.new_context(locale=locale, viewport=viewport or DESKTOP)
        context.set_default_timeout(15_000)
        contexts.append(context)
        if user is not None:
            sign_in(context, user)
        page = context.new_page()
        page.goto(f"{asgi_server.url}{path}")
        return page

    yield open_
    for context in contexts:
        context.close()
