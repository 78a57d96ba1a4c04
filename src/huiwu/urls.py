from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.utils.functional import lazy
from django.views.generic import RedirectView
from django.views.i18n import set_language

from huiwu.api import api
from huiwu.core.api import api_not_found

urlpatterns = [
    path("api/v1/", api.urls),
    re_path(r"^api/(?P<path>.*)$", api_not_found),
    path("i18n/setlang/", set_language, name="set_language"),
    # Browsers and feed readers ask for it without reading the page's icon link.
    path(
        "favicon.ico",
        RedirectView.as_view(url=lazy(static, str)("core/favicon.svg"), permanent=True),
    ),
]
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("register/", include("huiwu.registration.urls")),
    path("secretariat/registrations/", include("huiwu.registration.secretariat_urls")),
    path("checkin/", include("huiwu.checkin.urls")),
    path("volunteers/", include("huiwu.volunteers.urls")),
    path("awards/", include("huiwu.awards.urls")),
    path("command/", include("huiwu.command.urls")),
    path("", include("huiwu.summit.urls")),
    prefix_default_language=True,
)

handler403 = "huiwu.core.views.permission_denied"
handler404 = "huiwu.core.views.page_not_found"
handler500 = "huiwu.core.views.server_error"
