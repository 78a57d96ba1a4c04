"""Every write of awards and competitions: one function per use case, each in its own
transaction, refusing bad input with a translated sentence and changing nothing then.

The algorithms are pure modules (``affinity``, ``assignment``, ``scoring``); the functions here
load their inputs from the database, call them and store what they decide.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_countries import countries

from huiwu.awards import affinity, assignment, scoring, selectors
from huiwu.awards.attachments import check_attachment
from huiwu.awards.models import (
    COMPUTED_SOURCES,
    AssignmentSource,
    Attachment,
    Conflict,
    ConflictSource,
    Criterion,
    Decision,
    Expert,
    ExpertDocument,
    FieldKind,
    Outcome,
    PrizeTier,
    Programme,
    Review,
    ReviewAssignment,
    ReviewStatus,
    Round,
    Submission,
    SubmissionField,
    SubmissionStatus,
)
from huiwu.core.services import DomainError, log_action


class AwardsError(DomainError):
    """A request that breaks a rule of a programme."""


#: Fields of a submission its applicant writes; the rest only services change.
SUBMISSION_FIELDS = ("track", "nominee", "organisation_name", "country", "title", "abstract")
MAX_ANSWER = 5000


# --- Submissions ------------------------------------------------------------------------------
def _local(moment: dt.datetime, programme: Programme) -> str:
    return date_format(timezone.localtime(moment, programme.summit.tz), "DATETIME_FORMAT")


def check_open(programme: Programme, now: dt.datetime | None = None) -> None:
    """Refuse when the call is not open at ``now``: before it opens or after its deadline."""
    now = now or timezone.now()
    if now < programme.opens_at:
        raise AwardsError(
            _("Submissions open on %(when)s; please come back then.")
            % {"when": _local(programme.opens_at, programme)}
        )
    if now > programme.deadline:
        raise AwardsError(
            _(
                "The deadline passed on %(when)s; submissions can no longer be made, "
                "changed or withdrawn."
            )
            % {"when": _local(programme.deadline, programme)}
        )


def _first(errors: dict[str, list[str]]) -> AwardsError:
    field, messages = next(iter(errors.items()))
    return AwardsError(messages[0], field=None if field == "__all__" else field)


@dataclass(frozen=True)
class CallForm:
    """A programme's form as the checks read it, loaded once for many submissions."""

    programme: Programme
    fields: dict[str, SubmissionField]
    tracks: frozenset[int]

    @classmethod
    def of(cls, programme: Programme) -> "CallForm":
        return cls(
            programme=programme,
            fields={field.key: field for field in programme.fields.all()},
            tracks=frozenset(programme.tracks.values_list("pk", flat=True)),
        )


# Checked by ``check_submission`` itself, without a query per submission.
_NOT_CLEANED = ["programme", "track", "applicant", "organisation", "current_round", "answers"]


def check_submission(
    submission: Submission,
    answers: dict,
    files: dict,
    *,
    complete: bool,
    form: CallForm | None = None,
) -> dict[str, str]:
    """Every problem of an unsaved submission, its answers and uploaded files, as a
    ``ValidationError`` by field; with ``complete``, also what sending it requires.
    Returns the type of each uploaded file, by field key."""
    errors: dict[str, list[str]] = defaultdict(list)
    form = form or CallForm.of(submission.programme)
    fields = form.fields
    unknown = set(answers) - {key for key, f in fields.items() if f.kind != FieldKind.FILE}
    unknown |= set(files) - {key for key, f in fields.items() if f.kind == FieldKind.FILE}
    for key in sorted(unknown):
        errors[key].append(_("This form has no field “%(key)s”.") % {"key": key})
    if submission.track_id and submission.track_id not in form.tracks:
        errors["track"].append(_("Choose one of this programme's tracks."))
    if complete and form.tracks and not submission.track_id:
        errors["track"].append(_("Choose the track of your submission."))
    if submission.country and submission.country.code not in countries:
        errors["country"].append(_("Choose a country or region from the list."))
    for key, field in fields.items():
        if field.kind == FieldKind.FILE:
            continue
        value = answers.get(key, "")
        if not isinstance(value, str):
            errors[key].append(_("Enter text."))
            continue
        if len(value) > MAX_ANSWER:
            errors[key].append(
                _("Keep this answer to %(limit)d characters.") % {"limit": MAX_ANSWER}
            )
        if value and field.kind == FieldKind.URL:
            try:
                URLValidator()(value)
            except ValidationError:
                errors[key].append(_("Enter a web address such as https://example.org/."))
        if complete and field.required and not value.strip():
            errors[key].append(_("“%(field)s” is required.") % {"field": field})
    types: dict[str, str] = {}
    for key, upload in files.items():
        if key in fields:
            try:
                types[key] = check_attachment(fields[key], upload)
            except ValidationError as error:
                errors[key].append(error.messages[0])
    if complete:
        have = set(files)
        if submission.pk:
            have |= {a.field.key for a in submission.attachments.select_related("field")}
        for key, field in fields.items():
            if field.kind == FieldKind.FILE and field.required and key not in have:
                errors[key].append(_("Please attach “%(field)s”.") % {"field": field})
    exclude = [*_NOT_CLEANED, "country"]
    if not complete:
        exclude += ["organisation_name", "abstract"]
    try:
        submission.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors[field].extend(messages)
    if complete and not submission.country:
        errors["country"].append(_("Choose a country or region from the list."))
    if errors:
        raise ValidationError(dict(errors))
    return types


@transaction.atomic
def save_submission(
    programme: Programme,
    *,
    applicant,
    data: dict,
    answers: dict | None = None,
    files: dict | None = None,
    submission: Submission | None = None,
    send: bool = False,
    now: dt.datetime | None = None,
) -> Submission:
    """Create or change an applicant's submission before the deadline; with ``send``, send it
    to the programme (it then enters the first round). Refuses with every problem as a
    ``ValidationError`` by field, or an ``AwardsError``; nothing is written then."""
    now = now or timezone.now()
    check_open(programme, now)
    if submission is None:
        submission = Submission(programme=programme, applicant=applicant)
    elif submission.status == SubmissionStatus.WITHDRAWN:
        raise AwardsError(_("This submission was withdrawn; start a new one instead."))
    unknown = set(data) - set(SUBMISSION_FIELDS)
    if unknown:
        raise AwardsError(_("Unknown fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    for name, value in data.items():
        setattr(submission, name, value)
    submission.answers = {**submission.answers, **(answers or {})}
    files = files or {}
    complete = send or submission.status == SubmissionStatus.SUBMITTED
    types = check_submission(submission, answers or {}, files, complete=complete)
    creating = submission.pk is None
    if send and submission.status == SubmissionStatus.DRAFT:
        submission.status = SubmissionStatus.SUBMITTED
        submission.submitted_at = now
        submission.current_round = programme.rounds.order_by("order").first()
    submission.save()
    fields = {field.key: field for field in programme.fields.all()}
    for key, upload in files.items():
        old = Attachment.objects.filter(submission=submission, field=fields[key]).first()
        if old is not None:
            transaction.on_commit(lambda name=old.file.name, f=old.file: f.storage.delete(name))
            old.delete()
        Attachment.objects.create(
            submission=submission,
            field=fields[key],
            file=upload,
            file_type=types[key],
            original_name=getattr(upload, "name", key)[-200:],
            size=upload.size,
        )
    if creating:
        log_action(submission, "awards.submission_created", by=applicant)
    if send:
        log_action(submission, "awards.submission_sent", by=applicant)
    elif not creating:
        log_action(submission, "awards.submission_changed", by=applicant)
    return submission


@transaction.atomic
def withdraw_submission(submission: Submission, *, by, now: dt.datetime | None = None) -> None:
    """The applicant takes the submission back, before the deadline."""
    check_open(submission.programme, now)
    if submission.status == SubmissionStatus.WITHDRAWN:
        raise AwardsError(_("This submission has already been withdrawn."))
    submission.status = SubmissionStatus.WITHDRAWN
    submission.current_round = None
    submission.save(update_fields=["status", "current_round", "updated_at"])
    submission.assignments.filter(review__isnull=True).delete()
    log_action(submission, "awards.submission_withdrawn", by=by)


@transaction.atomic
def import_submissions(
    programme: Programme, rows: Iterable[dict], *, by, now: dt.datetime | None = None
) -> list[Submission]:
    """Enter many complete submissions at once, as sent (nominations received on paper, a
    partner platform's applications). Every row is checked as a sent submission would be; one
    bad row refuses them all, naming its number."""
    now = now or timezone.now()
    check_open(programme, now)
    first_round = programme.rounds.order_by("order").first()
    form = CallForm.of(programme)
    created = []
    for number, row in enumerate(rows, start=1):
        fields = {name: row[name] for name in SUBMISSION_FIELDS if name in row}
        submission = Submission(
            programme=programme,
            applicant=row.get("applicant"),
            answers=row.get("answers", {}),
            status=SubmissionStatus.SUBMITTED,
            submitted_at=row.get("submitted_at", now),
            current_round=first_round,
            **fields,
        )
        try:
            check_submission(submission, submission.answers, {}, complete=True, form=form)
        except ValidationError as error:
            problem = _first(error.message_dict)
            raise AwardsError(
                _("Row %(row)d: %(problem)s") % {"row": number, "problem": problem.message},
                field=problem.field,
            ) from None
        created.append(submission)
    Submission.objects.bulk_create(created)
    log_action(programme, "awards.submissions_imported", by=by, data={"count": len(created)})
    return created


# --- Experts and conflicts --------------------------------------------------------------------
EXPERT_FIELDS = ("name", "organisation_name", "country", "expertise", "keywords")


@transaction.atomic
def save_expert_profile(expert: Expert, data: dict, *, by) -> Expert:
    """An expert keeps their profile current; conflicts follow their organisation and country."""
    unknown = set(data) - set(EXPERT_FIELDS)
    if unknown:
        raise AwardsError(_("Unknown fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    for name, value in data.items():
        setattr(expert, name, value)
    try:
        expert.full_clean(exclude=["user", "organisation"])
    except ValidationError as error:
        raise _first(error.message_dict) from None
    expert.save()
    log_action(expert, "awards.expert_profile_changed", by=by, data={"fields": sorted(data)})
    for programme in expert.programmes.all():
        recompute_conflicts(programme)
    return expert


@transaction.atomic
def add_expert_document(expert: Expert, *, title: str, abstract: str, url: str = "", by):
    """A publication, past project or patent that tells what the expert knows."""
    document = ExpertDocument(expert=expert, title=title.strip(), abstract=abstract, url=url)
    try:
        document.full_clean()
    except ValidationError as error:
        raise _first(error.message_dict) from None
    document.save()
    log_action(expert, "awards.expert_document_added", by=by, data={"title": document.title})
    return document


@transaction.atomic
def remove_expert_document(document: ExpertDocument, *, by) -> None:
    log_action(document.expert, "awards.expert_document_removed", by=by, data={"id": document.pk})
    document.delete()


def _same_organisation(expert: Expert, submission: Submission) -> bool:
    if expert.organisation_id and expert.organisation_id == submission.organisation_id:
        return True
    mine = expert.organisation_name.strip().casefold()
    return bool(mine) and mine == submission.organisation_name.strip().casefold()


def _drop_conflicted_assignments(programme: Programme) -> int:
    """A conflicted expert is never assigned: remove such assignments (and their reviews) from
    the programme's open rounds."""
    conflicted = Conflict.objects.filter(
        expert=OuterRef("expert"), submission=OuterRef("submission")
    )
    doomed = ReviewAssignment.objects.filter(round__programme=programme, round__closed=False)
    doomed = doomed.filter(Exists(conflicted))
    count = doomed.count()
    if count:
        doomed.delete()
    return count


def recompute_conflicts(programme: Programme) -> int:
    """Derive and store the conflicts of every expert of the programme with every submission:
    same organisation, self-nomination, same country (when the programme says so), and the
    organisations the experts declared or the organisers listed. Returns how many there are."""
    experts = list(programme.experts.all())
    submissions = list(
        programme.submissions.exclude(status=SubmissionStatus.WITHDRAWN).only(
            "id", "applicant_id", "organisation_id", "organisation_name", "country"
        )
    )
    by_organisation = defaultdict(list)
    for rule in Conflict.objects.filter(expert__in=experts, submission__isnull=True):
        by_organisation[rule.organisation_name.strip().casefold()].append(rule)
    Conflict.objects.filter(expert__in=experts, submission__programme=programme).filter(
        Q(source__in=COMPUTED_SOURCES) | ~Q(organisation_name="")
    ).delete()
    found = []
    for submission in submissions:
        for rule in by_organisation.get(submission.organisation_name.strip().casefold(), ()):
            found.append(
                Conflict(
                    expert=rule.expert,
                    submission=submission,
                    organisation_name=rule.organisation_name,
                    source=rule.source,
                    reason=rule.reason,
                )
            )
        for expert in experts:
            if submission.applicant_id and submission.applicant_id == expert.user_id:
                found.append(Conflict(expert=expert, submission=submission, source="self"))
            if _same_organisation(expert, submission):
                found.append(Conflict(expert=expert, submission=submission, source="organisation"))
            if programme.conflict_same_country and expert.country == submission.country:
                found.append(Conflict(expert=expert, submission=submission, source="country"))
    Conflict.objects.bulk_create(found, ignore_conflicts=True)
    _drop_conflicted_assignments(programme)
    return Conflict.objects.filter(submission__programme=programme).count()


@transaction.atomic
def declare_conflict(
    expert: Expert,
    *,
    submission: Submission | None = None,
    organisation_name: str = "",
    reason: str = "",
    source: str = ConflictSource.DECLARED,
    by,
) -> Conflict:
    """An expert declares a conflict with a submission, or with every submission from an
    organisation (or, with ``source`` relationship, the organisers list one); it takes effect
    at once: any assignment to such a submission is removed."""
    organisation_name = organisation_name.strip()
    if (submission is None) == (not organisation_name):
        raise AwardsError(
            _("Name either a submission or an organisation you are in conflict with."),
            field="organisation_name",
        )
    if submission is not None and not expert.programmes.filter(pk=submission.programme_id).exists():
        raise AwardsError(
            _("This submission is not in one of your programmes."), field="submission"
        )
    if source not in (ConflictSource.DECLARED, ConflictSource.RELATIONSHIP):
        raise AwardsError(_("Only declared conflicts and listed relationships are entered."))
    conflict, _created = Conflict.objects.get_or_create(
        expert=expert,
        submission=submission,
        source=source,
        organisation_name=organisation_name,
        defaults={"reason": reason[:500]},
    )
    log_action(
        expert,
        f"awards.conflict_{source}",
        by=by,
        data={
            "submission": submission.pk if submission else None,
            "organisation": organisation_name,
        },
    )
    for programme in expert.programmes.all():
        recompute_conflicts(programme)
    return conflict


# --- Assignment -------------------------------------------------------------------------------
def _infeasible_message(code: str, params: dict) -> str:
    """The engine's reason for an assignment that cannot be made, as a sentence to act on."""
    messages = {
        "load_range": _(
            "The fewest submissions per expert (%(min_load)s) is more than the most "
            "(%(max_load)s); correct the round's loads."
        ),
        "pinned_excluded": _(
            "%(expert)s is pinned to “%(submission)s”, but that pair is excluded (%(reason)s); "
            "release the pin."
        ),
        "pinned_over_k": _(
            "“%(submission)s” has %(pinned)s pinned experts but needs only %(k)s; release a pin "
            "or ask more experts per submission."
        ),
        "pinned_over_load": _(
            "%(expert)s is pinned to %(pinned)s submissions, more than the most per expert "
            "(%(max_load)s); release some pins or raise the limit."
        ),
        "capacity": _(
            "%(submissions)s submissions need %(needed)s reviews, but %(experts)s experts can do "
            "at most %(available)s; raise the most per expert or add experts."
        ),
        "min_load_excess": _(
            "%(experts)s experts must review at least %(minimum)s submissions in all, but only "
            "%(needed)s reviews are needed; lower the fewest per expert."
        ),
        "track_short": _(
            "Track %(track)s has %(submissions)s submissions needing %(k)s experts each but only "
            "%(eligible_experts)s eligible experts (able to do %(available)s of %(needed)s "
            "reviews); add experts to the track or ask fewer per submission."
        ),
        "submission_short": _(
            "“%(submission)s” needs %(k)s experts but only %(eligible_experts)s are free of "
            "conflicts and not kept apart from it (%(count)s submissions are in this case); add "
            "experts or ask fewer per submission."
        ),
        "expert_short": _(
            "%(expert)s must review at least %(min_load)s submissions but may review only "
            "%(eligible_submissions)s; lower the fewest per expert."
        ),
        "min_load_unreachable": _(
            "Every submission can get its experts, but not while each expert reviews at least "
            "%(min_load)s; lower the fewest per expert."
        ),
        "infeasible": _(
            "Only %(placeable)s of the %(needed)s reviews can be placed with these conflicts, "
            "tracks and loads; submissions such as %(submissions)s have too few free experts."
        ),
    }
    template = messages.get(code, _("The assignment cannot be made (%(code)s)."))
    try:
        return template % {"code": code, **params}
    except (KeyError, TypeError, ValueError):
        return _("The assignment cannot be made (%(code)s).") % {"code": code}


def _named(params: dict, experts: list[Expert], submissions: list[Submission]) -> dict:
    """The engine names experts and submissions by index; people read names and titles."""
    named = dict(params)
    if isinstance(named.get("expert"), int):
        named["expert"] = experts[named["expert"]].name
    if isinstance(named.get("submission"), int):
        named["submission"] = submissions[named["submission"]].title
    listed = named.get("submissions")
    if isinstance(listed, str) and listed.replace(", ", "").isdigit():
        named["submissions"] = ", ".join(
            f"“{submissions[int(i)].title}”" for i in listed.split(", ")
        )
    return named


def _check_round_open(round_: Round) -> None:
    if round_.closed:
        raise AwardsError(_("This round is closed; its assignments and reviews are final."))


@transaction.atomic
def run_assignment(round_: Round, *, by, fair: bool | None = None) -> dict:
    """Assign experts to the round's submissions by expertise, under its loads, without any
    conflict of interest, keeping pinned pairs and every pair that already has a review, and
    never making a forbidden pair. Stores and returns the report."""
    _check_round_open(round_)
    fair = round_.fair_assignment if fair is None else fair
    recompute_conflicts(round_.programme)
    submissions = list(
        round_.submissions.filter(status=SubmissionStatus.SUBMITTED)
        .select_related("track")
        .order_by("pk")
    )
    if not submissions:
        raise AwardsError(_("No submission is in this round yet."))
    experts = list(selectors.round_experts(round_).prefetch_related("documents", "tracks"))
    if not experts:
        raise AwardsError(_("This round has no experts; add experts to the programme first."))
    expert_at = {expert.pk: index for index, expert in enumerate(experts)}
    submission_at = {submission.pk: index for index, submission in enumerate(submissions)}

    def indices(queryset) -> set[tuple[int, int]]:
        return {
            (expert_at[e], submission_at[s])
            for e, s in queryset.values_list("expert_id", "submission_id")
            if e in expert_at and s in submission_at
        }

    existing = round_.assignments.all()
    kept = existing.filter(forbidden=False).filter(Q(pinned=True) | Q(review__isnull=False))
    matrix = affinity.affinity(
        [expert.documents_text() or [expert.name] for expert in experts],
        [submission.text for submission in submissions],
    )
    tracks = sorted({s.track for s in submissions if s.track}, key=lambda t: t.pk)
    track_at = {track.pk: index for index, track in enumerate(tracks)}
    limited = any(expert.tracks.all() for expert in experts)
    problem = assignment.Problem(
        affinity=matrix,
        k=round_.reviewers_per_submission,
        min_load=round_.min_load,
        max_load=round_.max_load,
        conflicts=indices(Conflict.objects.filter(submission__in=submissions)),
        pinned=indices(kept),
        forbidden=indices(existing.filter(forbidden=True)),
        tracks=[track_at.get(s.track_id, len(tracks)) for s in submissions] if limited else None,
        expert_tracks=(
            [{track_at[t.pk] for t in e.tracks.all() if t.pk in track_at} or None for e in experts]
            if limited
            else None
        ),
        track_names=[str(track) for track in tracks],
    )
    try:
        result = assignment.assign(problem, fair=fair)
    except assignment.AssignmentInfeasible as error:
        raise AwardsError(
            _infeasible_message(error.code, _named(error.params, experts, submissions))
        ) from None
    chosen = {(experts[e].pk, submissions[s].pk): float(matrix[e, s]) for e, s in result.pairs}
    current = {(a.expert_id, a.submission_id): a for a in existing if not a.forbidden}
    stale = [pair.pk for key, pair in current.items() if key not in chosen]
    ReviewAssignment.objects.filter(pk__in=stale, review__isnull=True, pinned=False).delete()
    ReviewAssignment.objects.bulk_create(
        ReviewAssignment(
            round=round_,
            expert_id=expert_id,
            submission_id=submission_id,
            source=AssignmentSource.SOLVER,
            affinity=value,
        )
        for (expert_id, submission_id), value in chosen.items()
        if (expert_id, submission_id) not in current
    )
    still = [pair for key, pair in current.items() if key in chosen]
    for pair in still:
        pair.affinity = chosen[(pair.expert_id, pair.submission_id)]
    ReviewAssignment.objects.bulk_update(still, ["affinity"])
    low, high = result.load_spread
    report = {
        "objective": round(result.objective, 4),
        "upper_bound": round(result.upper_bound, 4),
        "min_affinity": round(result.min_affinity, 4),
        "mean_affinity": round(result.mean_affinity, 4),
        "load_min": low,
        "load_max": high,
        "violations": len(result.violations),
        "fair": fair,
        "pairs": len(result.pairs),
        "kept": len(problem.pinned),
        "conflicts": len(problem.conflicts),
        "experts": len(experts),
        "submissions": len(submissions),
        "ran_at": timezone.now().isoformat(),
    }
    round_.assignment_report = report
    round_.save(update_fields=["assignment_report"])
    log_action(round_, "awards.assignment_run", by=by, data=report)
    return report


def _pair(round_: Round, expert: Expert, submission: Submission) -> None:
    _check_round_open(round_)
    if submission.current_round_id != round_.pk:
        raise AwardsError(_("This submission is not in this round."), field="submission")
    if not selectors.round_experts(round_).filter(pk=expert.pk).exists():
        raise AwardsError(_("This expert does not serve in this round."), field="expert")


@transaction.atomic
def pin(round_: Round, expert: Expert, submission: Submission, *, by) -> ReviewAssignment:
    """Keep this expert on this submission through every new assignment run."""
    _pair(round_, expert, submission)
    if Conflict.objects.filter(expert=expert, submission=submission).exists():
        raise AwardsError(
            _("%(expert)s has a conflict of interest with this submission and cannot review it.")
            % {"expert": expert}
        )
    pair, _created = ReviewAssignment.objects.update_or_create(
        round=round_,
        expert=expert,
        submission=submission,
        defaults={"pinned": True, "forbidden": False},
        create_defaults={"pinned": True, "source": AssignmentSource.MANUAL},
    )
    log_action(
        round_, "awards.pair_pinned", by=by, data={"expert": expert.pk, "submission": submission.pk}
    )
    return pair


@transaction.atomic
def forbid(round_: Round, expert: Expert, submission: Submission, *, by) -> ReviewAssignment:
    """Keep this expert away from this submission; a draft review of theirs is dropped, a
    submitted one refuses."""
    _pair(round_, expert, submission)
    existing = round_.assignments.filter(expert=expert, submission=submission).first()
    if existing is not None:
        review = getattr(existing, "review", None)
        if review is not None and review.status == ReviewStatus.SUBMITTED:
            raise AwardsError(
                _("%(expert)s has already submitted a review of this submission; it stays.")
                % {"expert": expert}
            )
        if review is not None:
            review.delete()
    pair, _created = ReviewAssignment.objects.update_or_create(
        round=round_,
        expert=expert,
        submission=submission,
        defaults={"pinned": False, "forbidden": True},
        create_defaults={"forbidden": True, "source": AssignmentSource.MANUAL},
    )
    log_action(
        round_,
        "awards.pair_forbidden",
        by=by,
        data={"expert": expert.pk, "submission": submission.pk},
    )
    return pair


@transaction.atomic
def release(round_: Round, expert: Expert, submission: Submission, *, by) -> None:
    """Undo a pin or a forbid: the next run decides this pair freely."""
    _check_round_open(round_)
    pair = round_.assignments.filter(expert=expert, submission=submission).first()
    if pair is None:
        return
    if pair.forbidden:
        pair.delete()
    else:
        pair.pinned = False
        pair.save(update_fields=["pinned"])
    log_action(
        round_,
        "awards.pair_released",
        by=by,
        data={"expert": expert.pk, "submission": submission.pk},
    )


# --- Reviews ----------------------------------------------------------------------------------
def _parse_scores(criteria: list[Criterion], scores: dict, *, complete: bool) -> dict[str, float]:
    criteria = {str(c.pk): c for c in criteria}
    parsed: dict[str, float] = {}
    for key, value in scores.items():
        criterion = criteria.get(str(key))
        if criterion is None:
            raise AwardsError(_("This round's rubric has no criterion “%(key)s”.") % {"key": key})
        if value is None or value == "":
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise AwardsError(
                _("Give “%(criterion)s” a number.") % {"criterion": criterion}, field=f"score_{key}"
            ) from None
        if number != number or not criterion.min_score <= number <= criterion.max_score:
            raise AwardsError(
                _("The score for “%(criterion)s” must be between %(min)d and %(max)d.")
                % {"criterion": criterion, "min": criterion.min_score, "max": criterion.max_score},
                field=f"score_{key}",
            )
        parsed[str(key)] = number
    if complete:
        missing = [str(c) for key, c in criteria.items() if key not in parsed]
        if missing:
            raise AwardsError(
                _("Score every criterion before submitting; missing: %(criteria)s.")
                % {"criteria": ", ".join(missing)},
                field=f"score_{next(k for k in criteria if k not in parsed)}",
            )
    return parsed


def _total(criteria: list[Criterion], parsed: dict[str, float]) -> float:
    weights = {str(c.pk): c.weight for c in criteria}
    return round(float(scoring.weighted_total(parsed, weights)), 4)


def _reviewable(pair: ReviewAssignment) -> None:
    if pair.forbidden:
        raise AwardsError(_("You are not assigned to review this submission."))
    _check_round_open(pair.round)
    if pair.submission.current_round_id != pair.round_id:
        raise AwardsError(_("This submission has left this round; its reviews are closed."))


@transaction.atomic
def save_review(
    pair: ReviewAssignment, *, scores: dict, comment: str = "", send: bool = False, by
) -> Review:
    """Save an expert's scores and comment as a draft, or (``send``) submit them complete. A
    submitted review may be changed until the round closes, and stays complete."""
    _reviewable(pair)
    review = Review.objects.filter(assignment=pair).first() or Review(assignment=pair)
    if review.status == ReviewStatus.SUBMITTED and not send:
        raise AwardsError(_("This review has been submitted; submit your changes again."))
    criteria = list(pair.round.criteria.all())
    parsed = _parse_scores(criteria, scores, complete=send)
    if len(comment) > 5000:
        raise AwardsError(_("Keep the comment to 5,000 characters."), field="comment")
    review.scores = parsed
    review.comment = comment
    if send:
        review.status = ReviewStatus.SUBMITTED
        review.submitted_at = timezone.now()
        review.total = _total(criteria, parsed)
    review.save()
    log_action(
        pair.submission,
        "awards.review_submitted" if send else "awards.review_saved",
        by=by,
        data={"round": pair.round_id, "expert": pair.expert_id},
    )
    return review


@transaction.atomic
def import_reviews(round_: Round, rows: Iterable[tuple], *, by) -> list[Review]:
    """Enter many complete reviews at once — a panel's score sheets, typed in by the office —
    as ``(assignment, scores, comment)``; each is checked as an expert's submission is."""
    _check_round_open(round_)
    now = timezone.now()
    criteria = list(round_.criteria.all())
    reviews = []
    for pair, scores, comment in rows:
        if pair.round_id != round_.pk or pair.forbidden:
            raise AwardsError(_("You are not assigned to review this submission."))
        parsed = _parse_scores(criteria, scores, complete=True)
        reviews.append(
            Review(
                assignment=pair,
                scores=parsed,
                comment=comment,
                status=ReviewStatus.SUBMITTED,
                submitted_at=now,
                total=_total(criteria, parsed),
            )
        )
    Review.objects.bulk_create(reviews)
    log_action(round_, "awards.reviews_imported", by=by, data={"count": len(reviews)})
    return reviews


@transaction.atomic
def set_discussion(round_: Round, *, open_: bool, by) -> None:
    """Open the discussion (experts then see each other's reviews) or close it again."""
    round_.discussion_open = open_
    round_.save(update_fields=["discussion_open"])
    log_action(round_, "awards.discussion_opened" if open_ else "awards.discussion_closed", by=by)


# --- Shortlists, prizes and publication -----------------------------------------------------
def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise AwardsError(_("Give the committee's reason for this decision."), field="reason")
    if len(reason) > 2000:
        raise AwardsError(_("Keep the reason to 2,000 characters."), field="reason")
    return reason


def _lock(programme: Programme) -> Programme:
    """Decisions of a programme are taken one at a time (quotas must never be exceeded)."""
    return Programme.objects.select_for_update().get(pk=programme.pk)


@transaction.atomic
def advance_shortlist(
    round_: Round,
    *,
    by,
    reason: str,
    top_n: int | None = None,
    threshold: float | None = None,
) -> list[int]:
    """Move the best submissions of the round into the next one — the best ``top_n`` of each
    track, or every one scoring at least ``threshold`` (normalised, as the round is set) —
    and close the round. Returns the ids of those who advance."""
    reason = _reason(reason)
    _lock(round_.programme)
    round_.refresh_from_db()
    _check_round_open(round_)
    following = selectors.next_round(round_)
    if following is None:
        raise AwardsError(_("This is the last round; award the prizes instead."))
    top_n = top_n if top_n is not None else round_.shortlist_top_n
    threshold = threshold if threshold is not None else round_.shortlist_threshold
    if top_n is None and threshold is None:
        raise AwardsError(
            _("Say how many to shortlist per track, or the score to reach."), field="top_n"
        )
    if top_n is not None and top_n < 1:
        raise AwardsError(_("Shortlist at least one per track."), field="top_n")
    scores = selectors.round_scores(round_)
    items = [row.entry() for row in scores.rows if row.score is not None]
    if not items:
        raise AwardsError(_("No submission of this round has a submitted review yet."))
    chosen = set(scoring.shortlist(items, top_n_per_track=top_n, threshold=threshold))
    everyone = [row.submission for row in scores.rows]
    Decision.objects.bulk_create(
        Decision(
            submission=submission,
            round=round_,
            outcome=Outcome.ADVANCE if submission.pk in chosen else Outcome.REJECT,
            reason=reason,
            decided_by=by if by is not None and by.is_authenticated else None,
        )
        for submission in everyone
    )
    Submission.objects.filter(pk__in=chosen).update(current_round=following)
    Submission.objects.filter(pk__in=[s.pk for s in everyone if s.pk not in chosen]).update(
        current_round=None
    )
    round_.closed = True
    round_.discussion_open = False
    round_.save(update_fields=["closed", "discussion_open"])
    log_action(
        round_,
        "awards.shortlisted",
        by=by,
        data={"advanced": len(chosen), "of": len(everyone), "top_n": top_n, "threshold": threshold},
    )
    return sorted(chosen)


@transaction.atomic
def award_prizes(round_: Round, *, by, reason: str) -> list[Decision]:
    """Record the committee's decision for the last round: the ranking fills the prize tiers
    by their quotas, everyone else is not selected. The round closes."""
    reason = _reason(reason)
    _lock(round_.programme)
    round_.refresh_from_db()
    _check_round_open(round_)
    if selectors.next_round(round_) is not None:
        raise AwardsError(_("Prizes are awarded in the last round; shortlist into the next one."))
    if not round_.programme.tiers.exists():
        raise AwardsError(_("This programme has no prize tiers; add them first."))
    scores = selectors.round_scores(round_)
    placed = {place.submission: place for place in selectors.ranking(round_, scores)}
    if not placed:
        raise AwardsError(_("No submission of this round has a submitted review yet."))
    user = by if by is not None and by.is_authenticated else None
    decisions = []
    for row in scores.rows:
        place = placed.get(row.submission.pk)
        tier = place.tier if place is not None else None
        decisions.append(
            Decision(
                submission=row.submission,
                round=round_,
                outcome=Outcome.PRIZE if tier is not None else Outcome.REJECT,
                tier_id=tier,
                rank=place.rank if place is not None else None,
                reason=reason,
                decided_by=user,
            )
        )
    Decision.objects.bulk_create(decisions)
    round_.closed = True
    round_.discussion_open = False
    round_.save(update_fields=["closed", "discussion_open"])
    prizes = sum(1 for d in decisions if d.outcome == Outcome.PRIZE)
    log_action(round_, "awards.prizes_awarded", by=by, data={"prizes": prizes})
    return decisions


@transaction.atomic
def change_decision(
    submission: Submission, round_: Round, *, outcome: str, tier: PrizeTier | None, reason: str, by
) -> Decision:
    """The committee overrides one decision, with its reason; a prize tier is never given
    beyond its quota."""
    reason = _reason(reason)
    programme = _lock(round_.programme)
    if programme.results_published:
        raise AwardsError(_("The results are published; withdraw them before changing one."))
    decision = Decision.objects.filter(submission=submission, round=round_).first()
    if decision is None:
        raise AwardsError(_("This round has not decided on this submission yet."))
    if outcome not in Outcome.values:
        raise AwardsError(_("Choose an outcome."), field="outcome")
    if outcome == Outcome.PRIZE:
        if tier is None or tier.programme_id != programme.pk:
            raise AwardsError(_("Choose one of this programme's prize tiers."), field="tier")
        if tier.track_id and tier.track_id != submission.track_id:
            raise AwardsError(
                _("“%(tier)s” is for the track %(track)s only.")
                % {"tier": tier, "track": tier.track},
                field="tier",
            )
        if selectors.next_round(round_) is not None:
            raise AwardsError(_("Prizes are awarded in the last round only."), field="outcome")
        taken = tier.decisions.filter(round=round_).exclude(submission=submission).count()
        if taken >= tier.quota:
            raise AwardsError(
                _("“%(tier)s” already has its %(quota)d prizes; move one of them first.")
                % {"tier": tier, "quota": tier.quota},
                field="tier",
            )
    else:
        tier = None
    if outcome == Outcome.ADVANCE:
        following = selectors.next_round(round_)
        if following is None:
            raise AwardsError(_("There is no next round to advance to."), field="outcome")
        if following.closed:
            raise AwardsError(_("The next round is already closed."), field="outcome")
    before = {"outcome": decision.outcome, "tier": decision.tier_id}
    decision.outcome, decision.tier, decision.reason = outcome, tier, reason
    decision.decided_by = by if by is not None and by.is_authenticated else None
    decision.save()
    if selectors.next_round(round_) is not None:
        following = selectors.next_round(round_)
        submission.current_round = following if outcome == Outcome.ADVANCE else None
        submission.save(update_fields=["current_round", "updated_at"])
    log_action(
        submission,
        "awards.decision_changed",
        by=by,
        data={
            "round": round_.pk,
            "before": before,
            "outcome": outcome,
            "tier": decision.tier_id,
            "reason": reason,
        },
    )
    return decision


@transaction.atomic
def publish_results(programme: Programme, *, by, now: dt.datetime | None = None) -> None:
    """Put the winners on the public site (and in applicants' pages and certificates);
    ``now`` is the publication's date (the demo's summit took place in the past)."""
    programme = _lock(programme)
    final = selectors.final_round(programme)
    if final is None or not final.decisions.exists():
        raise AwardsError(_("Award the prizes of the last round before publishing the results."))
    programme.results_published = True
    programme.published_at = now or timezone.now()
    programme.save(update_fields=["results_published", "published_at"])
    log_action(programme, "awards.results_published", by=by)


@transaction.atomic
def withdraw_results(programme: Programme, *, by) -> None:
    programme = _lock(programme)
    programme.results_published = False
    programme.save(update_fields=["results_published"])
    log_action(programme, "awards.results_withdrawn", by=by)
