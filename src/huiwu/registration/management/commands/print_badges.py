"""``huiwu print_badges``: the badges of many guests as one PDF, with a progress bar."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from huiwu.registration.exports import badge_registrations, write_badges
from huiwu.registration.models import GuestCategory, Status
from huiwu.summit.models import Summit


class Command(BaseCommand):
    help = "Print the badges of a summit's guests (approved by default) into one PDF."

    def add_arguments(self, parser):
        parser.add_argument("--summit", required=True, help="The summit's short name (slug).")
        parser.add_argument(
            "--status",
            default=Status.APPROVED,
            choices=Status.values,
            help="Print the guests of this status (default: approved).",
        )
        parser.add_argument("--category", default="", help="Only this guest category (code).")
        parser.add_argument("-o", "--output", required=True, help="The PDF file to write.")
        parser.add_argument("--data-dir", help="Folder for the database and files.")

    def handle(self, *args, summit, status, category, output, **options):
        chosen = Summit.objects.filter(slug=summit).first()
        if chosen is None:
            slugs = ", ".join(Summit.objects.values_list("slug", flat=True)) or "none"
            raise CommandError(f"No summit {summit!r}; the summits are: {slugs}.")
        if category and not GuestCategory.objects.filter(summit=chosen, code=category).exists():
            codes = GuestCategory.objects.filter(summit=chosen).values_list("code", flat=True)
            raise CommandError(
                f"No category {category!r} in {summit}; the categories are: {', '.join(codes)}."
            )
        registrations = list(badge_registrations(chosen, status=status, category=category))
        if not registrations:
            which = f"{status} guest in category {category}" if category else f"{status} guest"
            raise CommandError(f"{summit} has no {which}; there is nothing to print.")
        path = Path(output)
        started = time.perf_counter()
        # The bar goes to stderr, so that stdout keeps only the summary.
        with Progress(
            TextColumn("[bold]Badges"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        ) as bar:
            job = bar.add_task("badges", total=len(registrations))
            write_badges(
                registrations,
                path,
                progress=lambda done, total: bar.update(job, completed=done, total=total),
            )
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"Printed {len(registrations)} badges into {path} in {seconds:.1f} s "
            f"({len(registrations) / seconds:.0f} badges/s)."
        )
