"""Serve Huiwu with uvicorn, and do the background work beside it.

Without Redis the channel layer lives in the server's memory: an event published by another
process would never reach the server's websockets. So the embedded run does its background
work inside the server process, in threads: the task worker (django-tasks' database queue)
and the periodic runner (:mod:`huiwu.core.periodic`). With Redis, events travel through Redis
and the work runs in a ``huiwu worker`` process beside the server(s).
"""

import subprocess
import sys
import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.crypto import get_random_string

from huiwu.core import periodic


def start_task_worker():
    """Run the database queue's worker in a thread of this process (signals stay with the main
    thread, where uvicorn handles them); returns the worker (``.running = False`` stops it)."""
    from django_tasks_db.management.commands.db_worker import Worker

    worker = Worker(
        queue_names=["default"],
        interval=1.0,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=get_random_string(32),
        excluded_queue_names=[],
    )
    threading.Thread(target=worker.run, name="huiwu-tasks", daemon=True).start()
    return worker


class Command(BaseCommand):
    help = "Serve the platform over HTTP and websockets (uvicorn), with its background work."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="Server processes (more than one needs Redis: HUIWU_REDIS_URL).",
        )
        parser.add_argument(
            "--no-worker", action="store_true", help="Do no background work in this run."
        )
        parser.add_argument("--data-dir", help="Folder for the database and files.")

    def handle(self, *args, host, port, workers, no_worker, **options):
        import uvicorn

        if workers > 1 and not settings.REDIS_URL:
            raise CommandError(
                "Several server processes show the same live picture only through Redis: set "
                "HUIWU_REDIS_URL, or serve with --workers 1."
            )
        # An install without dev.py (pip install, a wheel) has the catalogues uncompiled.
        call_command("compile_catalogues", verbosity=0)
        worker_process = task_worker = runner = None
        if no_worker:
            pass
        elif settings.REDIS_URL:
            worker_process = subprocess.Popen(
                [sys.executable, "-m", "huiwu.cli", "worker"], env=None, stdin=subprocess.DEVNULL
            )
        else:
            # One server process (checked above), and uvicorn serves in this very process
            # with workers=1: the threads share its event loop's channel layer.
            task_worker = start_task_worker()
            runner = periodic.start()
        try:
            uvicorn.run(
                "huiwu.asgi:application",
                host=host,
                port=port,
                workers=workers,
                log_level="warning",
                lifespan="off",
            )
        finally:
            if runner is not None:
                runner.stop()
            if task_worker is not None:
                task_worker.running = False
            if worker_process is not None:
                worker_process.terminate()
                worker_process.wait(timeout=10)
