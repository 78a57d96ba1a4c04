"""Scores, normalisation, disagreement, shortlists and prize tiers (pure: no Django).

Reviews are (expert, submission, total) triples, with any hashable keys. Everything here is
deterministic: the same reviews give the same numbers, flags and ranking every time.

The tie rule (TIE_RULE) of rankings and shortlists, in order:

1. the higher score (the normalised mean when the programme normalises);
2. the more reviews;
3. the higher lowest review (the submission nobody rated poorly goes first);
4. the earlier submission time;
5. the smaller submission key (the order in which the submissions were recorded).
"""

import math
import numbers
from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

TIE_RULE = ("score", "reviews", "lowest_review", "submitted_at", "submission")
METHODS = ("zscore", "bias")
# Scores equal to this many decimals are tied.
SCORE_DIGITS = 9
# Shrinks the bias of an expert with few reviews towards 0: the fitted bias of an expert with
# n reviews is pulled in by n / (n + BIAS_SHRINK) compared with plain least squares.
BIAS_SHRINK = 1.0


class ScoringError(ValueError):
    """Bad scores or settings; ``code`` and ``params`` let the caller say which, translated:
    missing_criterion, unknown_criterion, out_of_range, not_a_number, bad_weights,
    bad_quota, bad_method, no_rule."""

    def __init__(self, code: str, params: dict | None = None):
        self.code = code
        self.params = params or {}
        super().__init__(f"{code}: {self.params}")


def weighted_total(
    scores: Mapping[str, float],
    weights: Mapping[str, float],
    ranges: Mapping[str, tuple[float, float]] | None = None,
) -> float:
    """The weighted mean of the criterion scores, Σ wᵢ·sᵢ / Σ wᵢ, so the total stays on the
    criteria's scale. Every weighted criterion must be scored, and nothing else; with
    ``ranges`` (criterion -> (min, max)) each score must lie in its range."""
    if (
        not weights
        or any(not _is_number(w) or w < 0 for w in weights.values())
        or sum(weights.values()) <= 0
    ):
        raise ScoringError("bad_weights")
    for criterion in weights:
        if criterion not in scores or scores[criterion] is None:
            raise ScoringError("missing_criterion", {"criterion": criterion})
    for criterion, score in scores.items():
        if criterion not in weights:
            raise ScoringError("unknown_criterion", {"criterion": criterion})
        if not _is_number(score):
            raise ScoringError("not_a_number", {"criterion": criterion})
        if ranges and criterion in ranges:
            low, high = ranges[criterion]
            if not low <= score <= high:
                raise ScoringError(
                    "out_of_range",
                    {"criterion": criterion, "score": score, "min": low, "max": high},
                )
    return sum(weights[c] * scores[c] for c in weights) / sum(weights.values())


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


Review = tuple[Hashable, Hashable, float]


@dataclass(frozen=True)
class Normalisation:
    """Normalised reviews side by side with the raw ones. ``scores`` maps (expert, submission)
    to the normalised score; ``raw_means``/``means`` give each submission's mean before and
    after; ``explanations`` maps each expert to a code and its numbers (see normalise)."""

    method: str
    scores: dict[tuple[Hashable, Hashable], float]
    raw_means: dict[Hashable, float]
    means: dict[Hashable, float]
    explanations: dict[Hashable, dict] = field(default_factory=dict)

    @property
    def reviews(self) -> list[Review]:
        """The normalised reviews as (expert, submission, score), e.g. for disagreement()."""
        return [(e, s, score) for (e, s), score in self.scores.items()]


def normalise(
    reviews: Sequence[Review], method: str = "zscore", *, shrink: float = BIAS_SHRINK
) -> Normalisation:
    """Correct lenient and harsh experts.

    ``zscore``: each expert's scores are standardised with their own mean and spread and put
    back on the scale of all reviews (overall mean and spread). An expert with fewer than two
    reviews keeps raw scores (code ``too_few``); one whose scores are all equal is only shifted
    to the overall mean (``no_spread``); otherwise ``zscore`` with mean, sd and n.

    ``bias``: least squares fit of score = quality(submission) + bias(expert), biases summing to
    zero, with a small shrinkage so that an expert seen once is corrected only half-way
    (``shrink``, BIAS_SHRINK by default; 0 for plain least squares); the normalised score is
    the raw one minus the expert's bias (code ``bias`` with bias and n). Unlike the z-score,
    this compares experts on the submissions they share, so an expert who happened to get only
    strong submissions is not pulled down."""
    if method not in METHODS:
        raise ScoringError("bad_method", {"method": method})
    reviews = [(e, s, float(x)) for e, s, x in reviews]
    if any(not math.isfinite(x) for _, _, x in reviews):
        raise ScoringError("not_a_number", {})
    if len({(e, s) for e, s, _ in reviews}) != len(reviews):
        raise ValueError("one review per (expert, submission)")
    fitted = _zscore(reviews) if method == "zscore" else _bias(reviews, shrink)
    scores, explanations = fitted
    return Normalisation(
        method=method,
        scores=scores,
        raw_means=_means((s, x) for _, s, x in reviews),
        means=_means((s, scores[(e, s)]) for e, s, _ in reviews),
        explanations=explanations,
    )


def _means(pairs) -> dict[Hashable, float]:
    values = defaultdict(list)
    for submission, score in pairs:
        values[submission].append(score)
    return {s: float(np.mean(v)) for s, v in values.items()}


def _zscore(reviews: list[Review]):
    everything = np.array([x for _, _, x in reviews]) if reviews else np.zeros(0)
    centre = float(everything.mean()) if everything.size else 0.0
    spread = float(everything.std()) if everything.size else 0.0
    by_expert = defaultdict(list)
    for e, s, x in reviews:
        by_expert[e].append((s, x))
    scores, explanations = {}, {}
    for expert, own in by_expert.items():
        values = np.array([x for _, x in own])
        mean, sd = float(values.mean()), float(values.std())
        if len(own) < 2:
            explanations[expert] = {"code": "too_few", "n": len(own)}
            adjusted = values
        elif sd < 1e-9:
            explanations[expert] = {"code": "no_spread", "mean": mean, "n": len(own)}
            adjusted = values - mean + centre
        else:
            explanations[expert] = {"code": "zscore", "mean": mean, "sd": sd, "n": len(own)}
            adjusted = centre + spread * (values - mean) / sd
        for (submission, _), score in zip(own, adjusted, strict=True):
            scores[(expert, submission)] = float(score)
    return scores, explanations


def _bias(reviews: list[Review], shrink: float):
    experts = sorted({e for e, _, _ in reviews}, key=repr)
    submissions = sorted({s for _, s, _ in reviews}, key=repr)
    e_index = {e: i for i, e in enumerate(experts)}
    s_index = {s: i for i, s in enumerate(submissions)}
    e = np.array([e_index[r[0]] for r in reviews], dtype=np.int64)
    s = np.array([s_index[r[1]] for r in reviews], dtype=np.int64)
    x = np.array([r[2] for r in reviews], dtype=np.float64)
    per_expert = np.bincount(e, minlength=len(experts))
    per_submission = np.bincount(s, minlength=len(submissions))
    bias = np.zeros(len(experts))
    # Alternating least squares: each step solves one block exactly, so the squared error
    # never grows; a few hundred steps converge far below any visible difference.
    for _ in range(500):
        quality = np.bincount(s, weights=x - bias[e], minlength=len(submissions)) / np.maximum(
            per_submission, 1
        )
        new = np.bincount(e, weights=x - quality[s], minlength=len(experts)) / (per_expert + shrink)
        done = np.abs(new - bias).max(initial=0) < 1e-10
        bias = new
        if done:
            break
    bias -= bias.mean() if bias.size else 0.0
    scores = {(r[0], r[1]): float(r[2] - bias[e_index[r[0]]]) for r in reviews}
    explanations = {
        expert: {"code": "bias", "bias": float(bias[i]), "n": int(per_expert[i])}
        for i, expert in enumerate(experts)
    }
    return scores, explanations


@dataclass(frozen=True)
class Disagreement:
    """``outliers``: (expert, submission, score, mean of the others) of reviews far from the
    submission's other reviews; ``high_spread``: (submission, spread) of submissions whose
    reviews disagree much more than usual; ``typical_spread``: the usual spread (pooled
    within-submission standard deviation) they are measured against."""

    outliers: list[tuple[Hashable, Hashable, float, float]]
    high_spread: list[tuple[Hashable, float]]
    typical_spread: float


def disagreement(
    reviews: Sequence[Review], *, outlier: float = 2.0, spread: float = 1.5
) -> Disagreement:
    """Flag for discussion: the review of a submission farthest from the mean of its other
    reviews when more than ``outlier`` typical spreads away (needs at least two others), and a
    submission whose own standard deviation is more than ``spread`` times the typical spread
    (needs two reviews). When every review agrees nothing is flagged. Pass normalised reviews
    (``Normalisation.reviews``) so that a consistently harsh expert is not flagged for
    being harsh."""
    by_submission = defaultdict(list)
    for e, s, x in reviews:
        by_submission[s].append((e, float(x)))
    squares, degrees = 0.0, 0
    for own in by_submission.values():
        if len(own) >= 2:
            values = np.array([x for _, x in own])
            squares += float(((values - values.mean()) ** 2).sum())
            degrees += len(own) - 1
    typical = math.sqrt(squares / degrees) if degrees else 0.0
    outliers, high_spread = [], []
    if typical > 1e-9:
        for submission, own in by_submission.items():
            values = np.array([x for _, x in own])
            if len(own) >= 2 and values.std(ddof=1) > spread * typical:
                high_spread.append((submission, float(values.std(ddof=1))))
            if len(own) >= 3:
                # Only the review farthest from the others: with few reviews, one wild score
                # also drags the others' means, and its neighbours must not be blamed for it.
                others = (values.sum() - values) / (len(own) - 1)
                far = int(np.argmax(np.abs(values - others)))
                if abs(values[far] - others[far]) > outlier * typical:
                    outliers.append((own[far][0], submission, own[far][1], float(others[far])))
    return Disagreement(outliers, high_spread, typical)


@dataclass(frozen=True)
class Entry:
    """A submission to rank: its score (None: not scored, ranked last), track, number of
    reviews, lowest review and submission time, for the tie rule."""

    submission: Hashable
    score: float | None
    track: Hashable = None
    reviews: int = 0
    lowest_review: float | None = None
    submitted_at: datetime | None = None


@dataclass(frozen=True)
class Placed:
    """A ranked submission: rank (1 = best; every rank is distinct), prize tier or None, and the
    TIE_RULE key that set it apart from an equally scored neighbour (None: its score alone)."""

    submission: Hashable
    tier: Hashable | None
    rank: int
    tie_broken_by: str | None


def _entry(item) -> Entry:
    return item if isinstance(item, Entry) else Entry(*item)


def _sort_key(entry: Entry) -> tuple:
    def high_first(value):
        # Rounded so that two means equal but for floating-point noise count as a tie.
        return (1, 0.0) if value is None else (0, -round(value, SCORE_DIGITS))

    key = entry.submission
    return (
        high_first(entry.score),
        -entry.reviews,
        high_first(entry.lowest_review),
        (1, 0.0) if entry.submitted_at is None else (0, entry.submitted_at.timestamp()),
        (0, key, "") if isinstance(key, int) else (1, 0, repr(key)),
    )


def _decided_by(a: Entry, b: Entry) -> str | None:
    """The TIE_RULE key that orders two entries, or None when their scores differ."""
    keys_a, keys_b = _sort_key(a), _sort_key(b)
    if keys_a[0] != keys_b[0]:
        return None
    for name, left, right in zip(TIE_RULE[1:], keys_a[1:], keys_b[1:], strict=True):
        if left != right:
            return name
    return TIE_RULE[-1]


def rank(items: Sequence[Entry | tuple]) -> list[Entry]:
    """The entries in TIE_RULE order, best first."""
    return sorted((_entry(i) for i in items), key=_sort_key)


def rank_and_fill(
    items: Sequence[Entry | tuple], tiers: Sequence[tuple[Hashable, int]]
) -> list[Placed]:
    """Rank every submission by TIE_RULE and give the prize tiers, best tier first, to the next
    ``quota`` submissions in rank order. Unscored submissions get no tier. Items are Entry or
    (submission, score, track) tuples."""
    for tier, quota in tiers:
        if not isinstance(quota, int) or isinstance(quota, bool) or quota < 0:
            raise ScoringError("bad_quota", {"tier": tier, "quota": quota})
    ordered = rank(items)
    slots = [tier for tier, quota in tiers for _ in range(quota)]
    placed = []
    for position, entry in enumerate(ordered):
        tier = slots[position] if position < len(slots) and entry.score is not None else None
        neighbours = [ordered[position - 1]] if position else []
        neighbours += [ordered[position + 1]] if position + 1 < len(ordered) else []
        reason = next(
            (r for r in (_decided_by(n, entry) for n in neighbours) if r is not None), None
        )
        placed.append(Placed(entry.submission, tier, position + 1, reason))
    return placed


def shortlist(
    items: Sequence[Entry | tuple],
    top_n_per_track: int | None = None,
    threshold: float | None = None,
) -> list[Hashable]:
    """The submissions that go on to the next round, in rank order: the best
    ``top_n_per_track`` of each track (by TIE_RULE, so exactly that many when there are
    enough), and/or those scoring at least ``threshold``; with both, a submission must pass
    both. Unscored submissions never go on."""
    if top_n_per_track is None and threshold is None:
        raise ScoringError("no_rule")
    if top_n_per_track is not None and (
        not isinstance(top_n_per_track, int) or top_n_per_track < 0
    ):
        raise ScoringError("bad_quota", {"quota": top_n_per_track})
    chosen, taken = [], defaultdict(int)
    for entry in rank(items):
        if entry.score is None or (threshold is not None and entry.score < threshold):
            continue
        if top_n_per_track is not None:
            if taken[entry.track] >= top_n_per_track:
                continue
            taken[entry.track] += 1
        chosen.append(entry.submission)
    return chosen
