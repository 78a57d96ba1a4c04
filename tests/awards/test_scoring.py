"""Scoring: weighted totals and their refusals, normalisation of harsh and lenient experts,
disagreement flags, shortlists, and prize tiers with the tie rule."""

import datetime as dt
import itertools

import numpy as np
import pytest

from huiwu.awards.scoring import (
    TIE_RULE,
    Entry,
    Placed,
    ScoringError,
    disagreement,
    normalise,
    rank_and_fill,
    shortlist,
    weighted_total,
)

WEIGHTS = {"novelty": 3, "impact": 1}
RANGES = {"novelty": (0, 10), "impact": (0, 10)}


def test_weighted_total_is_the_weighted_mean_of_the_criteria():
    assert weighted_total({"novelty": 8, "impact": 6}, WEIGHTS, RANGES) == 7.5
    assert weighted_total({"a": 7.0}, {"a": 0.4}) == pytest.approx(7.0)


@pytest.mark.parametrize(
    ("scores", "weights", "code", "params"),
    [
        ({"novelty": 8}, WEIGHTS, "missing_criterion", {"criterion": "impact"}),
        ({"novelty": 8, "impact": None}, WEIGHTS, "missing_criterion", {"criterion": "impact"}),
        (
            {"novelty": 8, "impact": 6, "charm": 9},
            WEIGHTS,
            "unknown_criterion",
            {"criterion": "charm"},
        ),
        (
            {"novelty": 11, "impact": 6},
            WEIGHTS,
            "out_of_range",
            {"criterion": "novelty", "score": 11, "min": 0, "max": 10},
        ),
        (
            {"novelty": -1, "impact": 6},
            WEIGHTS,
            "out_of_range",
            {"criterion": "novelty", "score": -1, "min": 0, "max": 10},
        ),
        ({"novelty": float("nan"), "impact": 6}, WEIGHTS, "not_a_number", {"criterion": "novelty"}),
        ({"novelty": "8", "impact": 6}, WEIGHTS, "not_a_number", {"criterion": "novelty"}),
        ({"novelty": True, "impact": 6}, WEIGHTS, "not_a_number", {"criterion": "novelty"}),
        ({"novelty": 8}, {"novelty": -1}, "bad_weights", {}),
        ({"novelty": 8}, {"novelty": 0}, "bad_weights", {}),
        ({}, {}, "bad_weights", {}),
    ],
)
def test_bad_scores_are_refused_with_a_code(scores, weights, code, params):
    with pytest.raises(ScoringError) as caught:
        weighted_total(scores, weights, RANGES)
    assert (caught.value.code, caught.value.params) == (code, params)


def test_numpy_numbers_are_scores_too():
    assert weighted_total({"a": np.int64(6), "b": np.float32(8)}, {"a": 1, "b": 1}) == 7


# --- Normalisation ----------------------------------------------------------------------------
BIAS = {"harsh": -2.0, "fair": 0.0, "kind": 1.5, "steady": 0.5}


def reviews_with_bias(quality: dict[str, float], per_submission: int = 3) -> list:
    """Every submission reviewed by ``per_submission`` experts in rotation, each expert adding
    their own bias to the true quality (no noise)."""
    experts = itertools.cycle(BIAS)
    reviews = []
    for submission, value in quality.items():
        for _ in range(per_submission):
            expert = next(experts)
            reviews.append((expert, submission, value + BIAS[expert]))
    return reviews


QUALITY = {f"s{i}": q for i, q in enumerate([5, 6, 7, 8, 6.5, 7.5, 5.5, 8.5, 6, 7, 4, 9])}


def test_z_score_lifts_the_harsh_expert_and_lowers_the_lenient_one():
    reviews = reviews_with_bias(QUALITY)
    result = normalise(reviews, "zscore")
    own = {e: [(s, x) for r_e, s, x in reviews if r_e == e] for e in BIAS}
    for submission, raw in own["harsh"]:
        assert result.scores[("harsh", submission)] > raw - 1e-9
    assert (
        np.mean([result.scores[("harsh", s)] for s, _ in own["harsh"]])
        > np.mean([x for _, x in own["harsh"]]) + 1
    )
    assert np.mean([result.scores[("kind", s)] for s, _ in own["kind"]]) < np.mean(
        [x for _, x in own["kind"]]
    )
    explanation = result.explanations["harsh"]
    assert explanation["code"] == "zscore"
    assert explanation["n"] == len(own["harsh"])


@pytest.mark.parametrize(
    ("method", "options", "left"),
    [("bias", {"shrink": 0}, 0.001), ("bias", {}, 0.15), ("zscore", {}, 0.3)],
)
def test_equally_good_submissions_rank_alike_whoever_reviewed_them(method, options, left):
    quality = dict(QUALITY)
    quality |= {"by-harsh": 7.0, "by-kind": 7.0}
    reviews = reviews_with_bias(QUALITY)
    reviews += [("harsh", "by-harsh", 5.0), ("fair", "by-harsh", 7.0)]
    reviews += [("kind", "by-kind", 8.5), ("steady", "by-kind", 7.5)]
    result = normalise(reviews, method, **options)
    raw_gap = result.raw_means["by-kind"] - result.raw_means["by-harsh"]
    gap = result.means["by-kind"] - result.means["by-harsh"]
    assert raw_gap == pytest.approx(2.0)
    # The bias model compares experts on shared submissions and removes the gap (all of it
    # without shrinkage); the z-score only knows each expert's own mean and spread and removes
    # most of it.
    assert abs(gap) < left * raw_gap


def test_plain_least_squares_bias_recovers_each_experts_bias_exactly():
    result = normalise(reviews_with_bias(QUALITY), "bias", shrink=0)
    fitted = {e: info["bias"] for e, info in result.explanations.items()}
    centre = np.mean(list(BIAS.values()))
    for expert, bias in BIAS.items():
        assert fitted[expert] == pytest.approx(bias - centre, abs=1e-6)
    assert sum(fitted.values()) == pytest.approx(0, abs=1e-9)
    # With the biases gone, every submission's mean is its quality (up to the common centre).
    for submission, quality in QUALITY.items():
        assert result.means[submission] == pytest.approx(quality + centre, abs=1e-6)


def test_shrinkage_corrects_an_expert_seen_once_only_part_of_the_way():
    reviews = [*reviews_with_bias(QUALITY), ("newcomer", "s0", QUALITY["s0"] - 3)]
    plain = normalise(reviews, "bias", shrink=0).explanations["newcomer"]["bias"]
    shrunk = normalise(reviews, "bias").explanations["newcomer"]["bias"]
    assert plain < shrunk < 0


def test_z_score_leaves_an_expert_with_one_review_alone_and_shifts_a_flat_one():
    reviews = [("a", 1, 4.0), ("a", 2, 8.0), ("b", 1, 9.0), ("c", 1, 6.0), ("c", 2, 6.0)]
    result = normalise(reviews, "zscore")
    assert result.explanations["b"] == {"code": "too_few", "n": 1}
    assert result.scores[("b", 1)] == 9.0
    assert result.explanations["c"] == {"code": "no_spread", "mean": 6.0, "n": 2}
    overall = np.mean([4, 8, 9, 6, 6])
    assert result.scores[("c", 1)] == pytest.approx(overall)
    assert result.raw_means == {1: pytest.approx(19 / 3), 2: 7.0}


def test_normalised_reviews_are_listed_as_triples():
    result = normalise([("a", 1, 4.0), ("b", 1, 6.0)], "bias", shrink=0)
    assert sorted(result.reviews) == [("a", 1, 5.0), ("b", 1, 5.0)]


@pytest.mark.parametrize(
    ("reviews", "method", "error"),
    [
        ([("a", 1, 5)], "median", ScoringError),
        ([("a", 1, float("inf"))], "zscore", ScoringError),
        ([("a", 1, 5), ("a", 1, 6)], "zscore", ValueError),
    ],
)
def test_bad_normalisation_input_is_refused(reviews, method, error):
    with pytest.raises(error):
        normalise(reviews, method)


def test_no_reviews_normalise_to_nothing():
    result = normalise([], "bias")
    assert (result.scores, result.means, result.raw_means) == ({}, {}, {})


# --- Disagreement -----------------------------------------------------------------------------
def test_a_review_far_from_the_others_and_a_split_submission_are_flagged():
    rng = np.random.default_rng(1)
    reviews = [
        (f"e{j}", f"s{i}", 7 + float(rng.normal(0, 0.3))) for i in range(10) for j in range(3)
    ]
    reviews += [("e0", "odd", 2.0), ("e1", "odd", 8.0), ("e2", "odd", 8.2)]
    reviews += [("e0", "split", 3.0), ("e1", "split", 9.0)]
    flags = disagreement(reviews)
    assert [(e, s) for e, s, _, _ in flags.outliers] == [("e0", "odd")]
    assert flags.outliers[0][2:] == (2.0, pytest.approx(8.1))
    assert sorted(s for s, _ in flags.high_spread) == ["odd", "split"]


def test_nothing_is_flagged_when_every_expert_agrees():
    reviews = [(e, s, 6.0) for e in "abc" for s in range(5)]
    flags = disagreement(reviews)
    assert (flags.outliers, flags.high_spread, flags.typical_spread) == ([], [], 0.0)


# --- Ranking, tiers and shortlists ------------------------------------------------------------
def test_tiers_are_filled_by_quota_in_rank_order_and_unscored_get_nothing():
    items = [(f"p{i}", float(score), None) for i, score in enumerate([3, 9, 7, 8, 1, 6, 5])]
    items.append(("unscored", None, None))
    placed = rank_and_fill(items, [("special", 1), ("first", 2), ("second", 3)])
    assert [(p.submission, p.tier, p.rank) for p in placed] == [
        ("p1", "special", 1),
        ("p3", "first", 2),
        ("p2", "first", 3),
        ("p5", "second", 4),
        ("p6", "second", 5),
        ("p0", "second", 6),
        ("p4", None, 7),
        ("unscored", None, 8),
    ]
    assert all(p.tie_broken_by is None for p in placed)


def test_quotas_larger_than_the_field_leave_tiers_short():
    placed = rank_and_fill([("a", 5.0, None)], [("first", 3)])
    assert placed == [Placed("a", "first", 1, None)]


def test_ties_are_broken_by_the_documented_rule_in_order():
    morning = dt.datetime(2024, 9, 1, 9, 0, tzinfo=dt.UTC)
    evening = dt.datetime(2024, 9, 1, 21, 0, tzinfo=dt.UTC)
    items = [
        Entry(5, 8.0, reviews=3, lowest_review=7.0, submitted_at=evening),
        Entry(4, 8.0, reviews=3, lowest_review=7.0, submitted_at=evening),
        Entry(3, 8.0, reviews=3, lowest_review=7.0, submitted_at=morning),
        Entry(2, 8.0, reviews=3, lowest_review=7.5, submitted_at=evening),
        Entry(1, 8.0, reviews=4, lowest_review=6.0, submitted_at=evening),
        Entry(0, 8.5, reviews=1, lowest_review=8.5, submitted_at=evening),
    ]
    placed = rank_and_fill(items, [("first", 2), ("second", 3)])
    assert [(p.submission, p.tier, p.tie_broken_by) for p in placed] == [
        (0, "first", None),
        (1, "first", "reviews"),
        (2, "second", "reviews"),
        (3, "second", "lowest_review"),
        (4, "second", "submitted_at"),
        (5, None, "submission"),
    ]
    assert TIE_RULE == ("score", "reviews", "lowest_review", "submitted_at", "submission")


def test_scores_equal_but_for_rounding_noise_are_a_tie():
    placed = rank_and_fill(
        [Entry("b", 0.1 + 0.2, reviews=3), Entry("a", 0.3, reviews=2)], [("first", 1)]
    )
    assert [(p.submission, p.tie_broken_by) for p in placed] == [
        ("b", "reviews"),
        ("a", "reviews"),
    ]


@pytest.mark.parametrize("quota", [-1, 1.5, True])
def test_a_bad_quota_is_refused(quota):
    with pytest.raises(ScoringError) as caught:
        rank_and_fill([("a", 1.0, None)], [("first", quota)])
    assert caught.value.code == "bad_quota"


def test_shortlist_takes_the_best_n_of_each_track_with_ties_decided_by_the_rule():
    items = [
        Entry("ai-1", 9.0, "AI", reviews=3),
        Entry("ai-2", 8.0, "AI", reviews=3),
        Entry("ai-3", 8.0, "AI", reviews=2),
        Entry("chip-1", 6.0, "chips", reviews=3),
        Entry("chip-2", None, "chips"),
    ]
    assert shortlist(items, top_n_per_track=2) == ["ai-1", "ai-2", "chip-1"]
    assert shortlist(items, threshold=8.0) == ["ai-1", "ai-2", "ai-3"]
    assert shortlist(items, top_n_per_track=1, threshold=7.0) == ["ai-1"]


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [({}, "no_rule"), ({"top_n_per_track": -2}, "bad_quota")],
)
def test_a_shortlist_without_a_valid_rule_is_refused(kwargs, code):
    with pytest.raises(ScoringError) as caught:
        shortlist([("a", 1.0, None)], **kwargs)
    assert caught.value.code == code
