"""The HTTP API root: ``/api/v1/``, its OpenAPI document, its docs page and each app's router.

The docs page is django-ninja's Swagger UI, whose assets ninja ships as static files of its
own app; with ``ninja`` in ``INSTALLED_APPS`` they are served by the platform, never a CDN.
"""

from ninja import NinjaAPI

from huiwu.awards.api import router as awards_router
from huiwu.checkin.api import router as checkin_router
from huiwu.command.api import router as command_router
from huiwu.core.api import register_error_handlers
from huiwu.registration.api import router as registration_router
from huiwu.summit.api import router as summit_router
from huiwu.volunteers.api import router as volunteers_router

api = NinjaAPI(
    title="Huiwu API",
    version="1",
    description=(
        "The programme, figures and, as they come, registration, check-in and volunteers.\n\n"
        "Reading is open to anyone and shows published data only. Writing needs a logged-in "
        "session (log in through the admin) and Django's CSRF token in the `X-CSRFToken` "
        "header. Texts people read come in every language at once, keyed by language code; "
        'errors come as `{"detail": sentence, "field": input}` in the language of the '
        "`Accept-Language` header."
    ),
    urls_namespace="api",
)
register_error_handlers(api)
api.add_router("/", summit_router)
api.add_router("/registrations", registration_router, tags=["Registrations"])
api.add_router("/checkin", checkin_router, tags=["Check-in"])
api.add_router("/volunteers", volunteers_router, tags=["Volunteers"])
api.add_router("/awards", awards_router, tags=["Awards"])
api.add_router("/command", command_router, tags=["Command centre"])
