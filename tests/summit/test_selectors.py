import datetime as dt

import pytest
from django.utils import timezone

from huiwu.summit import selectors
from tests import factories

pytestmark = pytest.mark.django_db


def edition(slug: str, start_in_days: int, *, forums: int = 1, **values):
    """A published two-day edition starting ``start_in_days`` from today, with forums."""
    start = timezone.localdate() + dt.timedelta(days=start_in_days)
    summit = factories.SummitFactory(
        slug=slug, start_date=start, end_date=start + dt.timedelta(days=1), **values
    )
    moment = dt.datetime.combine(start, dt.time(9), tzinfo=summit.tz)
    for _index in range(forums):
        factories.ForumFactory(
            summit=summit, starts_at=moment, ends_at=moment + dt.timedelta(hours=2)
        )
    return summit


def test_the_edition_marked_current_is_shown_even_when_another_is_nearer():
    edition("last-year", -365)
    marked = edition("next-year", 365, is_current=True)
    edition("this-week", 0)

    assert selectors.current_summit() == marked


def test_without_a_current_edition_the_nearest_one_with_a_programme_is_shown():
    edition("announced", 30, forums=0)
    held = edition("held", -60)
    edition("long-ago", -400)

    assert selectors.current_summit() == held


def test_an_edition_under_way_is_nearer_than_any_other():
    under_way = edition("under-way", -1)
    edition("tomorrow", 1)

    assert selectors.current_summit() == under_way


def test_of_two_editions_as_near_the_later_is_shown():
    edition("before", -12)  # ends 11 days ago
    after = edition("after", 11)

    assert selectors.current_summit() == after


def test_unpublished_programmes_and_editions_do_not_count():
    draft = edition("draft-programme", 5, forums=0)
    factories.ForumFactory(summit=draft, is_public=False)
    edition("hidden", 0, is_public=False)
    older = edition("older", -100)

    assert selectors.current_summit() == older


def test_without_any_programme_the_nearest_published_edition_is_shown():
    edition("far", 200, forums=0)
    near = edition("near", 20, forums=0)

    assert selectors.current_summit() == near


def test_without_a_published_edition_there_is_no_current_one():
    edition("hidden", 0, is_public=False)

    assert selectors.current_summit() is None


def test_the_current_edition_is_found_in_one_query(django_assert_num_queries):
    edition("held", -60)
    edition("announced", 30, forums=0)

    with django_assert_num_queries(1):
        assert selectors.current_summit().slug == "held"
