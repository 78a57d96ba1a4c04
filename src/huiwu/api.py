"""The HTTP API root: ``/api/v1/``, its OpenAPI document and each app's router."""

from ninja import NinjaAPI

api = NinjaAPI(
    title="Huiwu API",
    version="1",
    description="The programme, figures and, as they come, registration, check-in and volunteers.",
    urls_namespace="api",
)
