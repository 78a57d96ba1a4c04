"""Permission predicates that every app reuses (the ``rules`` package)."""

import rules

from huiwu.core.roles import Role

is_organiser = rules.is_superuser | rules.is_group_member(Role.ORGANISER.value)
is_forum_organiser_role = rules.is_group_member(Role.FORUM_ORGANISER.value)
is_command_operator = rules.is_superuser | rules.is_group_member(Role.COMMAND_OPERATOR.value)


@rules.predicate
def is_member_of(user, organisation) -> bool:
    if organisation is None or not user.is_authenticated:
        return False
    return user.memberships.filter(organisation=organisation).exists()


rules.add_perm("core.view_actionlog", is_organiser)
