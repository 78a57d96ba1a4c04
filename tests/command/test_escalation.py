"""Escalation: an offer nobody acknowledged in time goes to the next volunteer and alerts the
staff, from a task queued at the deadline and run by the worker — not by a page left open."""

import datetime as dt

import pytest
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from huiwu.command import live, services, tasks
from huiwu.command.models import Dispatch, DispatchStatus, Incident, IncidentStatus
from huiwu.core.services import actions_for
from tests.command.factories import (
    IncidentFactory,
    on_duty,
    tasks_in_database,
)
from tests.volunteers.factories import INSIDE

NEAR = (INSIDE[0] + 0.001, INSIDE[1])
FAR = (INSIDE[0] + 0.003, INSIDE[1])


@pytest.fixture(autouse=True)
def queue(settings):
    tasks_in_database(settings)


@pytest.mark.django_db
def test_an_offer_past_its_deadline_times_out_and_goes_to_the_next(
    summit, staff, events, committed
):
    incident = IncidentFactory(summit=summit)
    first, second = on_duty(summit, position=NEAR), on_duty(summit, position=FAR)
    offer = services.dispatch(incident, first, by=staff)
    late = offer.respond_by + dt.timedelta(seconds=1)

    next_offer = committed(services.escalate, offer.pk, now=late)

    offer.refresh_from_db()
    assert (offer.status, offer.ended_at) == (DispatchStatus.TIMED_OUT, late)
    assert (next_offer.volunteer, next_offer.offered_by, next_offer.status) == (
        second,
        None,
        DispatchStatus.OFFERED,
    )
    assert next_offer.respond_by == late + dt.timedelta(seconds=90)
    assert Incident.objects.get(pk=incident.pk).status == IncidentStatus.DISPATCHED
    assert events.alerts() == [
        {"incident": incident.pk, "reason": "timed_out", "dispatch": offer.pk}
    ]
    assert [group for group, _data in events.of("alert")] == [live.command_group(summit.pk)]
    assert [(group, data["status"]) for group, data in events.of("task")] == [
        (live.volunteer_group(first.pk), "timed_out"),
        (live.volunteer_group(second.pk), "offered"),
    ]
    assert [a.action for a in actions_for(incident)][:2] == [
        "command.dispatched",
        "command.timed_out",
    ]
    # The first volunteer is never offered it again, however often it escalates.
    assert services.escalate(next_offer.pk, now=next_offer.respond_by) is None
    assert not Dispatch.objects.filter(status=DispatchStatus.OFFERED).exists()
    assert Dispatch.objects.filter(incident=incident, volunteer=first).count() == 1


@pytest.mark.django_db
def test_escalating_twice_does_nothing_more(summit, staff, events, committed):
    incident = IncidentFactory(summit=summit)
    first = on_duty(summit, position=NEAR)
    on_duty(summit, position=FAR)
    on_duty(summit, position=FAR)
    offer = services.dispatch(incident, first, by=staff)
    late = offer.respond_by + dt.timedelta(seconds=1)

    committed(services.escalate, offer.pk, now=late)
    again = committed(services.escalate, offer.pk, now=late + dt.timedelta(seconds=5))

    assert again is None
    assert incident.dispatches.count() == 2
    assert [alert["reason"] for alert in events.alerts()] == ["timed_out"]


@pytest.mark.django_db
def test_an_escalation_before_the_deadline_waits_for_it(summit, staff, committed):
    incident = IncidentFactory(summit=summit)
    volunteer = on_duty(summit)
    offer = committed(services.dispatch, incident, volunteer, by=staff)

    assert (
        committed(services.escalate, offer.pk, now=offer.respond_by - dt.timedelta(seconds=30))
        is None
    )

    offer.refresh_from_db()
    assert offer.status == DispatchStatus.OFFERED
    # Queued again for the deadline: the dispatch's task and this one.
    assert list(DBTaskResult.objects.values_list("run_after", flat=True)) == [offer.respond_by] * 2


@pytest.mark.django_db
def test_nobody_left_alerts_the_staff_and_the_incident_is_new_again(
    summit, staff, events, committed
):
    incident = IncidentFactory(summit=summit)
    volunteer = on_duty(summit)
    on_duty(summit, position=NEAR, seen_ago=dt.timedelta(minutes=30))  # too old to count
    offer = services.dispatch(incident, volunteer, by=staff)

    assert committed(services.escalate, offer.pk, now=offer.respond_by) is None

    incident.refresh_from_db()
    assert incident.status == IncidentStatus.NEW
    assert [alert["reason"] for alert in events.alerts()] == ["timed_out", "nobody_available"]
    assert actions_for(incident).first().action == "command.back_to_new"


@pytest.mark.django_db
def test_an_escalation_keeps_an_incident_with_someone_still_on_it(summit, staff, committed):
    incident = IncidentFactory(summit=summit)
    helper, late_one = on_duty(summit), on_duty(summit)
    services.answer(services.dispatch(incident, helper, by=staff), "acknowledge", by=helper.user)
    offer = services.dispatch(incident, late_one, by=staff)

    committed(services.escalate, offer.pk, now=offer.respond_by)

    assert Incident.objects.get(pk=incident.pk).status == IncidentStatus.ACKNOWLEDGED


@pytest.mark.django_db
def test_a_dispatch_queues_its_escalation_for_the_deadline(summit, staff, committed):
    incident = IncidentFactory(summit=summit)
    offer = committed(services.dispatch, incident, on_duty(summit), by=staff)

    task = DBTaskResult.objects.get()
    assert task.task_path == "huiwu.command.tasks.escalate"
    assert task.args_kwargs == {"args": [offer.pk], "kwargs": {}}
    assert task.run_after == offer.respond_by
    assert task.status == "READY"


@pytest.mark.django_db
def test_a_refused_dispatch_queues_nothing(summit, staff, committed):
    incident = IncidentFactory(summit=summit, status=IncidentStatus.CANCELLED)
    with pytest.raises(services.CommandError):
        committed(services.dispatch, incident, on_duty(summit), by=staff)
    assert DBTaskResult.objects.count() == 0


@pytest.mark.django_db
def test_a_live_send_failing_after_commit_loses_neither_the_offer_nor_its_escalation(
    summit, staff, committed, monkeypatch
):
    def layer_down(group, payload):
        raise TimeoutError("the channel layer did not take the message")

    monkeypatch.setattr(live, "_deliver", layer_down)
    incident = IncidentFactory(summit=summit)

    offer = committed(services.dispatch, incident, on_duty(summit), by=staff)

    assert Dispatch.objects.get() == offer
    assert DBTaskResult.objects.get().args_kwargs == {"args": [offer.pk], "kwargs": {}}


@pytest.mark.django_db
def test_the_watch_times_out_an_offer_whose_escalation_was_lost(summit, staff, committed):
    incident = IncidentFactory(summit=summit)
    first, second = on_duty(summit, position=NEAR), on_duty(summit, position=FAR)
    offer = committed(services.dispatch, incident, first, by=staff)
    DBTaskResult.objects.all().delete()  # the queue lost it

    within_grace = offer.respond_by + services.OVERDUE_GRACE - dt.timedelta(seconds=1)
    committed(services.watch, summit, now=within_grace)
    offer.refresh_from_db()
    assert offer.status == DispatchStatus.OFFERED  # its own task may still come

    late = offer.respond_by + services.OVERDUE_GRACE + dt.timedelta(seconds=1)
    committed(services.watch, summit, now=late)
    offer.refresh_from_db()
    assert (offer.status, offer.ended_at) == (DispatchStatus.TIMED_OUT, late)
    assert Dispatch.objects.get(incident=incident, volunteer=second).status == "offered"


def run_worker_once() -> None:
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=1,
        worker_id="test-worker",
        excluded_queue_names=[],
    ).run()


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_the_escalation_when_it_is_due(summit, staff, events, settings):
    settings.COMMAND_ACK_TIMEOUT_SECONDS = 0
    incident = IncidentFactory(summit=summit)
    first, second = on_duty(summit, position=NEAR), on_duty(summit, position=FAR)
    offer = services.dispatch(incident, first, by=staff, now=timezone.now())

    run_worker_once()

    offer.refresh_from_db()
    assert offer.status == DispatchStatus.TIMED_OUT
    assert incident.dispatches.get(status=DispatchStatus.OFFERED).volunteer == second
    first_task = DBTaskResult.objects.get(args_kwargs={"args": [offer.pk], "kwargs": {}})
    assert first_task.status == "SUCCESSFUL"
    assert first_task.return_value == incident.dispatches.get(volunteer=second).pk
    assert [alert["reason"] for alert in events.alerts()] == ["timed_out"]


@pytest.mark.django_db
def test_the_task_function_is_the_service(summit, staff):
    incident = IncidentFactory(summit=summit)
    offer = services.dispatch(incident, on_duty(summit), by=staff, now=timezone.now())
    Dispatch.objects.filter(pk=offer.pk).update(respond_by=timezone.now() - dt.timedelta(seconds=1))

    assert tasks.escalate.call(offer.pk) is None  # nobody else on duty

    assert Dispatch.objects.get(pk=offer.pk).status == DispatchStatus.TIMED_OUT
