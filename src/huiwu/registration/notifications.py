"""E-mails to guests, in the language each guest chose, sent once the transaction commits."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from huiwu.core.i18n import localized

EVENTS = {"invited", "submitted", "approved", "rejected", "info_requested", "promoted"}


def _render(template: str, context: dict, language: str) -> tuple[str, str]:
    with translation.override(language):
        subject = render_to_string(f"registration/email/{template}_subject.txt", context)
        body = render_to_string(f"registration/email/{template}.txt", context)
    return " ".join(subject.split()), body


def send(event: str, *, to: str, language: str, context: dict) -> None:
    """Send the e-mail of ``event`` after the current transaction commits (never for a write
    that is rolled back)."""
    if event not in EVENTS:
        raise ValueError(f"unknown notification {event!r}")

    def deliver() -> None:
        summit = context.get("summit")
        with translation.override(language):
            full = {**context, "summit_name": localized(summit.name) if summit else ""}
        subject, body = _render(event, full, language)
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])

    transaction.on_commit(deliver)


def notify_guest(registration, event: str, **extra) -> None:
    send(
        event,
        to=registration.email,
        language=registration.language,
        context={"registration": registration, "summit": registration.summit, **extra},
    )
