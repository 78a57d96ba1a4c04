"""The demo's four evaluations, with the 2024 summit's numbers, run from submissions to
published winners; the winners' counts come out of the tiers' quotas."""

import random

import pytest

from huiwu.awards import demo, selectors
from huiwu.awards.models import Conflict, ReviewAssignment
from huiwu.demo.generator import _load
from huiwu.demo.names import NameMaker

pytestmark = pytest.mark.django_db


def test_demo_runs_the_four_programmes_to_published_winners(summit):
    lines = []
    demo.build(
        summit,
        names=NameMaker(random.Random(1), _load("names")),
        say=lambda label, detail: lines.append(label),
    )
    figures = selectors.award_figures(summit)
    assert {key: value for key, value in figures.items() if "winners" in key} == {
        "awards_distinguished_contribution_winners": 21,
        "awards_distinguished_contribution_winners_individual": 7,
        "awards_distinguished_contribution_winners_company": 14,
        "awards_leading_technology_winners": 20,
        "awards_leading_technology_winners_leading": 20,
        "awards_excellence_cases_winners": 13,
        "awards_excellence_cases_winners_selected": 13,
        "awards_straight_to_wuzhen_winners": 59,
        "awards_straight_to_wuzhen_winners_special": 1,
        "awards_straight_to_wuzhen_winners_first": 5,
        "awards_straight_to_wuzhen_winners_second": 15,
        "awards_straight_to_wuzhen_winners_third": 38,
    }
    assert figures["awards_leading_technology_experts"] == 40
    assert figures["awards_leading_technology_submissions"] == 270
    assert figures["awards_excellence_cases_submissions"] == 236
    assert figures["awards_straight_to_wuzhen_submissions"] == 1048
    assert figures["awards_straight_to_wuzhen_countries"] == 27
    # No expert ever reviewed a submission they are in conflict with.
    conflicted = Conflict.objects.filter(submission__isnull=False).values_list(
        "expert", "submission"
    )
    pairs = set(ReviewAssignment.objects.values_list("expert", "submission"))
    assert pairs.isdisjoint(set(conflicted))
    assert lines[-1] == "awards"
