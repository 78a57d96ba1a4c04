"""The 1:N gallery and the admit / no_match decisions (pure, numpy)."""

import threading

import numpy as np
import pytest

from huiwu.checkin import faces
from huiwu.checkin.faces import Thresholds
from huiwu.checkin.gallery import ADMIT, NO_MATCH, Gallery, Match, identify, verify


def unit_vectors(count: int, dimension: int, seed: int = 7) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(count, dimension)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def brute_force(vectors: dict[int, np.ndarray], probe: np.ndarray, distance: str):
    keys = sorted(vectors)
    matrix = np.stack([vectors[key] for key in keys])
    if distance == "cosine":
        values = 1 - matrix @ probe / np.linalg.norm(probe)
    else:
        values = np.linalg.norm(matrix - probe, axis=1)
    order = np.argsort(values, kind="stable")
    return [(keys[i], float(values[i])) for i in order]


@pytest.fixture(scope="module")
def arcface():
    return faces.get_engine("arcface")


@pytest.mark.parametrize("distance", ["cosine", "euclidean"])
def test_search_finds_the_same_neighbours_as_brute_force(distance):
    vectors = dict(enumerate(unit_vectors(300, 64), start=1000))
    gallery = Gallery(64, distance)
    for key, vector in vectors.items():
        gallery.add(key, vector)
    for probe in unit_vectors(20, 64, seed=8):
        expected = brute_force(vectors, probe, distance)[:3]
        found = gallery.search(probe, k=3)
        assert [key for key, _ in found] == [key for key, _ in expected]
        assert [d for _, d in found] == pytest.approx([d for _, d in expected], abs=1e-5)


def test_add_replaces_and_remove_forgets():
    a, b, c = unit_vectors(3, 8)
    gallery = Gallery(8, "cosine")
    gallery.add(1, a)
    gallery.add(2, b)
    gallery.add(1, c)  # 1 re-enrolled with a new photo
    assert len(gallery) == 2
    assert gallery.search(c, k=1) == [(1, pytest.approx(0.0, abs=1e-6))]
    assert gallery.search(a, k=2)[0][0] != 1 or gallery.search(a, k=2)[0][1] > 1e-3
    gallery.remove(1)
    gallery.remove(1)  # twice: nothing happens
    gallery.remove(99)
    assert len(gallery) == 1
    assert 1 not in gallery
    assert [key for key, _ in gallery.search(c, k=5)] == [2]


def test_removal_in_the_middle_keeps_every_other_key_findable():
    vectors = dict(enumerate(unit_vectors(100, 16)))
    gallery = Gallery(16, "euclidean")
    for key, vector in vectors.items():
        gallery.add(key, vector)
    for key in range(0, 100, 3):
        gallery.remove(key)
        del vectors[key]
    assert len(gallery) == len(vectors)
    for key, vector in vectors.items():
        assert gallery.search(vector, k=1)[0] == (key, pytest.approx(0.0, abs=1e-3))


def test_allowed_restricts_the_candidates():
    vectors = unit_vectors(50, 32)
    gallery = Gallery(32, "cosine")
    for key, vector in enumerate(vectors):
        gallery.add(key, vector)
    found = gallery.search(vectors[5], k=2, allowed={7, 9, 5000})
    assert {key for key, _ in found} == {7, 9}
    assert gallery.search(vectors[5], k=2, allowed=[]) == []
    assert gallery.search(vectors[5], k=2, allowed={5000}) == []
    assert gallery.search(vectors[5], k=1, allowed=range(50))[0][0] == 5


def test_an_empty_gallery_finds_nothing():
    assert Gallery(8, "cosine").search(unit_vectors(1, 8)[0]) == []


@pytest.mark.parametrize(
    "vector", [np.zeros(8), np.ones(7), np.array([np.nan] * 8), np.array([np.inf] + [0] * 7)]
)
def test_bad_descriptors_are_refused(vector):
    gallery = Gallery(8, "cosine")
    with pytest.raises(ValueError):
        gallery.add(1, vector)
    assert len(gallery) == 0


def test_unknown_distance_is_refused():
    with pytest.raises(ValueError):
        Gallery(8, "manhattan")


def test_concurrent_adds_removes_and_searches_stay_consistent():
    """Enrolments and withdrawals of consent arrive while gates search: no search ever sees a
    half-moved row, and the final content is exactly what was left."""
    vectors = unit_vectors(2000, 32)
    gallery = Gallery(32, "cosine")
    for key in range(1000):
        gallery.add(key, vectors[key])
    errors = []
    stop = threading.Event()

    def writer(start: int) -> None:
        try:
            for key in range(start, 2000, 4):
                gallery.add(key, vectors[key])
                gallery.remove(key - 1000)
        except Exception as error:  # reported below
            errors.append(error)

    def reader() -> None:
        try:
            while not stop.is_set():
                key = int(np.random.default_rng().integers(0, 2000))
                for found, distance in gallery.search(vectors[key], k=2):
                    # Every key found carries its own vector, never a neighbour's.
                    expected = 1 - float(vectors[found] @ vectors[key])
                    assert distance == pytest.approx(expected, abs=1e-4)
        except Exception as error:
            errors.append(error)

    writers = [threading.Thread(target=writer, args=(1000 + i,)) for i in range(4)]
    readers = [threading.Thread(target=reader) for _ in range(3)]
    for thread in writers + readers:
        thread.start()
    for thread in writers:
        thread.join(timeout=120)
    stop.set()
    for thread in readers:
        thread.join(timeout=120)
    assert errors == []
    assert len(gallery) == 1000
    for key in range(1000, 2000, 97):
        assert gallery.search(vectors[key], k=1)[0][0] == key


# --- Decisions ----------------------------------------------------------------------------------

STRICT = Thresholds(verify=0.4, identify=0.3, margin=0.1)


def vector_at(base: np.ndarray, distance: float, seed: int) -> np.ndarray:
    """A unit vector at cosine distance ``distance`` from the unit vector ``base``."""
    other = unit_vectors(1, len(base), seed=1000 + seed)[0]  # never ``base`` itself
    other = other - (other @ base) * base
    other /= np.linalg.norm(other)
    cos = 1 - distance
    return (cos * base + np.sqrt(1 - cos**2) * other).astype(np.float32)


def test_verify_admits_under_the_threshold_only(arcface):
    base = unit_vectors(1, 512)[0]
    close, far = vector_at(base, 0.35, 1), vector_at(base, 0.45, 2)
    assert verify(arcface, base, close, thresholds=STRICT) == Match(
        ADMIT, None, pytest.approx(0.35, abs=1e-4), None
    )
    assert verify(arcface, base, far, thresholds=STRICT).outcome == NO_MATCH


def test_identify_admits_a_clear_nearest_under_the_threshold(arcface):
    base = unit_vectors(1, 512)[0]
    gallery = Gallery(512, "cosine")
    gallery.add(10, base)
    gallery.add(11, vector_at(base, 0.8, 3))
    match = identify(arcface, gallery, vector_at(base, 0.2, 4), thresholds=STRICT)
    assert (match.outcome, match.key) == (ADMIT, 10)
    assert match.distance == pytest.approx(0.2, abs=1e-4)
    assert match.margin > 0.1


def test_identify_refuses_when_the_second_best_is_too_close(arcface):
    """Two guests nearly equally close: the gate cannot tell which, so nobody is admitted."""
    base = unit_vectors(1, 512)[0]
    probe = vector_at(base, 0.2, 5)
    gallery = Gallery(512, "cosine")
    gallery.add(10, base)
    gallery.add(11, vector_at(probe, 0.25, 6))
    match = identify(arcface, gallery, probe, thresholds=STRICT)
    assert match.outcome == NO_MATCH
    assert match.key is None
    assert match.margin < STRICT.margin
    # Restricted to the one guest allowed in the zone, the same probe is admitted.
    assert identify(arcface, gallery, probe, allowed={10}, thresholds=STRICT).key == 10


def test_identify_refuses_over_the_threshold_and_on_an_empty_zone(arcface):
    base = unit_vectors(1, 512)[0]
    gallery = Gallery(512, "cosine")
    gallery.add(10, base)
    assert identify(arcface, gallery, vector_at(base, 0.35, 7), thresholds=STRICT).outcome == (
        NO_MATCH
    )
    assert identify(arcface, gallery, base, allowed=set()) == Match(NO_MATCH, None, None, None)


def test_identify_uses_the_engine_thresholds_by_default(arcface):
    base = unit_vectors(1, 512)[0]
    gallery = Gallery(512, "cosine")
    gallery.add(1, base)
    under = vector_at(base, arcface.thresholds.identify - 0.02, 8)
    over = vector_at(base, arcface.thresholds.identify + 0.02, 9)
    assert identify(arcface, gallery, under).outcome == ADMIT
    assert identify(arcface, gallery, over).outcome == NO_MATCH


def test_identify_refuses_a_gallery_of_another_engine(arcface):
    with pytest.raises(ValueError):
        identify(arcface, Gallery(128, "euclidean"), unit_vectors(1, 512)[0])
