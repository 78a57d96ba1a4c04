"""Who may do what with the programme."""

import rules

from huiwu.core.rules import is_forum_organiser_role, is_organiser


@rules.predicate
def is_forum_organiser(user, forum) -> bool:
    """The user acts for one of the forum's host or co-host institutions."""
    if forum is None or not user.is_authenticated:
        return False
    return forum.forum_organisers.filter(organisation__memberships__user=user).exists()


@rules.predicate
def is_session_organiser(user, session) -> bool:
    return session is not None and is_forum_organiser(user, session.forum)


can_manage_forum = is_organiser | (is_forum_organiser_role & is_forum_organiser)
can_manage_session = is_organiser | (is_forum_organiser_role & is_session_organiser)

rules.add_perm("summit.change_forum", can_manage_forum)
rules.add_perm("summit.view_forum", can_manage_forum)
rules.add_perm("summit.change_session", can_manage_session)
rules.add_perm("summit.delete_session", can_manage_session)
