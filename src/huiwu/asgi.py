"""The ASGI entry point: HTTP through Django, websockets through Channels (routes added by the
apps that serve live pages)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huiwu.settings")

from channels.routing import ProtocolTypeRouter, URLRouter
from django.core.asgi import get_asgi_application

django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402

from huiwu.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": AuthMiddlewareStack(URLRouter(websocket_urlpatterns)),
    }
)
