"""Background work of the volunteers app (Django Tasks API), for the command centre to
schedule: the sweep of shift ends and no-shows, and the purge of old positions."""

from django_tasks import task

from huiwu.volunteers import services


@task()
def sweep() -> dict[str, int]:
    """Close duties past their shift's end and flag no-shows; returns the counts."""
    return services.sweep()


@task()
def purge_old_positions() -> int:
    """Delete positions older than the retention period; returns how many."""
    return services.purge_positions()
