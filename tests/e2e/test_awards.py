"""A competition run in a real browser, in English and in Chinese: an applicant submits, the
awards office assigns experts, two experts score, the office normalises, shortlists, decides
and publishes, and the applicant reads the result; screenshots of every step."""

import pytest

from huiwu.awards import services
from huiwu.awards.models import ReviewAssignment, Submission
from huiwu.core.i18n import i18n
from tests import factories
from tests.awards import factories as af
from tests.awards.helpers import review_all, scores_for

pytestmark = pytest.mark.e2e

PASSWORD = "secret-pass-123"
LOCALES = {"en": "en-GB", "zh-hans": "zh-CN"}


@pytest.fixture
def contest(wuzhen, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    programme = af.ProgrammeFactory(
        summit=wuzhen["summit"],
        slug="straight-to-wuzhen",
        name=i18n(zh_hans="“直通乌镇”全球互联网大赛", en="“Straight to Wuzhen” Competition"),
        call=i18n(
            zh_hans="面向全球的互联网创新创业大赛。", en="A global Internet start-up contest."
        ),
    )
    track = af.TrackFactory(programme=programme, code="ai", name=i18n(zh_hans="人工智能", en="AI"))
    af.SubmissionFieldFactory(
        programme=programme,
        key="team",
        required=True,
        label=i18n(zh_hans="团队介绍", en="Your team"),
    )
    for order, (zh, en) in enumerate((("初赛", "Preliminary review"), ("决赛", "Final")), 1):
        round_ = af.RoundFactory(
            programme=programme, order=order, name=i18n(zh_hans=zh, en=en), max_load=4
        )
        af.CriterionFactory(round=round_, name=i18n(zh_hans="创新性", en="Innovation"), weight=2)
        af.CriterionFactory(round=round_, name=i18n(zh_hans="应用价值", en="Impact"), weight=1)
    af.PrizeTierFactory(
        programme=programme, code="first", quota=1, name=i18n(zh_hans="一等奖", en="First prize")
    )
    af.PrizeTierFactory(
        programme=programme,
        code="second",
        quota=1,
        order=1,
        name=i18n(zh_hans="二等奖", en="Second prize"),
    )
    experts = [
        af.ExpertFactory(
            user=factories.UserFactory(username=f"judge{index}"),
            name=name,
            expertise="speech recognition, language models, 语音识别",
            programmes=[programme],
        )
        for index, name in enumerate(("Ada Judge", "王评审"))
    ]
    others = [
        af.SubmissionFactory(programme=programme, track=track, title=title, answers={"team": "x"})
        for title in ("Rice from orbit", "Chips that learn", "Quantum-safe mail")
    ]
    office = factories.UserFactory(username="office", roles=["awards_office"])
    return {"programme": programme, "experts": experts, "others": others, "office": office}


def sign_in(open_page, language: str, username: str, path: str):
    page = open_page(f"/{language}/awards/login/?next={path}", locale=LOCALES[language])
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.guest-form button[type=submit]")
    page.wait_for_url(f"**{path}")
    return page


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_competition_from_submission_to_published_result(contest, open_page, screenshot, language):
    programme = contest["programme"]
    slug = programme.slug
    office = contest["office"]
    applicant = factories.UserFactory(username="founder")

    # 1. The applicant reads the call and applies.
    page = sign_in(open_page, language, "founder", f"/{language}/awards/{slug}/")
    screenshot(page, "awards-call", language)
    page.click(f"a[href='/{language}/awards/{slug}/submit/']")
    page.select_option("#id_track", label="人工智能" if language == "zh-hans" else "AI")
    page.fill("#id_title", "方言语音识别" if language == "zh-hans" else "Speech for every dialect")
    page.fill("#id_abstract", "Speech recognition with language models for dialects. 语音识别。")
    page.fill("#id_organisation_name", "Wuzhen Voice")
    page.select_option("#id_country", "CN")
    page.click("button[name=send]")
    page.wait_for_selector(".error-summary")
    assert ("团队介绍" if language == "zh-hans" else "Your team") in page.content()
    assert not Submission.objects.filter(applicant=applicant).exists()
    screenshot(page, "awards-missing-answer", language)
    page.fill("#id_answer_team", "Three linguists and two engineers")
    page.click("button[name=send]")
    page.wait_for_selector(".status-submitted")
    submission = Submission.objects.get(applicant=applicant)
    assert submission.status == "submitted"
    screenshot(page, "awards-submitted", language)

    # 2. The awards office assigns experts.
    round_path = f"/{language}/awards/office/{slug}/round/1/"
    desk = sign_in(open_page, language, "office", round_path)
    desk.click("[data-run-assignment]")
    desk.wait_for_selector("[data-assignment-report]")
    assert ReviewAssignment.objects.filter(round__order=1).count() == 8
    screenshot(desk, "awards-assignment", language)

    # 3. Both experts score the applicant's submission in the browser.
    for index, expert in enumerate(contest["experts"]):
        pair = ReviewAssignment.objects.get(expert=expert, submission=submission)
        judge = sign_in(open_page, language, expert.user.username, f"/{language}/awards/expert/")
        if index == 0:
            screenshot(judge, "awards-expert-dashboard", language)
        judge.click(f"a[href='/{language}/awards/review/{pair.pk}/']")
        fields = judge.locator("input[type=number]")
        fields.nth(0).fill("11")
        fields.nth(1).fill("9")
        judge.click("button[name=send]")
        judge.wait_for_selector(".error-summary")
        if index == 0:
            screenshot(judge, "awards-score-out-of-range", language)
        fields.nth(0).fill(str(10 - index))
        judge.click("button[name=send]")
        judge.wait_for_selector(".status-submitted")
        if index == 1:
            screenshot(judge, "awards-review-submitted", language)
    # The other submissions are scored as a panel's sheets would be.
    first = programme.rounds.get(order=1)
    for pair in first.assignments.exclude(submission=submission):
        services.save_review(
            pair, scores=scores_for(first, 4 + pair.submission.pk % 3), send=True, by=office
        )

    # 4. The office compares raw and normalised scores, shortlists, assigns the final.
    desk.goto(desk.url.split("?")[0] + "?method=bias")
    desk.wait_for_selector("[data-scores]")
    screenshot(desk, "awards-normalised", language)
    desk.fill("#id_top_n", "2")
    desk.fill("#id_reason", "The two best go to the final.")
    desk.click("[data-shortlist]")
    desk.wait_for_selector(".flash-success")
    submission.refresh_from_db()
    assert submission.current_round.order == 2
    desk.goto(desk.url.split("/round/")[0] + "/round/2/")
    desk.click("[data-run-assignment]")
    desk.wait_for_selector("[data-assignment-report]")
    final = programme.rounds.get(order=2)
    review_all(final, lambda pair: 9 if pair.submission_id == submission.pk else 6, by=office)

    # 5. The committee decides with its reason, and publishes.
    desk.reload()
    desk.wait_for_selector("[data-ranking]")
    screenshot(desk, "awards-ranking", language)
    desk.fill("#ranking #id_reason", "Unanimous.")
    desk.click("[data-award]")
    desk.wait_for_selector("#decisions")
    desk.goto(desk.url.split("/round/")[0] + "/")
    desk.click("[data-publish]")
    desk.wait_for_selector(".flash-success")
    programme.refresh_from_db()
    assert programme.results_published
    screenshot(desk, "awards-published", language)

    # 6. The applicant sees the result and the public page lists the winners.
    page.goto(page.url.split("/awards/")[0] + "/awards/mine/")
    page.wait_for_selector(".result-prize")
    assert ("一等奖" if language == "zh-hans" else "First prize") in page.content()
    screenshot(page, "awards-my-result", language)
    page.goto(page.url.split("/awards/")[0] + f"/awards/{slug}/")
    page.wait_for_selector(".results")
    screenshot(page, "awards-results", language)
