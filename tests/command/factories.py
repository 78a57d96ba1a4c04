"""Factories and helpers for the command centre's tests: incidents, volunteers on duty now
with a last position, command operators, and a recorder of what the live layer publishes."""

import datetime as dt

import factory
from django.utils import timezone

from huiwu.command import live
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


def operator(username: str = "operator"):
    """A command operator: sees the dashboard, raises and dispatches incidents."""
    return factories.UserFactory(username=username, roles=["command_operator"])


class Published(list):
    """The events sent to the live layer, as ``(group, kind, data)``, in order."""

    def of(self, kind: str) -> list[tuple[str, dict]]:
        return [(group, data) for group, sent, data in self if sent == kind]

    def alerts(self) -> list[dict]:
        return [data for _group, data in self.of("alert")]


def record_events(monkeypatch) -> Published:
    """Record every event instead of sending it (after commit, as ``live.publish`` sends)."""
    published = Published()

    def send_now(group, kind, data):
        published.append((group, kind, data))
        return len(published)

    monkeypatch.setattr(live, "send_now", send_now)
    return published


def tasks_in_database(settings) -> None:
    """Queue background tasks in the test database, whatever the environment chooses (with
    Redis, a shared RQ queue would hand this run's escalations to another run's worker)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
