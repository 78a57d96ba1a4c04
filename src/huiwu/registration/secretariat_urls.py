"""The secretariat's pages for guests, mounted at ``/<language>/secretariat/registrations/``."""

from django.urls import path

from huiwu.registration import secretariat

app_name = "secretariat"
urlpatterns = [
    path("", secretariat.queue, name="queue"),
    path("decide/", secretariat.bulk_decide, name="bulk"),
    path("export.<str:file_format>", secretariat.export, name="export"),
    path("invite/", secretariat.invite, name="invite"),
    path("import/", secretariat.import_registrations, name="import"),
    path("badges/", secretariat.badges, name="badges"),
    path("badges/<str:job_id>/", secretariat.badge_job, name="badge_job"),
    path("badges/<str:job_id>/badges.pdf", secretariat.badge_download, name="badge_download"),
    path("forums/", secretariat.forum_list, name="forums"),
    path("forums/<slug:slug>/", secretariat.forum_seats, name="forum"),
    path(
        "forums/<slug:slug>/<uuid:public_id>/",
        secretariat.seat_for_guest,
        name="forum_guest_seat",
    ),
    path("seats/<int:pk>/", secretariat.seat, name="seat"),
    path("<uuid:public_id>/", secretariat.registration_detail, name="registration"),
    path("<uuid:public_id>/decide/", secretariat.decide, name="decide"),
    path("<uuid:public_id>/badge/", secretariat.badge, name="badge"),
    path("<uuid:public_id>/photo/", secretariat.photo, name="photo"),
]
