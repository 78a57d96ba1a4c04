"""Permission predicates that every app reuses (the ``rules`` package)."""

from collections.abc import Callable
from typing import Any

import rules
from django.contrib.contenttypes.models import ContentType
from django.db.models import BigIntegerField, Q, QuerySet
from django.db.models.functions import Cast

from huiwu.core.models import ActionLog, Person
from huiwu.core.roles import Role

is_organiser = rules.is_superuser | rules.is_group_member(Role.ORGANISER.value)
is_forum_organiser_role = rules.is_group_member(Role.FORUM_ORGANISER.value)


# --- People ------------------------------------------------------------------------------------
# The secretariat reaches everyone. A co-organiser reaches the people it added itself and those
# the apps name for it: the summit names the speakers of its forums.

PeopleScope = Callable[[Any], QuerySet[Person]]
_people_scopes: list[PeopleScope] = []


def register_people_scope(scope: PeopleScope) -> None:
    """Add ``scope``, a function ``user -> QuerySet[Person]``, to the people a co-organiser
    reaches; an app calls it once, when its ``rules`` module is loaded."""
    if scope not in _people_scopes:
        _people_scopes.append(scope)


def people_in_reach(user) -> QuerySet[Person]:
    """The people a user who is not the secretariat may see and change: those whose addition
    the action log records as theirs, and those a registered scope names."""
    if not user.is_authenticated:
        return Person.objects.none()
    added = (
        ActionLog.objects.filter(
            actor=user,
            action="person.created",
            content_type=ContentType.objects.get_for_model(Person),
        )
        # The log keeps every object's key as text; a person's key is a number.
        .annotate(person_id=Cast("object_id", BigIntegerField()))
        .values("person_id")
    )
    reach = Q(pk__in=added)
    for scope in _people_scopes:
        reach |= Q(pk__in=scope(user).values("pk"))
    return Person.objects.filter(reach)


@rules.predicate
def is_person_in_reach(user, person) -> bool:
    if person is None:
        return False
    return people_in_reach(user).filter(pk=person.pk).exists()


can_manage_person = is_organiser | (is_forum_organiser_role & is_person_in_reach)

rules.add_perm("core.view_actionlog", is_organiser)
rules.add_perm("core.view_person", can_manage_person)
rules.add_perm("core.change_person", can_manage_person)
