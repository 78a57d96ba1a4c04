"""The pages of awards and competitions: the public call and results, the applicant's
submissions, the expert's dashboard and score forms, and the awards office's pages per
programme and round. Thin: read through ``selectors``, ask ``rules``, write through
``services``."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huiwu.awards import certificates, forms, rules, selectors, services
from huiwu.awards.models import (
    Attachment,
    Expert,
    ExpertDocument,
    Normalisation,
    Programme,
    ReviewAssignment,
    ReviewStatus,
    Round,
    Submission,
    SubmissionStatus,
)
from huiwu.awards.services import AwardsError
from huiwu.summit import selectors as summit_selectors

LOGIN = "awards:login"
# The office's tables show this many rows, best first; the rest is in the admin and the API.
TABLE_ROWS = 300


def _summit(request: HttpRequest):
    summit = summit_selectors.request_summit(request)
    if summit is None:
        raise Http404(_("No summit has been published yet."))
    return summit


def _programme(request: HttpRequest, slug: str) -> Programme:
    return get_object_or_404(selectors.programmes(_summit(request)), slug=slug)


def _sections(request: HttpRequest) -> list[dict]:
    user = request.user
    items = [(reverse("awards:index"), _("Programmes"), "index")]
    if user.is_authenticated:
        items.append((reverse("awards:mine"), _("My submissions"), "mine"))
        if rules.is_expert(user):
            items.append((reverse("awards:expert"), _("Expert"), "expert"))
        if rules.can_manage_awards(user):
            items.append((reverse("awards:office"), _("Awards office"), "office"))
    current = request.resolver_match.url_name if request.resolver_match else ""
    return [
        {"url": url, "label": label, "current": current.startswith(name)}
        for url, label, name in items
    ]


def _render(request: HttpRequest, template: str, context: dict, status: int = 200):
    summit = summit_selectors.request_summit(request)
    with timezone.override(summit.tz if summit else None):
        return render(
            request,
            template,
            {"sections": _sections(request), "summit": summit, **context},
            status=status,
        )


def login_needed(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"{reverse(LOGIN)}?next={request.get_full_path()}")
        return view(request, *args, **kwargs)

    return wrapped


def office_only(view):
    @wraps(view)
    @login_needed
    def wrapped(request, *args, **kwargs):
        if not rules.can_manage_awards(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


# --- Accounts ---------------------------------------------------------------------------------
def signup(request: HttpRequest) -> HttpResponse:
    """An account to submit with: a user name and a password."""
    form = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
            target = reverse("awards:index")
        return redirect(target or reverse("awards:index"))
    return _render(
        request, "awards/signup.html", {"form": form, "next": request.GET.get("next", "")}
    )


# --- Public -----------------------------------------------------------------------------------
def index(request: HttpRequest) -> HttpResponse:
    summit = _summit(request)
    return _render(
        request,
        "awards/index.html",
        {"programmes": selectors.programmes(summit).prefetch_related("tracks", "tiers")},
    )


def programme(request: HttpRequest, slug: str) -> HttpResponse:
    item = _programme(request, slug)
    now = timezone.now()
    return _render(
        request,
        "awards/programme.html",
        {
            "programme": item,
            "is_open": item.opens_at <= now <= item.deadline,
            "not_yet_open": now < item.opens_at,
            "winners": selectors.winners(item)
            if rules.can_view_results(request.user, item)
            else [],
            "rounds": selectors.rounds(item),
        },
    )


# --- Applicants -------------------------------------------------------------------------------
def _submission(public_id) -> Submission:
    return get_object_or_404(
        Submission.objects.select_related("programme__summit", "track", "current_round"),
        public_id=public_id,
    )


@login_needed
def submit(request: HttpRequest, slug: str) -> HttpResponse:
    item = _programme(request, slug)
    return _submission_form(request, item, None)


@login_needed
def edit(request: HttpRequest, public_id) -> HttpResponse:
    submission = _submission(public_id)
    if not rules.can_edit_submission(request.user, submission):
        raise PermissionDenied
    return _submission_form(request, submission.programme, submission)


def _submission_form(request, item: Programme, submission: Submission | None) -> HttpResponse:
    form = forms.SubmissionForm(
        item, request.POST or None, request.FILES or None, submission=submission
    )
    closed = None
    try:
        services.check_open(item)
    except AwardsError as error:
        closed = error.message
    if request.method == "POST" and form.is_valid():
        data, answers, files = form.parts()
        try:
            saved = services.save_submission(
                item,
                applicant=request.user,
                data=data,
                answers=answers,
                files=files,
                submission=submission,
                send=forms.SEND in request.POST,
            )
        except (ValidationError, AwardsError) as error:
            forms.show_errors(form, error)
        else:
            if saved.status == SubmissionStatus.SUBMITTED:
                messages.success(request, _("Your submission has been received."))
            else:
                messages.info(request, _("Your draft is saved; send it before the deadline."))
            return redirect("awards:submission", saved.public_id)
    return _render(
        request,
        "awards/submission_form.html",
        {"programme": item, "form": form, "submission": submission, "closed": closed},
        status=422 if form.errors else 200,
    )


@login_needed
def mine(request: HttpRequest) -> HttpResponse:
    submissions = list(selectors.applicant_submissions(request.user))
    for submission in submissions:
        submission.result = selectors.submission_result(submission)
    return _render(request, "awards/mine.html", {"submissions": submissions})


@login_needed
def submission(request: HttpRequest, public_id) -> HttpResponse:
    item = _submission(public_id)
    if not rules.can_view_submission(request.user, item):
        raise PermissionDenied
    office = rules.can_manage_awards(request.user)
    own = rules.is_own_submission(request.user, item)
    return _render(
        request,
        "awards/submission.html",
        {
            "submission": item,
            "fields": item.programme.fields.all(),
            "attachments": item.attachments.select_related("field"),
            "result": selectors.submission_result(item) if own or office else None,
            "can_edit": own and item.status != SubmissionStatus.WITHDRAWN,
            "office": office,
            "decisions": item.decisions.select_related("round", "tier") if office else [],
            "conflicts": item.conflicts.select_related("expert") if office else [],
        },
    )


@login_needed
@require_POST
def withdraw(request: HttpRequest, public_id) -> HttpResponse:
    item = _submission(public_id)
    if not rules.can_edit_submission(request.user, item):
        raise PermissionDenied
    try:
        services.withdraw_submission(item, by=request.user)
    except AwardsError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your submission has been withdrawn."))
    return redirect("awards:submission", item.public_id)


@login_needed
def attachment(request: HttpRequest, public_id, pk: int) -> HttpResponse:
    item = _submission(public_id)
    if not rules.can_view_submission(request.user, item):
        raise PermissionDenied
    file = get_object_or_404(Attachment, submission=item, pk=pk)
    return FileResponse(file.file.open("rb"), as_attachment=True, filename=file.original_name)


def certificate(request: HttpRequest, public_id) -> HttpResponse:
    item = _submission(public_id)
    own_or_office = rules.is_own_submission(request.user, item) or rules.can_manage_awards(
        request.user
    )
    result = selectors.submission_result(item)
    if not own_or_office or result is None or result.tier_id is None:
        raise Http404(_("There is no certificate for this submission."))
    pdf = certificates.render_certificate(result)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="certificate-{item.public_id}.pdf"'
    return response


# --- Experts ----------------------------------------------------------------------------------
def _expert(request: HttpRequest) -> Expert:
    expert = getattr(request.user, "expert", None) if request.user.is_authenticated else None
    if expert is None:
        raise PermissionDenied
    return expert


@login_needed
def expert(request: HttpRequest) -> HttpResponse:
    me = _expert(request)
    return _expert_page(request, me, profile=_profile_form(me))


def _expert_page(request, me: Expert, *, status: int = 200, **forms_given) -> HttpResponse:
    context = {
        "expert": me,
        "document_form": forms.ExpertDocumentForm(),
        "conflict_form": forms.ConflictForm(),
        **forms_given,
    }
    context.update(
        assignments=selectors.expert_assignments(me),
        past_reviews=selectors.expert_past_reviews(me)[:200],
        documents=me.documents.all(),
        conflicts=me.conflicts.filter(source="declared").select_related("submission"),
    )
    return _render(request, "awards/expert.html", context, status=status)


@login_needed
@require_POST
def expert_profile(request: HttpRequest) -> HttpResponse:
    me = _expert(request)
    form = forms.ExpertProfileForm(request.POST)
    if form.is_valid():
        try:
            services.save_expert_profile(me, form.cleaned_data, by=request.user)
        except AwardsError as error:
            forms.show_errors(form, error)
        else:
            messages.success(request, _("Your profile is saved."))
            return redirect("awards:expert")
    return _expert_page(request, me, profile=form, status=422)


@login_needed
@require_POST
def expert_document(request: HttpRequest) -> HttpResponse:
    me = _expert(request)
    form = forms.ExpertDocumentForm(request.POST)
    if form.is_valid():
        try:
            services.add_expert_document(me, **form.cleaned_data, by=request.user)
        except AwardsError as error:
            forms.show_errors(form, error)
        else:
            messages.success(request, _("The document is added to your profile."))
            return redirect("awards:expert")
    return _expert_page(request, me, profile=_profile_form(me), document_form=form, status=422)


def _profile_form(me: Expert) -> forms.ExpertProfileForm:
    return forms.ExpertProfileForm(
        initial={
            "name": me.name,
            "organisation_name": me.organisation_name,
            "country": me.country.code,
            "expertise": me.expertise,
            "keywords": me.keywords,
        }
    )


@login_needed
@require_POST
def expert_document_remove(request: HttpRequest, pk: int) -> HttpResponse:
    me = _expert(request)
    services.remove_expert_document(
        get_object_or_404(ExpertDocument, expert=me, pk=pk), by=request.user
    )
    messages.success(request, _("The document is removed."))
    return redirect("awards:expert")


@login_needed
@require_POST
def expert_conflict(request: HttpRequest) -> HttpResponse:
    me = _expert(request)
    submission_id = request.POST.get("submission")
    if submission_id:
        pair = get_object_or_404(
            ReviewAssignment, expert=me, submission__public_id=submission_id, forbidden=False
        )
        services.declare_conflict(
            me, submission=pair.submission, reason=request.POST.get("reason", ""), by=request.user
        )
        messages.success(
            request, _("Your conflict is recorded; the submission is no longer yours to review.")
        )
        return redirect("awards:expert")
    form = forms.ConflictForm(request.POST)
    if form.is_valid():
        try:
            services.declare_conflict(me, **form.cleaned_data, by=request.user)
        except AwardsError as error:
            forms.show_errors(form, error)
        else:
            messages.success(request, _("Your conflict is recorded."))
            return redirect("awards:expert")
    return _expert_page(request, me, profile=_profile_form(me), conflict_form=form, status=422)


@login_needed
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """The score form of one assignment; the discussion below it once the round opens it."""
    pair = get_object_or_404(
        ReviewAssignment.objects.select_related(
            "round__programme__summit", "submission__track", "expert"
        ),
        pk=pk,
    )
    if not rules.can_review(request.user, pair):
        raise PermissionDenied
    existing = getattr(pair, "review", None)
    initial = {"comment": existing.comment if existing else ""}
    if existing:
        initial.update({f"score_{key}": value for key, value in existing.scores.items()})
    form = forms.ReviewForm(pair.round, request.POST or None, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_review(
                pair,
                scores=form.scores(),
                comment=form.cleaned_data["comment"],
                send=forms.SEND in request.POST,
                by=request.user,
            )
        except AwardsError as error:
            forms.show_errors(form, error)
            status = 422
        else:
            if saved.status == ReviewStatus.SUBMITTED:
                messages.success(request, _("Your review is submitted."))
            else:
                messages.info(request, _("Your draft is saved."))
            return redirect("awards:review", pair.pk)
    return _render(
        request,
        "awards/review.html",
        {
            "pair": pair,
            "submission": pair.submission,
            "form": form,
            "review": existing,
            "attachments": pair.submission.attachments.select_related("field"),
            "fields": pair.round.programme.fields.all(),
            "discussion": (
                selectors.discussion(pair) if rules.can_see_discussion(request.user, pair) else None
            ),
        },
        status=status,
    )


# --- The awards office ------------------------------------------------------------------------
@office_only
def office(request: HttpRequest) -> HttpResponse:
    summit = _summit(request)
    return _render(
        request,
        "awards/office/index.html",
        {"programmes": selectors.programme_summaries(summit)},
    )


@office_only
def office_programme(request: HttpRequest, slug: str) -> HttpResponse:
    item = _programme(request, slug)
    submissions = selectors.programme_overview(item)
    return _render(
        request,
        "awards/office/programme.html",
        {
            "programme": item,
            "rounds": selectors.round_summaries(item),
            "submissions": submissions[:TABLE_ROWS],
            "submission_count": submissions.count(),
            "winners": selectors.winners(item),
        },
    )


def _round(request: HttpRequest, slug: str, order: int) -> Round:
    item = _programme(request, slug)
    return get_object_or_404(
        Round.objects.select_related("programme__summit"), programme=item, order=order
    )


@office_only
def office_round(request: HttpRequest, slug: str, order: int) -> HttpResponse:
    round_ = _round(request, slug, order)
    return _round_page(request, round_)


def _round_page(request, round_: Round, *, status: int = 200, **given) -> HttpResponse:
    method = request.GET.get("method") or round_.normalisation
    if method not in Normalisation.values:
        method = round_.normalisation
    scores = selectors.round_scores(round_, method)
    following = selectors.next_round(round_)
    experts = selectors.round_experts(round_)
    submissions = selectors.round_submissions(round_)
    context = {
        "programme": round_.programme,
        "round": round_,
        "next_round": following,
        "report": round_.assignment_report,
        "progress": selectors.review_progress(round_),
        "scores": scores,
        "score_rows": scores.rows[:TABLE_ROWS],
        "methods": Normalisation.choices,
        "pairs": selectors.manual_pairs(round_),
        "pair_form": forms.PairForm(experts, submissions),
        "shortlist_form": forms.ShortlistForm(
            initial={"top_n": round_.shortlist_top_n, "threshold": round_.shortlist_threshold}
        ),
        "award_form": forms.AwardForm(),
        "ranking": selectors.ranking_rows(round_, scores)[:TABLE_ROWS] if following is None else [],
        "decisions": selectors.round_decisions(round_)[:TABLE_ROWS],
        "decision_form": forms.DecisionForm(round_.programme),
        **given,
    }
    return _render(request, "awards/office/round.html", context, status=status)


def _back(round_: Round) -> HttpResponse:
    return redirect("awards:office_round", round_.programme.slug, round_.order)


@office_only
@require_POST
def office_assign(request: HttpRequest, slug: str, order: int) -> HttpResponse:
    round_ = _round(request, slug, order)
    try:
        report = services.run_assignment(round_, by=request.user, fair="fair" in request.POST)
    except AwardsError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(pairs)d assignments made; see the report below.") % {"pairs": report["pairs"]},
        )
    return _back(round_)


@office_only
@require_POST
def office_pair(request: HttpRequest, slug: str, order: int) -> HttpResponse:
    round_ = _round(request, slug, order)
    form = forms.PairForm(
        selectors.round_experts(round_), selectors.round_submissions(round_), request.POST
    )
    if form.is_valid():
        action = {"pin": services.pin, "forbid": services.forbid, "release": services.release}
        try:
            action[form.cleaned_data["action"]](
                round_,
                form.cleaned_data["expert"],
                form.cleaned_data["submission"],
                by=request.user,
            )
        except AwardsError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Saved; run the assignment again to apply it."))
            return _back(round_)
    return _round_page(request, round_, pair_form=form, status=422)


@office_only
@require_POST
def office_discussion(request: HttpRequest, slug: str, order: int) -> HttpResponse:
    round_ = _round(request, slug, order)
    services.set_discussion(round_, open_=request.POST.get("open") == "1", by=request.user)
    return _back(round_)


@office_only
@require_POST
def office_shortlist(request: HttpRequest, slug: str, order: int) -> HttpResponse:
    round_ = _round(request, slug, order)
    form = forms.ShortlistForm(request.POST)
    if form.is_valid():
        try:
            chosen = services.advance_shortlist(
                round_,
                by=request.user,
                reason=form.cleaned_data["reason"],
                top_n=form.cleaned_data["top_n"],
                threshold=form.cleaned_data["threshold"],
            )
        except AwardsError as error:
            forms.show_errors(form, error)
        else:
            messages.success(
                request,
                _("%(count)d submissions advance to the next round.") % {"count": len(chosen)},
            )
            return _back(round_)
    return _round_page(request, round_, shortlist_form=form, status=422)


@office_only
@require_POST
def office_award(request: HttpRequest, slug: str, order: int) -> HttpResponse:
    round_ = _round(request, slug, order)
    form = forms.AwardForm(request.POST)
    if form.is_valid():
        try:
            decisions = services.award_prizes(
                round_, by=request.user, reason=form.cleaned_data["reason"]
            )
        except AwardsError as error:
            forms.show_errors(form, error)
        else:
            prizes = sum(1 for d in decisions if d.tier_id)
            messages.success(request, _("%(count)d prizes awarded.") % {"count": prizes})
            return _back(round_)
    return _round_page(request, round_, award_form=form, status=422)


@office_only
@require_POST
def office_decide(request: HttpRequest, slug: str, order: int, public_id) -> HttpResponse:
    round_ = _round(request, slug, order)
    item = get_object_or_404(Submission, programme=round_.programme, public_id=public_id)
    form = forms.DecisionForm(round_.programme, request.POST)
    if form.is_valid():
        try:
            services.change_decision(
                item,
                round_,
                outcome=form.cleaned_data["outcome"],
                tier=form.cleaned_data["tier"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except AwardsError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The decision is changed."))
    else:
        messages.error(request, next(iter(form.errors.values()))[0])
    return _back(round_)


@office_only
@require_POST
def office_publish(request: HttpRequest, slug: str) -> HttpResponse:
    item = _programme(request, slug)
    try:
        if request.POST.get("publish") == "1":
            services.publish_results(item, by=request.user)
            messages.success(request, _("The results are published."))
        else:
            services.withdraw_results(item, by=request.user)
            messages.success(request, _("The results are no longer public."))
    except AwardsError as error:
        messages.error(request, error.message)
    return redirect("awards:office_programme", item.slug)
