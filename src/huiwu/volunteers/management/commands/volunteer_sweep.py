"""``huiwu volunteer-sweep``: close duties past their shift's end and flag no-shows (run it
every few minutes from cron, or let the command centre schedule the task)."""

from django.core.management.base import BaseCommand

from huiwu.volunteers import services


class Command(BaseCommand):
    help = "Close duties still open after their shift ended, and flag no-shows."

    def add_arguments(self, parser):
        parser.add_argument("--data-dir", help="Folder for the database and files.")

    def handle(self, *args, **options):
        result = services.sweep()
        self.stdout.write(
            self.style.SUCCESS(
                f"Closed {result['closed']} duties at shift end; flagged {result['no_shows']} "
                "no-shows."
            )
        )
