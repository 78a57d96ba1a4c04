"""Who may see and do what in the command centre (the ``rules`` package).

- **Command staff** (command operators and the secretariat) see the live dashboard, the map
  with every volunteer on duty, and every incident; they raise, dispatch, cancel and resolve
  incidents, send broadcasts and read the after-action report.
- A **volunteer** sees only the tasks given to them and the broadcasts that reach them, and
  may report an incident from the phone page while on duty.
"""

import rules

from huiwu.core.rules import is_organiser
from huiwu.volunteers.rules import is_command_operator

is_command_staff = is_organiser | is_command_operator


@rules.predicate
def is_own_dispatch(user, dispatch) -> bool:
    return (
        dispatch is not None
        and user.is_authenticated
        and dispatch.volunteer.user_id is not None
        and dispatch.volunteer.user_id == user.pk
    )


#: May see the dashboard, the map, every incident and the report.
can_command = is_command_staff
#: May acknowledge, report on scene, finish or decline a dispatch.
can_answer_dispatch = is_own_dispatch

MODELS = ("incident", "dispatch", "broadcast", "walkingpaths")
# The admin's model permissions: the command centre's records are its staff's to correct.
for model in MODELS:
    for action in ("add", "change", "delete", "view"):
        rules.add_perm(f"command.{action}_{model}", is_command_staff)
