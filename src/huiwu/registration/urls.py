from django.urls import path

from huiwu.registration import views

app_name = "registration"
urlpatterns = [
    path("", views.start, name="start"),
    path("new/<slug:category>/", views.new, name="new"),
    path("invitation/<str:code>/", views.invitation, name="invitation"),
    path("r/<str:access_key>/", views.guest, name="guest"),
    path("r/<str:access_key>/edit/", views.edit, name="edit"),
    path("r/<str:access_key>/submit/", views.submit, name="submit"),
    path("r/<str:access_key>/withdraw/", views.withdraw, name="withdraw"),
    path("r/<str:access_key>/consent/", views.consent, name="consent"),
    path("r/<str:access_key>/seats/<int:seat>/give-up/", views.give_up_seat, name="give_up_seat"),
    path("r/<str:access_key>/seats/ask/<int:forum>/", views.ask_seat, name="ask_seat"),
    path("r/<str:access_key>/photo/", views.photo, name="photo"),
    path("r/<str:access_key>/badge.pdf", views.badge_pdf, name="badge_pdf"),
    path("r/<str:access_key>/agenda.ics", views.agenda_ics, name="agenda_ics"),
    path("delegation/<str:access_key>/", views.delegation, name="delegation"),
]
