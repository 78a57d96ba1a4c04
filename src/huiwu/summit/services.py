"""Every write to the programme: one function per use case, each in its own transaction."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from huiwu.core.services import DomainError, log_action
from huiwu.summit.models import Forum, ForumOrganiser, OrganiserRole, Session


def _validated(instance, *, exclude=None):
    """Run the model's validation; turn the first problem into a ``DomainError``."""
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise DomainError(messages[0], field=None if field == "__all__" else field) from error
    return instance


@transaction.atomic
def save_forum(forum: Forum, *, by=None, hosts=(), co_hosts=()) -> Forum:
    """Create or update a forum, with its host and co-host institutions when given."""
    creating = forum.pk is None
    named = [org.pk for org in (*hosts, *co_hosts)]
    if len(set(named)) < len(named):
        raise DomainError(
            _("Name each institution once, either as a host or as a co-host."), field="co_hosts"
        )
    _validated(forum)
    forum.save()
    if hosts or co_hosts:
        forum.forum_organisers.all().delete()
        for role, organisations in ((OrganiserRole.HOST, hosts), (OrganiserRole.CO_HOST, co_hosts)):
            ForumOrganiser.objects.bulk_create(
                ForumOrganiser(forum=forum, organisation=org, role=role, order=index)
                for index, org in enumerate(organisations)
            )
    log_action(forum, "forum.created" if creating else "forum.changed", by=by)
    return forum


@transaction.atomic
def save_session(session: Session, *, by=None, speakers=()) -> Session:
    """Create or update a session; ``speakers`` is a list of (person, role) pairs."""
    from huiwu.summit.models import SessionSpeaker

    creating = session.pk is None
    people = [person.pk for person, _role in speakers]
    if len(set(people)) < len(people):
        raise DomainError(_("Name each speaker of a session once."), field="speakers")
    _validated(session)
    session.save()
    if speakers:
        session.appearances.all().delete()
        SessionSpeaker.objects.bulk_create(
            SessionSpeaker(session=session, person=person, role=role, order=index)
            for index, (person, role) in enumerate(speakers)
        )
    log_action(session, "session.created" if creating else "session.changed", by=by)
    return session
