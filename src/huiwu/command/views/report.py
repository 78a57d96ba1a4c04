"""Placeholder until written: every page here answers 404."""

from django.http import Http404


def report(request, **kwargs):
    raise Http404


def report_excel(request, **kwargs):
    raise Http404
