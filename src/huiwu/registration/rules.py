"""Who may see and do what with guests' registrations (the ``rules`` package).

The decision on roles, for issue #3:

- The **secretariat** (organisers) sees every registration of a summit, decides on each one
  (approve, reject, ask for more information), revokes and reissues badges, prints them,
  imports guest lists and exports everything, identity-document numbers included.
- A **forum co-organiser** (the forum-organiser role *and* membership of one of the forum's host
  or co-host institutions) sees the registrations of the guests of its own forums — those who
  asked for a seat in one of them or were invited to one — and exports those, without identity
  documents. It may invite guests to its own forums and manage their seats: give a waitlisted
  guest one of the forum's reserved seats, or cancel a seat (the waitlist then moves up).
- **Approval of a guest stays with the secretariat**: a guest is admitted to the whole summit
  and its gates, not to one forum, so no co-organiser decides for the others; the secretariat
  sees the whole picture (delegations, security checks, the other forums' requests).

Views, the admin and the API ask these predicates; they never re-derive a permission.
"""

import rules

from huiwu.core.rules import is_forum_organiser_role, is_organiser
from huiwu.registration.selectors import registrations_for
from huiwu.summit.rules import can_manage_forum


@rules.predicate
def is_guest_of_own_forum(user, registration) -> bool:
    """The guest asked for a seat in, or was invited to, a forum the user co-organises."""
    if registration is None or not user.is_authenticated:
        return False
    return registrations_for(user, registration.summit).filter(pk=registration.pk).exists()


@rules.predicate
def can_manage_seat(user, seat) -> bool:
    """May cancel a guest's seat or move it to the forum's reserved seats."""
    return seat is not None and can_manage_forum(user, seat.forum)


#: May open the secretariat's pages at all (what each one shows is narrowed further).
can_use_secretariat = is_organiser | is_forum_organiser_role
#: May read a guest's personal data, photo and action log.
can_view_registration = is_organiser | (is_forum_organiser_role & is_guest_of_own_forum)
#: May approve, reject or ask for more information.
can_decide_registration = is_organiser
#: May read identity-document types and numbers (on pages and in exports).
can_view_id_document = is_organiser
#: May revoke a badge or issue a new one.
can_manage_badge = is_organiser
#: May print the badges of many guests as one PDF.
can_print_badges = is_organiser
#: May import guest lists as submitted registrations.
can_import_registrations = is_organiser
#: May export the guest list (the registrations it can see).
can_export_registrations = can_use_secretariat
#: May invite guests (to which forums: ``can_invite_to_forum``).
can_invite_guests = can_use_secretariat
#: May invite to ``forum``; with no forum (an invitation to the summit), only the secretariat.
can_invite_to_forum = can_manage_forum
#: May see a forum's seats and give out its reserved seats.
can_manage_forum_seats = can_manage_forum

# The admin's model permissions: the registration admin is the secretariat's alone.
rules.add_perm("registration.view_registration", can_view_registration)
for model in ("guestcategory", "delegation", "invitation", "seathold", "seatrequest"):
    for action in ("add", "change", "delete", "view"):
        rules.add_perm(f"registration.{action}_{model}", is_organiser)
