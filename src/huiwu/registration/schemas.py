"""API shapes of guest registration.

What a guest sends, what the guest reads back with the personal key, and what organisers list.
Identity-document numbers go only to the secretariat; portraits never leave through the API.
"""

import datetime as dt
from typing import Annotated, Literal

from django.conf import settings
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict

from huiwu.core.schemas import Country, I18nText
from huiwu.registration.models import IdType, Participation, SeatStatus, Status
from huiwu.registration.rules import can_view_id_document


def _no_nul(value: str) -> str:
    # PostgreSQL cannot store a NUL character; refuse it here rather than fail on insert.
    if "\x00" in value:
        raise ValueError(_("Remove the NUL character from this text."))
    return value.strip()


Text = Annotated[str, AfterValidator(_no_nul)]
"""A line of text a guest types: trimmed, without NUL characters."""


def _may_see_id_document(context) -> bool:
    return bool(context) and can_view_id_document(context["request"].user)


Language = Literal[tuple(code for code, _name in settings.LANGUAGES)]


class RegistrationIn(Schema):
    """A guest's registration, sent whole: it is stored and submitted to the secretariat in one
    step, or refused with nothing stored. Categories that need a portrait photo register
    through the registration form, which takes the upload."""

    model_config = ConfigDict(extra="forbid")

    summit: Text | None = Field(
        None, description="The summit's slug; the current summit when left out."
    )
    category: Text | None = Field(
        None,
        description="The code of the guest category. Categories not open to the public need "
        "an invitation; with an invitation, its category is used when this is left out.",
        examples=["business"],
    )
    invitation: Text | None = Field(
        None, description="The code of a personal invitation, if there is one."
    )
    name: Text = Field(
        description="The name as the guest writes it, in any script.", examples=["李华"]
    )
    name_latin: Text = Field(
        description="The name in Latin letters, as in the passport.", examples=["Li Hua"]
    )
    nationality: Text = Field(description="ISO 3166-1 alpha-2 code.", examples=["CN"])
    email: Text = Field(
        description="Where the secretariat writes to.", examples=["li.hua@example.org"]
    )
    phone: Text = Field(default="", description="With the country code.")
    organisation_name: Text = Field(default="", description="The guest's organisation.")
    position: Text = Field(default="", description="The guest's position in the organisation.")
    id_type: IdType | None = Field(None, description="The type of identity document.")
    id_number: Text = Field(default="", description="The number of the identity document.")
    participation: Participation = Participation.ON_SITE
    arrival_date: dt.date | None = Field(None, description="Within a week of the summit.")
    departure_date: dt.date | None = Field(None, description="Within a week of the summit.")
    dietary: Text = Field(default="", description="Dietary needs.")
    accessibility: Text = Field(default="", description="Accessibility needs.")
    language: Language | None = Field(
        None,
        description="The language of the e-mails; the language of the request when left out.",
    )
    face_consent: bool = Field(
        description="Whether the guest agrees to check in by face. Required and never assumed: "
        "a guest who refuses checks in with the QR code of the badge."
    )
    forums: list[Text] = Field(
        default_factory=list,
        max_length=50,
        description="Slugs of the forums the guest asks a seat in; a full forum puts the guest "
        "on its waitlist.",
    )


class SeatOut(Schema):
    """The guest's seat in a forum."""

    forum: str = Field(description="The forum's slug.")
    status: SeatStatus


class RegistrationCreated(Schema):
    """The stored registration, and where the guest follows it."""

    id: str = Field(description="The registration's public id.")
    status: Status
    personal_link: str = Field(
        description="The guest's own page; it carries the guest's secret key, keep it private."
    )
    seats: list[SeatOut]


class SeatDetail(SeatOut):
    """A seat with the forum's title and, on the waitlist, the guest's place in line."""

    title: I18nText
    waitlist_position: int | None = Field(
        None, description="1 for the first guest on the forum's waitlist."
    )


class CategoryRef(Schema):
    """A guest category, as registrations mention it."""

    code: str
    name: I18nText


class RegistrationStatusOut(Schema):
    """What the guest sees of the registration: its state, the decision's reason, the seats."""

    id: str
    summit: str
    status: Status
    category: CategoryRef
    name: str
    name_latin: str
    participation: Participation
    face_consent: bool | None
    submitted_at: dt.datetime | None
    reason: str = Field(
        description="Why more information is needed, or why the registration was rejected."
    )
    seats: list[SeatDetail]


class RegistrationFilter(Schema):
    """Narrow the list; every filter given must hold."""

    summit: str | None = Field(
        None, max_length=50, description="The summit's slug; the current summit when left out."
    )
    status: Status | None = None
    category: str | None = Field(None, max_length=50, description="The category's code.")
    country: str | None = Field(
        None, min_length=2, max_length=2, description="Nationality, ISO 3166-1 alpha-2 code."
    )
    forum: str | None = Field(
        None, max_length=50, description="Guests asking a seat in this forum (by slug)."
    )


class RegistrationOut(Schema):
    """A registration as organisers review it. ``id_number`` is given to the secretariat only;
    forum co-organisers see the seats in their own forums only."""

    id: str
    status: Status
    category: CategoryRef
    name: str
    name_latin: str
    nationality: Country
    email: str
    phone: str
    organisation_name: str
    position: str
    participation: Participation
    arrival_date: dt.date | None
    departure_date: dt.date | None
    dietary: str
    accessibility: str
    language: str
    face_consent: bool | None
    has_photo: bool
    id_type: IdType | None = Field(None, description="The secretariat only.")
    id_number: str | None = Field(None, description="The secretariat only.")
    delegation: str | None = Field(None, description="The delegation's name.")
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    reason: str = Field(description="The reason the secretariat gave for its decision.")
    seats: list[SeatOut]

    @staticmethod
    def resolve_id(registration) -> str:
        return str(registration.public_id)

    @staticmethod
    def resolve_has_photo(registration) -> bool:
        return bool(registration.photo)

    @staticmethod
    def resolve_id_type(registration, context) -> str | None:
        return registration.id_type or None if _may_see_id_document(context) else None

    @staticmethod
    def resolve_id_number(registration, context) -> str | None:
        return registration.id_number if _may_see_id_document(context) else None

    @staticmethod
    def resolve_delegation(registration) -> str | None:
        return registration.delegation.name if registration.delegation else None

    @staticmethod
    def resolve_reason(registration) -> str:
        return registration.decision_reason

    @staticmethod
    def resolve_seats(registration) -> list[dict]:
        return [
            {"forum": seat.forum.slug, "status": seat.status} for seat in registration.visible_seats
        ]
