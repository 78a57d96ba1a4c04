"""Writes of the shared kernel."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet

from huiwu.core.models import ActionLog

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class DomainError(Exception):
    """A rule of the summit was broken; the message is a translated sentence for the user.

    ``field`` names the input at fault, when there is one.
    """

    def __init__(self, message, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(DomainError):
    """The user may do this to the object, but not this part of it (a co-organiser moving its
    forum to another room). The API answers it with 403, not 422."""


def log_action(
    obj: models.Model,
    action: str,
    *,
    by: AbstractBaseUser | AnonymousUser | None = None,
    data: dict | None = None,
) -> ActionLog:
    """Record a sensitive action on ``obj`` in the audit log. ``by`` is the user who did it
    (``None`` or an anonymous user for the platform itself); ``data`` must be JSON-serialisable.
    """
    return ActionLog.objects.create(
        actor=by if by is not None and by.is_authenticated else None,
        action=action,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        data=data or {},
    )


def actions_for(obj: models.Model) -> QuerySet[ActionLog]:
    """The audit trail of one object, newest first."""
    return ActionLog.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    ).select_related("actor")
