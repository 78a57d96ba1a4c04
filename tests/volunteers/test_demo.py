"""The volunteers of the demo, built small: applicants from the twelve universities, the
selection under quotas, posts and shifts at the venues, the roster and the first morning."""

import datetime as dt
import json
import random

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Count

from huiwu.core.figures import summit_figures
from huiwu.demo.generator import DATA
from huiwu.demo.names import NameMaker
from huiwu.volunteers import demo, selectors
from huiwu.volunteers.models import (
    Application,
    ApplicationStatus,
    Assignment,
    DutyRecord,
    PositionPing,
    Post,
    PostShift,
    University,
)
from tests import factories
from tests.volunteers.factories import OUTLINE

pytestmark = pytest.mark.django_db


@pytest.fixture
def small(monkeypatch, summit):
    monkeypatch.setattr(demo, "APPLICANTS", 400)
    monkeypatch.setattr(demo, "SELECTED", 125)
    monkeypatch.setattr(demo, "TRACKED", 6)
    for slug in ("wiicc", "banquet"):
        venue = factories.VenueFactory(summit=summit, slug=slug, outline=OUTLINE)
        factories.RoomFactory(venue=venue, capacity=300)
    factories.UserFactory(username="organiser", roles=["organiser"])
    lines = []
    names = NameMaker(random.Random(1), json.loads((DATA / "names.json").read_text()))
    demo.build(summit, names=names, say=lambda label, detail: lines.append(f"{label}: {detail}"))
    return {"summit": summit, "lines": lines}


def test_demo_volunteers_have_the_shape_of_the_summit(small):
    summit = small["summit"]

    assert University.objects.count() == 12
    assert Application.objects.filter(summit=summit).count() == 400
    assert Application.objects.filter(status=ApplicationStatus.SELECTED).count() == 125
    assert Application.objects.filter(status=ApplicationStatus.RESERVE).count() == 25
    figures = summit_figures(summit)
    assert (
        figures["volunteer_applicants"],
        figures["volunteers_selected"],
        figures["volunteer_universities"],
    ) == (400, 125, 12)
    # Posts at the venues, three shifts a day, rostered within headcounts.
    assert Post.objects.filter(summit=summit).count() > 20
    assert summit.volunteer_shifts.count() == 3 * len(summit.days)
    for slot in PostShift.objects.all():
        assert slot.assignments.count() <= slot.headcount
    assert Assignment.objects.count() > 125


def test_demo_first_morning_has_sign_ins_tracks_and_the_accounts(small):
    summit = small["summit"]
    duties = DutyRecord.objects.filter(signed_in_at__isnull=False)

    assert duties.count() > 0
    assert (
        duties.filter(inside_geofence=True).count() > duties.filter(inside_geofence=False).count()
    )
    # Each sign-in with consent keeps its one position; tracks (many) only for the tracked few.
    # (Who is on the first morning depends on the roster solver's time limit, hence on load.)
    tracks = PositionPing.objects.values("application").annotate(n=Count("pk")).filter(n__gt=1)
    assert tracks.count() <= 6 + 1
    volunteer = Application.objects.get(user__username="volunteer")
    assert volunteer.status == ApplicationStatus.SELECTED
    first = summit.volunteer_shifts.order_by("start").first()
    assert volunteer.assignments.filter(post_shift__shift=first).exists()
    assert (
        selectors.trajectory(volunteer, first.start, first.end + dt.timedelta(hours=1)).count() > 60
    )
    office = get_user_model().objects.get(username="office")
    assert office.groups.filter(name="volunteer_office").exists()
    assert any(line.startswith("volunteer roster") for line in small["lines"])
