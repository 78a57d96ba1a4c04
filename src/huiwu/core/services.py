"""Writes of the shared kernel."""

from django.contrib.contenttypes.models import ContentType
from django.db import models

from huiwu.core.models import ActionLog


class DomainError(Exception):
    """A rule of the summit was broken; the message is a translated sentence for the user.

    ``field`` names the input at fault, when there is one.
    """

    def __init__(self, message, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def log_action(obj: models.Model, action: str, *, by=None, data: dict | None = None) -> ActionLog:
    """Record a sensitive action on ``obj`` in the audit log."""
    return ActionLog.objects.create(
        actor=by if by is not None and by.is_authenticated else None,
        action=action,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        data=data or {},
    )


def actions_for(obj: models.Model):
    """The audit trail of one object, newest first."""
    return ActionLog.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    ).select_related("actor")
