"""Who may see and do what in awards and competitions (the ``rules`` package).

- The **awards office** (and the secretariat) runs every programme: sees every submission,
  every review with the experts' names, assigns, decides and publishes.
- An **applicant** (or nominator) sees their own submissions and, once a programme's results
  are published, the results; never an expert's name or score.
- An **expert** sees only the submissions assigned to them in which they have no conflict of
  interest, scores those, and sees the other experts' reviews of such a submission only once
  the round's discussion is open. A conflicted expert is out of the discussion too.
"""

import rules
from django.db.models import Q

from huiwu.awards.models import Conflict
from huiwu.core.roles import Role
from huiwu.core.rules import is_organiser

is_awards_office = is_organiser | rules.is_group_member(Role.AWARDS_OFFICE.value)


def _expert(user):
    if not user.is_authenticated:
        return None
    return getattr(user, "expert", None)


@rules.predicate
def is_expert(user) -> bool:
    return _expert(user) is not None


@rules.predicate
def is_own_submission(user, submission) -> bool:
    return submission is not None and user.is_authenticated and submission.applicant_id == user.pk


def _in_conflict(expert, submission) -> bool:
    """A conflict with the submission, or with its organisation (declared or listed by the
    organisers, even before the conflicts are next recomputed)."""
    return Conflict.objects.filter(
        Q(submission=submission)
        | Q(submission__isnull=True, organisation_name__iexact=submission.organisation_name),
        expert=expert,
    ).exists()


@rules.predicate
def is_assigned_expert(user, submission) -> bool:
    """An active (not forbidden) assignment in the submission's current round, and no
    conflict of interest."""
    expert = _expert(user)
    if expert is None or submission is None:
        return False
    assigned = submission.assignments.filter(
        expert=expert, forbidden=False, round_id=submission.current_round_id
    ).exists()
    return assigned and not _in_conflict(expert, submission)


@rules.predicate
def is_own_assignment(user, assignment) -> bool:
    expert = _expert(user)
    return (
        expert is not None
        and assignment is not None
        and assignment.expert_id == expert.pk
        and not assignment.forbidden
        and not _in_conflict(expert, assignment.submission)
    )


@rules.predicate
def is_discussion_open(user, assignment) -> bool:
    return assignment is not None and assignment.round.discussion_open


@rules.predicate
def are_results_published(user, programme) -> bool:
    return programme is not None and programme.results_published


#: May configure and run programmes: assign, see every review, decide, publish.
can_manage_awards = is_awards_office
#: May open a submission's pages and attachments.
can_view_submission = is_awards_office | is_own_submission | is_assigned_expert
#: May edit or withdraw (the deadline is checked by the services).
can_edit_submission = is_own_submission
#: May score (draft or submit) the review of an assignment.
can_review = is_own_assignment
#: May read the other experts' reviews of the assignment's submission.
can_see_discussion = is_awards_office | (is_own_assignment & is_discussion_open)
#: May read the results and winners' certificates of a programme.
can_view_results = is_awards_office | are_results_published

_MODELS = (
    "programme",
    "track",
    "submissionfield",
    "round",
    "criterion",
    "prizetier",
    "submission",
    "attachment",
    "expert",
    "expertdocument",
    "conflict",
    "reviewassignment",
    "review",
    "decision",
)
# The admin's model permissions: configuration is the awards office's.
for model in _MODELS:
    for action in ("add", "change", "delete", "view"):
        rules.add_perm(f"awards.{action}_{model}", is_awards_office)

#: Model permissions the role groups carry (``register_permissions`` in the AppConfig).
OFFICE_PERMISSIONS = [
    f"awards.{action}_{model}"
    for model in _MODELS
    for action in ("add", "change", "delete", "view")
]
