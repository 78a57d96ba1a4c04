"""Request handling every app relies on: languages and the refusal of unusable input."""

from django.conf import settings
from django.http import HttpResponseBadRequest, JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.utils.translation import gettext as _

API_PREFIX = "/api/"


class HuiwuLocaleMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware, except that API requests take their language from the
    Accept-Language header alone: a client says which language it reads with each request,
    and the language cookie the browser site sets must not override it."""

    def process_request(self, request):
        if not request.path_info.startswith(API_PREFIX):
            return super().process_request(request)
        cookie = request.COOKIES.pop(settings.LANGUAGE_COOKIE_NAME, None)
        try:
            return super().process_request(request)
        finally:
            if cookie is not None:
                request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = cookie


class RejectNulMiddleware:
    """A NUL character can't be stored or searched (PostgreSQL refuses it): answer 400 with a
    sentence, rather than let a query fail."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "%00" in query or "\x00" in query:
            message = _("The address contains a NUL character; please remove it.")
            if request.path_info.startswith(API_PREFIX):
                return JsonResponse({"detail": message}, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
