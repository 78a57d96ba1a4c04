"""The 1:N gallery and the admit / no_match decisions of the gates.

Pure (numpy, no Django). Keys are ``Registration.pk``. A summit's gallery holds a few thousand
descriptors; a search restricted to the guests allowed in a zone is a matrix product over a few
hundred rows, well under a millisecond.
"""

from __future__ import annotations

import csv
import threading
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from huiwu.checkin.faces import (
    Engine,
    FaceError,
    Thresholds,
    enrolment_descriptor,
    load_image,
    probe_descriptor,
)

ADMIT, NO_MATCH = "admit", "no_match"


@dataclass(frozen=True)
class Match:
    outcome: str  # ADMIT | NO_MATCH
    key: int | None  # the admitted key; None unless admitted
    distance: float | None  # best distance found (also on no_match, for the audit log)
    margin: float | None  # second-best distance minus best; None with a single candidate


class Gallery:
    """A thread-safe nearest-neighbour index over (key -> descriptor).

    Rows live in a preallocated float32 matrix that doubles when full; removing a key moves the
    last row into its place, so add and remove are O(dimension) and the matrix stays dense.
    """

    def __init__(self, dimension: int, distance: str):
        if distance not in ("cosine", "euclidean"):
            raise ValueError(f"Unknown distance {distance!r}: cosine or euclidean.")
        self.dimension = dimension
        self.distance = distance
        self._lock = threading.RLock()
        self._matrix = np.zeros((16, dimension), dtype=np.float32)
        self._keys = np.zeros(16, dtype=np.int64)
        self._squares = np.zeros(16, dtype=np.float32)  # squared norms, for Euclidean search
        self._rows: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, key: int) -> bool:
        return key in self._rows

    def _vector(self, vector) -> np.ndarray:
        vector = np.asarray(vector, dtype=np.float32).reshape(-1)
        if vector.shape != (self.dimension,) or not np.all(np.isfinite(vector)):
            raise ValueError(f"A descriptor must be {self.dimension} finite numbers.")
        if self.distance == "cosine":
            norm = float(np.linalg.norm(vector))
            if norm == 0.0:
                raise ValueError("A zero descriptor has no direction.")
            vector = vector / norm
        return vector

    def add(self, key: int, vector) -> None:
        """Store ``vector`` under ``key``, replacing the key's previous descriptor."""
        vector = self._vector(vector)
        with self._lock:
            row = self._rows.get(key)
            if row is None:
                row = len(self._rows)
                if row == len(self._keys):
                    self._grow()
                self._rows[key] = row
                self._keys[row] = key
            self._matrix[row] = vector
            self._squares[row] = vector @ vector

    def _grow(self) -> None:
        size = 2 * len(self._keys)
        for name in ("_matrix", "_keys", "_squares"):
            old = getattr(self, name)
            new = np.zeros((size, *old.shape[1:]), dtype=old.dtype)
            new[: len(old)] = old
            setattr(self, name, new)

    def remove(self, key: int) -> None:
        """Forget ``key`` (nothing happens when it is not there)."""
        with self._lock:
            row = self._rows.pop(key, None)
            if row is None:
                return
            last = len(self._rows)
            if row != last:
                moved = int(self._keys[last])
                self._matrix[row] = self._matrix[last]
                self._keys[row] = moved
                self._squares[row] = self._squares[last]
                self._rows[moved] = row

    def search(
        self, probe, k: int = 2, allowed: Collection[int] | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` nearest keys with their distances, nearest first; only keys in ``allowed``
        are candidates when it is given (unknown keys in it are ignored)."""
        probe = self._vector(probe)
        with self._lock:
            # Everything under the lock: a concurrent remove moves rows and keys in place.
            count = len(self._rows)
            if allowed is None:
                matrix, squares, keys = (
                    self._matrix[:count],
                    self._squares[:count],
                    self._keys[:count],
                )
            else:
                wanted = (self._rows.get(key) for key in allowed)
                rows = np.fromiter((row for row in wanted if row is not None), dtype=np.int64)
                matrix, squares, keys = self._matrix[rows], self._squares[rows], self._keys[rows]
            if len(keys) == 0:
                return []
            products = matrix @ probe
            if self.distance == "cosine":
                distances = 1.0 - products
            else:
                distances = np.sqrt(np.maximum(squares - 2.0 * products + probe @ probe, 0.0))
            k = min(k, len(distances))
            nearest = np.argpartition(distances, k - 1)[:k] if k < len(distances) else np.arange(k)
            nearest = nearest[np.argsort(distances[nearest], kind="stable")]
            return [(int(keys[i]), float(distances[i])) for i in nearest]


def verify(engine: Engine, enrolled, probe, *, thresholds: Thresholds | None = None) -> Match:
    """1:1: does the probe show the guest whose descriptor is ``enrolled``?"""
    thresholds = thresholds or engine.thresholds
    distance = float(engine.distances(np.asarray(probe), np.asarray(enrolled)[np.newaxis])[0])
    outcome = ADMIT if distance < thresholds.verify else NO_MATCH
    return Match(outcome=outcome, key=None, distance=distance, margin=None)


def identify(
    engine: Engine,
    gallery: Gallery,
    probe,
    allowed: Collection[int] | None = None,
    *,
    thresholds: Thresholds | None = None,
) -> Match:
    """1:N over the gallery (restricted to ``allowed``): admit the nearest key only when it is
    under the identify threshold AND the second-best is at least the margin further away."""
    if gallery.dimension != engine.dimension:
        raise ValueError(f"A {engine.name} probe cannot be searched in this gallery.")
    thresholds = thresholds or engine.thresholds
    found = gallery.search(probe, k=2, allowed=allowed)
    if not found:
        return Match(outcome=NO_MATCH, key=None, distance=None, margin=None)
    key, best = found[0]
    margin = found[1][1] - best if len(found) > 1 else None
    clear = margin is None or margin >= thresholds.margin
    if best < thresholds.identify and clear:
        return Match(outcome=ADMIT, key=key, distance=best, margin=margin)
    return Match(outcome=NO_MATCH, key=None, distance=best, margin=margin)


# --- Accuracy on a labelled face folder ---------------------------------------------------------
# The protocol of the check-in issue, shared by the calibration, the benchmark and the accuracy
# tests: the same enrolment and decision functions as the gates.


@dataclass
class Probe:
    identity: str
    file: str
    descriptor: np.ndarray | None  # None when no face was found: never admitted


@dataclass
class LabelledSet:
    """Descriptors of a folder laid out as ``../shared/data/faces`` (``labels.csv``:
    file,identity,role,...): one enrolled photo per ``known`` identity (the first by file name
    that enrolment accepts), the others as genuine probes, every ``impostor`` photo a stranger."""

    engine: Engine
    enrolled: dict[str, np.ndarray] = field(default_factory=dict)
    enrolled_files: dict[str, str] = field(default_factory=dict)
    enrol_refused: list[tuple[str, str]] = field(default_factory=list)  # (file, FaceError code)
    genuine: list[Probe] = field(default_factory=list)
    impostor: list[Probe] = field(default_factory=list)

    @property
    def keys(self) -> dict[str, int]:
        return {identity: key for key, identity in enumerate(sorted(self.enrolled))}

    def gallery(self) -> Gallery:
        gallery = Gallery(self.engine.dimension, DISTANCES[self.engine.name])
        for identity, key in self.keys.items():
            gallery.add(key, self.enrolled[identity])
        return gallery


DISTANCES = {"arcface": "cosine", "dlib": "euclidean"}


def _probe(engine: Engine, identity: str, path: Path) -> Probe:
    try:
        descriptor = probe_descriptor(engine, load_image(path.read_bytes()))
    except FaceError:
        descriptor = None
    return Probe(identity=identity, file=path.name, descriptor=descriptor)


def load_labelled_set(engine: Engine, folder: Path) -> LabelledSet:
    """Enrol and encode a labelled folder with the product's own functions."""
    with open(folder / "labels.csv", newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    result = LabelledSet(engine=engine)
    known: dict[str, list[str]] = {}
    for row in rows:
        if row["role"] == "known":
            known.setdefault(row["identity"], []).append(row["file"])
        elif row["role"] == "impostor":
            result.impostor.append(_probe(engine, row["identity"], folder / row["file"]))
    for identity, files in sorted(known.items()):
        for name in sorted(files, key=lambda name: Path(name).name):
            if identity in result.enrolled:
                result.genuine.append(_probe(engine, identity, folder / name))
                continue
            try:
                result.enrolled[identity] = enrolment_descriptor(
                    engine, (folder / name).read_bytes()
                )
                result.enrolled_files[identity] = name
            except FaceError as error:
                result.enrol_refused.append((name, error.code))
                result.genuine.append(_probe(engine, identity, folder / name))
    # A refused photo was a genuine probe only if its identity ended up enrolled at all.
    result.genuine = [probe for probe in result.genuine if probe.identity in result.enrolled]
    return result


def accuracy(labelled: LabelledSet, thresholds: Thresholds | None = None) -> dict:
    """The issue's figures for one folder: rank-1, identify TAR / misidentifications / FAR, and
    verify FAR / FRR over all genuine and impostor pairs."""
    engine, keys, gallery = labelled.engine, labelled.keys, labelled.gallery()
    thresholds = thresholds or engine.thresholds
    rank1 = admitted = misidentified = strangers_admitted = 0
    for probe in labelled.genuine:
        if probe.descriptor is None:
            continue
        nearest = gallery.search(probe.descriptor, k=1)
        rank1 += nearest[0][0] == keys[probe.identity]
        match = identify(engine, gallery, probe.descriptor, thresholds=thresholds)
        if match.outcome == ADMIT:
            admitted += match.key == keys[probe.identity]
            misidentified += match.key != keys[probe.identity]
    for probe in labelled.impostor:
        if probe.descriptor is not None:
            match = identify(engine, gallery, probe.descriptor, thresholds=thresholds)
            strangers_admitted += match.outcome == ADMIT
    genuine_pairs = genuine_refused = impostor_pairs = impostor_admitted = 0
    for probe in labelled.genuine + labelled.impostor:
        for identity, enrolled in labelled.enrolled.items():
            same = identity == probe.identity
            admit = probe.descriptor is not None and (
                verify(engine, enrolled, probe.descriptor, thresholds=thresholds).outcome == ADMIT
            )
            if same:
                genuine_pairs += 1
                genuine_refused += not admit
            else:
                impostor_pairs += 1
                impostor_admitted += admit
    genuine, impostor = len(labelled.genuine), len(labelled.impostor)
    return {
        "engine": engine.name,
        "enrolled": len(labelled.enrolled),
        "enrol_refused": len(labelled.enrol_refused),
        "genuine_probes": genuine,
        "impostor_probes": impostor,
        "rank1": rank1 / genuine if genuine else None,
        "tar": admitted / genuine if genuine else None,
        "misid": misidentified / genuine if genuine else None,
        "far": strangers_admitted / impostor if impostor else None,
        "threshold": thresholds.identify,
        "margin": thresholds.margin,
        "verify_threshold": thresholds.verify,
        "verify_pairs_genuine": genuine_pairs,
        "verify_pairs_impostor": impostor_pairs,
        "verify_far": impostor_admitted / impostor_pairs if impostor_pairs else None,
        "verify_frr": genuine_refused / genuine_pairs if genuine_pairs else None,
    }
