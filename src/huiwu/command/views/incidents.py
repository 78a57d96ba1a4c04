"""Placeholder until written: every page here answers 404."""

from django.http import Http404


def incident_list(request, **kwargs):
    raise Http404


def incident_new(request, **kwargs):
    raise Http404


def incident_detail(request, **kwargs):
    raise Http404


def dispatch(request, **kwargs):
    raise Http404


def change_status(request, **kwargs):
    raise Http404


def broadcasts(request, **kwargs):
    raise Http404


def answer_task(request, **kwargs):
    raise Http404


def report_incident(request, **kwargs):
    raise Http404


def phone_panel(request, application, on_duty: bool) -> str:
    return ""
