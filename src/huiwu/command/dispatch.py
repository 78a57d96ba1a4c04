"""Who should go: the nearest free volunteers with the needed skills, by walking distance.

Pure (numpy and scipy, no Django). The command centre keeps a :class:`PositionIndex` of the
on-duty volunteers' last positions and asks it for suggestions when an incident needs someone.

Walking distance runs over the footpaths and roads of the venue map (a :class:`WalkingNetwork`
built from GeoJSON LineStrings): straight to the nearest point of the network, along it, and
straight off it again. Where either end is farther than ``max_access_m`` from every path, or no
path data exists, the straight-line (great-circle) distance is used, and each suggestion says
which one it carries, so that a dispatcher knows how far to trust it.

The straight line is a lower bound of any walk, so the search ranks candidates by it and computes
walking distances only until the next straight-line distance exceeds the n-th best walk: the
answer is the exact n nearest by walking distance, without walking every position.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from huiwu.volunteers.geo import EARTH_RADIUS_M, haversine_m

# Beyond this distance from every path, the network says nothing useful about a walk.
MAX_ACCESS_M = 250.0
# Path vertices closer than this are one junction (maps draw shared ends a little apart).
JUNCTION_M = 8.0
WALKABLE_KINDS = frozenset({"path", "road", "walkway", "footway"})


@dataclass(frozen=True)
class Suggestion:
    key: int
    distance_m: float
    method: str  # "walking" (over the path network) or "straight" (great circle)
    age_seconds: float


class WalkingNetwork:
    """A graph of the walkable lines of a map, in a local metric plane around its centre.

    Small areas only (a venue cluster of a few kilometres): an equirectangular projection is
    accurate to well under a metre there.
    """

    def __init__(self, lines: Sequence[Sequence[tuple[float, float]]]) -> None:
        points = [(lat, lon) for line in lines for lon, lat in line]
        if not points:
            raise ValueError("a walking network needs at least one line")
        self.lat0 = float(np.mean([p[0] for p in points]))
        self.lon0 = float(np.mean([p[1] for p in points]))
        nodes: list[np.ndarray] = []
        edges: list[tuple[int, int]] = []
        for line in lines:
            previous = None
            for lon, lat in line:
                here = self.project(lat, lon)
                index = self._junction(nodes, here)
                if previous is not None and previous != index:
                    edges.append((previous, index))
                previous = index
        self.nodes = np.array(nodes)
        self.seg_a = np.array([a for a, _ in edges], dtype=int)
        self.seg_b = np.array([b for _, b in edges], dtype=int)
        lengths = np.linalg.norm(self.nodes[self.seg_a] - self.nodes[self.seg_b], axis=1)
        count = len(self.nodes)
        self.graph = coo_matrix(
            (
                np.concatenate([lengths, lengths]),
                (
                    np.concatenate([self.seg_a, self.seg_b]),
                    np.concatenate([self.seg_b, self.seg_a]),
                ),
            ),
            shape=(count, count),
        ).tocsr()

    @classmethod
    def from_geojson(cls, collection: dict, kinds: Collection[str] = WALKABLE_KINDS):
        """The walkable LineStrings of a FeatureCollection (by ``properties.kind``), or None."""
        lines: list[list[tuple[float, float]]] = []
        for feature in collection.get("features", []):
            geometry = feature.get("geometry") or {}
            if (feature.get("properties") or {}).get("kind") not in kinds:
                continue
            if geometry.get("type") == "LineString":
                lines.append(geometry["coordinates"])
            elif geometry.get("type") == "MultiLineString":
                lines.extend(geometry["coordinates"])
        return cls(lines) if lines else None

    def project(self, lat, lon) -> np.ndarray:
        """Metres east and north of the network's centre."""
        lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
        x = np.radians(lon - self.lon0) * EARTH_RADIUS_M * math.cos(math.radians(self.lat0))
        y = np.radians(lat - self.lat0) * EARTH_RADIUS_M
        return np.stack([x, y], axis=-1)

    @staticmethod
    def _junction(nodes: list[np.ndarray], here: np.ndarray) -> int:
        for index, node in enumerate(nodes):
            if np.linalg.norm(node - here) <= JUNCTION_M:
                return index
        nodes.append(here)
        return len(nodes) - 1

    def snap(self, points: np.ndarray):
        """For each point (metres): the nearest segment, the position along it (0..1) and the
        distance to it."""
        a, b = self.nodes[self.seg_a], self.nodes[self.seg_b]
        ab = b - a
        length2 = np.maximum((ab**2).sum(axis=1), 1e-9)
        rel = points[:, None, :] - a[None, :, :]
        t = np.clip((rel * ab[None]).sum(axis=2) / length2[None], 0.0, 1.0)
        nearest = a[None] + t[..., None] * ab[None]
        gap = np.linalg.norm(points[:, None, :] - nearest, axis=2)
        segment = gap.argmin(axis=1)
        rows = np.arange(len(points))
        return segment, t[rows, segment], gap[rows, segment]

    def walking_m(self, origin: tuple[float, float], targets: np.ndarray, max_access_m: float):
        """Walking distances from ``origin`` (lat, lon) to each of ``targets`` ((n, 2) lat/lon);
        NaN where either end is off the network."""
        result = np.full(len(targets), np.nan)
        if not len(targets):
            return result
        start = self.project(*origin)[None, :]
        s_seg, s_t, s_gap = self.snap(start)
        if s_gap[0] > max_access_m:
            return result
        ends = self.project(targets[:, 0], targets[:, 1])
        seg, t, gap = self.snap(ends)
        lengths = np.linalg.norm(self.nodes[self.seg_b] - self.nodes[self.seg_a], axis=1)
        # From the start's snap point to both ends of its segment, then over the graph.
        s_len = lengths[s_seg[0]]
        from_start = dijkstra(
            self.graph,
            indices=[self.seg_a[s_seg[0]], self.seg_b[s_seg[0]]],
            min_only=False,
        )
        to_a = np.minimum(
            s_t[0] * s_len + from_start[0][self.seg_a[seg]],
            (1 - s_t[0]) * s_len + from_start[1][self.seg_a[seg]],
        )
        to_b = np.minimum(
            s_t[0] * s_len + from_start[0][self.seg_b[seg]],
            (1 - s_t[0]) * s_len + from_start[1][self.seg_b[seg]],
        )
        along = np.minimum(to_a + t * lengths[seg], to_b + (1 - t) * lengths[seg])
        same = seg == s_seg[0]
        along[same] = np.minimum(along[same], np.abs(t[same] - s_t[0]) * s_len)
        walk = s_gap[0] + along + gap
        usable = gap <= max_access_m
        result[usable] = walk[usable]
        return result


class PositionIndex:
    """The last known positions of the volunteers on duty, as arrays for fast queries.

    ``skills`` are sets of strings per volunteer (skills and language codes alike); they are
    kept as bit masks, so that the eligibility filter over 100,000 positions is one vector
    operation.
    """

    def __init__(
        self,
        keys: Sequence[int],
        lats: Sequence[float],
        lons: Sequence[float],
        seen_at: Sequence[float],  # POSIX timestamps of each position
        skills: Sequence[Iterable[str]],
        busy: Sequence[bool] | None = None,
    ) -> None:
        self.keys = np.asarray(keys, dtype=np.int64)
        self.lats = np.asarray(lats, dtype=float)
        self.lons = np.asarray(lons, dtype=float)
        self.seen_at = np.asarray(seen_at, dtype=float)
        self.busy = np.zeros(len(self.keys), bool) if busy is None else np.asarray(busy, bool)
        self.bits: dict[str, int] = {}
        masks = np.zeros(len(self.keys), dtype=object)
        for row, names in enumerate(skills):
            mask = 0
            for name in names:
                mask |= 1 << self.bits.setdefault(name, len(self.bits))
            masks[row] = mask
        # Up to 63 distinct skills fit one machine word; more fall back to Python integers.
        self.masks = masks.astype(np.int64) if len(self.bits) < 63 else masks

    def suggest(
        self,
        lat: float,
        lon: float,
        *,
        now: float,
        n: int = 3,
        needs: Iterable[str] = (),
        max_age_seconds: float = 300,
        exclude: Collection[int] = (),
        network: WalkingNetwork | None = None,
        max_access_m: float = MAX_ACCESS_M,
    ) -> list[Suggestion]:
        """The ``n`` nearest free, fresh, eligible volunteers to (lat, lon), nearest first.

        ``exclude`` holds who declined or let this incident time out: never offered again.
        """
        needed = 0
        for name in needs:
            if name not in self.bits:
                return []  # nobody on duty has it
            needed |= 1 << self.bits[name]
        eligible = ~self.busy & (now - self.seen_at <= max_age_seconds) & (self.seen_at <= now)
        if needed:
            eligible &= (self.masks & needed) == needed
        if exclude:
            eligible &= ~np.isin(self.keys, np.fromiter(exclude, dtype=np.int64))
        rows = np.flatnonzero(eligible)
        if not len(rows) or n <= 0:
            return []
        straight = haversine_m(lat, lon, self.lats[rows], self.lons[rows])
        order = np.argsort(straight, kind="stable")
        if network is None:
            chosen = order[:n]
            return [self._suggestion(rows[i], straight[i], "straight", now) for i in chosen]
        best: list[tuple[float, int, str]] = []
        for start in range(0, len(order), max(4 * n, 32)):
            batch = order[start : start + max(4 * n, 32)]
            if len(best) >= n and straight[batch[0]] >= best[n - 1][0]:
                break  # no one further down can walk there sooner
            points = np.stack([self.lats[rows[batch]], self.lons[rows[batch]]], axis=1)
            walk = network.walking_m((lat, lon), points, max_access_m)
            for i, distance in zip(batch, walk, strict=True):
                if np.isnan(distance):
                    best.append((float(straight[i]), int(i), "straight"))
                else:
                    best.append((max(float(distance), float(straight[i])), int(i), "walking"))
            best.sort()
        return [self._suggestion(rows[i], d, method, now) for d, i, method in best[:n]]

    def _suggestion(self, row: int, distance: float, method: str, now: float) -> Suggestion:
        return Suggestion(
            key=int(self.keys[row]),
            distance_m=round(float(distance), 1),
            method=method,
            age_seconds=round(float(now - self.seen_at[row]), 1),
        )
