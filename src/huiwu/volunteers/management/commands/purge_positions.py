"""``huiwu purge-positions``: delete volunteers' location data after a summit or past retention."""

from django.core.management.base import BaseCommand, CommandError

from huiwu.summit.models import Summit
from huiwu.volunteers import services


class Command(BaseCommand):
    help = (
        "Delete volunteers' positions: all of one summit (--summit, after it), or everything "
        "older than the retention period (VOLUNTEER_POSITION_RETENTION_DAYS, or --older-than)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--summit", help="The summit's short name (slug): all its positions.")
        parser.add_argument(
            "--older-than",
            type=float,
            metavar="DAYS",
            help="Only positions older than this many days (default without --summit: the "
            "retention setting).",
        )
        parser.add_argument("--data-dir", help="Folder for the database and files.")

    def handle(self, *args, summit, older_than, **options):
        chosen = None
        if summit:
            chosen = Summit.objects.filter(slug=summit).first()
            if chosen is None:
                slugs = ", ".join(Summit.objects.values_list("slug", flat=True)) or "none"
                raise CommandError(f"No summit {summit!r}; the summits are: {slugs}.")
        if older_than is not None and older_than < 0:
            raise CommandError("--older-than must be zero or more days.")
        count = services.purge_positions(chosen, older_than_days=older_than)
        where = f"of {summit}" if summit else "past retention"
        self.stdout.write(self.style.SUCCESS(f"Deleted {count} positions {where}."))
