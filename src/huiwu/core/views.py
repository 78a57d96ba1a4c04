"""Error pages (friendly, in the visitor's language, in the site's look) and the sign-in page."""

from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.urls import reverse

from huiwu.core.forms import SignInForm


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 404 page, in the language LocaleMiddleware chose (the address's prefix, else the
    browser's)."""
    return render(request, "core/404.html", status=404)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 403 page, for a signed-in person whose role does not reach this page."""
    return render(request, "core/403.html", status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page. Rendered without the request's context processors: the database or
    whatever failed may be what they need."""
    return HttpResponseServerError(loader.get_template("core/500.html").render())


class SignInView(LoginView):
    """The one sign-in form of the site's own pages (the admin keeps its own, for staff).

    Apps mount it with their texts and landing page:
    ``SignInView.as_view(extra_context={"heading": ..., "intro": ...}, landing="app:page")``;
    ``landing`` may also be a function of the user that names the page, for an app whose
    people start in different places.
    Its form refuses an account or an address after too many failed attempts.
    """

    form_class = SignInForm
    template_name = "core/sign_in.html"
    redirect_authenticated_user = True
    landing = "summit:home"

    def get_default_redirect_url(self) -> str:
        landing = self.landing(self.request.user) if callable(self.landing) else self.landing
        return reverse(landing)
