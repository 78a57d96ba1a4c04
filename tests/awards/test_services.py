"""The services of awards: every rule, and every bad input refused with nothing changed."""

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from huiwu.awards import selectors, services
from huiwu.awards.models import (
    Attachment,
    Conflict,
    Decision,
    FieldKind,
    Outcome,
    Review,
    ReviewAssignment,
    ReviewStatus,
    Submission,
    SubmissionStatus,
)
from huiwu.awards.services import AwardsError
from huiwu.core.models import ActionLog
from tests import factories
from tests.awards import factories as af
from tests.awards.helpers import review_all, scores_for

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10), "red").save(buffer, "PNG")
    return buffer.getvalue()


def entry(competition, **data):
    return {
        "track": competition.tracks[0],
        "title": "Dialect speech at scale",
        "abstract": "Speech recognition for every dialect.",
        "organisation_name": "Wuzhen Labs",
        "country": "CN",
        **data,
    }


# --- Submitting -------------------------------------------------------------------------------
def test_sending_a_submission_puts_it_in_the_first_round(competition):
    applicant = factories.UserFactory()
    submission = services.save_submission(
        competition.programme,
        applicant=applicant,
        data=entry(competition),
        answers={"team": "Three of us"},
        send=True,
    )
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.SUBMITTED
    assert submission.current_round == competition.first
    assert list(
        ActionLog.objects.filter(object_id=str(submission.pk)).values_list("action", flat=True)
    ) == ["awards.submission_sent", "awards.submission_created"]


def test_a_draft_may_be_incomplete_but_sending_it_names_what_is_missing(competition):
    applicant = factories.UserFactory()
    draft = services.save_submission(
        competition.programme, applicant=applicant, data={"title": "Half done"}
    )
    assert draft.status == SubmissionStatus.DRAFT
    with pytest.raises(ValidationError) as refused:
        services.save_submission(
            competition.programme, applicant=applicant, data={}, submission=draft, send=True
        )
    assert set(refused.value.message_dict) == {
        "track",
        "team",
        "abstract",
        "organisation_name",
        "country",
    }
    assert Submission.objects.get(pk=draft.pk).status == SubmissionStatus.DRAFT


def test_submission_after_the_deadline_is_refused_and_nothing_is_written(competition):
    programme = competition.programme
    programme.deadline = timezone.now() - dt.timedelta(minutes=1)
    programme.save()
    count = Submission.objects.count()
    with pytest.raises(AwardsError, match="The deadline passed on"):
        services.save_submission(
            programme,
            applicant=factories.UserFactory(),
            data=entry(competition),
            answers={"team": "x"},
            send=True,
        )
    assert Submission.objects.count() == count


def test_submission_before_the_call_opens_is_refused(competition):
    programme = competition.programme
    programme.opens_at = timezone.now() + dt.timedelta(days=1)
    programme.save()
    with pytest.raises(AwardsError, match="Submissions open on"):
        services.save_submission(
            programme, applicant=factories.UserFactory(), data=entry(competition)
        )


def test_editing_and_withdrawing_after_the_deadline_are_refused(competition):
    submission = competition.submissions[0]
    programme = competition.programme
    programme.deadline = timezone.now() - dt.timedelta(minutes=1)
    programme.save()
    with pytest.raises(AwardsError, match="deadline passed"):
        services.save_submission(
            programme,
            applicant=submission.applicant,
            data={"title": "Renamed"},
            submission=submission,
        )
    with pytest.raises(AwardsError, match="deadline passed"):
        services.withdraw_submission(submission, by=submission.applicant)
    submission.refresh_from_db()
    assert (submission.title, submission.status) == (
        "Speech recognition for dialects",
        SubmissionStatus.SUBMITTED,
    )


def test_withdrawing_before_the_deadline_takes_the_submission_out_of_its_round(competition):
    submission = competition.submissions[0]
    services.withdraw_submission(submission, by=submission.applicant)
    submission.refresh_from_db()
    assert (submission.status, submission.current_round) == (SubmissionStatus.WITHDRAWN, None)
    with pytest.raises(AwardsError, match="already been withdrawn"):
        services.withdraw_submission(submission, by=submission.applicant)


def test_a_track_of_another_programme_is_refused(competition):
    other = af.TrackFactory()
    with pytest.raises(ValidationError) as refused:
        services.save_submission(
            competition.programme,
            applicant=factories.UserFactory(),
            data=entry(competition, track=other),
            answers={"team": "x"},
            send=True,
        )
    assert refused.value.message_dict == {"track": ["Choose one of this programme's tracks."]}


def test_an_unknown_answer_and_a_bad_web_address_are_refused(competition):
    af.SubmissionFieldFactory(programme=competition.programme, key="site", kind=FieldKind.URL)
    with pytest.raises(ValidationError) as refused:
        services.save_submission(
            competition.programme,
            applicant=factories.UserFactory(),
            data=entry(competition),
            answers={"team": "x", "site": "not an address", "age": "3"},
        )
    assert refused.value.message_dict == {
        "age": ["This form has no field “age”."],
        "site": ["Enter a web address such as https://example.org/."],
    }


@pytest.fixture
def dossier(competition):
    return af.SubmissionFieldFactory(
        programme=competition.programme,
        key="dossier",
        kind=FieldKind.FILE,
        accepted_types=["pdf"],
        max_size_mb=1,
        required=True,
    )


def test_a_pdf_attachment_is_kept_with_its_type(competition, dossier):
    submission = services.save_submission(
        competition.programme,
        applicant=factories.UserFactory(),
        data=entry(competition),
        answers={"team": "x"},
        files={"dossier": SimpleUploadedFile("plan.pdf", PDF)},
        send=True,
    )
    attachment = Attachment.objects.get(submission=submission)
    assert (attachment.file_type, attachment.original_name, attachment.size) == (
        "pdf",
        "plan.pdf",
        len(PDF),
    )


def test_an_image_named_pdf_is_refused_by_its_content(competition, dossier):
    with pytest.raises(ValidationError) as refused:
        services.save_submission(
            competition.programme,
            applicant=factories.UserFactory(),
            data=entry(competition),
            answers={"team": "x"},
            files={"dossier": SimpleUploadedFile("plan.pdf", png_bytes())},
            send=True,
        )
    label = dossier.label.localize("en")
    assert refused.value.message_dict == {
        "dossier": [f"“{label}” accepts only PDF; this file is not one of them."]
    }
    assert (
        Submission.objects.filter(title="Dialect speech at scale").count(),
        Attachment.objects.count(),
    ) == (0, 0)


def test_an_oversized_attachment_is_refused(competition, dossier):
    big = PDF + b"0" * (1024 * 1024)
    with pytest.raises(ValidationError) as refused:
        services.save_submission(
            competition.programme,
            applicant=factories.UserFactory(),
            data=entry(competition),
            answers={"team": "x"},
            files={"dossier": SimpleUploadedFile("plan.pdf", big)},
        )
    assert (
        "the file is 1.0 MB; send one of at most 1 MB" in refused.value.message_dict["dossier"][0]
    )
    assert Attachment.objects.count() == 0


def test_a_required_attachment_missing_on_sending_is_named(competition, dossier):
    with pytest.raises(ValidationError) as refused:
        services.save_submission(
            competition.programme,
            applicant=factories.UserFactory(),
            data=entry(competition),
            answers={"team": "x"},
            send=True,
        )
    assert list(refused.value.message_dict) == ["dossier"]


def test_one_bad_row_refuses_a_whole_import(competition):
    count = Submission.objects.count()
    rows = [entry(competition, answers={"team": "x"}), entry(competition, title="", answers={})]
    with pytest.raises(AwardsError, match=r"^Row 2: "):
        services.import_submissions(competition.programme, rows, by=competition.office)
    assert Submission.objects.count() == count


# --- Conflicts --------------------------------------------------------------------------------
def test_conflicts_are_computed_from_organisation_self_country_and_declarations(competition):
    programme = competition.programme
    programme.conflict_same_country = True
    programme.save()
    one, two, three, four = competition.experts
    first, second, third = competition.submissions[:3]
    one.organisation_name = first.organisation_name.upper()
    one.save()
    second.applicant = two.user
    second.save()
    three.country = "CN"
    three.save()
    services.declare_conflict(
        four, organisation_name=third.organisation_name, reason="former employer", by=four.user
    )
    services.recompute_conflicts(programme)
    found = set(
        Conflict.objects.filter(submission__isnull=False).values_list(
            "expert__name", "submission__title", "source"
        )
    )
    assert (one.name, first.title, "organisation") in found
    assert (two.name, second.title, "self") in found
    assert {(three.name, s.title, "country") for s in competition.submissions} <= found
    assert (four.name, third.title, "declared") in found


def test_declaring_a_conflict_removes_the_assignment(competition):
    services.run_assignment(competition.first, by=competition.office)
    pair = ReviewAssignment.objects.filter(round=competition.first).first()
    services.declare_conflict(pair.expert, submission=pair.submission, by=pair.expert.user)
    assert not ReviewAssignment.objects.filter(pk=pair.pk).exists()


def test_declaring_neither_submission_nor_organisation_is_refused(competition):
    expert = competition.experts[0]
    with pytest.raises(AwardsError, match="Name either a submission or an organisation"):
        services.declare_conflict(expert, by=expert.user)
    assert Conflict.objects.count() == 0


# --- Assignment -------------------------------------------------------------------------------
def test_assignment_gives_each_submission_k_experts_within_loads_and_reports(competition):
    report = services.run_assignment(competition.first, by=competition.office)
    pairs = ReviewAssignment.objects.filter(round=competition.first)
    per_submission = {s.pk: pairs.filter(submission=s).count() for s in competition.submissions}
    per_expert = [pairs.filter(expert=e).count() for e in competition.experts]
    assert set(per_submission.values()) == {2}
    assert max(per_expert) <= 6
    assert report["pairs"] == 12
    assert report["violations"] == 0
    assert report["objective"] <= report["upper_bound"] + 1e-9
    assert (report["load_min"], report["load_max"]) == (min(per_expert), max(per_expert))
    assert competition.first.assignment_report == {**report}


def test_assignment_never_pairs_a_conflicted_expert(competition):
    expert, submission = competition.experts[0], competition.submissions[0]
    services.declare_conflict(expert, submission=submission, by=expert.user)
    for _run in range(2):
        services.run_assignment(competition.first, by=competition.office)
        assert not ReviewAssignment.objects.filter(expert=expert, submission=submission).exists()


def test_pins_forbids_and_reviews_survive_a_new_run(competition):
    first = competition.first
    office = competition.office
    services.run_assignment(first, by=office)
    reviewed = ReviewAssignment.objects.filter(round=first).first()
    services.save_review(reviewed, scores=scores_for(first, 7), send=True, by=reviewed.expert.user)
    kept = ReviewAssignment.objects.filter(round=first).exclude(pk=reviewed.pk).first()
    # Pin an expert who was not chosen for a submission, and forbid one who was.
    submission = competition.submissions[-1]
    chosen = set(first.assignments.filter(submission=submission).values_list("expert", flat=True))
    outsider = next(e for e in competition.experts if e.pk not in chosen)
    services.pin(first, outsider, submission, by=office)
    services.forbid(first, kept.expert, kept.submission, by=office)
    services.run_assignment(first, by=office)
    assert ReviewAssignment.objects.filter(
        round=first, expert=outsider, submission=submission, forbidden=False
    ).exists()
    assert ReviewAssignment.objects.get(
        round=first, expert=kept.expert, submission=kept.submission
    ).forbidden
    assert Review.objects.get(assignment=reviewed).status == ReviewStatus.SUBMITTED
    assert set(first.assignments.filter(forbidden=False).values_list("submission").distinct()) == {
        (s.pk,) for s in competition.submissions
    }


def test_pinning_a_conflicted_pair_is_refused(competition):
    expert, submission = competition.experts[0], competition.submissions[0]
    services.declare_conflict(expert, submission=submission, by=expert.user)
    with pytest.raises(AwardsError, match="conflict of interest"):
        services.pin(competition.first, expert, submission, by=competition.office)
    assert not ReviewAssignment.objects.exists()


def test_assignment_beyond_capacity_says_which_constraint(competition):
    first = competition.first
    first.max_load = 2
    first.save()
    with pytest.raises(AwardsError) as refused:
        services.run_assignment(first, by=competition.office)
    assert refused.value.message == (
        "6 submissions need 12 reviews, but 4 experts can do at most 8; "
        "raise the most per expert or add experts."
    )
    assert not ReviewAssignment.objects.exists()


def test_a_track_short_of_experts_is_named(competition):
    first = competition.first
    first.reviewers_per_submission = 3
    first.save()
    ai, data = competition.tracks
    for expert in competition.experts[:2]:
        expert.tracks.add(ai)
    for expert in competition.experts[2:]:
        expert.tracks.add(data)
    with pytest.raises(AwardsError) as refused:
        services.run_assignment(first, by=competition.office)
    assert refused.value.message.startswith(
        "Track AI has 3 submissions needing 3 experts each but only 2 eligible experts"
    )


# --- Reviews ----------------------------------------------------------------------------------
@pytest.fixture
def pair(competition):
    services.run_assignment(competition.first, by=competition.office)
    return ReviewAssignment.objects.filter(round=competition.first).first()


def test_review_total_is_the_weighted_mean(competition, pair):
    innovation, impact = competition.first.criteria.all()
    review = services.save_review(
        pair,
        scores={str(innovation.pk): 9, str(impact.pk): 6},
        comment="Strong",
        send=True,
        by=pair.expert.user,
    )
    assert (review.status, review.total) == (ReviewStatus.SUBMITTED, 8.0)


def test_a_score_out_of_range_is_refused(competition, pair):
    innovation, impact = competition.first.criteria.all()
    with pytest.raises(AwardsError) as refused:
        services.save_review(
            pair,
            scores={str(innovation.pk): 11, str(impact.pk): 5},
            send=True,
            by=pair.expert.user,
        )
    assert (refused.value.message, refused.value.field) == (
        "The score for “Innovation” must be between 0 and 10.",
        f"score_{innovation.pk}",
    )
    assert not Review.objects.exists()


@pytest.mark.parametrize("value", ["ten", "nan", None, [3]])
def test_a_score_that_is_not_a_number_is_refused(competition, pair, value):
    innovation, impact = competition.first.criteria.all()
    scores = {str(innovation.pk): value, str(impact.pk): 5}
    with pytest.raises(AwardsError):
        services.save_review(pair, scores=scores, send=True, by=pair.expert.user)
    assert not Review.objects.exists()


def test_a_missing_criterion_is_refused_on_submitting_but_kept_in_a_draft(competition, pair):
    innovation = competition.first.criteria.first()
    with pytest.raises(AwardsError, match="missing: Impact"):
        services.save_review(pair, scores={str(innovation.pk): 7}, send=True, by=pair.expert.user)
    assert not Review.objects.exists()
    draft = services.save_review(pair, scores={str(innovation.pk): 7}, by=pair.expert.user)
    assert (draft.status, draft.scores, draft.total) == (
        ReviewStatus.DRAFT,
        {str(innovation.pk): 7.0},
        None,
    )


def test_a_criterion_of_another_round_is_refused(competition, pair):
    other = competition.final.criteria.first()
    with pytest.raises(AwardsError, match="has no criterion"):
        services.save_review(pair, scores={str(other.pk): 5}, by=pair.expert.user)


def test_a_forbidden_pair_cannot_be_reviewed(competition, pair):
    services.forbid(competition.first, pair.expert, pair.submission, by=competition.office)
    pair.refresh_from_db()
    with pytest.raises(AwardsError, match="not assigned"):
        services.save_review(pair, scores=scores_for(competition.first, 5), by=pair.expert.user)


# --- Normalisation, shortlist, prizes, publication --------------------------------------------
def quality(pair) -> float:
    """The n-th submission is worth n + 2; Expert 0 is harsh by two points, Expert 1 lenient
    by one."""
    worth = list(Submission.objects.order_by("pk").values_list("pk", flat=True)).index(
        pair.submission_id
    )
    leniency = {"Expert 0": -2, "Expert 1": 1}.get(pair.expert.name, 0)
    return max(0, min(10, worth + 2 + leniency))


@pytest.fixture
def reviewed(competition):
    services.run_assignment(competition.first, by=competition.office)
    review_all(competition.first, quality)
    return competition


def test_scores_show_raw_and_normalised_side_by_side(reviewed):
    scores = selectors.round_scores(reviewed.first, "zscore")
    assert len(scores.rows) == 6
    assert all(row.raw is not None and row.normalised is not None for row in scores.rows)
    raw = selectors.round_scores(reviewed.first, "none")
    assert all(row.normalised is None for row in raw.rows)
    assert {c.expert.name for c in scores.corrections} == {
        e.name for e in reviewed.experts if e.assignments.exists()
    }


def test_shortlist_advances_the_best_per_track_and_closes_the_round(reviewed):
    chosen = services.advance_shortlist(
        reviewed.first, by=reviewed.office, reason="Best two of each track", top_n=2
    )
    reviewed.first.refresh_from_db()
    assert len(chosen) == 4
    assert reviewed.first.closed
    assert set(reviewed.final.submissions.values_list("pk", flat=True)) == set(chosen)
    outcomes = dict(
        Decision.objects.filter(round=reviewed.first).values_list("submission", "outcome")
    )
    assert sorted(outcomes.values()).count(Outcome.ADVANCE) == 4
    assert sorted(outcomes.values()).count(Outcome.REJECT) == 2
    with pytest.raises(AwardsError, match="round is closed"):
        services.run_assignment(reviewed.first, by=reviewed.office)


def test_shortlist_needs_a_reason_and_a_rule(reviewed):
    with pytest.raises(AwardsError, match="reason"):
        services.advance_shortlist(reviewed.first, by=reviewed.office, reason=" ", top_n=2)
    with pytest.raises(AwardsError, match="how many"):
        services.advance_shortlist(reviewed.first, by=reviewed.office, reason="x")
    assert not Decision.objects.exists()


@pytest.fixture
def decided(reviewed):
    services.advance_shortlist(reviewed.first, by=reviewed.office, reason="Best two", top_n=2)
    services.run_assignment(reviewed.final, by=reviewed.office)
    review_all(reviewed.final, quality)
    services.award_prizes(reviewed.final, by=reviewed.office, reason="The committee agrees")
    return reviewed


def test_prizes_fill_the_tiers_by_quota_in_ranking_order(decided):
    prizes = Decision.objects.filter(round=decided.final, outcome=Outcome.PRIZE)
    assert prizes.filter(tier=decided.gold).count() == 1
    assert prizes.filter(tier=decided.silver).count() == 2
    ranking = {d.submission_id: d.rank for d in Decision.objects.filter(round=decided.final)}
    gold = prizes.get(tier=decided.gold)
    assert gold.rank == 1 == min(ranking.values())


def test_a_tier_is_never_given_beyond_its_quota(decided):
    loser = Decision.objects.get(round=decided.final, outcome=Outcome.REJECT)
    with pytest.raises(AwardsError, match="already has its 1 prizes"):
        services.change_decision(
            loser.submission,
            decided.final,
            outcome=Outcome.PRIZE,
            tier=decided.gold,
            reason="Better than it looks",
            by=decided.office,
        )
    assert Decision.objects.filter(round=decided.final, tier=decided.gold).count() == 1


def test_a_changed_decision_keeps_its_reason_in_the_log(decided):
    silver = Decision.objects.filter(round=decided.final, tier=decided.silver).first()
    services.change_decision(
        silver.submission,
        decided.final,
        outcome=Outcome.REJECT,
        tier=None,
        reason="Plagiarism found",
        by=decided.office,
    )
    silver.refresh_from_db()
    assert (silver.outcome, silver.tier, silver.reason) == (
        Outcome.REJECT,
        None,
        "Plagiarism found",
    )
    log = ActionLog.objects.get(action="awards.decision_changed")
    assert log.data["reason"] == "Plagiarism found"


def test_publishing_needs_prizes_and_then_shows_the_winners(competition, decided):
    empty = af.ProgrammeFactory(summit=competition.programme.summit)
    af.RoundFactory(programme=empty, order=1)
    with pytest.raises(AwardsError, match="Award the prizes"):
        services.publish_results(empty, by=competition.office)
    services.publish_results(decided.programme, by=decided.office)
    winners = selectors.winners(decided.programme)
    assert [(tier.code, len(decisions)) for tier, decisions in winners] == [
        ("gold", 1),
        ("silver", 2),
    ]
    figures = selectors.award_figures(decided.programme.summit)
    assert {k: v for k, v in figures.items() if k.startswith("awards_wuzhen_cup")} == {
        "awards_wuzhen_cup_submissions": 6,
        "awards_wuzhen_cup_countries": 1,
        "awards_wuzhen_cup_experts": 4,
        "awards_wuzhen_cup_winners": 3,
        "awards_wuzhen_cup_winners_gold": 1,
        "awards_wuzhen_cup_winners_silver": 2,
    }


def test_a_relationship_listed_by_the_office_keeps_the_expert_away(competition):
    expert, submission = competition.experts[0], competition.submissions[0]
    services.declare_conflict(
        expert,
        organisation_name=submission.organisation_name,
        reason="Former employer",
        source="relationship",
        by=competition.office,
    )
    assert Conflict.objects.filter(
        expert=expert, submission=submission, source="relationship"
    ).exists()
    services.run_assignment(competition.first, by=competition.office)
    assert not ReviewAssignment.objects.filter(expert=expert, submission=submission).exists()


def test_computed_conflict_sources_cannot_be_entered_by_hand(competition):
    expert = competition.experts[0]
    with pytest.raises(AwardsError, match="Only declared conflicts"):
        services.declare_conflict(
            expert, organisation_name="Anything", source="country", by=competition.office
        )
    assert Conflict.objects.count() == 0


def test_the_offices_programme_summary_counts_each_submission_once_whatever_its_experts(
    competition,
):
    [summary] = selectors.programme_summaries(competition.programme.summit)

    assert (summary.sent, summary.expert_count) == (6, 4)
