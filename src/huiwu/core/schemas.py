"""API shapes of the shared kernel: per-language texts, countries, institutions, people, errors."""

from typing import Annotated

from django.conf.locale import LANG_INFO
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import AfterValidator, BeforeValidator

from huiwu.core.i18n import as_dict
from huiwu.core.models import OrganisationKind


def _country(value) -> dict[str, str]:
    """A django-countries ``Country`` as its code and its name in the active language."""
    return {"code": str(value.code), "name": str(value.name)} if value else {"code": "", "name": ""}


def _language_keys(value: dict[str, str]) -> dict[str, str]:
    """Keep the non-empty texts; every key must be a language code Django knows."""
    unknown = [code for code in value if code.lower() not in LANG_INFO]
    if unknown:
        raise ValueError(
            _("Unknown language code: %(codes)s. Use codes such as zh-hans, en, fr, ar, ru, es.")
            % {"codes": ", ".join(unknown)}
        )
    return {code.lower(): text.strip() for code, text in value.items() if text.strip()}


I18nText = Annotated[
    dict[str, str],
    BeforeValidator(as_dict),
    Field(
        description="The text in every language it was written in, keyed by language code.",
        examples=[{"zh-hans": "乌镇", "en": "Wuzhen"}],
    ),
]
"""A per-language text read from the database (django-i18nfield), every language at once."""

I18nTextIn = Annotated[
    dict[str, str],
    AfterValidator(_language_keys),
    Field(
        description="The text per language code; Chinese (zh-hans) and English (en) are "
        "required for titles and names.",
        examples=[{"zh-hans": "人工智能论坛", "en": "Artificial Intelligence Forum"}],
    ),
]
"""A per-language text sent by a client."""


Id = Annotated[int, Field(ge=1, le=2**63 - 1, description="An id, as the API gives it.")]
"""The id of an object, within the range every database can hold."""


class CountryOut(Schema):
    """A country or region: its ISO 3166 code and its name in the request's language."""

    code: str = Field(description="ISO 3166-1 alpha-2 code.", examples=["CN"])
    name: str = Field(description="Name in the request's language.", examples=["China"])


Country = Annotated[CountryOut, BeforeValidator(_country)]


class OrganisationRef(Schema):
    """An institution, as other objects mention it."""

    id: int
    name: I18nText
    short_name: str
    kind: OrganisationKind
    country: Country


class PersonRef(Schema):
    """A person as the programme names them: in their own script and in Latin letters."""

    id: int
    name: str = Field(description="The name as the person writes it.")
    name_latin: str = Field(description="The name in Latin letters, as in the passport.")
    country: Country
    position: I18nText
    organisation: OrganisationRef | None


class ErrorOut(Schema):
    """Why a request was refused, in the request's language."""

    detail: str = Field(description="A sentence saying what went wrong and what to do.")
    field: str | None = Field(None, description="The input at fault, when there is one.")


class FieldErrorOut(Schema):
    """One problem with one input."""

    field: str | None = Field(description="The input at fault; empty for the whole body.")
    message: str


class ValidationErrorOut(ErrorOut):
    """The input did not have the expected shape; ``errors`` lists every problem."""

    errors: list[FieldErrorOut]
