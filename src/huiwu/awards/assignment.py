"""Which experts review which submissions (pure: no Django).

The plain problem — each submission gets exactly k experts, each expert reviews between
``min_load`` and ``max_load`` submissions, conflicted, forbidden and out-of-track pairs are never
used, pinned pairs always are, and the total affinity is as high as possible — is a min-cost
flow, solved exactly by OR-Tools:

    extra ──(max_load - min_load)──▶ expert ──(1, cost)──▶ submission
    supplies: expert = min_load, extra = total demand - Σ min_load, submission = -k

Giving each expert its minimum load as a supply of its own (and the rest of the demand to an
extra node that tops experts up to their maximum) is the standard way to put lower bounds on
arcs: a feasible flow then honours both bounds, and the solver says INFEASIBLE when no flow
does. Pinned pairs are taken out of the network beforehand and their load and demand
subtracted.

The fair variant first maximises the lowest affinity of any (non-pinned) pair used — the worst
expert that any submission gets — by binary search over the affinity values with the same flow
as feasibility test, then maximises the total among the assignments that reach it.

Before solving, the constraints are checked one by one so that an impossible problem is
refused with the constraint that makes it impossible (AssignmentInfeasible.code and params).
"""

from collections.abc import Collection, Sequence, Set
from dataclasses import dataclass, field
from typing import NoReturn

import numpy as np
import scipy.sparse as sp
from ortools.graph.python import max_flow, min_cost_flow
from scipy.optimize import linprog

# Integer costs: the affinity range is spread over this many steps (rounding loses at most
# half a step per pair, far below any difference that matters).
COST_SCALE = 1_000_000
# Affinities spread over less than this are taken as all equal: no real scores differ by so
# little, and COST_SCALE over a subnormal range overflows to inf (and the costs to NaN).
FLAT_RANGE = 1e-12

# English sentences of each infeasibility; the awards app shows its own translated sentence for
# each code with the same parameters.
MESSAGES = {
    "load_range": "The minimum load ({min_load}) is larger than the maximum load ({max_load}).",
    "pinned_excluded": (
        "Expert {expert} is pinned to submission {submission}, but that pair is excluded "
        "({reason})."
    ),
    "pinned_over_k": ("Submission {submission} has {pinned} pinned experts but needs only {k}."),
    "pinned_over_load": (
        "Expert {expert} is pinned to {pinned} submissions, more than the maximum load of "
        "{max_load}."
    ),
    "capacity": (
        "{submissions} submissions need {needed} reviews, but {experts} experts can do at most "
        "{available}."
    ),
    "min_load_excess": (
        "{experts} experts must review at least {minimum} submissions in all, but only "
        "{needed} reviews are needed."
    ),
    "track_short": (
        "Track {track} has {submissions} submissions needing {k} experts each but only "
        "{eligible_experts} eligible experts (able to do {available} of {needed} reviews)."
    ),
    "submission_short": (
        "Submission {submission} needs {k} experts but only {eligible_experts} are eligible "
        "({count} submissions are in this case)."
    ),
    "expert_short": (
        "Expert {expert} must review at least {min_load} submissions but is eligible for only "
        "{eligible_submissions}."
    ),
    "min_load_unreachable": (
        "Every submission can get its experts, but not while each expert reviews at least "
        "{min_load}: lower the minimum load."
    ),
    "infeasible": (
        "Only {placeable} of the {needed} reviews can be placed with these conflicts, tracks "
        "and loads: submissions such as {submissions} have too few free eligible experts."
    ),
}


class AssignmentInfeasible(Exception):
    """No assignment satisfies the constraints; ``code`` names the one that fails first and
    ``params`` gives its numbers (see MESSAGES)."""

    def __init__(self, code: str, params: dict):
        self.code = code
        self.params = params
        super().__init__(MESSAGES[code].format(**params))


Pair = tuple[int, int]


@dataclass(frozen=True)
class Problem:
    """An assignment problem. ``affinity`` is (experts, submissions): a dense array makes every
    pair a candidate, a sparse matrix only its stored entries (e.g. from top_k_affinity).
    ``k``, ``min_load`` and ``max_load`` are one number for all or one per submission/expert
    (``max_load`` None: no limit). Pairs are (expert, submission) indices. ``tracks`` gives each
    submission's track index and ``expert_tracks`` each expert's allowed tracks (None: all);
    ``track_names`` names tracks in messages."""

    affinity: np.ndarray | sp.spmatrix
    k: int | Sequence[int] = 3
    min_load: int | Sequence[int] = 0
    max_load: int | Sequence[int] | None = None
    conflicts: Set[Pair] = frozenset()
    pinned: Set[Pair] = frozenset()
    forbidden: Set[Pair] = frozenset()
    tracks: Sequence[int] | None = None
    expert_tracks: Sequence[Collection[int] | None] | None = None
    track_names: Sequence[str] | None = None


@dataclass(frozen=True)
class Assignment:
    """An assignment with its figures: total affinity (``objective``) against ``upper_bound``
    (each submission's best k eligible experts), each submission's lowest and mean affinity
    (NaN for a submission that needs nobody), each expert's load, and the constraint
    violations recomputed from the pairs (always empty unless something is badly wrong)."""

    pairs: list[Pair]
    objective: float
    upper_bound: float
    submission_min: np.ndarray
    submission_mean: np.ndarray
    loads: np.ndarray
    violations: list[str]
    fair: bool = False
    threshold: float | None = None
    stats: dict = field(default_factory=dict)

    @property
    def min_affinity(self) -> float:
        values = self.submission_min[~np.isnan(self.submission_min)]
        return float(values.min()) if values.size else float("nan")

    @property
    def mean_affinity(self) -> float:
        values = self.submission_mean[~np.isnan(self.submission_mean)]
        return float(values.mean()) if values.size else float("nan")

    @property
    def load_spread(self) -> tuple[int, int]:
        return (int(self.loads.min()), int(self.loads.max())) if self.loads.size else (0, 0)


@dataclass
class _Prepared:
    """The problem as arrays: candidate arcs (pinned and excluded pairs taken out), and the
    demand and load bounds that remain once the pinned pairs are counted."""

    n_experts: int
    n_submissions: int
    k: np.ndarray
    low: np.ndarray
    high: np.ndarray
    arc_expert: np.ndarray
    arc_submission: np.ndarray
    arc_affinity: np.ndarray
    pinned: np.ndarray  # (n, 2)
    pinned_affinity: np.ndarray
    need: np.ndarray  # k minus pinned, per submission
    low_left: np.ndarray
    high_left: np.ndarray


def _per(value, size: int, name: str) -> np.ndarray:
    array = np.broadcast_to(np.asarray(value, dtype=np.int64), (size,)).copy()
    if array.shape != (size,) or (array < 0).any():
        raise ValueError(f"{name} must be a non-negative integer or one per item")
    return array


def _pair_array(pairs: Set[Pair], n_experts: int, n_submissions: int, name: str) -> np.ndarray:
    array = np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)
    if ((array < 0) | (array >= [n_experts, n_submissions])).any():
        raise ValueError(f"{name} holds a pair outside the affinity matrix")
    return array


def _keys(array: np.ndarray, n_submissions: int) -> np.ndarray:
    return array[:, 0] * n_submissions + array[:, 1]


def _track_allowed(problem: Problem, n_experts: int, n_submissions: int):
    """A function (experts, submissions) -> bool array: may the expert review in that track?"""
    if problem.tracks is None or problem.expert_tracks is None:
        return lambda experts, submissions: np.ones(len(experts), dtype=bool)
    tracks = np.asarray(problem.tracks, dtype=np.int64)
    if tracks.shape != (n_submissions,) or len(problem.expert_tracks) != n_experts:
        raise ValueError("tracks needs one entry per submission, expert_tracks one per expert")
    n_tracks = int(tracks.max(initial=-1)) + 1
    allowed = np.ones((n_experts, max(1, n_tracks)), dtype=bool)
    for expert, own in enumerate(problem.expert_tracks):
        if own is not None:
            allowed[expert] = False
            allowed[expert, [t for t in own if 0 <= t < n_tracks]] = True
    return lambda experts, submissions: allowed[experts, tracks[submissions]]


def _matrix(problem: Problem):
    """The affinity as a sparse matrix or a 2-D float array (lists of lists are fine too)."""
    if sp.issparse(problem.affinity):
        return problem.affinity
    matrix = np.asarray(problem.affinity, dtype=np.float64)
    if matrix.ndim != 2:
        raise ValueError("affinity must be a matrix of shape (experts, submissions)")
    return matrix


def _prepare(problem: Problem) -> _Prepared:
    matrix = _matrix(problem)
    n_experts, n_submissions = matrix.shape
    if sp.issparse(matrix):
        coo = sp.coo_matrix(matrix.tocsr())
        arc_expert, arc_submission = coo.row.astype(np.int64), coo.col.astype(np.int64)
        arc_affinity = coo.data.astype(np.float64)
        lookup = matrix.tocsr()

        def value(e, s):
            return np.asarray(lookup[e, s]).ravel().astype(np.float64) if len(e) else np.zeros(0)
    else:
        arc_expert, arc_submission = (
            a.ravel().astype(np.int64) for a in np.indices((n_experts, n_submissions))
        )
        arc_affinity = matrix.ravel()

        def value(e, s):
            return matrix[e, s]

    if not np.isfinite(arc_affinity).all():
        raise ValueError("affinity holds NaN or infinite values")
    k = _per(problem.k, n_submissions, "k")
    low = _per(problem.min_load, n_experts, "min_load")
    high = (
        np.full(n_experts, n_submissions, dtype=np.int64)
        if problem.max_load is None
        else _per(problem.max_load, n_experts, "max_load")
    )
    bad = np.flatnonzero(low > high)
    if bad.size:
        raise AssignmentInfeasible(
            "load_range", {"min_load": int(low[bad[0]]), "max_load": int(high[bad[0]])}
        )
    allowed = _track_allowed(problem, n_experts, n_submissions)
    conflicts = _pair_array(problem.conflicts, n_experts, n_submissions, "conflicts")
    forbidden = _pair_array(problem.forbidden, n_experts, n_submissions, "forbidden")
    pinned = _pair_array(problem.pinned, n_experts, n_submissions, "pinned")

    pinned_keys = _keys(pinned, n_submissions)
    for excluded, reason in ((conflicts, "conflict"), (forbidden, "forbidden")):
        clash = np.flatnonzero(np.isin(pinned_keys, _keys(excluded, n_submissions)))
        if clash.size:
            expert, submission = pinned[clash[0]]
            raise AssignmentInfeasible(
                "pinned_excluded",
                {"expert": int(expert), "submission": int(submission), "reason": reason},
            )
    outside = np.flatnonzero(~allowed(pinned[:, 0], pinned[:, 1]))
    if outside.size:
        expert, submission = pinned[outside[0]]
        raise AssignmentInfeasible(
            "pinned_excluded",
            {"expert": int(expert), "submission": int(submission), "reason": "track"},
        )

    keys = arc_expert * n_submissions + arc_submission
    keep = ~np.isin(
        keys,
        np.concatenate(
            [_keys(conflicts, n_submissions), _keys(forbidden, n_submissions), pinned_keys]
        ),
    )
    keep &= allowed(arc_expert, arc_submission)
    pinned_per_submission = np.bincount(pinned[:, 1], minlength=n_submissions)
    pinned_per_expert = np.bincount(pinned[:, 0], minlength=n_experts)
    return _Prepared(
        n_experts=n_experts,
        n_submissions=n_submissions,
        k=k,
        low=low,
        high=high,
        arc_expert=arc_expert[keep],
        arc_submission=arc_submission[keep],
        arc_affinity=arc_affinity[keep],
        pinned=pinned,
        pinned_affinity=np.asarray(value(pinned[:, 0], pinned[:, 1]), dtype=np.float64),
        need=k - pinned_per_submission,
        low_left=np.maximum(0, low - pinned_per_expert),
        high_left=high - pinned_per_expert,
    )


def _diagnose(problem: Problem, prep: _Prepared) -> None:
    """Raise AssignmentInfeasible for the first constraint that cannot be met on its own."""
    over = np.flatnonzero(prep.need < 0)
    if over.size:
        s = int(over[0])
        raise AssignmentInfeasible(
            "pinned_over_k",
            {"submission": s, "pinned": int(prep.k[s] - prep.need[s]), "k": int(prep.k[s])},
        )
    over = np.flatnonzero(prep.high_left < 0)
    if over.size:
        e = int(over[0])
        raise AssignmentInfeasible(
            "pinned_over_load",
            {
                "expert": e,
                "pinned": int(prep.high[e] - prep.high_left[e]),
                "max_load": int(prep.high[e]),
            },
        )
    needed, available = int(prep.k.sum()), int(prep.high.sum())
    if available < needed:
        raise AssignmentInfeasible(
            "capacity",
            {
                "submissions": prep.n_submissions,
                "experts": prep.n_experts,
                "needed": needed,
                "available": available,
            },
        )
    if int(prep.low.sum()) > needed:
        raise AssignmentInfeasible(
            "min_load_excess",
            {"experts": prep.n_experts, "minimum": int(prep.low.sum()), "needed": needed},
        )
    if problem.tracks is not None and problem.expert_tracks is not None:
        _diagnose_tracks(problem, prep)
    eligible = np.bincount(prep.arc_submission, minlength=prep.n_submissions)
    short = np.flatnonzero(eligible < prep.need)
    if short.size:
        s = int(short[0])
        raise AssignmentInfeasible(
            "submission_short",
            {
                "submission": s,
                "k": int(prep.k[s]),
                "eligible_experts": int(eligible[s] + prep.k[s] - prep.need[s]),
                "count": int(short.size),
            },
        )
    eligible = np.bincount(prep.arc_expert, minlength=prep.n_experts)
    short = np.flatnonzero(eligible < prep.low_left)
    if short.size:
        e = int(short[0])
        raise AssignmentInfeasible(
            "expert_short",
            {
                "expert": e,
                "min_load": int(prep.low[e]),
                "eligible_submissions": int(eligible[e] + prep.low[e] - prep.low_left[e]),
            },
        )


def _diagnose_tracks(problem: Problem, prep: _Prepared) -> None:
    """Per track: enough eligible experts for k each, and enough of their load for the demand."""
    tracks = np.asarray(problem.tracks, dtype=np.int64)
    allowed = _track_allowed(problem, prep.n_experts, prep.n_submissions)
    experts = np.arange(prep.n_experts)
    for track in np.unique(tracks):
        members = np.flatnonzero(tracks == track)
        demand = int(prep.k[members].sum())
        if not demand:
            continue
        able = allowed(experts, np.full(prep.n_experts, members[0]))
        available = int(prep.high[able].sum())
        if able.sum() < prep.k[members].max() or available < demand:
            ks = np.unique(prep.k[members])
            name = (
                problem.track_names[track]
                if problem.track_names is not None and track < len(problem.track_names)
                else str(track)
            )
            raise AssignmentInfeasible(
                "track_short",
                {
                    "track": name,
                    "submissions": int(members.size),
                    "k": int(ks[0]) if ks.size == 1 else "/".join(map(str, ks)),
                    "eligible_experts": int(able.sum()),
                    "needed": demand,
                    "available": available,
                },
            )


def _costs(prep: _Prepared) -> np.ndarray:
    if not prep.arc_affinity.size:
        return np.zeros(0, dtype=np.int64)
    top, bottom = prep.arc_affinity.max(), prep.arc_affinity.min()
    scale = COST_SCALE / (top - bottom) if top - bottom > FLAT_RANGE else 0.0
    return np.rint((top - prep.arc_affinity) * scale).astype(np.int64)


def _flow(prep: _Prepared, use: np.ndarray, costs: np.ndarray | None) -> np.ndarray | None:
    """Solve the flow on the arcs ``use`` selects; return the chosen arcs' indices, or None
    when no flow meets every demand and load bound."""
    n_e, n_s = prep.n_experts, prep.n_submissions
    extra = n_e + n_s
    solver = min_cost_flow.SimpleMinCostFlow()
    arcs = np.flatnonzero(use)
    if arcs.size:
        solver.add_arcs_with_capacity_and_unit_cost(
            prep.arc_expert[arcs],
            n_e + prep.arc_submission[arcs],
            np.ones(arcs.size, dtype=np.int64),
            np.zeros(arcs.size, dtype=np.int64) if costs is None else costs[arcs],
        )
    top_up = prep.high_left - prep.low_left
    experts = np.flatnonzero(top_up > 0)
    if experts.size:
        solver.add_arcs_with_capacity_and_unit_cost(
            np.full(experts.size, extra),
            experts,
            top_up[experts],
            np.zeros(experts.size, dtype=np.int64),
        )
    demand = int(prep.need.sum())
    supplies = np.concatenate([prep.low_left, -prep.need, [demand - int(prep.low_left.sum())]])
    if supplies[-1] < 0:
        return None
    solver.set_nodes_supplies(np.arange(extra + 1), supplies)
    if solver.solve() != solver.OPTIMAL:
        return None
    flows = solver.flows(np.arange(arcs.size)) if arcs.size else np.zeros(0)
    return arcs[np.asarray(flows) > 0]


def _placeable(prep: _Prepared) -> tuple[int, list[int]]:
    """How many reviews fit if the minimum loads are ignored (a max flow), and the submissions
    left short in that flow."""
    n_e, n_s = prep.n_experts, prep.n_submissions
    source, sink = n_e + n_s, n_e + n_s + 1
    solver = max_flow.SimpleMaxFlow()
    if prep.arc_expert.size:
        solver.add_arcs_with_capacity(
            prep.arc_expert, n_e + prep.arc_submission, np.ones(prep.arc_expert.size, np.int64)
        )
    solver.add_arcs_with_capacity(np.full(n_e, source), np.arange(n_e), prep.high_left)
    solver.add_arcs_with_capacity(n_e + np.arange(n_s), np.full(n_s, sink), prep.need)
    solver.solve(source, sink)
    into_sink = solver.flows(np.arange(solver.num_arcs() - n_s, solver.num_arcs()))
    short = np.flatnonzero(np.asarray(into_sink) < prep.need)
    return int(solver.optimal_flow()), [int(s) for s in short]


def _upper_bound(prep: _Prepared) -> float:
    """Σ over submissions of its pinned affinities plus its best remaining eligible ones."""
    order = np.lexsort((-prep.arc_affinity, prep.arc_submission))
    submission = prep.arc_submission[order]
    starts = np.searchsorted(submission, np.arange(prep.n_submissions))
    rank = np.arange(order.size) - starts[submission]
    best = rank < prep.need[submission]
    return float(prep.arc_affinity[order][best].sum() + prep.pinned_affinity.sum())


def assign(problem: Problem, *, fair: bool = False) -> Assignment:
    """The assignment of highest total affinity (``fair``: of highest total among those whose
    lowest pair affinity is as high as possible). Raises AssignmentInfeasible naming the
    constraint when there is none, ValueError for a malformed problem."""
    prep = _prepare(problem)
    _diagnose(problem, prep)
    costs = _costs(prep)
    everything = np.ones(prep.arc_affinity.size, dtype=bool)
    chosen = _flow(prep, everything, costs)
    if chosen is None:
        _explain_failure(prep)
    threshold, stats = None, {"flows": 1}
    if fair and chosen.size:
        candidates = np.unique(prep.arc_affinity)
        # The plain optimum already reaches its own lowest pair: search from there up.
        low = int(np.searchsorted(candidates, prep.arc_affinity[chosen].min()))
        high = candidates.size - 1
        while low < high:
            middle = (low + high + 1) // 2
            stats["flows"] += 1
            if _flow(prep, prep.arc_affinity >= candidates[middle], None) is None:
                high = middle - 1
            else:
                low = middle
        # Feasible by the search (or by the plain optimum itself when nothing higher is).
        threshold = float(candidates[low])
        stats["flows"] += 1
        chosen = _flow(prep, prep.arc_affinity >= threshold, costs)
    pairs = sorted(
        [(int(e), int(s)) for e, s in prep.pinned]
        + list(
            zip(prep.arc_expert[chosen].tolist(), prep.arc_submission[chosen].tolist(), strict=True)
        )
    )
    return _report(problem, prep, pairs, fair=fair, threshold=threshold, stats=stats)


def _explain_failure(prep: _Prepared) -> NoReturn:
    needed = int(prep.need.sum())
    placeable, short = _placeable(prep)
    if placeable == needed:
        raise AssignmentInfeasible("min_load_unreachable", {"min_load": int(prep.low.max())})
    raise AssignmentInfeasible(
        "infeasible",
        {"needed": needed, "placeable": placeable, "submissions": ", ".join(map(str, short[:5]))},
    )


def _report(problem, prep, pairs, *, fair, threshold, stats) -> Assignment:
    array = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    values = affinity_of(_matrix(problem), array)
    n_s = prep.n_submissions
    counts = np.bincount(array[:, 1], minlength=n_s)
    sums = np.bincount(array[:, 1], weights=values, minlength=n_s)
    lowest = np.full(n_s, np.inf)
    np.minimum.at(lowest, array[:, 1], values)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(counts > 0, sums / counts, np.nan)
    return Assignment(
        pairs=pairs,
        objective=float(values.sum()),
        upper_bound=_upper_bound(prep),
        submission_min=np.where(counts > 0, lowest, np.nan),
        submission_mean=mean,
        loads=np.bincount(array[:, 0], minlength=prep.n_experts),
        violations=violations(problem, pairs),
        fair=fair,
        threshold=threshold,
        stats=stats,
    )


def affinity_of(matrix, pairs: np.ndarray) -> np.ndarray:
    """The affinity of each (expert, submission) row of ``pairs`` (0 where a sparse matrix
    stores nothing)."""
    if not len(pairs):
        return np.zeros(0)
    if sp.issparse(matrix):
        return np.asarray(matrix.tocsr()[pairs[:, 0], pairs[:, 1]]).ravel().astype(np.float64)
    return np.asarray(matrix, dtype=np.float64)[pairs[:, 0], pairs[:, 1]]


def violations(problem: Problem, pairs: Sequence[Pair]) -> list[str]:
    """Every way ``pairs`` breaks the problem's constraints, checked from scratch."""
    n_e, n_s = _matrix(problem).shape
    found = []
    if len(set(pairs)) != len(pairs):
        found.append("a pair is assigned twice")
    inside = [(e, s) for e, s in pairs if 0 <= e < n_e and 0 <= s < n_s]
    if len(inside) != len(pairs):
        found.append("a pair lies outside the affinity matrix")
    chosen = set(inside)
    for name, excluded in (("conflicted", problem.conflicts), ("forbidden", problem.forbidden)):
        for pair in sorted(chosen & set(excluded)):
            found.append(f"{name} pair {pair} is assigned")
    for pair in sorted(set(problem.pinned) - chosen):
        found.append(f"pinned pair {pair} is missing")
    if sp.issparse(problem.affinity):
        stored = sp.coo_matrix(problem.affinity)
        free = np.array(sorted(chosen - set(problem.pinned)), dtype=np.int64).reshape(-1, 2)
        outside = ~np.isin(_keys(free, n_s), stored.row.astype(np.int64) * n_s + stored.col)
        for e, s in free[outside]:
            found.append(f"pair {(int(e), int(s))} is not a candidate")
    if problem.tracks is not None and problem.expert_tracks is not None:
        for e, s in sorted(chosen):
            own = problem.expert_tracks[e]
            if own is not None and problem.tracks[s] not in own:
                found.append(f"expert {e} reviews submission {s} outside their tracks")
    k = _per(problem.k, n_s, "k")
    counts = np.bincount([s for _, s in inside], minlength=n_s)
    for s in np.flatnonzero(counts != k):
        found.append(f"submission {s} has {counts[s]} experts instead of {k[s]}")
    loads = np.bincount([e for e, _ in inside], minlength=n_e)
    low = _per(problem.min_load, n_e, "min_load")
    high = loads if problem.max_load is None else _per(problem.max_load, n_e, "max_load")
    for e in np.flatnonzero((loads < low) | (loads > high)):
        found.append(f"expert {e} has load {loads[e]} outside [{low[e]}, {high[e]}]")
    return found


def lp_relaxation(problem: Problem) -> float:
    """The optimum of the linear relaxation (HiGHS): an upper bound on any assignment's total
    affinity, equal to the flow optimum since the constraint matrix is totally unimodular."""
    prep = _prepare(problem)
    _diagnose(problem, prep)
    n = prep.arc_affinity.size
    columns = np.arange(n)
    by_submission = sp.csr_matrix(
        (np.ones(n), (prep.arc_submission, columns)), shape=(prep.n_submissions, n)
    )
    by_expert = sp.csr_matrix((np.ones(n), (prep.arc_expert, columns)), shape=(prep.n_experts, n))
    result = linprog(
        -prep.arc_affinity,
        A_ub=sp.vstack([by_expert, -by_expert]),
        b_ub=np.concatenate([prep.high_left, -prep.low_left]),
        A_eq=by_submission,
        b_eq=prep.need,
        bounds=(0, 1),
        method="highs",
    )
    if result.status != 0:
        _explain_failure(prep)
    return float(-result.fun + prep.pinned_affinity.sum())
