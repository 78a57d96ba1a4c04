"""The volunteers' pages, mounted at ``/<language>/volunteers/``."""

from django.contrib.auth.views import LogoutView
from django.urls import path, reverse_lazy

from huiwu.volunteers import views

app_name = "volunteers"
urlpatterns = [
    path("", views.apply, name="apply"),
    path("sign-in/", views.VolunteerSignInView.as_view(), name="login"),
    path(
        "sign-out/", LogoutView.as_view(next_page=reverse_lazy("volunteers:login")), name="logout"
    ),
    path("me/", views.status, name="status"),
    path("me/withdraw/", views.withdraw, name="withdraw"),
    path("me/consent/", views.consent, name="consent"),
    path("duty/", views.duty, name="duty"),
    path("duty/sign-in/", views.sign_in, name="sign_in"),
    path("duty/sign-out/", views.sign_out, name="sign_out"),
    path("duty/certificate.pdf", views.certificate, name="certificate"),
    path("office/", views.office_applications, name="office-applications"),
    path("office/shortlist/", views.office_shortlist, name="office-shortlist"),
    path("office/a/<uuid:public_id>/", views.office_application, name="office-application"),
    path(
        "office/a/<uuid:public_id>/trajectory/",
        views.office_trajectory,
        name="office-trajectory",
    ),
    path("office/import/", views.office_import, name="office-import"),
    path("office/selection/", views.office_selection, name="office-selection"),
    path("office/selection/<int:pk>/", views.office_selection_run, name="office-selection-run"),
    path("office/posts/", views.office_posts, name="office-posts"),
    path("office/roster/", views.office_roster, name="office-roster"),
    path("office/roster/<int:pk>/", views.office_slot, name="office-slot"),
    path("office/training/", views.office_training, name="office-training"),
    path(
        "office/training/<int:pk>/",
        views.office_training_session,
        name="office-training-session",
    ),
    path("office/on-duty/", views.office_on_duty, name="office-on-duty"),
    path("office/no-shows/", views.office_no_shows, name="office-no-shows"),
]
