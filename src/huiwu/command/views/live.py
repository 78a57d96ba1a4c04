"""Placeholder until written: every page here answers 404."""

from django.http import Http404


def dashboard(request, **kwargs):
    raise Http404


def map_page(request, **kwargs):
    raise Http404
