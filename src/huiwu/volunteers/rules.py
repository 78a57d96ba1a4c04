"""Who may see and do what with volunteers (the ``rules`` package).

- The **volunteer office** (and the secretariat) sees every application, scores, selects,
  defines posts, shifts and training, edits the roster, corrects hours, sees who is on duty,
  the no-shows and any volunteer's trajectory; it fixes data in the admin.
- The **command centre** reads where volunteers on duty are and their trajectories (to send the
  nearest one), but not their applications.
- An **applicant** sees and changes their own application; a **volunteer** sees their own
  shifts, duties, hours and track, and nobody else's.
"""

import rules

from huiwu.core.roles import Role
from huiwu.core.rules import is_organiser

is_volunteer_office = is_organiser | rules.is_group_member(Role.VOLUNTEER_OFFICE.value)
is_command_operator = rules.is_group_member(Role.COMMAND_OPERATOR.value)


@rules.predicate
def is_own_application(user, application) -> bool:
    return (
        application is not None
        and user.is_authenticated
        and application.user_id is not None
        and application.user_id == user.pk
    )


#: May see an application with its personal data.
can_view_application = is_volunteer_office | is_own_application
#: May score, interview, select, roster, record training and correct hours.
can_manage_volunteers = is_volunteer_office
#: May see where volunteers on duty are now.
can_view_positions = is_volunteer_office | is_command_operator
#: May see one volunteer's trajectory (``application`` is the volunteer's).
can_view_trajectory = is_volunteer_office | is_command_operator | is_own_application
#: May read the roster of the whole summit.
can_view_roster = is_volunteer_office | is_command_operator

MODELS = (
    "university",
    "application",
    "interview",
    "selectionrun",
    "selectionexplanation",
    "post",
    "shift",
    "postshift",
    "rosterrun",
    "assignment",
    "trainingsession",
    "trainingattendance",
    "dutyrecord",
    "positionping",
    "hourscorrection",
)
# The admin's model permissions: the volunteers admin is the office's (and the secretariat's).
for model in MODELS:
    for action in ("add", "change", "delete", "view"):
        rules.add_perm(f"volunteers.{action}_{model}", is_volunteer_office)
