"""Steps the awards tests share: score a round's assignments with chosen numbers."""

from huiwu.awards import services
from huiwu.awards.models import ReviewAssignment, Round


def scores_for(round_: Round, value: float) -> dict[str, float]:
    return {str(criterion.pk): value for criterion in round_.criteria.all()}


def review_all(round_: Round, score, *, by=None) -> None:
    """Submit a review for every assignment of the round; ``score(pair)`` gives the value of
    every criterion."""
    for pair in ReviewAssignment.objects.filter(round=round_, forbidden=False).select_related(
        "round", "submission", "expert"
    ):
        services.save_review(
            pair, scores=scores_for(round_, score(pair)), send=True, by=by or pair.expert.user
        )
