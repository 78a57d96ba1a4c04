"""Review assignment: hand-checked optima, constraints that always hold (checked by code written
apart from the solver), the LP bound, the fair variant, and impossible problems named."""

from collections import Counter

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from huiwu.awards.assignment import (
    COST_SCALE,
    AssignmentInfeasible,
    Problem,
    assign,
    lp_relaxation,
    violations,
)


def broken_rules(problem: Problem, pairs) -> list[str]:
    """An independent check of an assignment against its problem, written without the module's
    helpers: duplicates, k per submission, load bounds, excluded and pinned pairs."""
    experts, submissions = problem.affinity.shape
    k = np.broadcast_to(problem.k, (submissions,))
    low = np.broadcast_to(problem.min_load, (experts,))
    high = np.broadcast_to(
        submissions if problem.max_load is None else problem.max_load, (experts,)
    )
    found = []
    if len(pairs) != len(set(pairs)):
        found.append("duplicate")
    per_submission = Counter(s for _, s in pairs)
    per_expert = Counter(e for e, _ in pairs)
    found += [f"k {s}" for s in range(submissions) if per_submission[s] != k[s]]
    found += [f"load {e}" for e in range(experts) if not low[e] <= per_expert[e] <= high[e]]
    found += [f"excluded {p}" for p in pairs if p in problem.conflicts or p in problem.forbidden]
    found += [f"unpinned {p}" for p in problem.pinned if p not in pairs]
    if problem.tracks is not None:
        for e, s in pairs:
            allowed = problem.expert_tracks[e]
            if allowed is not None and problem.tracks[s] not in allowed:
                found.append(f"track {(e, s)}")
    if sp.issparse(problem.affinity):
        stored = set(zip(*problem.affinity.nonzero(), strict=True))
        found += [f"not a candidate {p}" for p in pairs if p not in stored | problem.pinned]
    return found


def independent_lp(problem: Problem) -> float | None:
    """The LP over every (expert, submission) variable, built straight from the problem: the
    optimum, or None when no fractional assignment exists (then no integral one does)."""
    if sp.issparse(problem.affinity):
        matrix = problem.affinity.toarray()
        upper = (matrix != 0).astype(float)
    else:
        matrix = np.asarray(problem.affinity, dtype=float)
        upper = np.ones(matrix.shape)
    experts, submissions = matrix.shape
    lower = np.zeros((experts, submissions))
    for pair in problem.pinned:  # a pinned pair needs no candidate entry
        upper[pair] = 1
    for pair in set(problem.conflicts) | set(problem.forbidden):
        upper[pair] = 0
    if problem.tracks is not None:
        for e, allowed in enumerate(problem.expert_tracks):
            for s, track in enumerate(problem.tracks):
                if allowed is not None and track not in allowed:
                    upper[e, s] = 0
    for pair in problem.pinned:
        lower[pair] = 1
    if np.any(lower > upper):
        return None
    each_submission = np.kron(np.ones(experts), np.eye(submissions))
    each_expert = np.kron(np.eye(experts), np.ones(submissions))
    high = submissions if problem.max_load is None else problem.max_load
    result = linprog(
        -matrix.ravel(),
        A_ub=np.vstack([each_expert, -each_expert]),
        b_ub=np.concatenate([np.full(experts, high), -np.full(experts, problem.min_load)]),
        A_eq=each_submission,
        b_eq=np.full(submissions, problem.k),
        bounds=list(zip(lower.ravel(), upper.ravel(), strict=True)),
        method="highs",
    )
    return -result.fun if result.status == 0 else None


def test_the_optimum_beats_the_greedy_choice():
    # Greedy takes expert 0 for submission 0 (9) and is left with 1 + 5 = 15; the optimum
    # gives submission 0 to expert 1 and submission 1 to expert 0: 8 + 8 + 5 = 21.
    scores = np.array([[9, 8, 1], [8, 1, 1], [1, 1, 5]], dtype=float)
    result = assign(Problem(scores, k=1, max_load=1))
    assert result.pairs == [(0, 1), (1, 0), (2, 2)]
    assert result.objective == pytest.approx(21)
    assert result.upper_bound == pytest.approx(9 + 8 + 5)
    assert result.violations == []


def test_a_minimum_load_moves_the_cheapest_submissions_to_the_weaker_expert():
    scores = np.array([[5, 5, 5, 5], [1, 2, 3, 4]], dtype=float)
    result = assign(Problem(scores, k=1, min_load=2, max_load=4))
    assert result.pairs == [(0, 0), (0, 1), (1, 2), (1, 3)]
    assert result.objective == pytest.approx(17)
    assert result.load_spread == (2, 2)
    assert result.loads.tolist() == [2, 2]


def test_per_submission_figures_of_a_hand_checked_assignment():
    scores = np.array([[0.9, 0.2], [0.5, 0.6], [0.1, 0.7]])
    result = assign(Problem(scores, k=2, max_load=2))
    assert result.pairs == [(0, 0), (1, 0), (1, 1), (2, 1)]
    np.testing.assert_allclose(result.submission_min, [0.5, 0.6])
    np.testing.assert_allclose(result.submission_mean, [0.7, 0.65])
    assert result.min_affinity == pytest.approx(0.5)
    assert result.mean_affinity == pytest.approx(0.675)


def test_conflicted_and_forbidden_pairs_are_never_used_and_pinned_ones_always_are():
    scores = np.array([[0.9, 0.9, 0.9], [0.5, 0.5, 0.5], [0.1, 0.1, 0.1]])
    problem = Problem(
        scores, k=1, max_load=2, conflicts={(0, 0)}, forbidden={(0, 1)}, pinned={(2, 2)}
    )
    result = assign(problem)
    assert result.pairs == [(1, 0), (1, 1), (2, 2)]
    assert broken_rules(problem, result.pairs) == []


def test_with_sparse_candidates_only_stored_pairs_are_used():
    dense = np.array([[0.9, 0.8], [0.7, 0.1], [0.2, 0.6]])
    candidates = sp.csc_matrix(([0.9, 0.7, 0.6, 0.8], ([0, 1, 2, 0], [0, 0, 1, 1])), (3, 2))
    result = assign(Problem(candidates, k=2, max_load=2))
    assert result.pairs == [(0, 0), (0, 1), (1, 0), (2, 1)]
    assert result.objective == pytest.approx(dense[0, 0] + dense[1, 0] + 0.8 + 0.6)
    assert violations(Problem(candidates, k=2, max_load=2), [(1, 1), (0, 0)]) == [
        "pair (1, 1) is not a candidate",
        "submission 0 has 1 experts instead of 2",
        "submission 1 has 1 experts instead of 2",
    ]


def test_a_pinned_pair_outside_the_sparse_candidates_is_still_assigned():
    # An expert who already reviewed a submission keeps it though the new candidates differ.
    candidates = sp.csc_matrix(([0.9, 0.8], ([0, 1], [0, 1])), (2, 2))
    problem = Problem(candidates, k=1, max_load=2, pinned={(1, 0)})
    result = assign(problem)
    assert result.pairs == [(1, 0), (1, 1)]
    assert result.objective == pytest.approx(0.8)
    assert result.violations == []


def test_experts_review_only_in_their_tracks():
    scores = np.full((3, 4), 0.5)
    scores[0] = 0.9  # the strongest expert is limited to track 1
    problem = Problem(scores, k=1, max_load=4, tracks=[0, 0, 1, 1], expert_tracks=[{1}, None, {0}])
    result = assign(problem)
    assert {s for e, s in result.pairs if e == 0} == {2, 3}
    assert broken_rules(problem, result.pairs) == []


def test_fair_assignment_raises_the_worst_pair_at_some_cost_in_total():
    scores = np.array([[10, 3], [3, 2]], dtype=float)
    plain = assign(Problem(scores, k=1, max_load=1))
    fair = assign(Problem(scores, k=1, max_load=1), fair=True)
    assert plain.pairs == [(0, 0), (1, 1)]
    assert (plain.objective, plain.min_affinity) == (12, 2)
    assert fair.pairs == [(0, 1), (1, 0)]
    assert (fair.objective, fair.min_affinity, fair.threshold) == (6, 3, 3)


def test_fair_assignment_keeps_the_best_total_among_those_reaching_its_threshold():
    scores = np.array([[9, 4, 4], [4, 4, 1], [4, 8, 4]], dtype=float)
    fair = assign(Problem(scores, k=1, max_load=1), fair=True)
    assert fair.threshold == 4
    # The plain optimum is 9 + 1 + 8 = 18 with a pair of 1. No assignment avoids every pair
    # below 8, so the threshold is 4; of those above it, 9 + 4 + 4 = 17 beats 4 + 4 + 8 = 16.
    assert assign(Problem(scores, k=1, max_load=1)).objective == 18
    assert fair.pairs == [(0, 0), (1, 1), (2, 2)]
    assert fair.objective == 17


@pytest.mark.parametrize("seed", range(6))
def test_the_flow_optimum_equals_the_lp_relaxation(seed):
    rng = np.random.default_rng(seed)
    experts, submissions = rng.integers(4, 12), rng.integers(5, 30)
    scores = rng.random((experts, submissions))
    k = int(rng.integers(1, 4))
    high = -(-k * submissions // experts) + 1
    conflicts = {
        (int(rng.integers(experts)), int(rng.integers(submissions))) for _ in range(submissions)
    }
    problem = Problem(scores, k=k, min_load=max(0, high - 3), max_load=high, conflicts=conflicts)
    try:
        result = assign(problem)
    except AssignmentInfeasible:
        assert independent_lp(problem) is None
        return
    assert broken_rules(problem, result.pairs) == []
    assert result.objective == pytest.approx(independent_lp(problem), abs=1e-4)
    assert result.objective == pytest.approx(lp_relaxation(problem), abs=1e-4)
    assert result.objective <= result.upper_bound + 1e-9


@st.composite
def problems(draw):
    experts = draw(st.integers(1, 6))
    submissions = draw(st.integers(1, 7))
    scores = np.array(
        draw(
            st.lists(
                st.floats(0, 1, allow_nan=False),
                min_size=experts * submissions,
                max_size=experts * submissions,
            )
        )
    ).reshape(experts, submissions)
    pair = st.tuples(st.integers(0, experts - 1), st.integers(0, submissions - 1))
    low = draw(st.integers(0, 3))
    if draw(st.booleans()):  # sparse candidates: only the stored (here non-zero) pairs
        scores = sp.csc_matrix(scores * (scores > 0.3))
    tracks = expert_tracks = None
    if draw(st.booleans()):
        tracks = draw(st.lists(st.integers(0, 1), min_size=submissions, max_size=submissions))
        expert_tracks = draw(
            st.lists(st.sampled_from([None, {0}, {1}, {0, 1}]), min_size=experts, max_size=experts)
        )
    return Problem(
        scores,
        tracks=tracks,
        expert_tracks=expert_tracks,
        k=draw(st.integers(0, min(3, experts))),
        min_load=low,
        max_load=draw(st.integers(low, low + 4)),
        conflicts=frozenset(draw(st.sets(pair, max_size=4))),
        forbidden=frozenset(draw(st.sets(pair, max_size=2))),
        pinned=frozenset(draw(st.sets(pair, max_size=2))),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.booleans())
# 1.2e-7 rounds to the same cost as 0: the plain optimum may take the 0 that fair avoids.
@example(Problem(np.array([[1, 0], [1, 1.1920929e-07]]), k=1, max_load=2), True)
def test_every_assignment_keeps_every_constraint_or_the_problem_has_none(problem, fair):
    best = independent_lp(problem)
    try:
        result = assign(problem, fair=fair)
    except AssignmentInfeasible as error:
        assert best is None, f"refused a feasible problem: {error}"
        assert str(error)
        return
    assert best is not None
    assert broken_rules(problem, result.pairs) == []
    assert result.violations == []
    if not fair:
        assert result.objective == pytest.approx(best, abs=1e-4)
    else:
        plain = assign(problem)
        # Costs are rounded to 1/COST_SCALE of the affinity range (at most 1 here), so the
        # plain optimum may fall short of the true one by up to a step per pair.
        assert result.objective <= plain.objective + len(plain.pairs) / COST_SCALE
        if result.pairs:
            free = [p for p in result.pairs if p not in problem.pinned]
            plain_free = [p for p in plain.pairs if p not in problem.pinned]
            if free:
                assert min(problem.affinity[p] for p in free) >= min(
                    problem.affinity[p] for p in plain_free
                )
                assert result.threshold == min(problem.affinity[p] for p in free)


@pytest.mark.parametrize("fair", [False, True])
def test_affinities_too_close_to_tell_apart_are_assigned_as_equal(fair):
    # A range of the smallest float once made every cost NaN, and the problem was refused.
    tiny = np.nextafter(0, 1)
    problem = Problem(np.array([[0, tiny], [tiny, 0]]), k=1, max_load=1)
    result = assign(problem, fair=fair)
    assert broken_rules(problem, result.pairs) == []
    assert result.violations == []


def test_a_larger_sparse_problem_is_solved_without_violations():
    rng = np.random.default_rng(5)
    experts, submissions, candidates = 600, 400, 12
    rows = np.concatenate([rng.choice(experts, candidates, replace=False) for _ in range(400)])
    columns = np.repeat(np.arange(submissions), candidates)
    matrix = sp.csc_matrix((rng.random(rows.size), (rows, columns)), (experts, submissions))
    problem = Problem(matrix, k=4, max_load=6, conflicts={(int(rows[0]), 0)})
    for fair in (False, True):
        result = assign(problem, fair=fair)
        assert result.violations == []
        assert len(result.pairs) == 4 * submissions
        assert result.loads.max() <= 6
    assert assign(problem).objective == pytest.approx(lp_relaxation(problem), abs=1e-3)


# --- Impossible problems are named ------------------------------------------------------------
def refused(problem: Problem) -> AssignmentInfeasible:
    with pytest.raises(AssignmentInfeasible) as caught:
        assign(problem)
    return caught.value


def test_a_track_with_too_few_experts_is_named_as_the_issue_says():
    tracks = [0] * 12 + [1] * 3
    error = refused(
        Problem(
            np.ones((8, 15)),
            k=3,
            max_load=10,
            tracks=tracks,
            expert_tracks=[{0}, {0}] + [{1}] * 6,
            track_names=["AI", "Chips"],
        )
    )
    assert error.code == "track_short"
    assert error.params == {
        "track": "AI",
        "submissions": 12,
        "k": 3,
        "eligible_experts": 2,
        "needed": 36,
        "available": 20,
    }
    assert str(error).startswith(
        "Track AI has 12 submissions needing 3 experts each but only 2 eligible experts"
    )


def test_total_capacity_below_demand_is_named():
    error = refused(Problem(np.ones((4, 10)), k=3, max_load=7))
    assert (error.code, error.params) == (
        "capacity",
        {"submissions": 10, "experts": 4, "needed": 30, "available": 28},
    )


def test_a_submission_left_with_too_few_unconflicted_experts_is_named():
    conflicts = {(0, 2), (1, 2)}
    error = refused(Problem(np.ones((3, 4)), k=2, max_load=4, conflicts=conflicts))
    assert (error.code, error.params) == (
        "submission_short",
        {"submission": 2, "k": 2, "eligible_experts": 1, "count": 1},
    )


@pytest.mark.parametrize(
    ("problem", "code", "params"),
    [
        (
            Problem(np.ones((2, 2)), k=1, min_load=3, max_load=2),
            "load_range",
            {"min_load": 3, "max_load": 2},
        ),
        (
            Problem(np.ones((2, 2)), k=1, pinned={(0, 0)}, conflicts={(0, 0)}),
            "pinned_excluded",
            {"expert": 0, "submission": 0, "reason": "conflict"},
        ),
        (
            Problem(np.ones((2, 2)), k=1, pinned={(0, 1)}, forbidden={(0, 1)}),
            "pinned_excluded",
            {"expert": 0, "submission": 1, "reason": "forbidden"},
        ),
        (
            Problem(np.ones((2, 2)), k=1, pinned={(0, 0), (1, 0)}),
            "pinned_over_k",
            {"submission": 0, "pinned": 2, "k": 1},
        ),
        (
            Problem(np.ones((2, 3)), k=1, max_load=2, pinned={(0, 0), (0, 1), (0, 2)}),
            "pinned_over_load",
            {"expert": 0, "pinned": 3, "max_load": 2},
        ),
        (
            Problem(np.ones((3, 2)), k=1, min_load=1),
            "min_load_excess",
            {"experts": 3, "minimum": 3, "needed": 2},
        ),
        (
            Problem(np.ones((2, 3)), k=1, min_load=1, conflicts={(1, 0), (1, 1), (1, 2)}),
            "expert_short",
            {"expert": 1, "min_load": 1, "eligible_submissions": 0},
        ),
        (
            # Experts 0 and 1 must each review one submission, but both may review only
            # submission 0, which needs one expert.
            Problem(
                np.ones((3, 2)),
                k=1,
                min_load=[1, 1, 0],
                conflicts={(0, 1), (1, 1)},
            ),
            "min_load_unreachable",
            {"min_load": 1},
        ),
        (
            # Submissions 0 and 1 can only go to experts 0 and 1, who are then full; 2 needs
            # two experts but only expert 2 is left.
            Problem(
                np.ones((3, 3)),
                k=2,
                max_load=2,
                conflicts={(2, 0), (2, 1)},
            ),
            "infeasible",
            {"needed": 6, "placeable": 5, "submissions": "2"},
        ),
    ],
)
def test_each_impossible_constraint_is_named_with_its_numbers(problem, code, params):
    error = refused(problem)
    assert (error.code, error.params) == (code, params)


def test_the_lp_bound_of_an_impossible_problem_names_the_constraint_too():
    with pytest.raises(AssignmentInfeasible) as caught:
        lp_relaxation(Problem(np.ones((4, 10)), k=3, max_load=7))
    assert caught.value.code == "capacity"
    with pytest.raises(AssignmentInfeasible) as caught:
        lp_relaxation(Problem(np.ones((3, 3)), k=2, max_load=2, conflicts={(2, 0), (2, 1)}))
    assert caught.value.code == "infeasible"


@pytest.mark.parametrize(
    "problem",
    [
        Problem(np.array([[np.nan, 1.0]]), k=1),
        Problem(np.ones((2, 2)), k=-1),
        Problem(np.ones((2, 2)), k=[1, 1, 1]),
        Problem(np.ones((2, 2)), k=1, conflicts={(5, 0)}),
        Problem(np.ones((2, 2)), k=1, tracks=[0], expert_tracks=[None, None]),
    ],
)
def test_a_malformed_problem_is_a_programming_error(problem):
    with pytest.raises(ValueError):
        assign(problem)


def test_nobody_to_review_gives_an_empty_assignment():
    result = assign(Problem(np.ones((2, 3)), k=0))
    assert result.pairs == []
    assert result.objective == 0
    assert np.isnan(result.min_affinity)
