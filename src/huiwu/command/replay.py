"""``huiwu demo --replay``: one day of the demo summit played again *now*, faster, so that the
live dashboard and the map have something to show.

The demo summit lies in 2024, and the services act at the present moment (a position is
refused when it is old, a sign-in outside its shift), so the replay does not move time: it
plays the chosen day's script (from 08:00, the doors opening) at ``speed`` summit minutes per
real minute, and every step happens *now*, through the same services as on a real day:

- **volunteers** — for the replay, a shift of today named "Replay of <day>" is created (by
  hand, as the office could: a shift outside the summit's days is one its pages refuse) and
  the day's rostered volunteers, a sample of them, are put on it at their own posts; they sign
  in (``volunteers.services.sign_in``) and their phones report positions
  (``record_position``) as they stroll around their post or walk the summit's paths
  (``WalkingPaths``) to an incident;
- **guests** arrive and leave through the main hall's gates (``checkin.services.scan`` with
  their badges' QR tokens), more at the doors' opening, at lunch and at the end of the day;
- **incidents** of that day in the demo's history are raised again (``report_incident``),
  dispatched to the nearest suggested volunteer (``suggestions``, ``dispatch``), and the
  volunteer answers as in the history: acknowledges, walks there, is on scene, is done — or
  declines, or lets the offer time out, and the escalation offers it to the next volunteer
  (``escalate`` is called at the deadline, as the background task would; running twice is
  harmless). The acknowledgement timeout stays the real setting (90 s), so a timed-out offer
  takes 90 real seconds, as on the day.

Stopping (Ctrl+C, the time limit, or the day's end) signs the volunteers out and cancels the
replay's incidents still open, saying so, so that no ghost stays on the live picture.

It runs in a thread of the serving process without Redis (the in-memory channel layer does not
cross processes), or on its own with ``--no-serve``.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from django.contrib.auth import get_user_model
from django.db import OperationalError, close_old_connections, connection
from django.utils import timezone
from scipy.sparse.csgraph import dijkstra

from huiwu.checkin import access
from huiwu.checkin import services as checkin
from huiwu.checkin.models import Direction, GateDevice, Presence
from huiwu.command import services
from huiwu.command.models import (
    ACTIVE_DISPATCH,
    OPEN_STATUSES,
    Dispatch,
    DispatchStatus,
    Incident,
    IncidentSource,
    IncidentStatus,
)
from huiwu.core.i18n import i18n
from huiwu.core.roles import Role
from huiwu.core.services import DomainError
from huiwu.registration.badges import badge_token
from huiwu.summit.models import Summit, ZoneKind
from huiwu.volunteers import geo
from huiwu.volunteers import services as volunteers
from huiwu.volunteers.models import ApplicationStatus, Assignment, PostShift, Shift

SEED = 2024
DAY_START = dt.time(8, 0)
DAY_END = dt.time(21, 30)
#: Real seconds between two positions of a volunteer's phone.
PING_SECONDS = 3.0
#: Real seconds between two looks at the script (arrivals, answers, escalations).
TICK_SECONDS = 0.5
#: Walking pace, metres a (summit) second; a little slower in a crowd.
WALK_M_PER_S = 1.2
VOLUNTEERS = 80
#: Guests entering (and leaving) the main hall per summit minute, by hour of the day.
ARRIVALS = {8: 12, 9: 8, 10: 2, 11: 1, 12: 2, 13: 5, 14: 2, 15: 1, 16: 1, 17: 1, 18: 1}
DEPARTURES = {10: 1, 11: 2, 12: 6, 13: 2, 14: 1, 15: 1, 16: 2, 17: 7, 18: 5, 19: 3, 20: 3, 21: 3}
#: At most this many gate scans per tick: the replay must not hold the database.
MAX_SCANS_PER_TICK = 8


@dataclass
class Walker:
    """A replayed volunteer's phone: where it is, and where it walks to."""

    application: object  # the volunteer's Application
    home: tuple[float, float]
    position: tuple[float, float]
    route: list[tuple[float, float]] = field(default_factory=list)
    arrived: Callable[[], None] | None = None
    busy: bool = False


#: What the operator writes when closing an incident nobody was sent to (the services ask for
#: a note then, as the after-action report reads it).
CLOSING_NOTES = {
    IncidentStatus.RESOLVED: "由现场工作人员处理。Handled by the staff on site.",
    IncidentStatus.CANCELLED: "已自行解决。Sorted out before anyone was needed.",
}


@dataclass
class Plan:
    """One incident of the day's script: when (summit time), what, and how it went."""

    at: dt.datetime
    fields: dict
    dispatch_after: float | None  # summit minutes from raising to the first offer
    answers: deque  # per offer: "timed_out", "declined", "withdrawn" or "done"
    ack_minutes: float = 1.0
    work_minutes: float = 10.0
    close_after: float = 10.0  # summit minutes, when nobody is sent
    outcome: str = IncidentStatus.RESOLVED
    incident: Incident | None = None
    tries: int = 0


def _minutes(later, earlier, default: float) -> float:
    if later is None or earlier is None:
        return default
    return max(0.1, (later - earlier).total_seconds() / 60)


def day_plans(summit: Summit, day: dt.date) -> list[Plan]:
    """The incidents of ``day`` in the summit's history (from 08:00), as a script to replay."""
    start = dt.datetime.combine(day, DAY_START, tzinfo=summit.tz)
    end = dt.datetime.combine(day, DAY_END, tzinfo=summit.tz)
    history = (
        Incident.objects.filter(summit=summit, created_at__gte=start, created_at__lt=end)
        .exclude(status__in=OPEN_STATUSES)
        .select_related("venue", "zone", "post")
        .prefetch_related("dispatches")
        .order_by("created_at", "pk")
    )
    plans = []
    for past in history:
        offers = sorted(past.dispatches.all(), key=lambda d: d.offered_at)
        answers = deque(
            offer.status if offer.status != DispatchStatus.DONE else "done" for offer in offers
        )
        taken = next((o for o in offers if o.acknowledged_at is not None), None)
        plans.append(
            Plan(
                at=past.created_at,
                fields={
                    "kind": past.kind,
                    "priority": past.priority,
                    "lat": past.lat,
                    "lon": past.lon,
                    "venue": past.venue,
                    "place": past.place,
                    "description": past.description,
                    "needs": list(past.needs),
                    "source": (
                        IncidentSource.AUTOMATIC
                        if past.source == IncidentSource.AUTOMATIC
                        else IncidentSource.STAFF
                    ),
                },
                dispatch_after=(
                    _minutes(past.dispatched_at, past.created_at, 1.0) if offers else None
                ),
                answers=answers,
                ack_minutes=(
                    _minutes(taken.acknowledged_at, taken.offered_at, 1.0) if taken else 1.0
                ),
                work_minutes=(_minutes(taken.ended_at, taken.on_scene_at, 10.0) if taken else 10),
                close_after=_minutes(past.closed_at, past.created_at, 10.0),
                outcome=past.status,
            )
        )
    return plans


def _route(network, start: tuple[float, float], end: tuple[float, float]):
    """The points of a walk from ``start`` to ``end`` along the paths (straight without)."""
    if network is None:
        return [end]
    ends = network.project(np.array([start[0], end[0]]), np.array([start[1], end[1]]))
    segment, t, _gap = network.snap(ends)
    nodes = [
        int(network.seg_a[s]) if share < 0.5 else int(network.seg_b[s])
        for s, share in zip(segment, t, strict=True)
    ]
    _dist, previous = dijkstra(network.graph, indices=nodes[0], return_predecessors=True)
    path, node = [], nodes[1]
    while node >= 0 and node != nodes[0]:
        path.append(node)
        node = previous[node]
    if node != nodes[0]:
        return [end]  # not connected: straight there
    path.append(nodes[0])
    scale = geo.EARTH_RADIUS_M
    points = []
    for index in reversed(path):
        x, y = network.nodes[index]
        lat = network.lat0 + math.degrees(y / scale)
        lon = network.lon0 + math.degrees(x / (scale * math.cos(math.radians(network.lat0))))
        points.append((lat, lon))
    return [*points, end]


class Replay:
    """One replay run; ``run()`` blocks until the day ends, ``minutes`` pass or ``stop`` is
    set."""

    def __init__(
        self,
        summit: Summit,
        *,
        speed: float = 60.0,
        day: int = 1,
        volunteers: int = VOLUNTEERS,
        say: Callable[[str], None] | None = None,
        stop: threading.Event | None = None,
        seed: int = SEED,
    ) -> None:
        if speed <= 0:
            raise ValueError("The replay's speed must be above zero.")
        if not 1 <= day <= len(summit.days):
            raise ValueError(f"The summit has {len(summit.days)} days; choose one of them.")
        self.summit = summit
        self.speed = speed
        self.day = summit.days[day - 1]
        self.count = volunteers
        self.say = say or (lambda text: None)
        self.stop = stop or threading.Event()
        self.rng = random.Random(seed)
        self.queue: list = []
        self.order = itertools.count()
        self.walkers: dict[int, Walker] = {}
        self.plans: dict[int, Plan] = {}  # by incident key, once raised
        self.handled: set[int] = set()  # dispatches whose answers are scheduled
        self.counts = {"sign_ins": 0, "positions": 0, "scans": 0, "incidents": 0, "refused": 0}

    # -- the clock ----------------------------------------------------------------------------

    def summit_time(self, real: float | None = None) -> dt.datetime:
        elapsed = ((time.monotonic() if real is None else real) - self.started) * self.speed
        return self.day_start + dt.timedelta(seconds=elapsed)

    def real_time(self, moment: dt.datetime) -> float:
        return self.started + (moment - self.day_start).total_seconds() / self.speed

    def after(self, summit_minutes: float, action: Callable[[], None]) -> None:
        """Run ``action`` that many summit minutes from now."""
        due = time.monotonic() + summit_minutes * 60 / self.speed
        heapq.heappush(self.queue, (due, next(self.order), action))

    def at_real(self, due: float, action: Callable[[], None]) -> None:
        heapq.heappush(self.queue, (due, next(self.order), action))

    # -- running ------------------------------------------------------------------------------

    def run(self, minutes: float | None = None) -> dict[str, int]:
        """Play the day; returns what was done (sign-ins, positions, scans, incidents)."""
        try:
            self.prepare()
            limit = None if minutes is None else self.started + minutes * 60
            next_ping = next_tick = self.started
            while not self.stop.is_set():
                now = time.monotonic()
                if (limit is not None and now >= limit) or self.summit_time(now) >= self.day_end:
                    break
                while self.queue and self.queue[0][0] <= now:
                    _due, _n, action = heapq.heappop(self.queue)
                    self.attempt(action)
                if now >= next_tick:
                    next_tick = now + TICK_SECONDS
                    self.attempt(self.gates)
                    self.attempt(self.follow_offers)
                if now >= next_ping:
                    next_ping = now + PING_SECONDS
                    self.attempt(self.pings)
                wake = min(next_ping, next_tick, self.queue[0][0] if self.queue else next_tick)
                self.stop.wait(max(0.0, wake - time.monotonic()))
        finally:
            self.finish()
        return dict(self.counts)

    def attempt(self, action: Callable[[], None]) -> None:
        """Run one step; a refusal is reported and the replay goes on."""
        try:
            action()
        except DomainError as refusal:
            self.counts["refused"] += 1
            self.say(f"refused: {refusal.message}")
        except OperationalError as error:  # the database busy for a moment: the next tick
            self.say(f"database busy ({error}); carrying on")
            close_old_connections()

    def prepare(self) -> None:
        tz = self.summit.tz
        self.day_start = dt.datetime.combine(self.day, DAY_START, tzinfo=tz)
        self.day_end = dt.datetime.combine(self.day, DAY_END, tzinfo=tz)
        self.operator = self.staff_user()
        self.network = services.walking_network(self.summit)
        self.started = time.monotonic()
        self.shift_on_duty()
        self.guests_ready()
        for plan in day_plans(self.summit, self.day):
            self.at_real(self.real_time(plan.at), lambda plan=plan: self.raise_incident(plan))
        self.say(
            f"replaying {self.day} from {DAY_START:%H:%M} at {self.speed:g}x: "
            f"{len(self.walkers)} volunteers, {len(self.queue)} incidents; Ctrl+C stops"
        )

    def staff_user(self):
        users = get_user_model().objects.filter(is_active=True)
        for role in (Role.COMMAND_OPERATOR, Role.ORGANISER):
            user = users.filter(groups__name=role).order_by("pk").first()
            if user is not None:
                return user
        raise ValueError("The replay needs a command operator or an organiser account.")

    def shift_on_duty(self) -> None:
        """Today's replay shift, with a sample of the day's volunteers on it, signing in."""
        now = timezone.now()
        length = (self.day_end - self.day_start) / self.speed
        shift = Shift.objects.create(
            summit=self.summit,
            name=i18n(zh_hans=f"回放 {self.day:%m-%d}", en=f"Replay of {self.day:%d %b}"),
            start=now - dt.timedelta(minutes=10),
            end=now + min(length + dt.timedelta(minutes=30), dt.timedelta(hours=15)),
        )
        day_start = dt.datetime.combine(self.day, dt.time.min, tzinfo=self.summit.tz)
        rostered = list(
            Assignment.objects.filter(
                post_shift__shift__summit=self.summit,
                post_shift__shift__start__gte=day_start,
                post_shift__shift__start__lt=day_start + dt.timedelta(days=1),
                post_shift__post__needs_training=False,
                application__status=ApplicationStatus.SELECTED,
                application__location_consent=True,
            )
            .select_related("post_shift__post__venue", "application")
            .order_by("application_id", "pk")
        )
        # Not those already working now (on an earlier replay's shift that is still running).
        busy = set(
            Assignment.objects.filter(
                post_shift__shift__start__lt=shift.end, post_shift__shift__end__gt=shift.start
            ).values_list("application_id", flat=True)
        )
        by_volunteer = {}
        for assignment in rostered:
            if assignment.application_id not in busy:
                by_volunteer.setdefault(assignment.application_id, assignment)
        chosen = list(by_volunteer.values())
        self.rng.shuffle(chosen)
        # Those who can go to the day's medical, equipment and VIP incidents come first.
        chosen.sort(key=lambda a: not ({"first_aid", "it", "protocol"} & set(a.application.skills)))
        chosen = sorted(chosen[: self.count], key=lambda a: a.application_id)
        for assignment in chosen:
            post = assignment.post_shift.post
            slot, _created = PostShift.objects.get_or_create(
                post=post, shift=shift, defaults={"headcount": 0}
            )
            PostShift.objects.filter(pk=slot.pk).update(headcount=slot.headcount + 1)
            home = self.spot(post.venue)
            try:
                mine = volunteers.assign_manually(slot, assignment.application, by=self.operator)
                volunteers.sign_in(assignment.application, mine, *home, self.rng.uniform(5, 20))
            except DomainError as refusal:  # signed in elsewhere for real: leave them be
                self.say(f"{assignment.application.name} left out: {refusal.message}")
                continue
            self.counts["sign_ins"] += 1
            self.walkers[assignment.application_id] = Walker(assignment.application, home, home)

    def spot(self, venue) -> tuple[float, float]:
        if venue.outline:
            ring = venue.outline["coordinates"][0]
            lons, lats = [p[0] for p in ring], [p[1] for p in ring]
            for _attempt in range(50):
                lat, lon = self.rng.uniform(*_span(lats)), self.rng.uniform(*_span(lons))
                if geo.inside(lat, lon, venue.outline):
                    return lat, lon
        return float(venue.latitude), float(venue.longitude)

    def guests_ready(self) -> None:
        zone = self.summit.zones.filter(kind=ZoneKind.MAIN_HALL).order_by("pk").first()
        gates = GateDevice.objects.filter(summit=self.summit, zone=zone, revoked_at__isnull=True)
        self.entries = [g for g in gates.order_by("pk") if g.direction == Direction.IN]
        self.exits = [g for g in gates.order_by("pk") if g.direction == Direction.OUT]
        inside = set(
            Presence.objects.filter(zone=zone, inside=True).values_list(
                "registration_id", flat=True
            )
        )
        allowed = list(access.admissible(zone, timezone.now()).order_by("pk")) if zone else []
        self.outside = [guest for guest in allowed if guest.pk not in inside]
        self.inside = [guest for guest in allowed if guest.pk in inside]
        self.rng.shuffle(self.outside)
        self.rng.shuffle(self.inside)
        self.backlog = {"in": 0.0, "out": 0.0}

    # -- guests at the gates ------------------------------------------------------------------

    def gates(self) -> None:
        hour = self.summit_time().hour
        summit_minutes = TICK_SECONDS * self.speed / 60
        self.backlog["in"] += ARRIVALS.get(hour, 0) * summit_minutes
        self.backlog["out"] += DEPARTURES.get(hour, 0) * summit_minutes
        scans = 0
        for way, gates, source, target in (
            ("in", self.entries, self.outside, self.inside),
            ("out", self.exits, self.inside, self.outside),
        ):
            while self.backlog[way] >= 1 and gates and source and scans < MAX_SCANS_PER_TICK:
                self.backlog[way] -= 1
                guest = source.pop()
                checkin.scan(
                    self.rng.choice(gates),
                    idempotency_key=f"replay-{time.time_ns()}-{guest.pk}",
                    captured_at=timezone.now(),
                    qr_token=badge_token(guest),
                )
                target.insert(0, guest)
                scans += 1
                self.counts["scans"] += 1
            self.backlog[way] = min(self.backlog[way], MAX_SCANS_PER_TICK)

    # -- volunteers' phones -------------------------------------------------------------------

    def pings(self) -> None:
        """Every phone reports where it is: strolling near its post, or walking a route."""
        step = WALK_M_PER_S * PING_SECONDS * self.speed
        for walker in self.walkers.values():
            if walker.route:
                walker.position = self.walk(walker, step)
            elif not walker.busy:
                north, east = self.rng.gauss(0, 8), self.rng.gauss(0, 8)
                lat0, lon0 = walker.home
                walker.position = (
                    lat0 + north / 111_320,
                    lon0 + east / (111_320 * math.cos(math.radians(lat0))),
                )
            lat, lon = walker.position
            volunteers.record_position(walker.application, lat, lon, self.rng.uniform(4, 15))
            self.counts["positions"] += 1

    def walk(self, walker: Walker, metres: float) -> tuple[float, float]:
        position = walker.position
        while walker.route and metres > 0:
            target = walker.route[0]
            gap = geo.haversine_m(*position, *target)
            if gap <= metres:
                position, metres = target, metres - gap
                walker.route.pop(0)
                continue
            share = metres / gap
            position = (
                position[0] + (target[0] - position[0]) * share,
                position[1] + (target[1] - position[1]) * share,
            )
            metres = 0
        if not walker.route and walker.arrived is not None:
            arrived, walker.arrived = walker.arrived, None
            self.after(0, arrived)
        return position

    # -- incidents ----------------------------------------------------------------------------

    def raise_incident(self, plan: Plan) -> None:
        fields = dict(plan.fields)
        incident = services.report_incident(self.summit, by=self.operator, **fields)
        plan.incident = incident
        self.plans[incident.pk] = plan
        self.counts["incidents"] += 1
        if plan.dispatch_after is None:
            self.after(plan.close_after, lambda: self.close(plan))
        else:
            self.after(plan.dispatch_after, lambda: self.send(plan))

    def send(self, plan: Plan) -> None:
        """The operator sends the nearest suggested volunteer (a replayed one)."""
        incident = Incident.objects.get(pk=plan.incident.pk)
        if not incident.is_open:
            return
        for candidate in services.suggestions(incident):
            if candidate.application.pk in self.walkers:
                services.dispatch(incident, candidate.application, by=self.operator)
                self.follow_offers()
                return
        plan.tries += 1
        if plan.tries < 3:
            self.after(2, lambda: self.send(plan))  # everyone busy: try again shortly
        else:
            self.close(plan)

    def follow_offers(self) -> None:
        """Each new offer of a replayed incident (the operator's, or the escalation's) gets its
        volunteer's answer from the script."""
        offers = Dispatch.objects.filter(
            incident_id__in=list(self.plans), status=DispatchStatus.OFFERED
        ).exclude(pk__in=self.handled)
        for offer in offers.select_related("volunteer"):
            self.handled.add(offer.pk)
            plan = self.plans[offer.incident_id]
            answer = plan.answers.popleft() if plan.answers else "done"
            walker = self.walkers.get(offer.volunteer_id)
            if walker is None or answer == DispatchStatus.TIMED_OUT:
                # Nobody answers: at the deadline the escalation times it out (the worker may
                # do it first; a second run is harmless).
                due = time.monotonic() + (offer.respond_by - timezone.now()).total_seconds()
                self.at_real(due + 0.5, lambda pk=offer.pk: services.escalate(pk))
            elif answer == DispatchStatus.DECLINED:
                self.after(0.5, lambda o=offer, w=walker: self.answer(o, w, "decline"))
            else:
                self.after(
                    plan.ack_minutes,
                    lambda o=offer, w=walker, p=plan, a=answer: self.acknowledge(o, w, p, a),
                )

    def answer(self, offer: Dispatch, walker: Walker, action: str) -> None:
        services.answer(offer, action, by=walker.application.user)

    def acknowledge(self, offer: Dispatch, walker: Walker, plan: Plan, answer: str) -> None:
        services.answer(offer, "acknowledge", by=walker.application.user)
        walker.busy = True
        point = services.incident_point(plan.incident) or walker.home
        walker.route = _route(self.network, walker.position, point)
        if answer == DispatchStatus.WITHDRAWN:
            # Sorted out before anyone arrived: the operator cancels on the way.
            walker.arrived = lambda: self.home(walker)
            self.after(plan.close_after / 2, lambda: self.close(plan))
        else:
            walker.arrived = lambda: self.on_scene(offer, walker, plan)

    def on_scene(self, offer: Dispatch, walker: Walker, plan: Plan) -> None:
        services.answer(offer, "on_scene", by=walker.application.user)
        self.after(plan.work_minutes, lambda: self.done(offer, walker))

    def done(self, offer: Dispatch, walker: Walker) -> None:
        try:
            services.answer(offer, "done", by=walker.application.user)
        finally:
            self.home(walker)

    def home(self, walker: Walker) -> None:
        walker.route = _route(self.network, walker.position, walker.home)
        walker.arrived = None
        walker.busy = False

    def close(self, plan: Plan) -> None:
        incident = Incident.objects.get(pk=plan.incident.pk)
        if not incident.is_open:
            return
        status = plan.outcome if plan.outcome in CLOSING_NOTES else IncidentStatus.RESOLVED
        services.change_status(incident, status, by=self.operator, note=CLOSING_NOTES[status])

    # -- the end ------------------------------------------------------------------------------

    def finish(self) -> None:
        """Sign the volunteers out and cancel what is still open: the live picture shows no
        ghost of the replay."""
        try:
            open_ones = Incident.objects.filter(pk__in=list(self.plans), status__in=OPEN_STATUSES)
            for incident in open_ones:
                self.attempt(
                    lambda i=incident: services.change_status(
                        i,
                        IncidentStatus.CANCELLED,
                        by=self.operator,
                        note="回放结束。The replay ended.",
                    )
                )
            for walker in self.walkers.values():
                if Dispatch.objects.filter(
                    volunteer=walker.application, status__in=ACTIVE_DISPATCH
                ).exists():
                    continue
                self.attempt(lambda w=walker: volunteers.sign_out(w.application, *w.position))
            self.say(
                "replay over: {sign_ins} sign-ins, {positions} positions, {scans} gate scans, "
                "{incidents} incidents ({refused} steps refused)".format(**self.counts)
            )
        finally:
            if threading.current_thread() is not threading.main_thread():
                connection.close()


def _span(values: list[float]) -> tuple[float, float]:
    return min(values), max(values)


def start_in_thread(summit: Summit, **options) -> tuple[threading.Thread, threading.Event]:
    """Run a replay in a daemon thread of this process (beside the server); set the returned
    event to stop it."""
    stop = threading.Event()
    replay = Replay(summit, stop=stop, **options)
    thread = threading.Thread(target=replay.run, name="huiwu-replay", daemon=True)
    thread.start()
    return thread, stop
