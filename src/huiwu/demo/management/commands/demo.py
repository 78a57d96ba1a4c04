"""``huiwu demo``: build the demo summit on the embedded database and serve it."""

import contextlib
import os
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
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

    def handle(self, *args, host, port, reset, no_serve, **options):
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
        if not no_serve:
            self.stdout.write("Press Ctrl+C to stop.")
            call_command("serve", host=host, port=port)

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
