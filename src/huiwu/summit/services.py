"""Every write to the programme: one function per use case, each in its own transaction.

Each write records in the action log what it changed, as ``{"changes": {field: [before,
after]}}`` with values a reader can compare (texts in every language, times at the summit).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from i18nfield.strings import LazyI18nString

from huiwu.core.i18n import as_dict
from huiwu.core.models import Organisation, Person
from huiwu.core.services import DomainError, NotAllowed, log_action
from huiwu.summit.models import (
    Forum,
    ForumOrganiser,
    OrganiserRole,
    Room,
    Session,
    SessionSpeaker,
    SpeakerRole,
    Summit,
)
from huiwu.summit.rules import refused_forum_fields

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    User = AbstractBaseUser | AnonymousUser

TEXT_FIELDS = {"title", "theme", "description", "abstract"}
TIME_FIELDS = {"starts_at", "ends_at"}


def _validated(instance: models.Model) -> models.Model:
    """Run the model's validation; turn the first problem into a ``DomainError``."""
    try:
        instance.full_clean()
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise DomainError(messages[0], field=None if field == "__all__" else field) from error
    return instance


def _saved(instance: models.Model) -> None:
    """Save ``instance``; a row written meanwhile by someone else with the same short name
    gets the message validation gives, not a database error."""
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        _validated(instance)
        raise


# --- What changed ------------------------------------------------------------------------------


def _comparable(field: models.Field, instance: models.Model) -> Any:
    value = field.value_from_object(instance)
    # A text left empty is stored as None or as no text at all: both are "nothing".
    return as_dict(value) if field.name in TEXT_FIELDS else value


def _shown(field: models.Field, instance: models.Model, tz: dt.tzinfo) -> Any:
    """The value of ``field`` as the action log keeps it: JSON, readable."""
    if field.is_relation and getattr(instance, field.attname) is None:
        return None
    value = getattr(instance, field.name)
    if field.name in TEXT_FIELDS:
        return as_dict(value)
    if isinstance(value, dt.datetime):
        return timezone.localtime(value, tz).isoformat()
    if isinstance(value, models.Model):
        return str(value)
    return value


def _field_changes(
    stored: models.Model | None, edited: models.Model, tz: dt.tzinfo
) -> dict[str, list]:
    """``{field: [before, after]}`` for every field ``edited`` changes; every field set when
    the object is new."""
    changes = {}
    for field in edited._meta.concrete_fields:
        if field.primary_key:
            continue
        after = _comparable(field, edited)
        if stored is None:
            if after not in (None, "", {}, []):
                changes[field.name] = [None, _shown(field, edited, tz)]
        elif _comparable(field, stored) != after:
            changes[field.name] = [_shown(field, stored, tz), _shown(field, edited, tz)]
    return changes


def _names(organisations: Sequence[Organisation]) -> list[str]:
    return [org.short_name or str(org) for org in organisations]


# --- Forums ------------------------------------------------------------------------------------


def check_forum_institutions(
    hosts: Sequence[Organisation], co_hosts: Sequence[Organisation]
) -> None:
    """Refuse a list of hosts and co-hosts that names an institution twice or has no host."""
    named = [org.pk for org in (*hosts, *co_hosts)]
    if len(set(named)) < len(named):
        raise DomainError(
            _("Name each institution once, either as a host or as a co-host."), field="co_hosts"
        )
    if not hosts:
        raise DomainError(
            _("A forum needs at least one host institution; name one."),
            field="hosts",
        )


def _refuse_fields(by: User, fields: Sequence[str]) -> None:
    """Refuse, as not allowed, a change of the fields that only the secretariat changes."""
    refused = refused_forum_fields(by, fields)
    if not refused:
        return
    labels = {"hosts": _("host institutions"), "co_hosts": _("co-host institutions")}
    names = [str(labels.get(name) or Forum._meta.get_field(name).verbose_name) for name in refused]
    raise NotAllowed(
        _("Only the secretariat can change these fields of a forum: %(fields)s.")
        % {"fields": ", ".join(names)},
        field=refused[0],
    )


@transaction.atomic
def save_forum(
    forum: Forum,
    *,
    by: User | None = None,
    hosts: Sequence[Organisation] | None = None,
    co_hosts: Sequence[Organisation] | None = None,
) -> Forum:
    """Create or update a forum and log what changed.

    ``hosts`` and ``co_hosts`` replace the forum's institutions in their order; ``None`` keeps
    the present ones, an empty list of co-hosts removes them (a forum keeps at least one host).
    When ``by`` is given, a host or co-host changing what only the secretariat may change is
    refused with ``NotAllowed``; without it the platform itself writes.
    """
    creating = forum.pk is None
    stored = (
        None if creating else Forum.objects.select_related("summit", "room__venue").get(pk=forum.pk)
    )
    present = ([], []) if stored is None else (stored.hosts(), stored.co_hosts())
    wanted = (
        present[0] if hosts is None else list(hosts),
        present[1] if co_hosts is None else list(co_hosts),
    )
    institutions = {
        name: [_names(before), _names(after)]
        for name, before, after in zip(("hosts", "co_hosts"), present, wanted, strict=True)
        if [org.pk for org in before] != [org.pk for org in after]
    }
    tz = forum.summit.tz if forum.summit_id else timezone.get_current_timezone()
    if by is not None:
        # Asked before validation: who may not change a field learns that first.
        _refuse_fields(by, [*_field_changes(stored, forum, tz), *institutions])
    if hosts is not None or co_hosts is not None:
        check_forum_institutions(*wanted)
    _validated(forum)
    # Compared once validated, which writes some values as they are kept (language codes).
    changes = {**_field_changes(stored, forum, tz), **institutions}
    _saved(forum)
    if institutions:
        forum.forum_organisers.all().delete()
        ForumOrganiser.objects.bulk_create(
            ForumOrganiser(forum=forum, organisation=org, role=role, order=index)
            for role, organisations in zip(OrganiserRole, wanted, strict=True)
            for index, org in enumerate(organisations)
        )
    if creating:
        log_action(forum, "forum.created", by=by)
    else:
        log_action(forum, "forum.changed", by=by, data={"changes": changes} if changes else {})
    return forum


def _aware(moment: dt.datetime | None, summit: Summit) -> dt.datetime | None:
    """A time without an offset is a time of the summit's own time zone."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=summit.tz)
    return moment


def _text(value: dict[str, str] | None) -> LazyI18nString | None:
    return None if value is None else LazyI18nString(value)


def _room(pk: int | None) -> Room | None:
    if pk is None:
        return None
    room = Room.objects.select_related("venue").filter(pk=pk).first()
    if room is None:
        raise DomainError(
            _("There is no room with the id %(id)s; see /api/v1/rooms.") % {"id": pk},
            field="room",
        )
    return room


def _institutions(ids: Sequence[int] | None, field: str) -> list[Organisation] | None:
    """The institutions with these ids, in the order given; unknown ids are refused."""
    if ids is None:
        return None
    known = Organisation.objects.in_bulk(ids)
    missing = [str(pk) for pk in ids if pk not in known]
    if missing:
        raise DomainError(
            _("No institution has the id %(ids)s; see /api/v1/organisations.")
            % {"ids": ", ".join(missing)},
            field=field,
        )
    return [known[pk] for pk in ids]


def _unknown(name: str) -> DomainError:
    return DomainError(
        _("This field is not known; the API description lists the fields to send."), field=name
    )


FORUM_CHANGES = {
    "slug",
    "kind",
    "track",
    "title",
    "theme",
    "description",
    "room",
    "starts_at",
    "ends_at",
    "capacity",
    "languages",
    "is_public",
    "hosts",
    "co_hosts",
}


def update_forum(forum: Forum, changes: dict[str, Any], *, by: User | None = None) -> Forum:
    """Apply ``changes`` as a client sends them (texts as ``{language: text}``, times with or
    without an offset, the room and the institutions by id) to ``forum``, new or stored, and
    save it through ``save_forum``. ``hosts`` or ``co_hosts`` left out or ``None`` are kept."""
    for name, value in changes.items():
        if name not in FORUM_CHANGES:
            raise _unknown(name)
        if name in TEXT_FIELDS:
            setattr(forum, name, _text(value))
        elif name in TIME_FIELDS:
            setattr(forum, name, _aware(value, forum.summit))
        elif name == "room":
            forum.room = _room(value)
        elif name not in {"hosts", "co_hosts"}:
            setattr(forum, name, value)
    return save_forum(
        forum,
        by=by,
        hosts=_institutions(changes.get("hosts"), "hosts"),
        co_hosts=_institutions(changes.get("co_hosts"), "co_hosts"),
    )


# --- Sessions ----------------------------------------------------------------------------------


def _line_up(appearances: Sequence[tuple[Person, str]]) -> list[str]:
    return [f"{person} ({role})" for person, role in appearances]


@transaction.atomic
def save_session(
    session: Session,
    *,
    by: User | None = None,
    speakers: Sequence[tuple[Person, str]] | None = None,
) -> Session:
    """Create or update a session and log what changed. ``speakers`` is a list of (person,
    role) pairs in order that replaces the present one; ``None`` keeps it."""
    creating = session.pk is None
    people = [person.pk for person, _role in speakers or ()]
    if len(set(people)) < len(people):
        raise DomainError(_("Name each speaker of a session once."), field="speakers")
    stored = None if creating else Session.objects.select_related("forum").get(pk=session.pk)
    _validated(session)
    changes = _field_changes(stored, session, session.forum.summit.tz)
    if speakers is not None:
        present = (
            []
            if stored is None
            else [(a.person, a.role) for a in stored.appearances.select_related("person")]
        )
        if [(p.pk, role) for p, role in present] != [(p.pk, role) for p, role in speakers]:
            changes["speakers"] = [_line_up(present), _line_up(speakers)]
    _saved(session)
    if "speakers" in changes:
        session.appearances.all().delete()
        SessionSpeaker.objects.bulk_create(
            SessionSpeaker(session=session, person=person, role=role, order=index)
            for index, (person, role) in enumerate(speakers)
        )
    if creating:
        log_action(session, "session.created", by=by)
    else:
        log_action(session, "session.changed", by=by, data={"changes": changes} if changes else {})
    return session


SESSION_CHANGES = {"title", "abstract", "kind", "starts_at", "ends_at", "speakers"}


def _line_up_by_id(items: Sequence[dict[str, Any]] | None) -> list[tuple[Person, str]] | None:
    """The (person, role) pairs of ``[{"person": id, "role": role}]``; unknown people are
    refused."""
    if items is None:
        return None
    ids = [item["person"] for item in items]
    people = Person.objects.in_bulk(ids)
    missing = [str(pk) for pk in ids if pk not in people]
    if missing:
        raise DomainError(
            _("No person has the id %(ids)s; see /api/v1/speakers.") % {"ids": ", ".join(missing)},
            field="speakers",
        )
    return [(people[item["person"]], item.get("role") or SpeakerRole.SPEAKER) for item in items]


def update_session(session: Session, changes: dict[str, Any], *, by: User | None = None) -> Session:
    """Apply ``changes`` as a client sends them (texts as ``{language: text}``, times with or
    without an offset, speakers as ``[{"person": id, "role": role}]``) to ``session``, new or
    stored, and save it through ``save_session``."""
    for name, value in changes.items():
        if name not in SESSION_CHANGES:
            raise _unknown(name)
        if name in TEXT_FIELDS:
            setattr(session, name, _text(value))
        elif name in TIME_FIELDS:
            setattr(session, name, _aware(value, session.forum.summit))
        elif name != "speakers":
            setattr(session, name, value)
    return save_session(session, by=by, speakers=_line_up_by_id(changes.get("speakers")))
