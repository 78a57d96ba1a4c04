"""The awards pages through the test client: what a person does, in both languages."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from huiwu.awards import services
from huiwu.awards.models import ReviewAssignment, Submission, SubmissionStatus
from tests import factories
from tests.awards.test_access import client_for, url

pytestmark = pytest.mark.django_db


def form_data(competition, **extra):
    return {
        "track": competition.tracks[0].pk,
        "title": "Satellite rice",
        "abstract": "Crop yield from satellite imagery.",
        "organisation_name": "Orbit Farms",
        "country": "KE",
        "answer_team": "Two agronomists",
        **extra,
    }


def test_applicant_sends_a_submission_from_the_form(competition):
    applicant = factories.UserFactory()
    client = client_for(applicant)
    response = client.post(
        url("submit", competition.programme.slug), form_data(competition, send="")
    )
    submission = Submission.objects.get(title="Satellite rice")
    assert response.status_code == 302
    assert response["Location"] == url("submission", submission.public_id)
    assert (submission.status, submission.applicant, submission.country.code) == (
        SubmissionStatus.SUBMITTED,
        applicant,
        "KE",
    )


def test_missing_answers_are_shown_next_to_their_fields_and_nothing_is_saved(competition):
    client = client_for(factories.UserFactory())
    response = client.post(
        url("submit", competition.programme.slug),
        form_data(competition, answer_team="", abstract="", send=""),
    )
    assert response.status_code == 422
    form = response.context["form"]
    assert set(form.errors) == {"answer_team", "abstract"}
    assert not Submission.objects.filter(title="Satellite rice").exists()


def test_after_the_deadline_the_form_says_so_in_chinese(competition):
    competition.programme.deadline = timezone.now() - dt.timedelta(hours=1)
    competition.programme.save()
    client = client_for(factories.UserFactory())
    with translation.override("zh-hans"):
        address = url("submit", competition.programme.slug)
    response = client.post(address, form_data(competition, send=""))
    assert response.status_code == 422
    assert address.startswith("/zh-hans/")
    assert not Submission.objects.filter(title="Satellite rice").exists()


def test_an_expert_scores_from_the_form_and_an_out_of_range_score_is_shown(competition):
    services.run_assignment(competition.first, by=competition.office)
    pair = ReviewAssignment.objects.filter(round=competition.first).first()
    innovation, impact = competition.first.criteria.all()
    client = client_for(pair.expert.user)
    refused = client.post(
        url("review", pair.pk),
        {f"score_{innovation.pk}": "12", f"score_{impact.pk}": "5", "send": ""},
    )
    assert refused.status_code == 422
    assert refused.context["form"].errors == {
        f"score_{innovation.pk}": ["The score for “Innovation” must be between 0 and 10."]
    }
    assert not hasattr(ReviewAssignment.objects.get(pk=pair.pk), "review")
    sent = client.post(
        url("review", pair.pk),
        {f"score_{innovation.pk}": "8", f"score_{impact.pk}": "5", "comment": "Good", "send": ""},
    )
    assert sent.status_code == 302
    assert ReviewAssignment.objects.get(pk=pair.pk).review.total == 7.0


def test_office_runs_the_assignment_and_sees_its_report(competition):
    client = client_for(competition.office)
    response = client.post(url("office_assign", competition.programme.slug, 1), follow=True)
    text = response.content.decode()
    assert response.status_code == 200
    assert "12 assignments made" in text
    assert "Upper bound" in text and "Load per expert" in text


def test_an_infeasible_assignment_is_explained_on_the_page(competition):
    competition.first.max_load = 1
    competition.first.save()
    response = client_for(competition.office).post(
        url("office_assign", competition.programme.slug, 1), follow=True
    )
    assert "4 experts can do at most 4; raise the most per expert" in response.content.decode()
    assert not ReviewAssignment.objects.exists()


def test_public_programme_page_reads_in_both_languages(competition):
    for language, text in (("en", "Internet Competition"), ("zh-hans", "互联网大赛")):
        with translation.override(language):
            address = reverse("awards:programme", args=[competition.programme.slug])
        response = Client().get(address)
        assert response.status_code == 200
        assert text in response.content.decode()


def test_signing_up_logs_in_and_returns_to_the_form(competition):
    target = url("submit", competition.programme.slug)
    response = Client().post(
        url("signup"),
        {
            "username": "applicant1",
            "password1": "a-long-pass-phrase-42",
            "password2": "a-long-pass-phrase-42",
            "next": target,
        },
    )
    assert (response.status_code, response["Location"]) == (302, target)


def test_signup_refuses_a_foreign_return_address(competition):
    response = Client().post(
        url("signup"),
        {
            "username": "applicant2",
            "password1": "a-long-pass-phrase-42",
            "password2": "a-long-pass-phrase-42",
            "next": "https://evil.example/",
        },
    )
    assert response["Location"] == url("index")


def test_each_person_lands_on_their_own_page_after_signing_in(competition):
    people = {
        "/en/awards/office/": competition.office,
        "/en/awards/expert/": competition.experts[0].user,
        "/en/awards/": factories.UserFactory(),
    }
    for landing, user in people.items():
        response = Client().post(
            "/en/awards/login/", {"username": user.username, "password": "secret-pass-123"}
        )
        assert (response.status_code, response["Location"]) == (302, landing)
