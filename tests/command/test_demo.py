"""The command centre's part of the demo, built on a small summit: the operator account, the
walking paths (a connected graph reaching every venue), the critical posts, and a history of
incidents the after-action report has something to say about."""

import json
import random
import time

import numpy as np
import pytest
from django.contrib.auth import get_user_model

from huiwu.command import demo, report
from huiwu.command.dispatch import WalkingNetwork
from huiwu.command.models import Dispatch, Incident, IncidentStatus, WalkingPaths
from huiwu.core.models import ActionLog
from huiwu.core.roles import Role
from huiwu.demo.generator import DATA
from huiwu.demo.names import NameMaker
from huiwu.volunteers import demo as volunteers_demo
from huiwu.volunteers.geo import haversine_m
from huiwu.volunteers.models import Post
from tests import factories
from tests.volunteers.factories import OUTLINE

pytestmark = pytest.mark.django_db

WUZHEN = {  # slug: (lat, lon) of the demo's venues
    "wiicc": (30.7600, 120.4790),
    "banquet": (30.7606, 120.4843),
    "museum": (30.7571, 120.4826),
    "theatre": (30.7490, 120.4822),
}


def square(lat: float, lon: float, half: float = 0.0004) -> dict:
    ring = [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
        [lon - half, lat - half],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture
def small(monkeypatch, summit):
    monkeypatch.setattr(volunteers_demo, "APPLICANTS", 400)
    monkeypatch.setattr(volunteers_demo, "SELECTED", 125)
    monkeypatch.setattr(volunteers_demo, "TRACKED", 2)
    for slug, (lat, lon) in WUZHEN.items():
        venue = factories.VenueFactory(
            summit=summit,
            slug=slug,
            latitude=f"{lat:.6f}",
            longitude=f"{lon:.6f}",
            outline=square(lat, lon),
        )
        factories.RoomFactory(venue=venue, capacity=300)
    factories.VenueFactory(summit=summit, slug="elsewhere", outline=OUTLINE)
    factories.UserFactory(username="organiser", roles=["organiser"])
    names = NameMaker(random.Random(1), json.loads((DATA / "names.json").read_text()))
    lines = []

    def say(label, detail):
        lines.append(f"{label}: {detail}")

    volunteers_demo.build(summit, names=names, say=say)
    started = time.monotonic()
    demo.build(summit, names=names, say=say)
    return {"summit": summit, "lines": lines, "seconds": time.monotonic() - started}


def test_the_operator_account_and_the_critical_posts(small):
    operator = get_user_model().objects.get(username="command")

    assert operator.groups.filter(name=Role.COMMAND_OPERATOR).exists()
    critical = Post.objects.filter(summit=small["summit"], is_critical=True)
    assert critical.exists()
    assert set(critical.values_list("kind", flat=True)) <= {"vip_escort", "medical_aide"}
    assert small["seconds"] < 5


def test_the_walking_paths_are_a_graph_joining_every_venue(small):
    summit = small["summit"]
    collection = WalkingPaths.objects.get(summit=summit).geojson
    features = collection["features"]

    assert 30 <= len(features) <= 80
    assert {f["properties"]["kind"] for f in features} <= {"path", "road", "footway"}
    assert all(f["geometry"]["type"] == "LineString" for f in features)
    network = WalkingNetwork.from_geojson(collection)
    # Junctions: some vertices end three or more segments.
    degree = {}
    for a, b in zip(network.seg_a, network.seg_b, strict=True):
        degree[a] = degree.get(a, 0) + 1
        degree[b] = degree.get(b, 0) + 1
    assert sum(1 for d in degree.values() if d >= 3) >= 10
    # From the convention centre every venue is reachable on foot, never shorter than the
    # straight line and not absurdly longer.
    venues = list(summit.venues.order_by("slug"))
    origin = WUZHEN["wiicc"]
    targets = [(float(v.latitude), float(v.longitude)) for v in venues]
    walks = network.walking_m(origin, np.array(targets), max_access_m=1000)
    for venue, target, walk in zip(venues, targets, walks, strict=True):
        straight = haversine_m(*origin, *target)
        assert straight - 1 <= walk <= 3 * straight + 400, venue.slug


def test_the_history_has_substance_for_the_report(small):
    summit = small["summit"]
    incidents = Incident.objects.filter(summit=summit)

    assert incidents.count() == demo.INCIDENTS
    assert not incidents.filter(status__in=["new", "dispatched", "acknowledged", "on_scene"])
    assert incidents.filter(status=IncidentStatus.RESOLVED).count() > 40
    assert incidents.filter(status=IncidentStatus.CANCELLED).exists()
    kinds = set(incidents.values_list("kind", flat=True))
    assert {"medical", "lost_item", "crowding", "equipment"} <= kinds
    offers = Dispatch.objects.filter(incident__summit=summit)
    assert offers.filter(status="timed_out").exists() and offers.filter(status="declined").exists()
    for offer in offers.select_related("incident"):
        assert offer.offered_at >= offer.incident.created_at
        assert offer.ended_at is None or offer.ended_at >= offer.offered_at
    # Every step after the one before, on the summit's days.
    days = set(summit.days)
    for incident in incidents:
        assert incident.created_at.astimezone(summit.tz).date() in days
        stamps = [
            incident.created_at,
            incident.dispatched_at,
            incident.acknowledged_at,
            incident.on_scene_at,
            incident.closed_at,
        ]
        present = [stamp for stamp in stamps if stamp is not None]
        assert present == sorted(present)
    result = report.build(summit, report.summit_period(summit))
    assert result.total == demo.INCIDENTS
    on_scene = result.overall.steps["on_scene"]
    # How many find a free volunteer with the skills follows the roster, whose solver stops on a
    # time limit: on this small summit some 35 of the 60 do, and most of those are reached.
    dispatched = incidents.filter(dispatched_at__isnull=False).count()
    assert dispatched > 20 and on_scene.count > dispatched / 2
    assert 2 < on_scene.p50 < on_scene.p95 < 60
    assert result.escalations.timed_out + result.escalations.declined > 0
    assert ActionLog.objects.filter(action="command.reported").count() == demo.INCIDENTS
    assert any(line.startswith("incidents (history):") for line in small["lines"])


def _history(summit) -> list[tuple]:
    return list(
        Dispatch.objects.filter(incident__summit=summit)
        .order_by("incident__created_at", "offered_at")
        .values_list(
            "incident__kind",
            "incident__created_at",
            "incident__status",
            "incident__place",
            "volunteer_id",
            "status",
            "offered_at",
        )
    )


def test_the_history_is_the_same_every_time(small):
    summit = small["summit"]
    first = _history(summit)
    Incident.objects.filter(summit=summit).delete()
    WalkingPaths.objects.filter(summit=summit).delete()
    get_user_model().objects.filter(username="command").delete()

    demo.build(summit, names=None, say=lambda *args: None)

    assert _history(summit) == first
