"""Dispatch suggestions: nearest by walking where paths exist, never stale, busy or unskilled."""

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huiwu.command.dispatch import PositionIndex, WalkingNetwork
from huiwu.volunteers.geo import haversine_m

NOW = 1_732_000_000.0
BASE_MAP = Path(__file__).parents[2] / "src/huiwu/summit/static/summit/wuzhen-base.geojson"

# A straight east-west path 1 km long at Wuzhen's latitude, and a parallel one 300 m north
# joined to it only at the west end: an L-shaped walk between their east ends.
LAT, LON = 30.75, 120.48
DLAT_300M = 300 / 111_195
DLON_1KM = 1000 / (111_195 * np.cos(np.radians(LAT)))


def u_network() -> WalkingNetwork:
    south = [(LON, LAT), (LON + DLON_1KM, LAT)]
    north = [(LON, LAT + DLAT_300M), (LON + DLON_1KM, LAT + DLAT_300M)]
    link = [(LON, LAT), (LON, LAT + DLAT_300M)]
    return WalkingNetwork([south, north, link])


def index(rows, busy=None) -> PositionIndex:
    keys, lats, lons, seen, skills = zip(*rows, strict=True)
    return PositionIndex(keys, lats, lons, seen, skills, busy=busy)


def test_straight_line_without_a_network_orders_by_distance():
    positions = index(
        [
            (1, LAT + 0.01, LON, NOW - 10, {"first_aid"}),
            (2, LAT + 0.001, LON, NOW - 10, {"first_aid"}),
            (3, LAT + 0.005, LON, NOW - 10, {"first_aid"}),
        ]
    )
    found = positions.suggest(LAT, LON, now=NOW, n=2)
    assert [s.key for s in found] == [2, 3]
    assert {s.method for s in found} == {"straight"}
    assert found[0].distance_m == pytest.approx(111.2, abs=0.5)
    assert found[0].age_seconds == 10


def test_stale_busy_unskilled_excluded_and_future_positions_ignored():
    positions = index(
        [
            (1, LAT, LON, NOW - 3600, {"first_aid"}),  # an hour old
            (2, LAT, LON, NOW - 5, {"first_aid"}),  # busy on another incident
            (3, LAT, LON, NOW - 5, {"en"}),  # no first aid
            (4, LAT, LON, NOW - 5, {"first_aid", "en"}),  # declined this incident before
            (5, LAT, LON, NOW + 600, {"first_aid"}),  # a clock in the future
            (6, LAT + 0.01, LON, NOW - 60, {"first_aid", "en"}),
        ],
        busy=[False, True, False, False, False, False],
    )
    found = positions.suggest(
        LAT, LON, now=NOW, n=5, needs={"first_aid"}, max_age_seconds=300, exclude={4}
    )
    assert [s.key for s in found] == [6]
    assert positions.suggest(LAT, LON, now=NOW, needs={"sign_language"}) == []


def test_walking_distance_follows_the_paths():
    network = u_network()
    positions = index(
        [
            # On the north path's east end: 300 m away as the crow flies, but the only walk
            # is 1 km west, 300 m south and 1 km east again.
            (1, LAT + DLAT_300M, LON + DLON_1KM, NOW - 5, set()),
            # On the south path, 600 m west: farther as the crow flies, nearer on foot.
            (2, LAT, LON + 0.4 * DLON_1KM, NOW - 5, set()),
        ]
    )
    found = positions.suggest(LAT, LON + DLON_1KM, now=NOW, n=2, network=network)
    assert [s.key for s in found] == [2, 1]
    assert found[0].method == found[1].method == "walking"
    assert found[0].distance_m == pytest.approx(600, abs=2)
    assert found[1].distance_m == pytest.approx(2300, abs=5)


def test_far_from_every_path_falls_back_to_straight_line_and_says_so():
    network = u_network()
    positions = index([(1, LAT - 0.02, LON, NOW - 5, set())])  # about 2.2 km south
    (found,) = positions.suggest(LAT, LON, now=NOW, network=network)
    assert found.method == "straight"
    assert found.distance_m == pytest.approx(2224, abs=5)


def test_the_demo_map_has_a_walking_network():
    network = WalkingNetwork.from_geojson(json.loads(BASE_MAP.read_text()))
    assert network is not None and len(network.nodes) > 5
    # Rivers are not footpaths.
    assert WalkingNetwork.from_geojson({"features": []}) is None


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-0.01, 0.01), st.floats(-0.01, 0.01), st.floats(0, 900), st.booleans()),
        min_size=1,
        max_size=60,
    ),
    st.integers(1, 5),
)
def test_suggestions_are_the_n_nearest_by_walking(rows, n):
    """Against brute force: walk every eligible position, sort, take n."""
    network = u_network()
    positions = index(
        [
            (key, LAT + dlat, LON + dlon, NOW - age, {"first_aid"} if aid else set())
            for key, (dlat, dlon, age, aid) in enumerate(rows)
        ]
    )
    found = positions.suggest(
        LAT, LON + DLON_1KM / 2, now=NOW, n=n, needs={"first_aid"}, network=network
    )
    eligible = [
        (key, LAT + dlat, LON + dlon)
        for key, (dlat, dlon, age, aid) in enumerate(rows)
        if aid and age <= 300
    ]
    if not eligible:
        assert found == []
        return
    points = np.array([(lat, lon) for _, lat, lon in eligible])
    walk = network.walking_m((LAT, LON + DLON_1KM / 2), points, 250.0)
    straight = haversine_m(LAT, LON + DLON_1KM / 2, points[:, 0], points[:, 1])
    expected = sorted(np.where(np.isnan(walk), straight, np.maximum(walk, straight)).round(1))[:n]
    assert [s.distance_m for s in found] == pytest.approx(expected, abs=0.2)
