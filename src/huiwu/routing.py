"""Websocket routes of the live pages; each app that serves one adds its route here."""

websocket_urlpatterns: list = []
