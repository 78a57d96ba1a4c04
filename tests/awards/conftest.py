from dataclasses import dataclass

import pytest

from huiwu.awards.models import Expert, PrizeTier, Programme, Round, Submission, Track
from huiwu.core.i18n import i18n
from tests import factories
from tests.awards import factories as af

TOPICS = [
    ("Speech recognition for dialects", "speech recognition acoustic models dialects"),
    ("Robot hands that grasp", "robot grasping dexterous manipulation hands"),
    ("Quantum-safe messaging", "post-quantum cryptography key exchange lattice"),
    ("Rice fields seen from space", "satellite imagery agriculture crop yield"),
    ("Chips that learn", "neural accelerator chip low power inference"),
    ("Private data sharing", "privacy federated learning secure computation"),
]


@dataclass
class Competition:
    programme: Programme
    tracks: list[Track]
    first: Round
    final: Round
    experts: list[Expert]
    submissions: list[Submission]
    gold: PrizeTier
    silver: PrizeTier
    office: object


@pytest.fixture
def office(db):
    return factories.UserFactory(username="awards-office", roles=["awards_office"])


@pytest.fixture
def competition(summit, office) -> Competition:
    """Two tracks, an online review (2 experts each) and a final panel, two criteria per round,
    one gold and two silver prizes, four experts and six submissions, one per topic."""
    programme = af.ProgrammeFactory(summit=summit, slug="wuzhen-cup")
    tracks = [
        af.TrackFactory(programme=programme, code="ai", name=i18n(zh_hans="人工智能", en="AI")),
        af.TrackFactory(programme=programme, code="data", name=i18n(zh_hans="数据", en="Data")),
    ]
    rounds = []
    for order in (1, 2):
        round_ = af.RoundFactory(programme=programme, order=order, max_load=6)
        af.CriterionFactory(round=round_, weight=2.0, name=i18n(zh_hans="创新", en="Innovation"))
        af.CriterionFactory(round=round_, weight=1.0, name=i18n(zh_hans="影响", en="Impact"))
        rounds.append(round_)
    af.SubmissionFieldFactory(programme=programme, key="team", required=True)
    gold = af.PrizeTierFactory(programme=programme, code="gold", quota=1, order=0)
    silver = af.PrizeTierFactory(programme=programme, code="silver", quota=2, order=1)
    experts = [
        af.ExpertFactory(
            name=f"Expert {index}",
            expertise=TOPICS[index][1] + " " + TOPICS[index + 2][1],
            programmes=[programme],
        )
        for index in range(4)
    ]
    submissions = [
        af.SubmissionFactory(
            programme=programme,
            track=tracks[index % 2],
            title=title,
            abstract=abstract,
            answers={"team": "Five engineers"},
        )
        for index, (title, abstract) in enumerate(TOPICS)
    ]
    return Competition(programme, tracks, *rounds, experts, submissions, gold, silver, office)
