"""The command centre's pages: thin, reading through ``selectors``, writing through
``services``, asking the ``rules`` predicates."""

from django.http import HttpRequest, HttpResponse


def dashboard(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError
