"""Rostering through the service: the solver fills the slots, manual assignments stay, and a
re-roster after a drop-out moves as little as it must."""

import pytest

from huiwu.volunteers import services
from huiwu.volunteers.models import Assignment, AssignmentSource, RosterRun, Skill
from tests.factories import at
from tests.volunteers import factories as vf

pytestmark = pytest.mark.django_db

BEFORE = at(-3, 9)


@pytest.fixture
def plan(summit):
    """A desk needing 2 and an interpreters' post needing 1 with interpreting, morning and
    afternoon of the first day; five volunteers, one of them an interpreter."""
    desk = vf.PostFactory(summit=summit)
    booth = vf.PostFactory(summit=summit, venue=desk.venue, required_skills=[Skill.INTERPRETING])
    morning = vf.ShiftFactory(summit=summit, start=at(0, 8), end=at(0, 12))
    afternoon = vf.ShiftFactory(summit=summit, start=at(0, 13), end=at(0, 17))
    slots = {
        (post, shift): vf.PostShiftFactory(post=post, shift=shift, headcount=headcount)
        for post, headcount in ((desk, 2), (booth, 1))
        for shift in (morning, afternoon)
    }
    volunteers = vf.SelectedFactory.create_batch(4, summit=summit)
    volunteers.append(vf.SelectedFactory(summit=summit, skills=[Skill.INTERPRETING]))
    return {"slots": slots, "volunteers": volunteers, "desk": desk, "booth": booth}


def pairs() -> set[tuple[int, int]]:
    return set(Assignment.objects.values_list("application_id", "post_shift_id"))


def test_roster_fills_every_slot_within_the_rules(summit, plan):
    run = services.run_roster(summit, time_limit=5, now=BEFORE)

    assert (run.coverage, run.assigned, run.unfilled) == (1.0, 6, [])
    assert Assignment.objects.count() == 6
    interpreter = plan["volunteers"][-1]
    booth_slots = [slot.pk for (post, _s), slot in plan["slots"].items() if post == plan["booth"]]
    assert set(
        Assignment.objects.filter(post_shift__in=booth_slots).values_list("application", flat=True)
    ) == {interpreter.pk}
    # Nobody works two places at once.
    for volunteer in plan["volunteers"]:
        shifts = Assignment.objects.filter(application=volunteer).values_list(
            "post_shift__shift", flat=True
        )
        assert len(shifts) == len(set(shifts))


def test_unfilled_slots_are_reported_with_the_reason(summit, plan):
    interpreter = plan["volunteers"][-1]
    services.withdraw(interpreter)
    run = services.run_roster(summit, time_limit=5, now=BEFORE)

    assert sorted((item["missing"], item["reason"]) for item in run.unfilled) == [
        (1, "no_one_with_skill"),
        (1, "no_one_with_skill"),
    ]


def test_manual_assignments_stay_and_a_re_roster_changes_little(summit, plan):
    desk_morning = next(
        slot
        for (post, shift), slot in plan["slots"].items()
        if post == plan["desk"] and shift.start == at(0, 8)
    )
    chosen = plan["volunteers"][0]
    services.assign_manually(desk_morning, chosen)
    services.run_roster(summit, time_limit=5, now=BEFORE)
    assert Assignment.objects.get(application=chosen, post_shift=desk_morning).source == (
        AssignmentSource.MANUAL
    )
    before = pairs()

    # A drop-out: one desk volunteer withdraws; the re-roster only replaces them.
    leaving = next(
        a.application
        for a in Assignment.objects.filter(
            source=AssignmentSource.SOLVER, post_shift__post=plan["desk"]
        )
    )
    services.withdraw(leaving)
    run = services.run_roster(summit, time_limit=5, now=BEFORE)

    after = pairs()
    gone = {pair for pair in before if pair[0] == leaving.pk}
    assert before - gone <= after
    # Each of the leaver's places went to someone else, and nothing else moved.
    assert len(after - before) == len(gone)
    assert run.changed == 2 * len(gone)
    assert RosterRun.objects.count() == 2


def test_a_manual_assignment_against_the_rules_stays_and_the_roster_works_around_it(summit, plan):
    desk_morning = next(
        slot
        for (post, shift), slot in plan["slots"].items()
        if post == plan["desk"] and shift.start == at(0, 8)
    )
    unavailable = plan["volunteers"][1]
    unavailable.availability = [{"date": "2024-11-21", "from": "08:00", "to": "12:00"}]
    unavailable.save()
    services.assign_manually(desk_morning, unavailable)

    run = services.run_roster(summit, time_limit=5, now=BEFORE)

    assert Assignment.objects.filter(application=unavailable, post_shift=desk_morning).exists()
    assert desk_morning.assignments.count() == 2
    assert run.coverage > 0
