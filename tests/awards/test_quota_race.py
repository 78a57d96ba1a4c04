"""No prize tier beyond its quota under concurrency: committee members racing to give the last
prize, each in their own thread and database connection, on SQLite and on PostgreSQL."""

import pytest

from huiwu.awards import services
from huiwu.awards.models import Decision, Outcome, Round, Submission
from huiwu.awards.services import AwardsError
from tests.awards import factories as af
from tests.awards.helpers import review_all
from tests.registration.test_seats_race import race

pytestmark = pytest.mark.django_db(transaction=True)


def test_racing_for_the_last_prize_gives_it_exactly_once(competition):
    office = competition.office
    final: Round = competition.final
    services.run_assignment(competition.first, by=office)
    review_all(competition.first, lambda pair: 6)
    services.advance_shortlist(competition.first, by=office, reason="All", threshold=0)
    services.run_assignment(final, by=office)
    review_all(final, lambda pair: 6)
    services.award_prizes(final, by=office, reason="Committee")
    bronze = af.PrizeTierFactory(programme=competition.programme, code="bronze", quota=1)
    losers = list(
        Submission.objects.filter(decisions__round=final, decisions__outcome=Outcome.REJECT)
    )
    assert len(losers) == 3

    def give(submission):
        def job():
            try:
                services.change_decision(
                    submission, final, outcome=Outcome.PRIZE, tier=bronze, reason="x", by=office
                )
            except AwardsError as error:
                return error.message
            return "given"

        return job

    results = race([give(submission) for submission in losers])
    assert results.count("given") == 1
    assert Decision.objects.filter(round=final, tier=bronze).count() == 1
