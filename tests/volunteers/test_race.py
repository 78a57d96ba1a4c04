"""What concurrency must never break, with real threads each on its own database connection
(SQLite serialises writers; PostgreSQL locks rows): two sign-ins at once record one duty, and a
slot is never over-filled by manual edits racing each other or the roster solver."""

import pytest

from huiwu.volunteers import services
from huiwu.volunteers.models import Assignment, DutyRecord, PostShift
from huiwu.volunteers.services import VolunteerError
from tests.factories import at
from tests.registration.test_seats_race import race
from tests.volunteers import factories as vf
from tests.volunteers.factories import INSIDE

pytestmark = pytest.mark.django_db(transaction=True)

REFUSED = "refused"


def refusing(job):
    """The job, with a refusal (a full slot) as a result instead of an error."""

    def run():
        try:
            return job()
        except VolunteerError:
            return REFUSED

    return run


def test_ten_sign_ins_at_once_for_one_shift_record_one_duty(summit):
    assignment = vf.AssignmentFactory(post_shift__post__summit=summit)
    volunteer = assignment.application

    results = race(
        [
            lambda: services.sign_in(volunteer, assignment, *INSIDE, 10, at=at(0, 7, 50))
            for _ in range(10)
        ]
    )

    assert DutyRecord.objects.count() == 1
    assert {duty.pk for duty in results} == {DutyRecord.objects.get().pk}


def test_manual_edits_racing_for_a_slot_never_overfill_it(summit):
    slot = vf.PostShiftFactory(post__summit=summit, headcount=3)
    volunteers = vf.SelectedFactory.create_batch(12, summit=summit)

    results = race(
        [
            refusing(lambda volunteer=volunteer: services.assign_manually(slot, volunteer))
            for volunteer in volunteers
        ]
    )

    assert sum(result != REFUSED for result in results) == 3
    assert Assignment.objects.filter(post_shift=slot).count() == 3


def test_manual_edits_racing_the_solver_never_overfill_a_slot(summit):
    slots = vf.PostShiftFactory.create_batch(3, post__summit=summit, headcount=2)
    for slot in slots[1:]:
        slot.shift = slots[0].shift
        slot.save()
    volunteers = vf.SelectedFactory.create_batch(10, summit=summit)

    def solver():
        return services.run_roster(summit, time_limit=5, now=at(-3, 9))

    manual = [
        refusing(lambda volunteer=volunteer: services.assign_manually(slots[0], volunteer))
        for volunteer in volunteers[:6]
    ]
    race([solver, *manual])

    for slot in PostShift.objects.all():
        assert slot.assignments.count() <= slot.headcount
    # Nobody is in two places during the one shift.
    people = list(Assignment.objects.values_list("application_id", flat=True))
    assert len(people) == len(set(people))
