"""Who may do what at the gates (the ``rules`` package).

- The **secretariat** registers and revokes gate devices, sees every scan and the occupancy,
  and may check guests in by hand.
- **Gate staff** run the manual lane: search a guest and check them in or out by hand.
- The **command centre** reads occupancy and arrivals.

Gate devices themselves are not users: they authenticate with their own bearer token.
"""

import rules

from huiwu.core.roles import Role
from huiwu.core.rules import is_organiser

is_gate_staff = rules.is_group_member(Role.GATE_STAFF.value)
is_command_operator = rules.is_group_member(Role.COMMAND_OPERATOR.value)

#: May search guests in the manual lane and check them in or out of a zone by hand.
can_check_in_manually = is_organiser | is_gate_staff
#: May read who is inside each zone and the arrivals.
can_view_occupancy = is_organiser | is_command_operator
#: May register and revoke gate devices.
can_manage_gate_devices = is_organiser

for action in ("add", "change", "view"):
    rules.add_perm(f"checkin.{action}_gatedevice", can_manage_gate_devices)
rules.add_perm("checkin.view_scanevent", is_organiser | is_gate_staff)
