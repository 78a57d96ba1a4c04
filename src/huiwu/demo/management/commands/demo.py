"""``huiwu demo``: build the demo summit on the embedded database and serve it."""

import contextlib
import os
import threading
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from huiwu.summit.models import Summit

DEMO_PASSWORD = "wuzhen2024"


class Command(BaseCommand):
    help = "Build the demo summit (2024 Wuzhen Summit) and serve it in the browser."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--data-dir", help="Folder for the database and files.")
        parser.add_argument(
            "--reset", action="store_true", help="Delete the demo data and build it anew."
        )
        parser.add_argument(
            "--no-serve", action="store_true", help="Only build the demo data, do not serve."
        )
        parser.add_argument(
            "--replay",
            action="store_true",
            help="Replay a day of the summit now (volunteers, guests, incidents) beside the "
            "server; with --no-serve, alone.",
        )
        parser.add_argument(
            "--speed",
            type=float,
            default=60.0,
            help="Summit minutes per real minute in the replay (default 60: an hour a minute).",
        )
        parser.add_argument(
            "--replay-day", type=int, default=1, help="Which day of the summit to replay (1-3)."
        )
        parser.add_argument(
            "--replay-minutes",
            type=float,
            help="Stop the replay after this many real minutes (default: the day's end).",
        )

    def handle(self, *args, host, port, reset, no_serve, replay, **options):
        from huiwu.demo.generator import demo_accounts, generate

        started = time.monotonic()
        if reset:
            self._reset()
        call_command("migrate", interactive=False, verbosity=0)
        if not Summit.objects.exists():
            self.stdout.write("Building the demo summit (2024 Wuzhen Summit) …")
            generate(stdout=self.stdout)
        accounts = demo_accounts()
        self._ensure_passwords(accounts)
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"Demo summit ready in {elapsed:.1f} s."))
        self.stdout.write(f"  Data folder: {settings.DATA_DIR}")
        self.stdout.write(f"  Open:        http://{host}:{port}/")
        self.stdout.write(f"  Admin:       http://{host}:{port}/en/admin/")
        for username, description in accounts.items():
            self.stdout.write(f"  Log in as {username} / {DEMO_PASSWORD}  ({description})")
        if replay and no_serve:
            self._replay(options, stop=None)
        elif replay:
            # In the server's process: without Redis its events reach the websockets only so.
            stop = threading.Event()
            thread = threading.Thread(
                target=self._replay, args=(options,), kwargs={"stop": stop}, daemon=True
            )
            thread.start()
            self.stdout.write("Press Ctrl+C to stop.")
            try:
                call_command("serve", host=host, port=port)
            finally:
                stop.set()
                thread.join(timeout=30)
        elif not no_serve:
            self.stdout.write("Press Ctrl+C to stop.")
            call_command("serve", host=host, port=port)

    def _replay(self, options, *, stop) -> None:
        from huiwu.command.replay import Replay

        summit = Summit.objects.get(is_current=True)
        try:
            run = Replay(
                summit,
                speed=options["speed"],
                day=options["replay_day"],
                stop=stop,
                say=lambda text: self.stdout.write(f"  replay: {text}"),
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        try:
            run.run(minutes=options["replay_minutes"])
        except KeyboardInterrupt:
            # Ctrl+C without the server: run() has signed everyone out on the way out.
            self.stdout.write("Replay stopped.")

    def _reset(self) -> None:
        if connection.vendor == "sqlite":
            connection.close()
            database = settings.DATABASES["default"]["NAME"]
            for suffix in ("", "-wal", "-shm"):
                path = f"{database}{suffix}"
                with contextlib.suppress(FileNotFoundError):
                    os.remove(path)
        else:
            call_command("flush", interactive=False, verbosity=0)

    def _ensure_passwords(self, accounts) -> None:
        users = get_user_model().objects.filter(username__in=list(accounts))
        for user in users:
            if not user.check_password(DEMO_PASSWORD):
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
