"""The command centre's pages, mounted at ``/<language>/command/``."""

from django.urls import path

from huiwu.command import views

app_name = "command"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
