"""Websocket routes of the live pages; each app that serves one adds its route here."""

from django.urls import path

from huiwu.command.consumers import CommandConsumer, VolunteerConsumer

websocket_urlpatterns: list = [
    path("ws/command/", CommandConsumer.as_asgi()),
    path("ws/volunteer/", VolunteerConsumer.as_asgi()),
]
