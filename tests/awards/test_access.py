"""Applicants, experts and the awards office each see exactly what they may."""

import pytest
from django.test import Client
from django.urls import reverse

from huiwu.awards import services
from huiwu.awards.models import Attachment, ReviewAssignment
from tests import factories
from tests.awards.helpers import review_all, scores_for

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(name: str, *args) -> str:
    return reverse(f"awards:{name}", args=args)


@pytest.fixture
def assigned(competition):
    services.run_assignment(competition.first, by=competition.office)
    return competition


def pair_of(competition, expert):
    return ReviewAssignment.objects.filter(round=competition.first, expert=expert).first()


def unassigned(competition, expert):
    mine = set(ReviewAssignment.objects.filter(expert=expert).values_list("submission", flat=True))
    return next(s for s in competition.submissions if s.pk not in mine)


# --- Applicants -------------------------------------------------------------------------------
def test_applicant_sees_own_submission_and_not_another(competition):
    own, other = competition.submissions[:2]
    client = client_for(own.applicant)
    assert client.get(url("submission", own.public_id)).status_code == 200
    assert client.get(url("submission", other.public_id)).status_code == 403
    assert client.get(url("edit", other.public_id)).status_code == 403
    assert client.post(url("withdraw", other.public_id)).status_code == 403


def test_applicant_never_sees_experts_or_scores_even_after_publication(assigned):
    review_all(assigned.first, lambda pair: 7)
    services.advance_shortlist(assigned.first, by=assigned.office, reason="r", top_n=2)
    services.run_assignment(assigned.final, by=assigned.office)
    review_all(assigned.final, lambda pair: 9 if pair.submission.title.startswith("Speech") else 4)
    services.award_prizes(assigned.final, by=assigned.office, reason="Committee")
    services.publish_results(assigned.programme, by=assigned.office)
    winner = assigned.submissions[0]
    page = client_for(winner.applicant).get(url("submission", winner.public_id))
    mine = client_for(winner.applicant).get(url("mine"))
    for response in (page, mine):
        text = response.content.decode()
        assert response.status_code == 200
        assert "Prize" in text
        assert not any(expert.name in text for expert in assigned.experts)
        assert "9.0" not in text and "weighted total" not in text


def test_results_are_hidden_from_applicants_until_published(competition):
    own = competition.submissions[0]
    text = client_for(own.applicant).get(url("mine")).content.decode()
    assert "Not published yet" in text


def test_anonymous_visitors_are_sent_to_sign_in(competition):
    response = Client().get(url("submit", competition.programme.slug))
    assert response.status_code == 302
    assert response["Location"].startswith(url("login"))


# --- Experts ----------------------------------------------------------------------------------
def test_expert_opening_an_unassigned_submission_gets_403(assigned):
    expert = assigned.experts[0]
    other = unassigned(assigned, expert)
    client = client_for(expert.user)
    assert client.get(url("submission", other.public_id)).status_code == 403
    mine = pair_of(assigned, expert).submission
    assert client.get(url("submission", mine.public_id)).status_code == 200


def test_expert_cannot_download_an_unassigned_submissions_attachment(assigned):
    expert = assigned.experts[0]
    other = unassigned(assigned, expert)
    field = assigned.programme.fields.first()
    attachment = Attachment.objects.create(
        submission=other,
        field=field,
        file="awards/attachments/plan.pdf",
        file_type="pdf",
        original_name="plan.pdf",
        size=10,
    )
    response = client_for(expert.user).get(url("attachment", other.public_id, attachment.pk))
    assert response.status_code == 403


def test_expert_cannot_open_another_experts_review(assigned):
    one, two = assigned.experts[:2]
    theirs = pair_of(assigned, two)
    assert client_for(one.user).get(url("review", theirs.pk)).status_code == 403
    assert client_for(two.user).get(url("review", theirs.pk)).status_code == 200


def test_a_conflicted_expert_cannot_open_the_submission(assigned):
    pair = pair_of(assigned, assigned.experts[0])
    # A listed relationship added by the organisers after the assignment.
    services.declare_conflict(
        pair.expert, organisation_name=pair.submission.organisation_name, by=assigned.office
    )
    client = client_for(pair.expert.user)
    assert client.get(url("submission", pair.submission.public_id)).status_code == 403
    assert client.get(url("review", pair.pk)).status_code == 404


def test_other_experts_scores_appear_only_once_the_discussion_opens(assigned):
    first = assigned.first
    submission = assigned.submissions[0]
    pairs = list(ReviewAssignment.objects.filter(round=first, submission=submission))
    mine, theirs = pairs
    services.save_review(
        theirs,
        scores=scores_for(first, 3),
        comment="Weak evidence",
        send=True,
        by=theirs.expert.user,
    )
    client = client_for(mine.expert.user)
    closed = client.get(url("review", mine.pk)).content.decode()
    assert "Weak evidence" not in closed and theirs.expert.name not in closed
    services.set_discussion(first, open_=True, by=assigned.office)
    opened = client.get(url("review", mine.pk)).content.decode()
    assert "Weak evidence" in opened and theirs.expert.name in opened


def test_expert_sees_only_assigned_and_unconflicted_submissions_on_the_dashboard(assigned):
    expert = assigned.experts[0]
    text = client_for(expert.user).get(url("expert")).content.decode()
    assigned_titles = set(
        ReviewAssignment.objects.filter(expert=expert).values_list("submission__title", flat=True)
    )
    for submission in assigned.submissions:
        assert (submission.title in text) == (submission.title in assigned_titles)


# --- The awards office --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name", ["office", "office_programme", "office_round"], ids=["index", "programme", "round"]
)
def test_office_pages_are_the_office_alone(competition, name):
    args = {
        "office": (),
        "office_programme": (competition.programme.slug,),
        "office_round": (competition.programme.slug, 1),
    }[name]
    applicant = competition.submissions[0].applicant
    expert = competition.experts[0].user
    organiser = factories.UserFactory(roles=["organiser"])
    assert client_for(applicant).get(url(name, *args)).status_code == 403
    assert client_for(expert).get(url(name, *args)).status_code == 403
    assert client_for(competition.office).get(url(name, *args)).status_code == 200
    assert client_for(organiser).get(url(name, *args)).status_code == 200


def test_office_writes_are_refused_to_experts(assigned):
    expert = assigned.experts[0]
    slug = assigned.programme.slug
    client = client_for(expert.user)
    for name in ("office_assign", "office_shortlist", "office_award", "office_discussion"):
        assert client.post(url(name, slug, 1)).status_code == 403
    assert client.post(url("office_publish", slug), {"publish": "1"}).status_code == 403
    assigned.first.refresh_from_db()
    assert not assigned.first.discussion_open and not assigned.first.closed


def test_office_sees_every_submission_and_the_reviewers(assigned):
    review_all(assigned.first, lambda pair: 6)
    text = client_for(assigned.office).get(url("office_round", assigned.programme.slug, 1))
    content = text.content.decode()
    assert all(s.title in content for s in assigned.submissions)
    assert all(e.name in content for e in assigned.experts)
