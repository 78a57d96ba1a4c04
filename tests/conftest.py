import hypothesis
import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.utils import translation

from tests import factories

# Hypothesis draws the same examples on every run (seeded from each test's source), so what
# fails in CI fails on every machine. Nothing in .ci/run or dev.py marks a CI run, so this is
# loaded everywhere; --hypothesis-profile=default or --hypothesis-seed=N explores new examples.
hypothesis.settings.register_profile(
    "ci", hypothesis.settings.get_profile("default"), derandomize=True
)
hypothesis.settings.load_profile("ci")

# Tests create many accounts; the default hasher's deliberate slowness only costs time here.
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


DATABASE_FIXTURES = {"db", "transactional_db", "django_db_setup", "live_server"}


def pytest_collection_modifyitems(items):
    """Mark the tests that never touch the database (the pure engines: faces, assignment,
    rostering …), so that the PostgreSQL run can leave them out: their result cannot depend on
    the database, and running them twice only costs CI minutes."""
    for item in items:
        if item.get_closest_marker("django_db") is None and not DATABASE_FIXTURES & set(
            getattr(item, "fixturenames", ())
        ):
            item.add_marker(pytest.mark.no_database)


@pytest.fixture(autouse=True)
def _no_snapshot_of_another_test():
    """Dashboards share a snapshot read at the same seq moments before; a test's summit may
    have the id and seq of the previous test's, never its data."""
    from huiwu.command import consumers

    consumers._shared.clear()


@pytest.fixture(autouse=True)
def _empty_cache():
    """A test starts with no counters of the one before (failed sign-ins, live sequences).
    Only the process's own memory: clearing a Redis cache would flush the whole database."""
    if isinstance(caches["default"], LocMemCache):
        caches["default"].clear()


@pytest.fixture(autouse=True)
def _english_by_default():
    """Tests read English unless they switch language themselves."""
    with translation.override("en"):
        yield


@pytest.fixture
def summit(db):
    return factories.SummitFactory(is_current=True)


@pytest.fixture
def organiser(db):
    return factories.UserFactory(username="organiser", roles=["organiser"])


@pytest.fixture
def organiser_client(client, organiser):
    """Django's test client signed in as the secretariat."""
    client.force_login(organiser)
    return client


@pytest.fixture
def programme(summit):
    """A small published programme: one venue, two rooms, two forums with sessions, speakers."""
    venue = factories.VenueFactory(summit=summit, slug="wiicc")
    main, side = (
        factories.RoomFactory(venue=venue, capacity=1200),
        factories.RoomFactory(venue=venue, capacity=200),
    )
    host = factories.OrganisationFactory(short_name="CAC", country="CN")
    co_host = factories.OrganisationFactory(short_name="ITU", country="CH")
    forums = [
        factories.ForumFactory(
            summit=summit,
            slug="ai",
            room=main,
            starts_at=factories.at(0, 9),
            ends_at=factories.at(0, 12),
        ),
        factories.ForumFactory(
            summit=summit,
            slug="data",
            room=side,
            starts_at=factories.at(1, 14),
            ends_at=factories.at(1, 17),
        ),
    ]
    for forum in forums:
        factories.ForumOrganiserFactory(forum=forum, organisation=host)
        factories.ForumOrganiserFactory(forum=forum, organisation=co_host, role="co_host")
        for index in range(3):
            session = factories.SessionFactory(
                forum=forum,
                starts_at=forum.starts_at + index * (forum.ends_at - forum.starts_at) / 3,
                ends_at=forum.starts_at + (index + 1) * (forum.ends_at - forum.starts_at) / 3,
            )
            factories.SessionSpeakerFactory(
                session=session, person=factories.PersonFactory(country=["CN", "FR", "BR"][index])
            )
    return {"summit": summit, "venue": venue, "rooms": [main, side], "forums": forums}
