"""Run the background-task worker of whichever queue the settings chose."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run background tasks (database queue by default, Redis queue with HUIWU_REDIS_URL)."

    def add_arguments(self, parser):
        parser.add_argument("--data-dir", help="Folder for the database and files.")

    def handle(self, *args, **options):
        backend = settings.TASKS["default"]["BACKEND"]
        if backend.startswith("django_tasks_rq"):
            call_command("rqworker", "default", with_scheduler=False)
        else:
            call_command("db_worker", interval=1.0)
