"""Reads of awards and competitions: who is in a round, the scores raw and normalised, the
ranking, the winners and the figures."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet

from huiwu.awards import scoring
from huiwu.awards.models import (
    Conflict,
    Decision,
    Expert,
    Normalisation,
    Outcome,
    Programme,
    Review,
    ReviewAssignment,
    ReviewStatus,
    Round,
    Submission,
    SubmissionStatus,
)


def programmes(summit) -> QuerySet[Programme]:
    return Programme.objects.filter(summit=summit).select_related("summit")


def rounds(programme: Programme) -> list[Round]:
    return list(programme.rounds.order_by("order"))


def next_round(round_: Round) -> Round | None:
    return round_.programme.rounds.filter(order__gt=round_.order).order_by("order").first()


def final_round(programme: Programme) -> Round | None:
    return programme.rounds.order_by("-order").first()


def round_submissions(round_: Round) -> QuerySet[Submission]:
    """The submissions a round judges: those in it now, and those it already decided on."""
    return (
        Submission.objects.filter(status=SubmissionStatus.SUBMITTED)
        .filter(Q(current_round=round_) | Q(decisions__round=round_))
        .distinct()
        .order_by("submitted_at", "id")
    )


def round_experts(round_: Round) -> QuerySet[Expert]:
    """The round's own panel, or every expert of the programme when it names none."""
    chosen = round_.experts.all()
    if chosen.exists():
        return chosen
    return round_.programme.experts.all()


def submitted_reviews(round_: Round) -> QuerySet[Review]:
    return Review.objects.filter(
        assignment__round=round_, assignment__forbidden=False, status=ReviewStatus.SUBMITTED
    ).select_related("assignment")


def conflicted(expert: Expert, submission: Submission) -> bool:
    return Conflict.objects.filter(expert=expert, submission=submission).exists()


# --- People's own lists ---------------------------------------------------------------------
def applicant_submissions(user) -> QuerySet[Submission]:
    if not user.is_authenticated:
        return Submission.objects.none()
    return (
        Submission.objects.filter(applicant=user)
        .select_related("programme", "track", "current_round")
        .order_by("-created_at")
    )


def expert_assignments(expert: Expert) -> QuerySet[ReviewAssignment]:
    """The expert's active assignments in the submissions' current rounds, never a conflicted
    one."""
    conflict = Conflict.objects.filter(expert=expert, submission=OuterRef("submission"))
    return (
        ReviewAssignment.objects.filter(
            expert=expert, forbidden=False, submission__current_round=F("round")
        )
        .filter(~Exists(conflict))
        .select_related("round", "round__programme", "submission", "submission__track", "review")
        .order_by("round__programme__order", "round__order", "submission__title")
    )


def expert_past_reviews(expert: Expert) -> QuerySet[Review]:
    """The expert's reviews in rounds that have closed, to read again."""
    return (
        Review.objects.filter(assignment__expert=expert, assignment__round__closed=True)
        .select_related("assignment__round__programme", "assignment__submission")
        .order_by("-assignment__round__programme__order", "assignment__submission__title")
    )


def discussion(pair: ReviewAssignment) -> QuerySet[Review]:
    """Every submitted review of the pair's submission in its round, the expert's own too."""
    return (
        submitted_reviews(pair.round)
        .filter(assignment__submission=pair.submission)
        .select_related("assignment__expert")
    )


# --- Scores -------------------------------------------------------------------------------------
@dataclass
class ScoreRow:
    """A submission's scores in a round: raw and normalised means, its reviews, its flags."""

    submission: Submission
    reviews: list[Review] = field(default_factory=list)
    raw: float | None = None
    normalised: float | None = None
    flags: list[str] = field(default_factory=list)

    @property
    def score(self) -> float | None:
        return self.normalised if self.normalised is not None else self.raw

    def entry(self) -> scoring.Entry:
        """The row as the ranking's tie rule reads it."""
        return scoring.Entry(
            submission=self.submission.pk,
            score=self.score,
            track=self.submission.track_id,
            reviews=len(self.reviews),
            lowest_review=min((r.total for r in self.reviews), default=None),
            submitted_at=self.submission.submitted_at,
        )


@dataclass
class ExpertCorrection:
    """How normalisation treats one expert's scores, for the explanation table."""

    expert: Expert
    code: str
    numbers: dict


@dataclass
class RoundScores:
    method: str
    rows: list[ScoreRow]
    corrections: list[ExpertCorrection]
    outliers: set[int]
    typical_spread: float


def round_scores(round_: Round, method: str | None = None) -> RoundScores:
    """Every submission of the round with its raw and normalised mean score, how each expert
    was corrected, the outlier reviews and the submissions whose experts disagree; best
    first."""
    method = method or round_.normalisation
    rows = {s.pk: ScoreRow(submission=s) for s in round_submissions(round_).select_related("track")}
    # Only what the table shows: a large round has thousands of reviews.
    fields = ("total", "assignment__submission", "assignment__expert__name")
    reviews = [
        review
        for review in submitted_reviews(round_).select_related("assignment__expert").only(*fields)
        if review.assignment.submission_id in rows
    ]
    for review in reviews:
        rows[review.assignment.submission_id].reviews.append(review)
    triples = [(r.assignment.expert_id, r.assignment.submission_id, r.total) for r in reviews]
    normalised = scoring.normalise(
        triples, method=Normalisation.ZSCORE if method == Normalisation.NONE else method
    )
    for pk, row in rows.items():
        row.raw = normalised.raw_means.get(pk)
        if method != Normalisation.NONE:
            row.normalised = normalised.means.get(pk)
    flags = scoring.disagreement(triples)
    for pk, _spread in flags.high_spread:
        rows[pk].flags.append("spread")
    far = {(expert, submission) for expert, submission, _score, _others in flags.outliers}
    outliers = set()
    for review in reviews:
        if (review.assignment.expert_id, review.assignment.submission_id) in far:
            outliers.add(review.pk)
            rows[review.assignment.submission_id].flags.append("outlier")
    experts = {r.assignment.expert_id: r.assignment.expert for r in reviews}
    corrections = (
        []
        if method == Normalisation.NONE
        else [
            ExpertCorrection(expert=experts[pk], code=info["code"], numbers=info)
            for pk, info in sorted(
                normalised.explanations.items(), key=lambda item: experts[item[0]].name
            )
        ]
    )
    ordered = sorted(
        rows.values(),
        key=lambda row: (row.score is None, -(row.score or 0.0), row.submission.pk),
    )
    return RoundScores(
        method=method,
        rows=ordered,
        corrections=corrections,
        outliers=outliers,
        typical_spread=flags.typical_spread,
    )


def ranking(round_: Round, scores: RoundScores | None = None) -> list[scoring.Placed]:
    """The round's scored submissions ranked, with the prize tiers filled by their quotas;
    ties are broken by ``scoring.TIE_RULE``."""
    scores = scores or round_scores(round_)
    entries = [row.entry() for row in scores.rows if row.score is not None]
    own_tiers: dict[int, list] = defaultdict(list)
    every_track = []
    for tier in round_.programme.tiers.order_by("order"):
        (own_tiers[tier.track_id] if tier.track_id else every_track).append((tier.pk, tier.quota))
    # A track with tiers of its own is ranked apart (7 individuals and 14 companies); the
    # tiers for every track go to the others.
    placed = []
    for track, tiers in own_tiers.items():
        placed += scoring.rank_and_fill([e for e in entries if e.track == track], tiers)
    rest = [e for e in entries if e.track not in own_tiers]
    if rest:
        placed += scoring.rank_and_fill(rest, every_track)
    return placed


# --- Results --------------------------------------------------------------------------------
def winners(programme: Programme) -> list[tuple]:
    """``[(tier, [decision, …]), …]``: the final round's prizes, by tier and rank."""
    final = final_round(programme)
    if final is None:
        return []
    decisions = (
        Decision.objects.filter(round=final, outcome=Outcome.PRIZE)
        .select_related("submission__track", "tier")
        .order_by("tier__order", "rank", "id")
    )
    grouped: dict[int, list[Decision]] = defaultdict(list)
    for decision in decisions:
        grouped[decision.tier_id].append(decision)
    return [
        (tier, grouped[tier.pk]) for tier in programme.tiers.order_by("order") if grouped[tier.pk]
    ]


def submission_result(submission: Submission) -> Decision | None:
    """The published outcome of a submission: its final decision, when results are out."""
    if not submission.programme.results_published:
        return None
    return submission.decisions.select_related("tier", "round").order_by("-round__order").first()


def programme_overview(programme: Programme) -> QuerySet[Submission]:
    """The office's table of submissions, with their review counts in the current round."""
    return (
        programme.submissions.select_related("track", "current_round", "applicant")
        .annotate(
            assigned=Count(
                "assignments",
                filter=Q(assignments__forbidden=False, assignments__round=F("current_round")),
            ),
        )
        .order_by("status", "submitted_at", "id")
        .prefetch_related(Prefetch("decisions", queryset=Decision.objects.select_related("tier")))
    )


# --- Figures --------------------------------------------------------------------------------
def programme_figures(programme: Programme) -> dict:
    """Submissions sent, their countries, experts and (once published) winners by tier."""
    sent = programme.submissions.filter(status=SubmissionStatus.SUBMITTED)
    figures = {
        "submissions": sent.count(),
        "countries": sent.values("country").distinct().count(),
        "experts": programme.experts.count(),
        "winners": 0,
        "winners_by_tier": {},
    }
    if programme.results_published:
        counted = dict(
            Decision.objects.filter(round=final_round(programme), outcome=Outcome.PRIZE)
            .values_list("tier__code")
            .annotate(n=Count("id"))
        )
        figures["winners_by_tier"] = {
            tier.code: counted.get(tier.code, 0) for tier in programme.tiers.all()
        }
        figures["winners"] = sum(counted.values())
    return figures


def award_figures(summit) -> dict[str, int]:
    """``/api/v1/figures``: per programme ``awards_<slug>_submissions``, ``_countries``,
    ``_experts``, ``_winners`` and ``_winners_<tier>``."""
    result: dict[str, int] = {}
    for programme in programmes(summit):
        prefix = f"awards_{programme.slug.replace('-', '_')}"
        figures = programme_figures(programme)
        for key in ("submissions", "countries", "experts"):
            result[f"{prefix}_{key}"] = figures[key]
        if programme.results_published:
            result[f"{prefix}_winners"] = figures["winners"]
            for code, count in figures["winners_by_tier"].items():
                result[f"{prefix}_winners_{code.replace('-', '_')}"] = count
    return result


def award_countries(summit):
    return (
        Submission.objects.filter(programme__summit=summit, status=SubmissionStatus.SUBMITTED)
        .values_list("country", flat=True)
        .distinct()
    )


# --- The office's pages -----------------------------------------------------------------------
def programme_summaries(summit) -> QuerySet[Programme]:
    return programmes(summit).annotate(
        sent=Count(
            "submissions", filter=Q(submissions__status=SubmissionStatus.SUBMITTED), distinct=True
        ),
        expert_count=Count("experts", distinct=True),
    )


def round_summaries(programme: Programme) -> list[Round]:
    """The rounds with how many submissions each holds and how far its reviews are."""
    result = []
    for round_ in rounds(programme):
        round_.progress = review_progress(round_)
        result.append(round_)
    return result


def review_progress(round_: Round) -> dict[str, int]:
    pairs = ReviewAssignment.objects.filter(round=round_, forbidden=False)
    return {
        "submissions": round_submissions(round_).count(),
        "assigned": pairs.count(),
        "drafts": pairs.filter(review__status=ReviewStatus.DRAFT).count(),
        "submitted": pairs.filter(review__status=ReviewStatus.SUBMITTED).count(),
        "experts": pairs.values("expert").distinct().count(),
    }


def manual_pairs(round_: Round) -> QuerySet[ReviewAssignment]:
    """The pairs the office pinned or forbade."""
    return (
        round_.assignments.filter(Q(pinned=True) | Q(forbidden=True))
        .select_related("expert", "submission")
        .order_by("submission__title", "expert__name")
    )


@dataclass
class RankRow:
    rank: int
    row: ScoreRow
    tier: object
    tie_broken_by: str


def ranking_rows(round_: Round, scores: RoundScores) -> list[RankRow]:
    """The ranking with the objects the page shows."""
    tiers = {tier.pk: tier for tier in round_.programme.tiers.all()}
    rows = {row.submission.pk: row for row in scores.rows}
    return [
        RankRow(
            rank=place.rank,
            row=rows[place.submission],
            tier=tiers.get(place.tier),
            tie_broken_by=place.tie_broken_by or "",
        )
        for place in ranking(round_, scores)
    ]


def round_decisions(round_: Round) -> QuerySet[Decision]:
    return round_.decisions.select_related("submission", "tier", "decided_by").order_by(
        "rank", "outcome", "submission__title"
    )
