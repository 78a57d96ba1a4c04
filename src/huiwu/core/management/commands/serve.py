"""Serve Huiwu with uvicorn, and run the background-task worker beside it."""

import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the platform over HTTP and websockets (uvicorn), with a task worker."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1, help="Server processes.")
        parser.add_argument(
            "--no-worker", action="store_true", help="Do not start a background-task worker."
        )
        parser.add_argument("--data-dir", help="Folder for the database and files.")

    def handle(self, *args, host, port, workers, no_worker, **options):
        import uvicorn

        # An install without dev.py (pip install, a wheel) has the catalogues uncompiled.
        call_command("compile_catalogues", verbosity=0)
        worker = None
        if not no_worker:
            worker = subprocess.Popen(
                [sys.executable, "-m", "huiwu.cli", "worker"], env=None, stdin=subprocess.DEVNULL
            )
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
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=10)
