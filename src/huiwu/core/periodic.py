"""Jobs that run every few seconds (the sweep of shift ends and no-shows, the watcher of
automatic incidents), without cron: a thread of the process that does background work runs
each registered job every N seconds.

Apps register their jobs when they load (``periodic.register("volunteers.sweep", sweep, 60)``).
The embedded run (``huiwu serve`` without Redis) starts the runner inside the server process,
so that the events the jobs publish reach its websockets; with Redis, ``huiwu worker`` starts
it. A job that fails is logged and runs again at its next time. When several processes run
the runner, a lock in the (shared) cache lets one of them run each job per period.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import close_old_connections

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    function: Callable[[], object]
    seconds: float


_jobs: dict[str, Job] = {}


def register(name: str, function: Callable[[], object], seconds: float) -> None:
    """Run ``function()`` every ``seconds`` (registering a name again replaces its job)."""
    if seconds <= 0:
        raise ValueError("A periodic job needs a period above zero seconds.")
    _jobs[name] = Job(name, function, seconds)


def jobs() -> list[Job]:
    return list(_jobs.values())


def run_job(job: Job) -> bool:
    """Run ``job`` once, unless another process ran it less than a period ago; ``True`` when
    it ran (whether it succeeded or not: a failure is logged, never raised)."""
    if not cache.add(f"periodic:{job.name}", 1, timeout=max(1, int(job.seconds * 0.9))):
        return False
    try:
        job.function()
    except Exception:
        logger.exception("Periodic job %s failed; it runs again in %s s.", job.name, job.seconds)
    finally:
        close_old_connections()
    return True


class Runner(threading.Thread):
    """The thread that runs the registered jobs: each at start, then every period."""

    def __init__(self, *, tick: float = 1.0) -> None:
        super().__init__(name="huiwu-periodic", daemon=True)
        self.tick = tick
        self._stopping = threading.Event()
        self._due: dict[str, float] = {}

    def run_due(self, now: float) -> list[str]:
        """Run the jobs whose time has come at ``now`` (monotonic seconds); their names."""
        ran = []
        for job in jobs():
            if now >= self._due.get(job.name, 0):
                self._due[job.name] = now + job.seconds
                run_job(job)
                ran.append(job.name)
        return ran

    def run(self) -> None:
        logger.info("Periodic jobs: %s", ", ".join(job.name for job in jobs()) or "none")
        while not self._stopping.is_set():
            self.run_due(time.monotonic())
            self._stopping.wait(self.tick)

    def stop(self) -> None:
        self._stopping.set()


def start() -> Runner:
    """Start the runner in a thread of this process; stop it with ``.stop()``."""
    runner = Runner()
    runner.start()
    return runner
