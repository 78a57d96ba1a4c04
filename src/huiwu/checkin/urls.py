from django.urls import path
from django.utils.translation import gettext_lazy as _

from huiwu.checkin import views
from huiwu.core.views import SignInView

# Gate staff have no admin account: they sign in on the site's own form.
sign_in = SignInView.as_view(
    landing="checkin:manual",
    extra_context={
        "kicker": _("Gates"),
        "heading": _("Gate staff sign-in"),
        "intro": _("Sign in with the account the secretariat gave you to work the manual lane."),
    },
)

app_name = "checkin"
urlpatterns = [
    path("kiosk/", views.kiosk, name="kiosk"),
    path("login/", sign_in, name="login"),
    path("manual/", views.manual, name="manual"),
    path("manual/checkin/", views.manual_checkin, name="manual_checkin"),
    path("manual/photo/<uuid:public_id>/", views.manual_photo, name="manual_photo"),
]
