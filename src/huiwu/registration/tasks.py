"""Background work of registration (Django Tasks API): printing many badges as one PDF."""

from django_tasks import task

from huiwu.registration.exports import BadgeJob, write_badges


@task()
def print_badges(job_id: str) -> int:
    """Print the badges of the job ``job_id`` into its PDF, recording progress as it goes;
    returns how many badges were printed. A job that fails says so in its state."""
    job = BadgeJob.load(job_id)
    if job is None:
        raise LookupError(f"no badge job {job_id}")
    registrations = list(job.registrations())
    job.update(state="running", done=0, total=len(registrations))
    try:
        printed = write_badges(registrations, job.pdf_path, progress=job.progress)
    except Exception as error:
        job.update(state="failed", error=type(error).__name__)
        raise
    job.update(state="done", done=printed)
    return printed
