"""Who works where and when: selected volunteers assigned to the post-shifts of the summit.

Pure (numpy and OR-Tools CP-SAT, no Django). A :class:`Slot` is one post in one shift with a
headcount; a :class:`Volunteer` brings skills, languages, the hours they can give and the posts
they are trained for. :func:`roster` fills the slots.

Hard rules, never broken: the slot's skills and languages are met, the volunteer is available
for the whole slot and trained for the post when it asks for training, nobody is in two places at
once, nobody works more than ``max_hours_per_day`` on a calendar day nor starts again less than
``min_rest_hours`` after a slot ends, and no slot gets more than its headcount. Pairs in ``keep``
(manual assignments) stay; pairs in ``forbid`` never happen.

The objective, in order of weight: fill as many places as possible; then keep what ``previous``
had (a re-roster after drop-outs moves only what it must: an office that has told volunteers
their shifts does not want them reshuffled for a slightly fairer spread); then fairness, as a
convex cost: each assignment costs its minutes times one plus the hours the volunteer already
has, and a second shift on the same day costs extra, so hours go to the least loaded first and
the busiest stay low.

How it scales to 12,600 volunteers and 5,400 slots: days are solved one after the other (the
rules bind within a day; the hours, and the rest after a late shift, carry over to the next), so
each model holds one day. Within a day, each slot offers CP-SAT only a few candidates per place
(the eligible ones least offered elsewhere, least loaded, least versatile: specialists are kept
for the slots that need them), plus the pairs of a greedy roster that CP-SAT starts from and
those of ``previous``. CP-SAT runs within the time limit and keeps the greedy roster when it
finds nothing better. A final pass gives every place still open to any eligible volunteer who
is free, so pruning never leaves open a place that someone could take.

Datetimes must carry a time zone and are read in it: pass them in the summit's local time, so
that days are local days.
"""

from __future__ import annotations

import math
import os
import statistics
import time
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from ortools.sat.python import cp_model

# Objective weights: per place filled, per assignment of ``previous`` kept, per second shift of
# a volunteer on one day; each assignment also costs its minutes times (1 + hours already had).
W_PLACE = 1_000_000
W_PREVIOUS = 4_000
W_SECOND_SHIFT = 2_000
# Candidates CP-SAT sees per place of a slot (at least MIN_CANDIDATES per slot).
CANDIDATES_PER_PLACE = 4
MIN_CANDIDATES = 12
# Volunteers tried for a move from another slot, per place still open at the end.
MOVES_PER_PLACE = 40


@dataclass(frozen=True)
class Volunteer:
    key: int
    skills: frozenset[str]
    languages: frozenset[str]
    available: tuple[tuple[datetime, datetime], ...]
    trained_posts: frozenset[int] | None = None  # None: no training requirement applies


@dataclass(frozen=True)
class Slot:
    key: int
    post: int
    start: datetime
    end: datetime
    headcount: int
    skills: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    needs_training: bool = False

    @property
    def minutes(self) -> int:
        return round((self.end - self.start).total_seconds() / 60)


@dataclass(frozen=True)
class Unfilled:
    slot: int
    missing: int
    reason: str
    params: dict


@dataclass(frozen=True)
class HoursSpread:
    minimum: float
    maximum: float
    mean: float
    stdev: float


@dataclass(frozen=True)
class Block:
    """One day's model: its size, how it was solved and how long it took."""

    day: date
    volunteers: int
    slots: int
    pairs: int
    status: str  # "optimal", "feasible" (time limit), or "greedy" (CP-SAT found nothing in time)
    seconds: float
    greedy_places: int  # places the greedy start filled
    places: int  # places filled in the end (before the final pass over open places)


@dataclass(frozen=True)
class Roster:
    assignments: list[tuple[int, int]]  # (volunteer key, slot key), sorted
    unfilled: list[Unfilled]
    hours: dict[int, float]  # every volunteer, 0.0 when unassigned
    objective: dict[str, float]
    coverage: float  # places filled / places asked, 1.0 when nothing is asked
    spread: HoursSpread
    status: str  # "optimal" when every day was proved optimal, "feasible" otherwise
    blocks: list[Block]


@dataclass(frozen=True)
class Violation:
    rule: str
    volunteer: int | None
    slot: int
    detail: str


class RosterError(ValueError):
    """The input cannot be rostered as given; ``code`` and ``params`` say why."""

    def __init__(self, code: str, params: dict, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


def ineligibility(volunteer: Volunteer, slot: Slot) -> str | None:
    """Why ``volunteer`` may not take ``slot`` on their own merits (ignoring their other
    assignments): "missing_skill", "missing_language", "not_trained", "not_available"; or None."""
    if not slot.skills <= volunteer.skills:
        return "missing_skill"
    if not slot.languages <= volunteer.languages:
        return "missing_language"
    trained = volunteer.trained_posts
    if slot.needs_training and trained is not None and slot.post not in trained:
        return "not_trained"
    if not any(start <= slot.start and slot.end <= end for start, end in _merged(volunteer)):
        return "not_available"
    return None


def minutes_per_day(start: datetime, end: datetime) -> dict[date, int]:
    """The minutes of [start, end) on each calendar day of the datetimes' own time zone."""
    result: dict[date, int] = {}
    cursor = start
    while cursor < end:
        midnight = datetime.combine(cursor.date() + timedelta(days=1), datetime.min.time())
        midnight = midnight.replace(tzinfo=cursor.tzinfo)
        piece_end = min(end, midnight)
        result[cursor.date()] = result.get(cursor.date(), 0) + round(
            (piece_end - cursor).total_seconds() / 60
        )
        cursor = piece_end
    return result


def violations(
    volunteers: Sequence[Volunteer],
    slots: Sequence[Slot],
    assignments: Collection[tuple[int, int]],
    *,
    max_hours_per_day: float,
    min_rest_hours: float,
    forbid: Collection[tuple[int, int]] = (),
) -> list[Violation]:
    """Every hard rule the ``assignments`` break, checked pair by pair from the rules alone
    (nothing shared with the solver's fast paths), for tests, benchmarks and manual edits."""
    by_key = {v.key: v for v in volunteers}
    slot_by_key = {s.key: s for s in slots}
    found: list[Violation] = []
    per_slot: dict[int, int] = defaultdict(int)
    per_volunteer: dict[int, list[Slot]] = defaultdict(list)
    forbidden = set(forbid)
    for volunteer_key, slot_key in sorted(set(assignments)):
        slot = slot_by_key.get(slot_key)
        volunteer = by_key.get(volunteer_key)
        if slot is None or volunteer is None:
            found.append(Violation("unknown", volunteer_key, slot_key, "no such volunteer/slot"))
            continue
        per_slot[slot_key] += 1
        per_volunteer[volunteer_key].append(slot)
        reason = ineligibility(volunteer, slot)
        if reason:
            found.append(Violation(reason, volunteer_key, slot_key, ""))
        if (volunteer_key, slot_key) in forbidden:
            found.append(Violation("forbidden", volunteer_key, slot_key, ""))
    for slot_key, count in per_slot.items():
        if count > slot_by_key[slot_key].headcount:
            found.append(
                Violation(
                    "over_headcount", None, slot_key, f"{count} > {slot_by_key[slot_key].headcount}"
                )
            )
    rest = timedelta(hours=min_rest_hours)
    for volunteer_key, taken in per_volunteer.items():
        taken.sort(key=lambda s: (s.start, s.end))
        for index, first in enumerate(taken):
            for second in taken[index + 1 :]:
                if second.start < first.end:
                    found.append(
                        Violation("overlap", volunteer_key, second.key, f"with {first.key}")
                    )
                elif second.start < first.end + rest:
                    found.append(Violation("rest", volunteer_key, second.key, f"after {first.key}"))
        per_day: dict[date, int] = defaultdict(int)
        for slot in taken:
            for day, minutes in minutes_per_day(slot.start, slot.end).items():
                per_day[day] += minutes
        for day, minutes in per_day.items():
            if minutes > max_hours_per_day * 60 + 1e-9:
                found.append(
                    Violation("max_hours", volunteer_key, taken[0].key, f"{day}: {minutes} min")
                )
    return found


def roster(
    volunteers: Sequence[Volunteer],
    slots: Sequence[Slot],
    *,
    max_hours_per_day: float,
    min_rest_hours: float,
    keep: Collection[tuple[int, int]] = (),
    forbid: Collection[tuple[int, int]] = (),
    previous: Collection[tuple[int, int]] = (),
    time_limit: float = 30.0,
) -> Roster:
    """Assign ``volunteers`` to ``slots`` under the hard rules of this module, filling as many
    places as possible, fairly and close to ``previous``. Raises :class:`RosterError` when the
    input itself is wrong (unknown keys, a slot ending before it starts, a manual pair that
    breaks a rule)."""
    problem = _Problem(volunteers, slots, max_hours_per_day, min_rest_hours, keep, forbid, previous)
    deadline = time.monotonic() + time_limit
    blocks: list[Block] = []
    days = sorted(problem.blocks)
    for index, day in enumerate(days):
        share = (deadline - time.monotonic()) / (len(days) - index)
        blocks.append(problem.solve_block(day, max(share, 0.5)))
    problem.fill_open_places()
    return problem.result(blocks)


class _Problem:
    """The state of one call of :func:`roster`: indices, eligibility masks and the assignments
    made so far, day by day."""

    def __init__(self, volunteers, slots, max_hours, min_rest, keep, forbid, previous) -> None:
        self.volunteers = list(volunteers)
        self.slots = list(slots)
        _check(self.volunteers, self.slots, max_hours, min_rest, keep, forbid)
        self.max_minutes = round(max_hours * 60)
        self.rest = timedelta(hours=min_rest)
        self.v_index = {v.key: i for i, v in enumerate(self.volunteers)}
        self.s_index = {s.key: j for j, s in enumerate(self.slots)}
        n_vol = len(self.volunteers)

        # Distinct time intervals: slots of the same shift share one.
        self.intervals: list[tuple[datetime, datetime]] = sorted(
            {(s.start, s.end) for s in self.slots}
        )
        interval_id = {iv: k for k, iv in enumerate(self.intervals)}
        self.slot_interval = np.array(
            [interval_id[(s.start, s.end)] for s in self.slots], dtype=int
        )
        self.interval_minutes = np.array(
            [round((e - s).total_seconds() / 60) for s, e in self.intervals], dtype=np.int64
        )
        self.interval_days = [minutes_per_day(s, e) for s, e in self.intervals]
        starts = np.array([s.timestamp() for s, _ in self.intervals])
        ends = np.array([e.timestamp() for _, e in self.intervals])
        rest_s = self.rest.total_seconds()
        # clash[a, b]: one volunteer cannot work both intervals (overlap, or too little rest).
        self.clash = (starts[None, :] < ends[:, None] + rest_s) & (
            starts[:, None] < ends[None, :] + rest_s
        )
        self.blocked = np.zeros((n_vol, len(self.intervals)), dtype=bool)
        self.available = np.zeros((n_vol, len(self.intervals)), dtype=bool)
        for i, volunteer in enumerate(self.volunteers):
            for start, end in _merged(volunteer):
                for k, (s, e) in enumerate(self.intervals):
                    if start <= s and e <= end:
                        self.available[i, k] = True

        # What each volunteer can do: one mask per (skills, languages) requirement.
        requirement_of = [(s.skills, s.languages) for s in self.slots]
        requirements = sorted(set(requirement_of), key=lambda r: (sorted(r[0]), sorted(r[1])))
        profile_of: dict[tuple[frozenset, frozenset], list[int]] = defaultdict(list)
        for i, v in enumerate(self.volunteers):
            profile_of[(v.skills, v.languages)].append(i)
        self.capable = {}
        for skills, languages in requirements:
            mask = np.zeros(n_vol, dtype=bool)
            for (v_skills, v_languages), members in profile_of.items():
                if skills <= v_skills and languages <= v_languages:
                    mask[members] = True
            self.capable[(skills, languages)] = mask
        self.slot_requirement = requirement_of
        # Specialists first for the slots that need them: versatility counts the requirements
        # a volunteer meets, and volunteers with few are preferred for common slots.
        self.versatility = np.zeros(n_vol, dtype=np.int64)
        for mask in self.capable.values():
            self.versatility += mask
        self.trained: dict[int, np.ndarray] = {}
        for slot in self.slots:
            if slot.needs_training and slot.post not in self.trained:
                self.trained[slot.post] = np.array(
                    [
                        v.trained_posts is None or slot.post in v.trained_posts
                        for v in self.volunteers
                    ]
                )
        self.forbidden: dict[int, list[int]] = defaultdict(list)
        for v_key, s_key in forbid:
            self.forbidden[self.s_index[s_key]].append(self.v_index[v_key])
        self.keep = sorted({(self.v_index[v], self.s_index[s]) for v, s in keep})
        self.keep_set = set(self.keep)
        self.previous = [
            (self.v_index[v], self.s_index[s])
            for v, s in dict.fromkeys(previous)
            if v in self.v_index and s in self.s_index
        ]
        self.previous_set = set(self.previous)
        # A stable, key-derived tie-break, so that equal candidates are spread, not clustered.
        self.tiebreak = np.array([hash((v.key, 7919)) % 1_000_003 for v in self.volunteers])

        self.blocks: dict[date, list[int]] = defaultdict(list)
        for j, slot in enumerate(self.slots):
            self.blocks[slot.start.date()].append(j)
        self.assigned: dict[int, list[int]] = defaultdict(list)  # slot -> volunteers
        self.taken: dict[int, list[int]] = defaultdict(list)  # volunteer -> slots
        self.total = np.zeros(n_vol, dtype=np.int64)  # minutes assigned so far
        self.day_minutes: dict[date, np.ndarray] = defaultdict(
            lambda: np.zeros(n_vol, dtype=np.int64)
        )
        demand = sum(s.headcount * s.minutes for s in self.slots)
        self.fair_share = math.ceil(demand / max(n_vol, 1))
        self.statuses: list[str] = []
        self._skilled: dict[frozenset, np.ndarray] = {}
        self._assign_kept()

    # -- eligibility ---------------------------------------------------------------------
    def eligible(self, j: int) -> np.ndarray:
        """Volunteers who may take slot j on their own merits (not counting other slots)."""
        slot = self.slots[j]
        mask = self.capable[self.slot_requirement[j]] & self.available[:, self.slot_interval[j]]
        if slot.needs_training:
            mask = mask & self.trained[slot.post]
        if self.forbidden.get(j):
            mask = mask.copy()
            mask[self.forbidden[j]] = False
        return mask

    def free_for(self, j: int, candidates: np.ndarray) -> np.ndarray:
        """Of ``candidates`` (indices), those whose other slots leave room for slot j: no clash
        with them, and the day's hours not exceeded."""
        k = self.slot_interval[j]
        ok = ~self.blocked[candidates, k]
        for day, minutes in self.interval_days[k].items():
            ok &= self.day_minutes[day][candidates] + minutes <= self.max_minutes
        return candidates[ok]

    def _assign(self, i: int, j: int) -> None:
        self.assigned[j].append(i)
        self.taken[i].append(j)
        self.total[i] += self.slots[j].minutes
        self.blocked[i] |= self.clash[self.slot_interval[j]]
        for day, minutes in self.interval_days[self.slot_interval[j]].items():
            self.day_minutes[day][i] += minutes

    def _assign_kept(self) -> None:
        """Manual pairs first, each checked against the rules and the pairs kept before it."""
        for i, j in self.keep:
            slot = self.slots[j]
            reason = ineligibility(self.volunteers[i], slot)
            if reason is None and i in self.forbidden.get(j, ()):
                reason = "forbidden"
            if reason is None and not len(self.free_for(j, np.array([i]))):
                reason = "clash_or_max_hours"
            if reason is None and len(self.assigned[j]) >= slot.headcount:
                reason = "over_headcount"
            if reason:
                raise RosterError(
                    "keep_breaks_rule",
                    {"volunteer": self.volunteers[i].key, "slot": slot.key, "rule": reason},
                    f"the kept assignment of volunteer {self.volunteers[i].key} to slot "
                    f"{slot.key} breaks a rule: {reason}",
                )
            self._assign(i, j)

    # -- one day -------------------------------------------------------------------------
    def solve_block(self, day: date, seconds: float) -> Block:
        started = time.monotonic()
        block = self.blocks[day]
        eligible = {j: self.eligible(j) for j in block}
        greedy = self._greedy(block, eligible)
        pairs = self._candidates(block, eligible, greedy)
        status, chosen = "greedy", greedy
        if pairs:
            solved = self._solve(day, pairs, greedy, seconds)
            if solved is not None:
                chosen, status = solved
        for i, j in sorted(chosen):
            self._assign(i, j)
        self.statuses.append(status)
        return Block(
            day=day,
            volunteers=len({i for i, _ in pairs}),
            slots=len(block),
            pairs=len(pairs),
            status=status,
            seconds=time.monotonic() - started,
            greedy_places=len(greedy),
            places=len(chosen),
        )

    def _greedy(self, block: list[int], eligible: dict[int, np.ndarray]) -> set[tuple[int, int]]:
        """A quick roster of the day that CP-SAT starts from: ``previous`` pairs that still hold,
        then the scarcest slots first, each given the least-loaded, least versatile eligible
        volunteers who are free. Its assignments are undone: the day is decided once, after."""
        made: list[tuple[int, int]] = []
        for i, j in self.previous:
            if (
                j in eligible
                and len(self.assigned[j]) < self.slots[j].headcount
                and eligible[j][i]
                and len(self.free_for(j, np.array([i])))
            ):
                self._assign(i, j)
                made.append((i, j))
        indices = {j: np.flatnonzero(mask) for j, mask in eligible.items()}
        order = sorted(block, key=lambda j: (len(indices[j]) / max(self.slots[j].headcount, 1), j))
        for j in order:
            need = self.slots[j].headcount - len(self.assigned[j])
            if need > 0:
                for i in self._best(self.free_for(j, indices[j]), need):
                    self._assign(int(i), j)
                    made.append((int(i), j))
        for i, j in reversed(made):
            self._unassign(i, j)
        return set(made)

    def _best(self, candidates: np.ndarray, count: int) -> np.ndarray:
        if len(candidates) <= count:
            return candidates
        order = np.lexsort(
            (self.tiebreak[candidates], self.versatility[candidates], self.total[candidates])
        )
        return candidates[order[:count]]

    def _unassign(self, i: int, j: int) -> None:
        self.assigned[j].remove(i)
        self.taken[i].remove(j)
        self.total[i] -= self.slots[j].minutes
        self.blocked[i] = np.any(self.clash[self.slot_interval[self.taken[i]]], axis=0)
        for day, minutes in self.interval_days[self.slot_interval[j]].items():
            self.day_minutes[day][i] -= minutes

    def _candidates(self, block, eligible, seeds) -> set[tuple[int, int]]:
        """The pairs CP-SAT may choose from: for each slot a few free candidates per place,
        spread so that a volunteer is offered to few slots, plus ``seeds`` and ``previous``."""
        pairs = set(seeds)
        for i, j in self.previous:
            if j in eligible and eligible[j][i] and len(self.free_for(j, np.array([i]))):
                pairs.add((i, j))
        offered = np.zeros(len(self.volunteers), dtype=np.int64)
        indices = {j: np.flatnonzero(mask) for j, mask in eligible.items()}
        for j in sorted(block, key=lambda j: (len(indices[j]), j)):
            room = self.slots[j].headcount - len(self.assigned[j])
            if room <= 0:
                continue
            candidates = self.free_for(j, indices[j])
            room = max(CANDIDATES_PER_PLACE * room, MIN_CANDIDATES)
            if len(candidates) > room:
                order = np.lexsort(
                    (
                        self.tiebreak[candidates],
                        self.total[candidates],
                        self.versatility[candidates],
                        offered[candidates],
                    )
                )
                candidates = candidates[order[:room]]
            offered[candidates] += 1
            pairs.update((int(i), j) for i in candidates)
        return pairs

    def _solve(self, day, pairs, greedy, seconds):
        """The day's model over the candidate ``pairs``, started from the greedy roster."""
        model = cp_model.CpModel()
        x = {pair: model.new_bool_var(f"x{pair[0]}_{pair[1]}") for pair in sorted(pairs)}
        by_slot: dict[int, list] = defaultdict(list)
        by_volunteer: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
        for (i, j), var in x.items():
            by_slot[j].append(var)
            by_volunteer[i][self.slot_interval[j]].append(var)
        for j, variables in by_slot.items():
            model.add(sum(variables) <= self.slots[j].headcount - len(self.assigned[j]))
        shifts_in_greedy: dict[int, int] = defaultdict(int)
        for i, _ in greedy:
            shifts_in_greedy[i] += 1
        extra_shifts = []
        for i, per_interval in by_volunteer.items():
            intervals = sorted(per_interval)
            for k in intervals:
                if len(per_interval[k]) > 1:
                    model.add_at_most_one(per_interval[k])
            compatible = False
            for a_pos, a in enumerate(intervals):
                for b in intervals[a_pos + 1 :]:
                    if self.clash[a, b]:
                        model.add_at_most_one(per_interval[a] + per_interval[b])
                    else:
                        compatible = True
            if not compatible:
                continue  # one shift at most today: no hours bound or second-shift cost needed
            per_day: dict[date, list] = defaultdict(list)
            for k in intervals:
                for calendar_day, minutes in self.interval_days[k].items():
                    per_day[calendar_day].append((minutes, per_interval[k]))
            for calendar_day, terms in per_day.items():
                room = self.max_minutes - int(self.day_minutes[calendar_day][i])
                if sum(minutes for minutes, _ in terms) > room:
                    model.add(sum(minutes * var for minutes, vs in terms for var in vs) <= room)
            # A second shift today costs extra, so that it goes to somebody idle if possible.
            shifts = sum(var for vs in per_interval.values() for var in vs)
            extra = model.new_int_var(0, len(intervals), f"extra{i}")
            kept_today = sum(1 for j in self.taken[i] if self.slots[j].start.date() == day)
            model.add(extra >= shifts - 1 + kept_today)
            model.add_hint(extra, max(0, shifts_in_greedy[i] - 1))
            extra_shifts.append(extra)
        model.maximize(
            W_PLACE * sum(x.values())
            + W_PREVIOUS * sum(var for pair, var in x.items() if pair in self.previous_set)
            - sum(self._load_cost(i, j) * var for (i, j), var in x.items())
            - W_SECOND_SHIFT * sum(extra_shifts)
        )
        for pair, var in x.items():
            model.add_hint(var, pair in greedy)
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = seconds
        # More workers than cores on purpose: the portfolio's neighbourhood searches are what
        # improve a large assignment model, and they need their own workers.
        solver.parameters.num_workers = max(8, os.cpu_count() or 1)
        result = solver.solve(model)
        if result not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        chosen = {pair for pair, var in x.items() if solver.value(var)}
        return chosen, "optimal" if result == cp_model.OPTIMAL else "feasible"

    def _load_cost(self, i: int, j: int) -> int:
        """What giving slot j to volunteer i costs in fairness: its minutes, weighted by one plus
        the hours i already has, so that hours go first to those with fewest (a convex cost)."""
        return self.slots[j].minutes * (60 + int(self.total[i])) // 60

    # -- after the days ------------------------------------------------------------------
    def fill_open_places(self) -> None:
        """Give every place still open to an eligible volunteer who is free (a candidate pruned
        from the day's model, or one the time limit left out); failing that, move an eligible
        volunteer over from another slot whose place somebody free takes instead."""
        eligible = _Cache(lambda j: np.flatnonzero(self.eligible(j)))
        for j, slot in enumerate(self.slots):
            need = slot.headcount - len(self.assigned[j])
            if need <= 0:
                continue
            for i in self._best(self.free_for(j, eligible[j]), need):
                self._assign(int(i), j)
            # Those kept from j by a slot at the same time, the least loaded first, a bounded few.
            busy = eligible[j][self.blocked[eligible[j], self.slot_interval[j]]]
            for i in self._best(busy, MOVES_PER_PLACE * need):
                if len(self.assigned[j]) >= slot.headcount:
                    break
                if j not in self.taken[i]:
                    self._move_over(int(i), j, eligible)

    def _move_over(self, i: int, j: int, eligible: _Cache) -> bool:
        """Move volunteer i from one of their slots to slot j when i is then free for j and a
        free volunteer takes i's old place: one more place filled, nobody's rules broken."""
        for other in list(self.taken[i]):
            if (i, other) in self.keep_set:
                continue
            self._unassign(i, other)
            if len(self.free_for(j, np.array([i]))):
                stand_ins = self.free_for(other, eligible[other])
                stand_ins = stand_ins[stand_ins != i]
                if len(stand_ins):
                    self._assign(i, j)
                    self._assign(int(self._best(stand_ins, 1)[0]), other)
                    return True
            self._assign(i, other)
        return False

    def result(self, blocks: list[Block]) -> Roster:
        assignments = sorted(
            (self.volunteers[i].key, self.slots[j].key)
            for j, members in self.assigned.items()
            for i in members
        )
        unfilled = [
            self._why_unfilled(j)
            for j, s in enumerate(self.slots)
            if len(self.assigned[j]) < s.headcount
        ]
        hours = {v.key: float(self.total[i]) / 60 for i, v in enumerate(self.volunteers)}
        asked = sum(s.headcount for s in self.slots)
        values = list(hours.values()) or [0.0]
        kept_previous = sum(1 for i, j in self.previous if i in self.assigned[j])
        return Roster(
            assignments=assignments,
            unfilled=unfilled,
            hours=hours,
            objective={
                "places_filled": len(assignments),
                "places_asked": asked,
                "busiest_hours": max(values),
                "previous_kept": kept_previous,
                "previous_changed": len(self.previous) - kept_previous,
                "hours_above_fair_share": sum(max(0.0, h - self.fair_share / 60) for h in values),
            },
            coverage=len(assignments) / asked if asked else 1.0,
            spread=HoursSpread(
                minimum=min(values),
                maximum=max(values),
                mean=statistics.fmean(values),
                stdev=statistics.pstdev(values),
            ),
            status="optimal" if all(s == "optimal" for s in self.statuses) else "feasible",
            blocks=blocks,
        )

    def _why_unfilled(self, j: int) -> Unfilled:
        """The reason a slot lacks people, from counts of who could have come, stage by stage."""
        slot = self.slots[j]
        missing = slot.headcount - len(self.assigned[j])
        if slot.skills not in self._skilled:
            self._skilled[slot.skills] = np.array(
                [slot.skills <= v.skills for v in self.volunteers], dtype=bool
            )
        skilled = self._skilled[slot.skills]
        speaking = skilled & self.capable[self.slot_requirement[j]]
        trained = speaking & self.trained[slot.post] if slot.needs_training else speaking
        available = trained & self.available[:, self.slot_interval[j]]
        eligible = int(self.eligible(j).sum())
        params = {"headcount": slot.headcount, "assigned": len(self.assigned[j])}
        if slot.minutes > self.max_minutes:
            reason, params = "longer_than_max_hours", {**params, "minutes": slot.minutes}
        elif not self.volunteers:
            reason = "no_volunteers"
        elif not skilled.any():
            reason, params = "no_one_with_skill", {**params, "skills": sorted(slot.skills)}
        elif not speaking.any():
            reason, params = "no_one_with_language", {**params, "languages": sorted(slot.languages)}
        elif not trained.any():
            reason, params = "no_one_trained", {**params, "post": slot.post}
        elif not available.any():
            reason, params = "no_one_available", {**params, "qualified": int(trained.sum())}
        elif eligible == 0:
            reason, params = "no_one_allowed", {**params, "available": int(available.sum())}
        elif eligible == len(self.assigned[j]):
            reason, params = "not_enough_eligible", {**params, "eligible": eligible}
        else:
            reason = "all_eligible_busy"
            params = {**params, "eligible": eligible, "busy": eligible - len(self.assigned[j])}
        return Unfilled(slot=slot.key, missing=missing, reason=reason, params=params)


class _Cache(dict):
    """A dict that computes a missing value from its key."""

    def __init__(self, compute) -> None:
        super().__init__()
        self.compute = compute

    def __missing__(self, key):
        self[key] = value = self.compute(key)
        return value


def _merged(volunteer: Volunteer) -> list[tuple[datetime, datetime]]:
    """Availability windows with overlapping or touching ones joined."""
    merged: list[list[datetime]] = []
    for start, end in sorted(volunteer.available):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def _check(volunteers, slots, max_hours, min_rest, keep, forbid) -> None:
    def fail(code: str, params: dict, message: str):
        raise RosterError(code, params, message)

    if not (isinstance(max_hours, int | float) and 0 < max_hours <= 24):
        fail(
            "invalid_max_hours",
            {"max_hours_per_day": max_hours},
            "max hours a day must be in (0, 24]",
        )
    if not (isinstance(min_rest, int | float) and 0 <= min_rest <= 24):
        fail("invalid_min_rest", {"min_rest_hours": min_rest}, "the rest must be in [0, 24] hours")
    seen: set[int] = set()
    for volunteer in volunteers:
        if volunteer.key in seen:
            fail(
                "duplicate_volunteer",
                {"volunteer": volunteer.key},
                f"volunteer {volunteer.key} twice",
            )
        seen.add(volunteer.key)
        for start, end in volunteer.available:
            if start.tzinfo is None or end.tzinfo is None:
                fail("naive_datetime", {"volunteer": volunteer.key}, "datetimes need a time zone")
            if not start < end:
                fail(
                    "availability_ends_before_start",
                    {"volunteer": volunteer.key},
                    f"volunteer {volunteer.key} has an availability that ends before it starts",
                )
    volunteer_keys = seen
    seen = set()
    for slot in slots:
        if slot.key in seen:
            fail("duplicate_slot", {"slot": slot.key}, f"slot {slot.key} twice")
        seen.add(slot.key)
        if slot.start.tzinfo is None or slot.end.tzinfo is None:
            fail("naive_datetime", {"slot": slot.key}, "datetimes need a time zone")
        if not slot.start < slot.end:
            fail(
                "slot_ends_before_start",
                {"slot": slot.key},
                f"slot {slot.key} ends before it starts",
            )
        if (
            isinstance(slot.headcount, bool)
            or not isinstance(slot.headcount, int)
            or slot.headcount < 0
        ):
            fail("invalid_headcount", {"slot": slot.key}, f"slot {slot.key} has no valid headcount")
    for name, pairs in (("keep", keep), ("forbid", forbid)):
        for v_key, s_key in pairs:
            if v_key not in volunteer_keys or s_key not in seen:
                fail(
                    f"unknown_{name}",
                    {"volunteer": v_key, "slot": s_key},
                    f"{name} names an unknown volunteer {v_key} or slot {s_key}",
                )
    both = set(keep) & set(forbid)
    if both:
        v_key, s_key = min(both)
        fail(
            "keep_and_forbid",
            {"volunteer": v_key, "slot": s_key},
            f"volunteer {v_key} is both kept in and forbidden from slot {s_key}",
        )
