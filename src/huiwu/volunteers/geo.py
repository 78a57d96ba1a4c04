"""Where a volunteer is, measured against a venue's outline.

Pure (math and numpy, no Django). Positions are (latitude, longitude) in degrees, WGS 84, as a
phone reports them; outlines are GeoJSON ``Polygon`` or ``MultiPolygon`` geometries whose points
are ``[longitude, latitude]`` (RFC 7946 order, as ``summit.Venue.outline`` stores them). Edges are
straight lines in longitude/latitude, which is what a map draws; outlines crossing the
antimeridian are not supported (no venue does).

Distances to an outline are computed in a plane tangent at the position (an equirectangular
projection), then measured back on the sphere: for the few hundred metres of a geofence the
error is far below a phone's accuracy, and it stays exact in latitude at the poles.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from decimal import Decimal

import numpy as np

EARTH_RADIUS_M = 6_371_008.8
# A position this close to the outline is on it: far below what any phone can tell apart.
ON_OUTLINE_M = 0.01


def haversine_m(lat1, lon1, lat2, lon2):
    """Great-circle distance in metres; scalars give a float, numpy arrays an array."""
    phi1, lam1, phi2, lam2 = (
        np.radians(np.asarray(v, dtype=float)) for v in (lat1, lon1, lat2, lon2)
    )
    h = (
        np.sin((phi2 - phi1) / 2) ** 2
        + np.cos(phi1) * np.cos(phi2) * np.sin((lam2 - lam1) / 2) ** 2
    )
    metres = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return float(metres) if np.ndim(metres) == 0 else metres


def valid_position(lat, lon) -> bool:
    """True when (lat, lon) are finite real numbers (or decimals, as the database gives them)
    within [-90, 90] and [-180, 180]."""
    for value in (lat, lon):
        if isinstance(value, bool) or not isinstance(value, numbers.Real | Decimal):
            return False
        if not math.isfinite(value):
            return False
    return bool(-90 <= lat <= 90 and -180 <= lon <= 180)


def inside(lat: float, lon: float, polygon_geojson: dict, *, tolerance_m: float = 0) -> bool:
    """True when the position is inside the outline, on it, or within ``tolerance_m`` metres of
    it (the margin a geofence grants for the phone's inaccuracy). A hole is outside."""
    if not isinstance(tolerance_m, numbers.Real) or not 0 <= tolerance_m < math.inf:
        raise ValueError("the tolerance must be a finite number of metres, zero or more")
    rings_per_polygon = _polygons(polygon_geojson)
    lat, lon = _check_position(lat, lon)
    if any(_within_rings(lat, lon, rings) for rings in rings_per_polygon):
        return True
    return _distance_to_rings_m(lat, lon, rings_per_polygon) <= max(tolerance_m, ON_OUTLINE_M)


def distance_to_polygon_m(lat: float, lon: float, polygon_geojson: dict) -> float:
    """Metres from the position to the nearest point of the outline's area: 0 inside it."""
    rings_per_polygon = _polygons(polygon_geojson)
    lat, lon = _check_position(lat, lon)
    if any(_within_rings(lat, lon, rings) for rings in rings_per_polygon):
        return 0.0
    return _distance_to_rings_m(lat, lon, rings_per_polygon)


def _check_position(lat, lon) -> tuple[float, float]:
    if not valid_position(lat, lon):
        raise ValueError(f"({lat!r}, {lon!r}) is not a position on Earth")
    return float(lat), float(lon)


def _polygons(geometry) -> list[list[np.ndarray]]:
    """The rings of each polygon of a GeoJSON geometry, as arrays of (lon, lat) rows, closed."""
    if not isinstance(geometry, dict):
        raise ValueError("an outline must be a GeoJSON geometry (a dict)")
    if geometry.get("type") == "Feature":
        return _polygons(geometry.get("geometry"))
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    if kind == "Polygon":
        polygons = [coordinates]
    elif kind == "MultiPolygon":
        polygons = coordinates if isinstance(coordinates, list) else None
    else:
        raise ValueError(f"an outline must be a Polygon or a MultiPolygon, not {kind!r}")
    if not polygons or not all(isinstance(rings, list) and rings for rings in polygons):
        raise ValueError(f"the {kind} has no rings")
    return [[_ring(ring) for ring in rings] for rings in polygons]


def _ring(points: Sequence) -> np.ndarray:
    try:
        ring = np.array(points, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("a ring must be a list of [longitude, latitude] points") from None
    if ring.ndim != 2 or ring.shape[1] != 2 or len(ring) < 3:
        raise ValueError("a ring needs at least three [longitude, latitude] points")
    if not all(valid_position(float(lat), float(lon)) for lon, lat in ring):
        raise ValueError("a ring has a point that is not a position on Earth")
    if not np.array_equal(ring[0], ring[-1]):
        ring = np.vstack([ring, ring[:1]])
    return ring


def _within_rings(lat: float, lon: float, rings: list[np.ndarray]) -> bool:
    """Even-odd rule over the outer ring and its holes: a ray eastwards crosses the boundary an
    odd number of times from inside."""
    crossings = 0
    for ring in rings:
        x1, y1 = ring[:-1, 0], ring[:-1, 1]
        x2, y2 = ring[1:, 0], ring[1:, 1]
        straddles = (y1 > lat) != (y2 > lat)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_cross = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
        crossings += int(np.count_nonzero(straddles & (lon < x_cross)))
    return crossings % 2 == 1


def _distance_to_rings_m(lat: float, lon: float, rings_per_polygon) -> float:
    """Great-circle metres to the nearest point on any ring's edges. The nearest point of each
    edge is found in the plane tangent at the position, then measured on the sphere."""
    scale_x = math.cos(math.radians(lat))
    best = math.inf
    for rings in rings_per_polygon:
        for ring in rings:
            a, b = ring[:-1], ring[1:]
            # Plane coordinates (degrees of latitude as the unit), centred on the position.
            ax, ay = (a[:, 0] - lon) * scale_x, a[:, 1] - lat
            dx, dy = (b[:, 0] - a[:, 0]) * scale_x, b[:, 1] - a[:, 1]
            length2 = dx * dx + dy * dy
            with np.errstate(divide="ignore", invalid="ignore"):
                t = np.where(length2 > 0, -(ax * dx + ay * dy) / length2, 0.0)
            t = np.clip(t, 0.0, 1.0)
            near_lon = a[:, 0] + t * (b[:, 0] - a[:, 0])
            near_lat = a[:, 1] + t * (b[:, 1] - a[:, 1])
            best = min(best, float(np.min(haversine_m(lat, lon, near_lat, near_lon))))
    return best
