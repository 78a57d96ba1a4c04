"""Winners' certificates: one page in Chinese and English, for the winner and the office only,
once the results are published."""

import io

import pypdf
import pytest

from huiwu.awards import services
from huiwu.awards.models import Decision, Outcome
from tests import factories
from tests.awards.helpers import review_all
from tests.awards.test_access import client_for, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def awarded(competition):
    office = competition.office

    def worth(pair):
        return 4 + competition.submissions.index(pair.submission)

    services.run_assignment(competition.first, by=office)
    review_all(competition.first, worth)
    services.advance_shortlist(competition.first, by=office, reason="r", top_n=2)
    services.run_assignment(competition.final, by=office)
    review_all(competition.final, worth)
    services.award_prizes(competition.final, by=office, reason="Committee")
    return competition


def test_the_winner_downloads_a_bilingual_certificate_once_published(awarded):
    gold = Decision.objects.get(round=awarded.final, tier=awarded.gold).submission
    client = client_for(gold.applicant)
    assert client.get(url("certificate", gold.public_id)).status_code == 404
    services.publish_results(awarded.programme, by=awarded.office)
    response = client.get(url("certificate", gold.public_id))
    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    text = reader.pages[0].extract_text()
    assert len(reader.pages) == 1
    assert "Certificate of Award" in text
    assert gold.title in text
    assert awarded.gold.name.localize("en") in text


def test_no_certificate_for_others_or_for_a_submission_without_prize(awarded):
    services.publish_results(awarded.programme, by=awarded.office)
    gold = Decision.objects.get(round=awarded.final, tier=awarded.gold).submission
    loser = Decision.objects.filter(round=awarded.final, outcome=Outcome.REJECT).first()
    stranger = client_for(factories.UserFactory())
    assert stranger.get(url("certificate", gold.public_id)).status_code == 404
    own = client_for(loser.submission.applicant)
    assert own.get(url("certificate", loser.submission.public_id)).status_code == 404
    assert client_for(awarded.office).get(url("certificate", gold.public_id)).status_code == 200
