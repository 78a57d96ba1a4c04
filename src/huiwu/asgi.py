"""The ASGI entry point: HTTP through Django, websockets through Channels (routes added by the
apps that serve live pages)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huiwu.settings")

from channels.routing import ProtocolTypeRouter, URLRouter
from django.core.asgi import get_asgi_application

django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from huiwu.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        # A browser sends the session cookie with a websocket opened by any site's page: only
        # pages of a host in ALLOWED_HOSTS may open one (a client that sends no Origin is
        # refused too, so scripts send the server's own).
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
