"""The public API of awards: programmes, and results only once published."""

import pytest
from django.test import Client

from huiwu.awards import services
from tests.awards.helpers import review_all

pytestmark = pytest.mark.django_db


def test_programmes_list_the_current_summits_calls(competition):
    response = Client().get("/api/v1/awards/programmes")
    assert response.status_code == 200
    assert [(p["slug"], p["kind"], p["results_published"]) for p in response.json()] == [
        ("wuzhen-cup", "competition", False)
    ]


def test_programme_detail_has_tracks_rounds_and_tiers(competition):
    body = Client().get("/api/v1/awards/programmes/wuzhen-cup").json()
    assert [t["code"] for t in body["tracks"]] == ["ai", "data"]
    assert [r["order"] for r in body["rounds"]] == [1, 2]
    assert [(t["code"], t["quota"]) for t in body["tiers"]] == [("gold", 1), ("silver", 2)]


def test_unknown_programme_is_a_json_404(competition):
    response = Client().get("/api/v1/awards/programmes/nope")
    assert response.status_code == 404
    assert response.json() == {"detail": "There is no programme “nope” in this summit."}


def test_results_are_404_until_published_then_list_winners_without_scores(competition):
    office = competition.office
    assert Client().get("/api/v1/awards/programmes/wuzhen-cup/results").status_code == 404
    services.run_assignment(competition.first, by=office)
    review_all(
        competition.first, lambda pair: 5 + competition.submissions.index(pair.submission) % 4
    )
    services.advance_shortlist(competition.first, by=office, reason="r", top_n=2)
    services.run_assignment(competition.final, by=office)
    review_all(
        competition.final, lambda pair: 5 + competition.submissions.index(pair.submission) % 4
    )
    services.award_prizes(competition.final, by=office, reason="Committee")
    services.publish_results(competition.programme, by=office)
    body = Client().get("/api/v1/awards/programmes/wuzhen-cup/results").json()
    assert [(t["tier"]["code"], len(t["winners"])) for t in body["tiers"]] == [
        ("gold", 1),
        ("silver", 2),
    ]
    assert set(body["tiers"][0]["winners"][0]) == {
        "rank",
        "title",
        "nominee",
        "organisation",
        "country",
        "track",
    }
    figures = Client().get("/api/v1/awards/programmes/wuzhen-cup/figures").json()
    assert figures == {
        "programme": "wuzhen-cup",
        "submissions": 6,
        "countries": 1,
        "experts": 4,
        "winners": 3,
        "winners_by_tier": {"gold": 1, "silver": 2},
    }
