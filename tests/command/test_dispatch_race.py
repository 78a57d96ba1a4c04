"""A volunteer is never on two open incidents: operators dispatching the same volunteer at the
same moment, each thread on its own database connection (SQLite serialises the writers;
PostgreSQL leaves it to the ``one_open_dispatch_per_volunteer`` constraint), get one success
and clear refusals."""

import pytest

from huiwu.command import services
from huiwu.command.models import ACTIVE_DISPATCH, Dispatch, Incident, IncidentStatus
from huiwu.command.services import CommandError
from tests.command.factories import (
    IncidentFactory,
    on_duty,
    operator,
    record_events,
    tasks_in_database,
)
from tests.registration.test_seats_race import race

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def quiet(settings, monkeypatch):
    """Commits here are real: keep their events and queued escalations inside this run."""
    tasks_in_database(settings)
    record_events(monkeypatch)


def refusing(job):
    """The job, with a refusal as its result (the sentence) instead of an error."""

    def run():
        try:
            return job()
        except CommandError as refusal:
            return refusal.message

    return run


def test_two_operators_sending_one_volunteer_to_two_incidents_get_one_success(summit):
    volunteer = on_duty(summit, name="Zhang Wei")
    incidents = [IncidentFactory(summit=summit) for _ in range(2)]
    operators = [operator("desk-a"), operator("desk-b")]

    results = race(
        [
            refusing(lambda i=i: services.dispatch(incidents[i], volunteer, by=operators[i]))
            for i in range(2)
        ]
    )

    successes = [result for result in results if isinstance(result, Dispatch)]
    refusals = [result for result in results if isinstance(result, str)]
    assert len(successes) == 1
    assert refusals == [
        "Zhang Wei is already on another incident; send someone else, or wait until they are free."
    ]
    assert Dispatch.objects.filter(volunteer=volunteer, status__in=ACTIVE_DISPATCH).count() == 1
    statuses = sorted(Incident.objects.values_list("status", flat=True))
    assert statuses == [IncidentStatus.DISPATCHED, IncidentStatus.NEW]


def test_ten_dispatches_of_one_volunteer_at_once_make_one(summit):
    volunteer = on_duty(summit)
    incidents = [IncidentFactory(summit=summit) for _ in range(5)]
    staff = operator()

    # Five incidents, each dispatched twice at once: to other incidents and to the same one.
    results = race(
        [
            refusing(lambda i=i: services.dispatch(incidents[i % 5], volunteer, by=staff))
            for i in range(10)
        ]
    )

    assert sum(isinstance(result, Dispatch) for result in results) == 1
    assert all(isinstance(result, Dispatch | str) for result in results)
    assert Dispatch.objects.filter(volunteer=volunteer).count() == 1
    assert Incident.objects.filter(status=IncidentStatus.DISPATCHED).count() == 1
