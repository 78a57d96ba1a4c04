"""Factories and helpers for the command centre's tests: incidents, and volunteers on duty now
with a last position."""

import datetime as dt

import factory
from django.utils import timezone

from huiwu.command import models as cm
from huiwu.volunteers.models import DutyRecord, PositionPing
from tests import factories
from tests.volunteers import factories as vf
from tests.volunteers.factories import INSIDE


class IncidentFactory(factory.django.DjangoModelFactory):
    """A new medical incident of normal priority at the test venue's point."""

    class Meta:
        model = cm.Incident

    summit = factory.SubFactory(factories.SummitFactory)
    kind = cm.IncidentKind.MEDICAL
    priority = cm.Priority.NORMAL
    lat, lon = INSIDE
    place = "Hall 1, east door"
    description = "A guest feels faint."


def on_duty(
    summit,
    *,
    position=INSIDE,
    seen_ago: dt.timedelta = dt.timedelta(seconds=20),
    skills=(),
    languages=None,
    post=None,
    **application_fields,
):
    """A selected volunteer signed in now to a shift around now, whose phone last reported
    ``position`` ``seen_ago`` ago (``position=None``: no position yet). Returns the
    application."""
    now = timezone.now()
    fields = {"skills": list(skills), **application_fields}
    if languages is not None:
        fields["languages"] = languages
    volunteer = vf.SelectedFactory(summit=summit, **fields)
    post = post or vf.PostFactory(summit=summit)
    shift = vf.ShiftFactory(
        summit=summit, start=now - dt.timedelta(hours=2), end=now + dt.timedelta(hours=2)
    )
    slot = vf.PostShiftFactory(post=post, shift=shift)
    assignment = vf.AssignmentFactory(post_shift=slot, application=volunteer)
    duty = DutyRecord.objects.create(
        assignment=assignment, signed_in_at=now - dt.timedelta(hours=1), inside_geofence=True
    )
    if position is not None:
        PositionPing.objects.create(
            application=volunteer, duty=duty, at=now - seen_ago, lat=position[0], lon=position[1]
        )
    return volunteer
