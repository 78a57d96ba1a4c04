"""Background work of the command centre (Django Tasks API): the escalation of an offer nobody
acknowledged, due at its deadline, and the watcher of automatic incidents, run every
``COMMAND_WATCH_SECONDS``. Thin: the rules live in ``services``."""

from django_tasks import task

from huiwu.command import services


@task()
def escalate(dispatch_id: int) -> int | None:
    """Escalate the offer if it is still unanswered; returns the id of the next offer, if any."""
    offer = services.escalate(dispatch_id)
    return offer.pk if offer is not None else None


@task()
def watch() -> dict[str, int]:
    """Raise the automatic incidents of every summit under way; returns how many, per type."""
    return services.watch()
