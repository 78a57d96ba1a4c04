"""Who may do what with the programme.

The secretariat manages every forum. A forum's host and co-host institutions manage their own
forums through their staff (co-organisers): they write its texts and agenda, while its place,
time, seats, hosts and publication stay the secretariat's decisions.
"""

from collections.abc import Iterable

import rules

from huiwu.core.rules import is_forum_organiser_role, is_organiser, register_people_scope
from huiwu.summit.selectors import managed_speakers

#: The forum fields a host or co-host may change. Every other field, and the host and co-host
#: institutions ("hosts", "co_hosts"), only the secretariat changes.
CO_ORGANISER_FORUM_FIELDS = frozenset({"title", "theme", "description", "languages"})


@rules.predicate
def is_forum_organiser(user, forum) -> bool:
    """The user acts for one of the forum's host or co-host institutions."""
    if forum is None or forum.pk is None or not user.is_authenticated:
        return False
    return forum.forum_organisers.filter(organisation__memberships__user=user).exists()


@rules.predicate
def is_session_organiser(user, session) -> bool:
    return session is not None and is_forum_organiser(user, session.forum)


can_manage_forum = is_organiser | (is_forum_organiser_role & is_forum_organiser)
can_manage_session = is_organiser | (is_forum_organiser_role & is_session_organiser)
can_add_session = can_manage_forum
can_set_forum_hosts = is_organiser


def refused_forum_fields(user, fields: Iterable[str]) -> list[str]:
    """The fields among ``fields`` that ``user``, who manages a forum, may not change on it:
    none for the secretariat; for a host or co-host, all but ``CO_ORGANISER_FORUM_FIELDS``."""
    if is_organiser(user):
        return []
    return sorted(set(fields) - CO_ORGANISER_FORUM_FIELDS)


rules.add_perm("summit.change_forum", can_manage_forum)
rules.add_perm("summit.view_forum", can_manage_forum)
rules.add_perm("summit.change_session", can_manage_session)
rules.add_perm("summit.delete_session", can_manage_session)
# A co-organiser reaches the people who speak in its forums, to edit their names and biographies.
register_people_scope(managed_speakers)
