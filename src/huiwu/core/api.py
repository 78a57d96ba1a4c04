"""What every router of the API shares: errors as JSON sentences in the reader's language,
pages of long lists, session authentication and look-ups that answer 404.

The reader's language is the one ``LocaleMiddleware`` activated from the request's
Accept-Language header, since ``/api/`` addresses carry no language prefix.
"""

import logging
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError
from ninja.pagination import LimitOffsetPagination
from ninja.security import SessionAuth

from huiwu.core.services import DomainError

logger = logging.getLogger(__name__)

# Ninja raises these with fixed English texts; readers get them in their own language.
_NINJA_MESSAGES = {
    "Cannot parse request body": lambda: _("Enter a valid JSON."),
    "CSRF check Failed": lambda: _("CSRF verification failed. Request aborted."),
}

# The largest limit and offset a page may ask for; beyond them, a database would overflow.
MAX_LIMIT = 500
MAX_OFFSET = 2**31 - 1


class Pages(LimitOffsetPagination):
    """Lists come in pages: ``limit`` items from position ``offset``; ``count`` is the total."""

    class Input(Schema):
        """Which page of a long list to return."""

        limit: int = Field(
            settings.NINJA_PAGINATION_PER_PAGE,
            ge=1,
            le=MAX_LIMIT,
            description="How many items to return.",
        )
        offset: int = Field(0, ge=0, le=MAX_OFFSET, description="How many items to skip.")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_limit=MAX_LIMIT, **kwargs)


class NotFound(Http404):
    """An object a client asked for by name or number does not exist (or is not published)."""


def found(queryset: QuerySet, message: str, **lookup: Any) -> Model:
    """The one object of ``queryset`` matching ``lookup``, else a 404 saying ``message``."""
    try:
        return queryset.get(**lookup)
    except queryset.model.DoesNotExist as error:
        raise NotFound(message) from error


# Session authentication as the browser has it; writes also need the CSRF token.
session_auth = SessionAuth(csrf=True)


def forbidden(message: str) -> AuthorizationError:
    """The 403 to raise, saying why, when the user is known but may not do this."""
    return AuthorizationError(message=message)


def _error(api: NinjaAPI, request: HttpRequest, status: int, detail: str, **extra: Any):
    return api.create_response(request, {"detail": str(detail), **extra}, status=status)


def _input_name(location: tuple | list) -> str:
    """``("body", "payload", "speakers", 0, "person")`` → ``speakers.0.person``."""
    parts = list(location)
    if parts and parts[0] == "body":
        # The second part names the view's body parameter, which clients never see.
        parts = parts[2:]
    elif parts and parts[0] in {"query", "path", "header", "cookie", "form"}:
        parts = parts[1:]
    return ".".join(str(part) for part in parts)


def _sentence(error: Mapping[str, Any]) -> str:
    """A pydantic error as a sentence in the reader's language.

    Most are worded as Django words the same problem in its forms, so that Django's own
    catalogues already carry them in every language Django speaks.
    """
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind in {"model_type", "model_attributes_type"} or (
        kind == "missing" and not _input_name(error.get("loc", ()))
    ):
        return _("Send the fields as a JSON object.")
    if kind == "missing":
        return _("This field is required.")
    if kind.startswith("int_"):
        return _("Enter a whole number.")
    if kind.startswith(("float_", "decimal_")):
        return _("Enter a number.")
    if kind.startswith("bool_"):
        return _("Enter true or false.")
    if kind.startswith("datetime_"):
        return _("Enter a valid date/time.")
    if kind.startswith("date_"):
        return _("Enter a valid date.")
    if kind in {"less_than_equal", "less_than"}:
        limit = ctx.get("le", ctx.get("lt"))
        return _("Ensure this value is less than or equal to %(limit_value)s.") % {
            "limit_value": limit
        }
    if kind in {"greater_than_equal", "greater_than"}:
        limit = ctx.get("ge", ctx.get("gt"))
        return _("Ensure this value is greater than or equal to %(limit_value)s.") % {
            "limit_value": limit
        }
    if kind in {"enum", "literal_error"}:
        return " ".join(
            (
                _("Select a valid choice. That choice is not one of the available choices."),
                _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")},
            )
        )
    if kind == "list_type":
        return _("Enter a list of values.")
    if kind == "string_type":
        return _("Enter text.")
    if kind == "dict_type":
        return _('Give the text per language, as in {"zh-hans": "…", "en": "…"}.')
    if kind == "extra_forbidden":
        return _("This field is not known; the API description lists the fields to send.")
    if kind == "value_error":
        return str(ctx.get("error", ""))
    return _("Enter a valid value.")


def register_error_handlers(api: NinjaAPI) -> None:
    """Answer every refusal as JSON ``{"detail": sentence, "field": input}``, translated."""

    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return _error(api, request, 422, exc.message, field=exc.field)

    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [
            {"field": _input_name(error.get("loc", ())) or None, "message": _sentence(error)}
            for error in exc.errors
        ]
        first = errors[0] if errors else {"field": None, "message": _("Enter a valid value.")}
        return _error(api, request, 422, first["message"], field=first["field"], errors=errors)

    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        message = str(exc) if isinstance(exc, NotFound) else _("Nothing was found here.")
        return _error(api, request, 404, message)

    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return _error(api, request, 401, _("Log in to do this."))

    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        message = str(exc)
        for ninja_text, translated in _NINJA_MESSAGES.items():
            if message.startswith(ninja_text):
                message = translated()
        return _error(api, request, exc.status_code, message)

    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("API error on %s %s", request.method, request.path)
        return _error(
            api, request, 500, _("Something went wrong on our side; it has been logged. Try again.")
        )

    api.add_exception_handler(Exception, unexpected)
    api.add_exception_handler(DomainError, domain_error)
    api.add_exception_handler(ValidationError, validation_error)
    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(AuthenticationError, unauthenticated)
    api.add_exception_handler(HttpError, http_error)


def api_not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    """Any address under /api/ that no endpoint answers: a JSON 404, not the site's page."""
    return JsonResponse(
        {"detail": _("There is no such address in the API; see /api/v1/docs.")}, status=404
    )
