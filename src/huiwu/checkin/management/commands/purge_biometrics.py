"""``huiwu purge-biometrics --summit SLUG``: delete every face descriptor of a summit after it."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from huiwu.checkin import services
from huiwu.summit.models import Summit


class Command(BaseCommand):
    help = (
        "Delete every face descriptor of a summit once it is over (each deletion goes to the "
        "audit log). Guests keep their photos and QR badges."
    )

    def add_arguments(self, parser):
        parser.add_argument("--summit", required=True, help="The summit's short name (slug).")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Purge even though the summit is not over yet (face check-in stops working).",
        )
        parser.add_argument("--data-dir", help="Folder for the database and files.")

    def handle(self, *args, summit, force, **options):
        chosen = Summit.objects.filter(slug=summit).first()
        if chosen is None:
            slugs = ", ".join(Summit.objects.values_list("slug", flat=True)) or "none"
            raise CommandError(f"No summit {summit!r}; the summits are: {slugs}.")
        today = timezone.localdate(timezone=chosen.tz)
        if chosen.end_date >= today and not force:
            raise CommandError(
                f"{summit} ends on {chosen.end_date}; its gates still need the descriptors. "
                "Run this after the summit, or add --force."
            )
        count = services.purge_biometrics(chosen)
        self.stdout.write(f"Deleted {count} face descriptors of {summit}.")
