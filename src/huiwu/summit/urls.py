from django.urls import path

from huiwu.summit import views

app_name = "summit"
urlpatterns = [
    path("", views.home, name="home"),
    path("forums/", views.forum_list, name="forums"),
    path("forums/<slug:slug>/", views.forum_detail, name="forum"),
    path("forums/<slug:slug>/calendar.ics", views.forum_ics, name="forum_ics"),
    path("agenda/", views.agenda, name="agenda"),
    path("agenda/agenda.ics", views.agenda_ics, name="agenda_ics"),
    path("speakers/", views.speaker_list, name="speakers"),
    path("speakers/<int:pk>/", views.speaker_detail, name="speaker"),
    path("venues/", views.venue_list, name="venues"),
    path("venues/venues.geojson", views.venues_geojson, name="venues_geojson"),
    path("venues/<slug:slug>/", views.venue_detail, name="venue"),
    path("editions/", views.editions, name="editions"),
]
