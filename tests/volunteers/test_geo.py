"""Geofence geometry: distances on the sphere, inside/outside a venue outline with a margin."""

import math
from decimal import Decimal

import numpy as np
import pytest

from huiwu.volunteers.geo import (
    EARTH_RADIUS_M,
    distance_to_polygon_m,
    haversine_m,
    inside,
    valid_position,
)

# A square of about 96 m by 111 m in Wuzhen: longitudes 120.490..120.491, latitudes 30.740..30.741.
SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [
            [120.490, 30.740],
            [120.491, 30.740],
            [120.491, 30.741],
            [120.490, 30.741],
            [120.490, 30.740],
        ]
    ],
}
METRES_PER_DEGREE_LAT = math.pi * EARTH_RADIUS_M / 180


def test_haversine_of_known_distances():
    assert haversine_m(30.74, 120.49, 30.74, 120.49) == 0.0
    assert haversine_m(0, 0, 1, 0) == pytest.approx(METRES_PER_DEGREE_LAT, rel=1e-9)
    assert haversine_m(90, 0, -90, 0) == pytest.approx(math.pi * EARTH_RADIUS_M)
    # Beijing (Tiananmen) to Shanghai (People's Square): about 1,067 km.
    assert haversine_m(39.9087, 116.3975, 31.2304, 121.4737) == pytest.approx(1_067_000, rel=0.01)


def test_haversine_works_on_arrays():
    result = haversine_m(0, 0, np.array([0.0, 1.0, 2.0]), np.zeros(3))
    assert result == pytest.approx([0, METRES_PER_DEGREE_LAT, 2 * METRES_PER_DEGREE_LAT])


@pytest.mark.parametrize(
    ("lat", "lon", "valid"),
    [
        (30.74, 120.49, True),
        (90, 180, True),
        (-90, -180, True),
        (0, 0, True),
        (Decimal("30.740000"), Decimal("120.490000"), True),
        (np.float64(30.7), np.int64(120), True),
        (90.0001, 0, False),
        (-90.5, 0, False),
        (0, 180.01, False),
        (0, -181, False),
        (float("nan"), 0, False),
        (0, float("inf"), False),
        (True, 120, False),
        ("30.7", 120, False),
        (None, None, False),
    ],
)
def test_valid_position(lat, lon, valid):
    assert valid_position(lat, lon) is valid


def test_inside_the_square_and_on_its_outline():
    assert inside(30.7405, 120.4905, SQUARE)
    assert inside(30.740, 120.490, SQUARE)  # a corner
    assert inside(30.740, 120.4905, SQUARE)  # the middle of the south edge
    assert not inside(30.7405, 120.4950, SQUARE)


def test_tolerance_grants_a_margin_around_the_outline():
    # 0.00005° north of the north edge: about 5.6 m outside.
    lat = 30.741 + 0.00005
    assert distance_to_polygon_m(lat, 120.4905, SQUARE) == pytest.approx(5.56, abs=0.01)
    assert not inside(lat, 120.4905, SQUARE)
    assert not inside(lat, 120.4905, SQUARE, tolerance_m=5)
    assert inside(lat, 120.4905, SQUARE, tolerance_m=6)


def test_distance_is_zero_inside_and_to_the_nearest_corner_outside():
    assert distance_to_polygon_m(30.7405, 120.4905, SQUARE) == 0.0
    # North-east of the north-east corner: the nearest point is the corner itself.
    lat, lon = 30.7415, 120.4915
    assert distance_to_polygon_m(lat, lon, SQUARE) == pytest.approx(
        haversine_m(lat, lon, 30.741, 120.491), rel=1e-6
    )


def test_a_hole_is_outside_and_its_distance_is_to_the_hole_edge():
    with_hole = {
        "type": "Polygon",
        "coordinates": [
            SQUARE["coordinates"][0],
            [
                [120.4902, 30.7402],
                [120.4908, 30.7402],
                [120.4908, 30.7408],
                [120.4902, 30.7408],
                [120.4902, 30.7402],
            ],
        ],
    }
    assert not inside(30.7405, 120.4905, with_hole)
    # The hole's east and west edges are 0.0003° of longitude away, nearer than its north and
    # south edges (0.0003° of latitude).
    assert distance_to_polygon_m(30.7405, 120.4905, with_hole) == pytest.approx(
        0.0003 * METRES_PER_DEGREE_LAT * math.cos(math.radians(30.7405)), rel=1e-3
    )
    assert inside(30.7401, 120.4905, with_hole)  # in the frame between hole and outline


def test_concave_outline_notch_is_outside():
    ell = {
        "type": "Polygon",
        "coordinates": [[[0, 0], [2, 0], [2, 1], [1, 1], [1, 2], [0, 2], [0, 0]]],
    }
    assert inside(0.5, 1.5, ell)
    assert inside(1.5, 0.5, ell)
    assert not inside(1.5, 1.5, ell)


def test_multipolygon_feature_and_unclosed_ring():
    far = [[121.0, 31.0], [121.001, 31.0], [121.001, 31.001], [121.0, 31.001]]  # not closed
    multi = {"type": "MultiPolygon", "coordinates": [SQUARE["coordinates"], [far]]}
    assert inside(31.0005, 121.0005, multi)
    assert inside(30.7405, 120.4905, multi)
    assert not inside(30.9, 120.9, multi)
    feature = {"type": "Feature", "geometry": SQUARE, "properties": {}}
    assert inside(30.7405, 120.4905, feature)


def test_near_the_pole_distances_stay_right():
    cap = {
        "type": "Polygon",
        "coordinates": [[[0, 89], [90, 89], [180, 89], [-90, 89.5], [0, 89]]],
    }
    # From the pole, whatever its longitude, the nearest edge point is at the ring's highest
    # latitude (89.5°).
    assert distance_to_polygon_m(90, 0, cap) == pytest.approx(0.5 * METRES_PER_DEGREE_LAT, rel=1e-3)
    assert distance_to_polygon_m(90, 123, cap) == pytest.approx(
        distance_to_polygon_m(90, 0, cap), rel=1e-9
    )


@pytest.mark.parametrize(
    "geometry",
    [
        None,
        "POLYGON((0 0, 1 0, 1 1, 0 0))",
        {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
        {"type": "Polygon"},
        {"type": "Polygon", "coordinates": []},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, "x"], [1, 1], [0, 0]]]},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 100], [1, 1], [0, 0]]]},
        {"type": "MultiPolygon", "coordinates": [[]]},
    ],
)
def test_bad_outlines_are_refused(geometry):
    with pytest.raises(ValueError):
        inside(30.7405, 120.4905, geometry)
    with pytest.raises(ValueError):
        distance_to_polygon_m(30.7405, 120.4905, geometry)


@pytest.mark.parametrize(
    ("lat", "lon", "tolerance"),
    [(91, 0, 0), (float("nan"), 120, 0), (30.7, 120.49, -1), (30.7, 120.49, float("nan"))],
)
def test_bad_positions_and_tolerances_are_refused(lat, lon, tolerance):
    with pytest.raises(ValueError):
        inside(lat, lon, SQUARE, tolerance_m=tolerance)
