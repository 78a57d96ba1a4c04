"""Run the background work of a scale-out installation: the task queue's worker and the
periodic jobs (:mod:`huiwu.core.periodic`). ``huiwu serve`` without Redis does both in its
own process instead."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from huiwu.core import periodic


class Command(BaseCommand):
    help = "Run background tasks (database queue by default, Redis queue with HUIWU_REDIS_URL)."

    def add_arguments(self, parser):
        parser.add_argument("--data-dir", help="Folder for the database and files.")

    def handle(self, *args, **options):
        runner = periodic.start()
        try:
            backend = settings.TASKS["default"]["BACKEND"]
            if backend.startswith("django_tasks_rq"):
                # The scheduler moves tasks deferred with run_after (the escalation of an
                # unanswered dispatch) onto the queue when their time comes.
                # The backend's job class runs a task as django-tasks defines it.
                call_command(
                    "rqworker",
                    "default",
                    with_scheduler=True,
                    job_class="django_tasks_rq.backend.Job",
                )
            else:
                call_command("db_worker", interval=1.0)
        finally:
            runner.stop()
