"""Rostering: hard rules never broken, places filled, reasons for what stays open, stability."""

import itertools
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiwu.volunteers.rostering import (
    RosterError,
    Slot,
    Volunteer,
    ineligibility,
    minutes_per_day,
    roster,
    violations,
)
from tests.factories import at

RULES = {"max_hours_per_day": 8, "min_rest_hours": 1}
DAY = ((at(0, 7), at(0, 22)),)
THREE_DAYS = tuple((at(d, 7), at(d, 22)) for d in range(3))


def volunteer(key, skills=(), languages=("zh",), available=DAY, trained=None):
    return Volunteer(key, frozenset(skills), frozenset(languages), available, trained)


def slot(key, start, end, headcount=1, *, post=None, skills=(), languages=(), training=False):
    return Slot(
        key,
        post if post is not None else key,
        start,
        end,
        headcount,
        frozenset(skills),
        frozenset(languages),
        training,
    )


def run(volunteers, slots, **kwargs):
    result = roster(volunteers, slots, **{**RULES, **kwargs})
    assert violations(volunteers, slots, result.assignments, **RULES) == []
    return result


def test_skills_and_languages_decide_who_goes_where():
    volunteers = [
        volunteer(1, skills={"first_aid"}),
        volunteer(2, languages={"zh", "fr"}),
        volunteer(3),
    ]
    slots = [
        slot(10, at(0, 8), at(0, 12), skills={"first_aid"}),
        slot(11, at(0, 8), at(0, 12), languages={"fr"}),
        slot(12, at(0, 8), at(0, 12)),
    ]
    result = run(volunteers, slots)
    assert result.assignments == [(1, 10), (2, 11), (3, 12)]
    assert result.coverage == 1.0
    assert result.unfilled == []
    assert result.status == "optimal"


def test_availability_is_respected_and_named_when_no_one_can_come():
    volunteers = [volunteer(1, available=((at(0, 13), at(0, 18)),))]
    slots = [slot(10, at(0, 8), at(0, 12)), slot(11, at(0, 13), at(0, 17))]
    result = run(volunteers, slots)
    assert result.assignments == [(1, 11)]
    [unfilled] = result.unfilled
    assert (unfilled.slot, unfilled.missing, unfilled.reason) == (10, 1, "no_one_available")
    assert unfilled.params == {"headcount": 1, "assigned": 0, "qualified": 1}


def test_touching_availability_windows_cover_a_slot_across_them():
    volunteers = [volunteer(1, available=((at(0, 8), at(0, 10)), (at(0, 10), at(0, 12))))]
    assert run(volunteers, [slot(10, at(0, 8), at(0, 12))]).assignments == [(1, 10)]


def test_max_hours_a_day_and_rest_between_shifts():
    # Two 5-hour slots on one day exceed 8 hours: the second needs somebody else.
    slots = [slot(10, at(0, 7), at(0, 12)), slot(11, at(0, 14), at(0, 19))]
    result = run([volunteer(1)], slots)
    assert len(result.assignments) == 1
    assert result.unfilled[0].reason == "all_eligible_busy"
    assert result.unfilled[0].params == {"headcount": 1, "assigned": 0, "eligible": 1, "busy": 1}
    # Back-to-back 3-hour slots: one hour of rest is required in between, none is not.
    back_to_back = [slot(10, at(0, 8), at(0, 11)), slot(11, at(0, 11), at(0, 14))]
    assert len(run([volunteer(1)], back_to_back).assignments) == 1
    relaxed = roster([volunteer(1)], back_to_back, max_hours_per_day=8, min_rest_hours=0)
    assert relaxed.assignments == [(1, 10), (1, 11)]
    assert relaxed.hours == {1: 6.0}


def test_never_above_headcount_and_spread_fairly():
    volunteers = [volunteer(k, available=THREE_DAYS) for k in range(1, 7)]
    slots = [slot(10 + d, at(d, 9), at(d, 13), headcount=2) for d in range(3)]
    result = run(volunteers, slots)
    per_slot = {s.key: sum(1 for _, key in result.assignments if key == s.key) for s in slots}
    assert per_slot == {10: 2, 11: 2, 12: 2}
    # Six places for six volunteers: everyone works once, nobody twice.
    assert sorted(result.hours.values()) == [4.0] * 6
    assert result.spread.stdev == 0


def test_training_is_required_where_the_post_asks_for_it():
    volunteers = [
        volunteer(1, trained=frozenset()),
        volunteer(2, trained=frozenset({7})),
        volunteer(3, trained=None),  # the office does not track training for this one
    ]
    slots = [slot(10, at(0, 8), at(0, 12), headcount=3, post=7, training=True)]
    result = run(volunteers, slots)
    assert result.assignments == [(2, 10), (3, 10)]
    assert result.unfilled[0].reason == "not_enough_eligible"
    assert ineligibility(volunteers[0], slots[0]) == "not_trained"


def test_kept_pairs_stay_and_forbidden_pairs_never_happen():
    volunteers = [volunteer(1), volunteer(2)]
    slots = [slot(10, at(0, 8), at(0, 12)), slot(11, at(0, 8), at(0, 12))]
    result = run(volunteers, slots, keep=[(2, 10)], forbid=[(1, 10)])
    assert result.assignments == [(1, 11), (2, 10)]
    result = run(volunteers, slots, forbid=[(1, 10), (2, 10)])
    assert result.unfilled[0].reason == "no_one_allowed"


@pytest.mark.parametrize(
    ("keep", "rule"),
    [
        ([(1, 10)], "missing_skill"),
        ([(2, 11), (2, 12)], "clash_or_max_hours"),
        ([(2, 11), (3, 11)], "over_headcount"),
    ],
)
def test_a_kept_pair_that_breaks_a_rule_is_refused(keep, rule):
    volunteers = [volunteer(1), volunteer(2, skills={"driving"}), volunteer(3)]
    slots = [
        slot(10, at(0, 8), at(0, 12), skills={"driving"}),
        slot(11, at(0, 8), at(0, 12)),
        slot(12, at(0, 12), at(0, 16)),
    ]
    with pytest.raises(RosterError) as error:
        roster(volunteers, slots, keep=[(1, 10)] if rule == "missing_skill" else keep, **RULES)
    assert error.value.code == "keep_breaks_rule"
    assert error.value.params["rule"] == rule


def test_reasons_for_unfilled_slots_come_from_who_could_come():
    volunteers = [
        volunteer(1, skills={"interpreting"}, languages={"zh", "en"}),
        volunteer(2, skills={"first_aid"}),
    ]
    slots = [
        slot(10, at(0, 8), at(0, 12), skills={"driving"}),
        slot(11, at(0, 8), at(0, 12), skills={"interpreting"}, languages={"ar"}),
        slot(12, at(0, 8), at(0, 12), post=5, skills={"first_aid"}, training=True),
        slot(13, at(0, 8), at(0, 18)),
    ]
    volunteers[1] = volunteer(2, skills={"first_aid"}, trained=frozenset())
    reasons = {u.slot: (u.reason, u.params) for u in run(volunteers, slots).unfilled}
    assert reasons[10] == (
        "no_one_with_skill",
        {"headcount": 1, "assigned": 0, "skills": ["driving"]},
    )
    assert reasons[11] == (
        "no_one_with_language",
        {"headcount": 1, "assigned": 0, "languages": ["ar"]},
    )
    assert reasons[12] == ("no_one_trained", {"headcount": 1, "assigned": 0, "post": 5})
    assert reasons[13] == ("longer_than_max_hours", {"headcount": 1, "assigned": 0, "minutes": 600})


def test_re_roster_after_drop_outs_changes_few_others():
    volunteers = [
        volunteer(k, skills={"first_aid"} if k % 5 == 0 else (), available=THREE_DAYS)
        for k in range(40)
    ]
    slots = [
        slot(
            100 * d + h, at(d, h), at(d, h + 3), headcount=3, skills={"first_aid"} if h == 8 else ()
        )
        for d in range(3)
        for h in (8, 12, 16)
    ]
    first = run(volunteers, slots)
    assert first.coverage == 1.0
    dropped = {0, 1, 2}
    remaining = [v for v in volunteers if v.key not in dropped]
    second = run(remaining, slots, previous=first.assignments)
    assert second.coverage == 1.0
    before = {pair for pair in first.assignments if pair[0] not in dropped}
    changed = before - set(second.assignments)
    # Only the dropped volunteers' places are new; nobody else was moved.
    assert changed == set()
    assert len(set(second.assignments) - before) == sum(
        1 for v, _ in first.assignments if v in dropped
    )
    # Pairs of volunteers who left are not "changes": they could not stay.
    assert (second.objective["previous_kept"], second.objective["previous_changed"]) == (
        len(before),
        0,
    )


def test_hours_of_a_slot_across_midnight_count_on_each_day():
    assert minutes_per_day(at(0, 22), at(1, 3)) == {at(0, 0).date(): 120, at(1, 0).date(): 180}
    volunteers = [volunteer(1, available=((at(0, 7), at(1, 12)),))]
    slots = [slot(10, at(0, 20), at(1, 4)), slot(11, at(1, 6), at(1, 11))]
    # 4 h on day 0, 4 h + 5 h = 9 h on day 1: only one of the two may be worked.
    assert len(run(volunteers, slots).assignments) == 1


def test_the_checker_finds_every_kind_of_violation():
    volunteers = [volunteer(1), volunteer(2, available=((at(0, 13), at(0, 18)),))]
    slots = [
        slot(10, at(0, 8), at(0, 12), skills={"driving"}),
        slot(11, at(0, 11), at(0, 13)),
        slot(12, at(0, 13), at(0, 17)),
        slot(13, at(0, 8), at(0, 12), languages={"fr"}),
    ]
    bad = [(1, 10), (1, 11), (1, 12), (2, 11), (2, 13), (3, 12)]
    found = {(v.rule, v.volunteer, v.slot) for v in violations(volunteers, slots, bad, **RULES)}
    assert found == {
        ("missing_skill", 1, 10),
        ("overlap", 1, 11),
        ("rest", 1, 12),
        ("max_hours", 1, 10),
        ("not_available", 2, 11),
        ("missing_language", 2, 13),
        ("overlap", 2, 11),
        ("unknown", 3, 12),
        ("over_headcount", None, 11),
    }
    over = violations([volunteer(1), volunteer(2)], slots[1:2], [(1, 11), (2, 11)], **RULES)
    assert [(v.rule, v.slot) for v in over] == [("over_headcount", 11)]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"slots": [slot(10, at(0, 12), at(0, 8))]}, "slot_ends_before_start"),
        ({"slots": [slot(10, at(0, 8), at(0, 12), headcount=-1)]}, "invalid_headcount"),
        ({"slots": [slot(10, at(0, 8), at(0, 12))] * 2}, "duplicate_slot"),
        ({"volunteers": [volunteer(1)] * 2}, "duplicate_volunteer"),
        (
            {"volunteers": [volunteer(1, available=((at(0, 12), at(0, 8)),))]},
            "availability_ends_before_start",
        ),
        ({"slots": [slot(10, at(0, 8).replace(tzinfo=None), at(0, 12))]}, "naive_datetime"),
        ({"keep": [(9, 10)]}, "unknown_keep"),
        ({"forbid": [(1, 99)]}, "unknown_forbid"),
        ({"keep": [(1, 10)], "forbid": [(1, 10)]}, "keep_and_forbid"),
        ({"max_hours_per_day": 0}, "invalid_max_hours"),
        ({"min_rest_hours": -1}, "invalid_min_rest"),
    ],
)
def test_bad_input_is_refused_with_a_code(change, code):
    arguments = {
        "volunteers": [volunteer(1)],
        "slots": [slot(10, at(0, 8), at(0, 12))],
        **RULES,
        **change,
    }
    with pytest.raises(RosterError) as error:
        roster(arguments.pop("volunteers"), arguments.pop("slots"), **arguments)
    assert error.value.code == code


def test_empty_inputs_give_an_empty_roster():
    result = roster([], [], **RULES)
    assert (result.assignments, result.unfilled, result.coverage) == ([], [], 1.0)
    [unfilled] = roster([], [slot(10, at(0, 8), at(0, 12), headcount=2)], **RULES).unfilled
    assert (unfilled.missing, unfilled.reason) == (2, "no_volunteers")


SKILLS = ["first_aid", "driving"]


@st.composite
def instances(draw):
    n_volunteers = draw(st.integers(1, 3))
    n_slots = draw(st.integers(1, 4))
    volunteers = []
    for key in range(n_volunteers):
        windows = []
        for day in range(2):
            if draw(st.booleans()):
                start = draw(st.integers(7, 14))
                windows.append(
                    (at(day, start), at(day, start) + timedelta(hours=draw(st.integers(2, 10))))
                )
        volunteers.append(
            Volunteer(
                key,
                frozenset(draw(st.sets(st.sampled_from(SKILLS), max_size=1))),
                frozenset(draw(st.sets(st.sampled_from(["en", "fr"]), max_size=2))),
                tuple(windows),
                draw(st.one_of(st.none(), st.frozensets(st.integers(0, 1), max_size=2))),
            )
        )
    slots = []
    for key in range(n_slots):
        day, start = draw(st.integers(0, 1)), draw(st.integers(7, 16))
        slots.append(
            Slot(
                100 + key,
                draw(st.integers(0, 1)),
                at(day, start),
                at(day, start) + timedelta(hours=draw(st.integers(1, 5))),
                draw(st.integers(0, 2)),
                frozenset(draw(st.sets(st.sampled_from(SKILLS), max_size=1))),
                frozenset(draw(st.sets(st.sampled_from(["en", "fr"]), max_size=1))),
                draw(st.booleans()),
            )
        )
    rules = {
        "max_hours_per_day": draw(st.sampled_from([4, 6, 8])),
        "min_rest_hours": draw(st.sampled_from([0, 1, 2])),
    }
    return volunteers, slots, rules


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instance=instances())
def test_random_rosters_break_no_rule_and_fill_as_many_places_as_possible(instance):
    volunteers, slots, rules = instance
    result = roster(volunteers, slots, **rules)
    assert violations(volunteers, slots, result.assignments, **rules) == []
    # Brute force: the most places any rule-abiding set of pairs fills.
    pairs = [
        (v.key, s.key)
        for v in volunteers
        for s in slots
        if ineligibility(v, s) is None and s.headcount
    ]
    best = 0
    for size in range(len(pairs), 0, -1):
        if any(
            not violations(volunteers, slots, chosen, **rules)
            for chosen in itertools.combinations(pairs, size)
        ):
            best = size
            break
    assert len(result.assignments) == best
    assert sum(u.missing for u in result.unfilled) == sum(s.headcount for s in slots) - best
