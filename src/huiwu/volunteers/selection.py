"""Which applicants become volunteers: the best total score under quotas, with a reason for each.

Pure (OR-Tools, no Django). The office scores applicants against a rubric and interviews; this
module picks ``n`` of them maximising the sum of scores while every quota holds (at least / at
most so many per university, per language at a level, per post type). Minimum quotas that
overlap make this an integer programme, solved exactly; scores count to a thousandth.

Applicants whose quota memberships are identical (a *profile*) are interchangeable for every
constraint, so among them the higher score always goes first, which keeps decisions explainable
("a higher-scored applicant of the same profile was never left out for a lower one"). A linear
relaxation prices every applicant; only those priced close to the margin stay open for CP-SAT
(reduced-cost fixing), which then proves the optimum for 70,000 applicants in seconds where a
model with one variable per applicant does not finish.

Every candidate gets an :class:`Explanation` with a machine code and the numbers behind it, so
that the Django side writes a translated sentence:

==========================  ============  =====================================================
code                        decision      meaning
==========================  ============  =====================================================
top_score                   selected      among the n best scores
quota_minimum               selected      below the n best, taken for a quota at its minimum
freed_by_quota_maximum      selected      below the n best, in a place left by a full quota
quota_maximum               not selected  scored above the cutoff, but a quota is at its maximum
displaced_by_quota_minimum  not selected  scored above the cutoff, place taken for a minimum
tie_at_cutoff               not selected  the same score as the last one selected
below_cutoff                not selected  scored below the lowest selected score
==========================  ============  =====================================================

Reserves are candidates not selected, with the decision ``reserve`` and the same codes. Every
explanation has ``rank``, ``score``, ``cutoff`` and ``n``: ``rank`` is the 1-based place by
score over all candidates (ties by key), ``cutoff`` the lowest selected score; reserves also
carry ``reserve_rank``. Quota params are ``quota`` (its index in
the list given), ``kind``, ``value``, ``min_level``, ``minimum``, ``maximum``.

Two interview rounds are two calls: shortlist from everyone, then select from the shortlist.
"""

from __future__ import annotations

import math
import os
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model
from scipy.optimize import linprog
from scipy.sparse import csr_matrix, vstack

QUOTA_KINDS = ("university", "language", "post_type")
SCORE_SCALE = 1000  # scores are compared to a thousandth of a point


@dataclass(frozen=True)
class Candidate:
    key: int
    score: float
    university: str
    languages: dict[str, int] = field(default_factory=dict)  # code -> level 1..5 (CET-6 = 4)
    post_types: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Quota:
    kind: str  # "university" | "language" | "post_type"
    value: str
    minimum: int = 0
    maximum: int | None = None
    min_level: int = 1  # languages only: the level a candidate needs to count

    def admits(self, candidate: Candidate) -> bool:
        if self.kind == "university":
            return candidate.university == self.value
        if self.kind == "language":
            return candidate.languages.get(self.value, 0) >= self.min_level
        return self.value in candidate.post_types

    @property
    def label(self) -> str:
        """An English name for logs and benchmarks; the Django side translates from params."""
        name = f"{self.kind} {self.value}"
        if self.kind == "language" and self.min_level > 1:
            name += f" ≥ level {self.min_level}"
        bounds = [f"at least {self.minimum}"] if self.minimum else []
        bounds += [f"at most {self.maximum}"] if self.maximum is not None else []
        return f"{name}: {', '.join(bounds) or 'no bound'}"


@dataclass(frozen=True)
class Explanation:
    key: int
    decision: str  # "selected" | "reserve" | "not_selected"
    code: str
    params: dict


@dataclass(frozen=True)
class Selection:
    selected: tuple[int, ...]  # best score first
    reserve: tuple[int, ...]  # the order in which to call them up
    explanations: dict[int, Explanation]
    status: str  # "optimal" (proved) or "feasible" (time limit reached first)
    total_score: float
    cutoff: float  # the lowest selected score
    quota_counts: tuple[int, ...]  # selected per quota, in the order given
    seconds: float


class SelectionError(ValueError):
    """The selection cannot be made as asked; ``code`` and ``params`` say why."""

    def __init__(self, code: str, params: dict, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


def select(
    candidates: Sequence[Candidate],
    n: int,
    quotas: Sequence[Quota] = (),
    *,
    reserve_ratio: float = 0.2,
    time_limit: float = 30.0,
) -> Selection:
    """Select ``n`` candidates with the highest total score such that every quota holds, and
    ``round(n * reserve_ratio)`` reserves (the best of the others). Raises
    :class:`SelectionError` naming the quota(s) when that is impossible."""
    started = time.monotonic()
    candidates = list(candidates)
    quotas = list(quotas)
    _check_input(candidates, n, quotas, reserve_ratio)
    members = [[q for q, quota in enumerate(quotas) if quota.admits(c)] for c in candidates]
    _check_quotas_reachable(n, quotas, members)

    points = [round(c.score * SCORE_SCALE) for c in candidates]
    order = sorted(range(len(candidates)), key=lambda i: (-points[i], candidates[i].key))
    chosen, status = _solve(candidates, n, quotas, members, points, order, time_limit)

    rank = {i: place + 1 for place, i in enumerate(order)}
    selected = [i for i in order if chosen[i]]
    others = [i for i in order if not chosen[i]]
    reserve = others[: math.floor(n * reserve_ratio + 0.5)]
    counts = [0] * len(quotas)
    for i in selected:
        for q in members[i]:
            counts[q] += 1
    explanations = _explain(
        candidates, n, quotas, members, points, rank, selected, reserve, others, counts
    )
    return Selection(
        selected=tuple(candidates[i].key for i in selected),
        reserve=tuple(candidates[i].key for i in reserve),
        explanations=explanations,
        status=status,
        total_score=sum(points[i] for i in selected) / SCORE_SCALE,
        cutoff=points[selected[-1]] / SCORE_SCALE,
        quota_counts=tuple(counts),
        seconds=time.monotonic() - started,
    )


def quota_params(quotas: Sequence[Quota], index: int) -> dict:
    quota = quotas[index]
    return {
        "quota": index,
        "kind": quota.kind,
        "value": quota.value,
        "min_level": quota.min_level,
        "minimum": quota.minimum,
        "maximum": quota.maximum,
    }


def _check_input(candidates, n, quotas, reserve_ratio) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise SelectionError("n_not_positive", {"n": n}, f"cannot select {n!r} candidates")
    if len(candidates) < n:
        raise SelectionError(
            "not_enough_candidates",
            {"n": n, "candidates": len(candidates)},
            f"{n} to select but only {len(candidates)} candidates",
        )
    if not (isinstance(reserve_ratio, int | float) and 0 <= reserve_ratio <= 10):
        raise SelectionError(
            "invalid_reserve_ratio",
            {"reserve_ratio": reserve_ratio},
            f"the reserve ratio {reserve_ratio!r} is not a number between 0 and 10",
        )
    seen: set[int] = set()
    for candidate in candidates:
        if candidate.key in seen:
            raise SelectionError(
                "duplicate_candidate",
                {"key": candidate.key},
                f"candidate {candidate.key} is given twice",
            )
        seen.add(candidate.key)
        if not (isinstance(candidate.score, int | float) and math.isfinite(candidate.score)):
            raise SelectionError(
                "invalid_score",
                {"key": candidate.key, "score": candidate.score},
                f"candidate {candidate.key} has no valid score",
            )
    for index, quota in enumerate(quotas):
        if quota.kind not in QUOTA_KINDS:
            raise SelectionError(
                "unknown_quota_kind",
                quota_params(quotas, index),
                f"quota {index} has an unknown kind {quota.kind!r}",
            )
        if quota.minimum < 0 or (quota.maximum is not None and quota.maximum < quota.minimum):
            raise SelectionError(
                "invalid_quota",
                quota_params(quotas, index),
                f"quota '{quota.label}' has a maximum below its minimum or a negative bound",
            )


def _check_quotas_reachable(n, quotas, members) -> None:
    """The infeasibilities one quota causes alone, named with the numbers that show them."""
    qualifying = [0] * len(quotas)
    for memberships in members:
        for q in memberships:
            qualifying[q] += 1
    for index, quota in enumerate(quotas):
        if quota.minimum > qualifying[index]:
            raise SelectionError(
                "quota_minimum_unreachable",
                {**quota_params(quotas, index), "qualifying": qualifying[index]},
                f"quota '{quota.label}' but only {qualifying[index]} candidates qualify",
            )
        if quota.minimum > n:
            raise SelectionError(
                "quota_minimum_above_n",
                {**quota_params(quotas, index), "n": n},
                f"quota '{quota.label}' asks for more than the {n} to select",
            )


def _solve(candidates, n, quotas, members, points, order, time_limit) -> tuple[list[bool], str]:
    """Exact optimum by reduced-cost fixing. The linear relaxation bounds the optimum and prices
    every candidate; one whose price is further than ``gap`` from zero keeps its relaxed value in
    every solution within ``gap`` of the bound. CP-SAT solves the problem of the others; when its
    optimum is within ``gap`` of the bound, it is the optimum of the whole problem, otherwise the
    gap widens and it solves again."""
    deadline = time.monotonic() + time_limit
    profiles = _profiles(n, quotas, members, order)
    pool = [i for _, indices, cap in profiles for i in indices[:cap]]
    relaxed = _relaxation(n, quotas, members, points, pool) if len(pool) >= n else None
    if relaxed is None:
        _raise_conflict(n, quotas, profiles, time_limit)
    bound, values, prices = relaxed
    gap = SCORE_SCALE  # one point: the relaxation is rarely further than that from the optimum
    while True:
        free = {i for i in pool if abs(prices[i]) <= gap or 1e-6 < values[i] < 1 - 1e-6}
        fixed = {i for i in pool if i not in free and values[i] > 0.5}
        everything = len(free) == len(pool)
        model, x = _restricted_model(n, quotas, members, points, profiles, free, fixed)
        solver = _solver(max(deadline - time.monotonic(), 0.1))
        result = solver.solve(model)
        if result in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            value = sum(points[i] for i in fixed) + round(solver.objective_value)
            proved = result == cp_model.OPTIMAL and (everything or value >= bound - gap)
            if proved or everything or time.monotonic() >= deadline:
                chosen = [False] * len(candidates)
                for i in fixed:
                    chosen[i] = True
                for i, var in x.items():
                    chosen[i] = bool(solver.value(var))
                return chosen, "optimal" if proved else "feasible"
        elif result == cp_model.INFEASIBLE and everything:
            _raise_conflict(n, quotas, profiles, time_limit)
        elif result != cp_model.INFEASIBLE or time.monotonic() >= deadline:
            raise SelectionError(
                "time_limit",
                {"seconds": time_limit},
                f"no selection found within {time_limit} s; allow more time",
            )
        gap *= 4


def _profiles(n, quotas, members, order) -> list[tuple[tuple[int, ...], list[int], int]]:
    """Candidates grouped by the quotas they count for, best first, with how many of each group
    could ever be taken (no more than n, nor than its tightest maximum)."""
    groups: dict[tuple[int, ...], list[int]] = defaultdict(list)
    for i in order:
        groups[tuple(members[i])].append(i)
    profiles = []
    for profile, indices in groups.items():
        maxima = [quotas[q].maximum for q in profile if quotas[q].maximum is not None]
        profiles.append((profile, indices, min([n, len(indices), *maxima])))
    return profiles


def _relaxation(n, quotas, members, points, pool):
    """The linear relaxation over ``pool``: (its optimum, each candidate's value, each one's
    reduced cost), or None when even the relaxation has no solution."""
    column = {i: c for c, i in enumerate(pool)}
    rows, cols = [], []
    for i in pool:
        for q in members[i]:
            rows.append(q)
            cols.append(column[i])
    membership = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(quotas), len(pool)))
    # Maxima as they are, minima as "minus the count is at most minus the minimum".
    capped = [q for q, quota in enumerate(quotas) if quota.maximum is not None]
    floored = [q for q, quota in enumerate(quotas) if quota.minimum]
    bounded = capped or floored
    result = linprog(
        -np.array([points[i] for i in pool], dtype=float),
        A_ub=vstack([membership[capped], -membership[floored]]) if bounded else None,
        b_ub=[quotas[q].maximum for q in capped] + [-quotas[q].minimum for q in floored]
        if bounded
        else None,
        A_eq=np.ones((1, len(pool))),
        b_eq=[n],
        bounds=(0, 1),
        method="highs",
    )
    if result.status != 0:
        return None
    price = result.lower.marginals + result.upper.marginals
    return (
        -result.fun,
        {i: result.x[column[i]] for i in pool},
        {i: price[column[i]] for i in pool},
    )


def _restricted_model(n, quotas, members, points, profiles, free, fixed):
    """CP-SAT over the ``free`` candidates, with those in ``fixed`` taken. Within a profile the
    better candidate is taken first: prices follow scores there, so the free ones of a profile
    are consecutive in its order."""
    model = cp_model.CpModel()
    x: dict[int, cp_model.IntVar] = {}
    for _, indices, _ in profiles:
        previous = None
        for i in indices:
            if i in free:
                x[i] = model.new_bool_var(f"x{i}")
                if previous is not None:
                    model.add_implication(x[i], previous)
                previous = x[i]
    model.add(sum(x.values()) == n - len(fixed))
    for index, quota in enumerate(quotas):
        already = sum(1 for i in fixed if index in members[i])
        taken = sum(var for i, var in x.items() if index in members[i])
        if quota.minimum:
            model.add(taken >= quota.minimum - already)
        if quota.maximum is not None:
            model.add(taken <= quota.maximum - already)
    model.maximize(sum(points[i] * var for i, var in x.items()))
    return model, x


def _solver(time_limit: float, workers: int | None = None) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers or min(8, os.cpu_count() or 1)
    return solver


def _raise_conflict(n, quotas, profiles, time_limit):
    conflict = _conflicting_quotas(n, quotas, profiles, time_limit)
    raise SelectionError(
        "quotas_conflict",
        {"quotas": conflict, "n": n},
        f"these quotas cannot all hold when selecting {n}: "
        + "; ".join(f"'{quotas[q].label}'" for q in conflict),
    )


def _conflicting_quotas(n, quotas, profiles, time_limit) -> list[int]:
    """A minimal set of quotas that cannot hold together (a deletion filter): starting from all
    of them, each quota is dropped when the others still cannot hold without it. Each check is a
    small model counting how many of each profile are taken."""
    deadline = time.monotonic() + time_limit

    def infeasible(kept: list[int]) -> bool:
        model = cp_model.CpModel()
        take = [
            model.new_int_var(0, len(indices), f"take{p}")
            for p, (_, indices, _) in enumerate(profiles)
        ]
        model.add(sum(take) == n)
        for q in kept:
            taken = sum(take[p] for p, (profile, _, _) in enumerate(profiles) if q in profile)
            if quotas[q].minimum:
                model.add(taken >= quotas[q].minimum)
            if quotas[q].maximum is not None:
                model.add(taken <= quotas[q].maximum)
        solver = _solver(max(deadline - time.monotonic(), 0.1) / max(len(quotas), 1))
        return solver.solve(model) == cp_model.INFEASIBLE

    core = list(range(len(quotas)))
    for q in range(len(quotas)):
        rest = [r for r in core if r != q]
        if infeasible(rest):
            core = rest
    return core


def _explain(candidates, n, quotas, members, points, rank, selected, reserve, others, counts):
    def binding(i: int, at_minimum: bool) -> int | None:
        for q in members[i]:
            quota = quotas[q]
            if at_minimum and quota.minimum and counts[q] == quota.minimum:
                return q
            if not at_minimum and quota.maximum is not None and counts[q] == quota.maximum:
                return q
        return None

    lowest = points[selected[-1]]
    cutoff = lowest / SCORE_SCALE
    explanations: dict[int, Explanation] = {}
    for i in selected:
        params = {"rank": rank[i], "score": candidates[i].score, "cutoff": cutoff, "n": n}
        quota = binding(i, at_minimum=True)
        if rank[i] <= n:
            code = "top_score"
        elif quota is not None:
            code, params = "quota_minimum", {**params, **quota_params(quotas, quota)}
        else:
            code = "freed_by_quota_maximum"
        explanations[candidates[i].key] = Explanation(candidates[i].key, "selected", code, params)
    reserve_rank = {i: place + 1 for place, i in enumerate(reserve)}
    for i in others:
        params = {"rank": rank[i], "score": candidates[i].score, "cutoff": cutoff, "n": n}
        quota = binding(i, at_minimum=False)
        if points[i] > lowest and quota is not None:
            code, params = "quota_maximum", {**params, **quota_params(quotas, quota)}
        elif points[i] > lowest:
            code = "displaced_by_quota_minimum"
        elif points[i] == lowest:
            code = "tie_at_cutoff"
        else:
            code = "below_cutoff"
        decision = "not_selected"
        if i in reserve_rank:
            decision, params = "reserve", {**params, "reserve_rank": reserve_rank[i]}
        explanations[candidates[i].key] = Explanation(candidates[i].key, decision, code, params)
    return explanations
