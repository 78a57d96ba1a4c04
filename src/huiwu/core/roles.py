"""The roles people hold on the platform, kept as Django groups that every app reuses.

A role says what kind of work a person does; object-level predicates in ``rules.py`` then say on
which objects (a co-organiser only on the forums its institution hosts).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


class Role(models.TextChoices):
    ORGANISER = "organiser", _("Secretariat (organiser)")
    FORUM_ORGANISER = "forum_organiser", _("Forum co-organiser")
    GUEST = "guest", _("Guest")
    VOLUNTEER = "volunteer", _("Volunteer")
    EXPERT = "expert", _("Expert")
    EXHIBITOR = "exhibitor", _("Exhibitor")
    GATE_DEVICE = "gate_device", _("Gate device")
    GATE_STAFF = "gate_staff", _("Gate staff")
    VOLUNTEER_OFFICE = "volunteer_office", _("Volunteer office")
    AWARDS_OFFICE = "awards_office", _("Awards office")
    COMMAND_OPERATOR = "command_operator", _("Command operator")


# Model permissions that come with a role; object-level limits live in the rules predicates.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.ORGANISER: [
        # Accounts for co-organisers' staff; the admin keeps superuser status and single
        # permissions out of the secretariat's hands.
        "auth.add_user",
        "auth.change_user",
        "auth.view_user",
        "core.add_organisation",
        "core.change_organisation",
        "core.delete_organisation",
        "core.view_organisation",
        "core.add_person",
        "core.change_person",
        "core.delete_person",
        "core.view_person",
        "core.view_actionlog",
        "core.add_membership",
        "core.change_membership",
        "core.delete_membership",
        "core.view_membership",
        "summit.add_series",
        "summit.change_series",
        "summit.delete_series",
        "summit.view_series",
        "summit.add_summit",
        "summit.change_summit",
        "summit.delete_summit",
        "summit.view_summit",
        "summit.add_venue",
        "summit.change_venue",
        "summit.delete_venue",
        "summit.view_venue",
        "summit.add_room",
        "summit.change_room",
        "summit.delete_room",
        "summit.view_room",
        "summit.add_zone",
        "summit.change_zone",
        "summit.delete_zone",
        "summit.view_zone",
        "summit.add_forum",
        "summit.change_forum",
        "summit.delete_forum",
        "summit.view_forum",
        "summit.add_session",
        "summit.change_session",
        "summit.delete_session",
        "summit.view_session",
    ],
    Role.FORUM_ORGANISER: [
        "summit.view_forum",
        "summit.change_forum",
        "summit.view_session",
        "summit.add_session",
        "summit.change_session",
        "summit.delete_session",
        "core.view_person",
        "core.add_person",
        "core.change_person",
    ],
}


# Roles whose holders work in the admin as well as on the site's own pages.
STAFF_ROLES = (Role.ORGANISER, Role.FORUM_ORGANISER, Role.VOLUNTEER_OFFICE, Role.AWARDS_OFFICE)


def register_permissions(role: Role, permissions: list[str]) -> None:
    """Let an app add the model permissions of its own models to a role (from ``ready``)."""
    granted = ROLE_PERMISSIONS.setdefault(role, [])
    granted.extend(name for name in permissions if name not in granted)


def ensure_role_groups(**kwargs: Any) -> None:
    """Create one group per role and give it the role's model permissions (idempotent).

    Runs after every app's migrations, since each app creates its own permissions then.
    """
    from django.contrib.auth.models import Group, Permission

    known = {
        f"{perm.content_type.app_label}.{perm.codename}": perm
        for perm in Permission.objects.select_related("content_type")
    }
    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        perms = [known[name] for name in ROLE_PERMISSIONS.get(role, []) if name in known]
        if perms:
            group.permissions.add(*perms)


def grant_role(user: AbstractBaseUser, role: Role) -> None:
    """Give ``user`` the role; the secretariat, co-organisers and the offices also get into the
    admin."""
    from django.contrib.auth.models import Group

    group, _created = Group.objects.get_or_create(name=role.value)
    user.groups.add(group)
    if role in STAFF_ROLES and not user.is_staff:
        # These roles work in the admin; what they may see there is limited by the predicates.
        user.is_staff = True
        user.save(update_fields=["is_staff"])
