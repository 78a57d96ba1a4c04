from django.contrib.auth.views import LogoutView
from django.urls import path, reverse_lazy
from django.utils.translation import gettext_lazy as _

from huiwu.awards import views
from huiwu.awards.rules import is_awards_office
from huiwu.core.views import SignInView


def _landing(user) -> str:
    """The office starts at its desk, an expert at their reviews, everyone else at the list of
    programmes."""
    if is_awards_office(user):
        return "awards:office"
    if hasattr(user, "expert"):
        return "awards:expert"
    return "awards:index"


sign_in = SignInView.as_view(
    landing=_landing,
    extra_context={
        "kicker": _("Awards and competitions"),
        "heading": _("Sign in"),
        "intro": _(
            "Applicants, nominators and experts sign in here to submit, follow their "
            "submissions and review."
        ),
        "other_text": _("No account yet?"),
        "other_link": reverse_lazy("awards:signup"),
        "other_label": _("Create one"),
    },
)

app_name = "awards"
urlpatterns = [
    path("", views.index, name="index"),
    path("login/", sign_in, name="login"),
    path("logout/", LogoutView.as_view(next_page="awards:index"), name="logout"),
    path("signup/", views.signup, name="signup"),
    path("mine/", views.mine, name="mine"),
    path("s/<uuid:public_id>/", views.submission, name="submission"),
    path("s/<uuid:public_id>/edit/", views.edit, name="edit"),
    path("s/<uuid:public_id>/withdraw/", views.withdraw, name="withdraw"),
    path("s/<uuid:public_id>/files/<int:pk>/", views.attachment, name="attachment"),
    path("s/<uuid:public_id>/certificate.pdf", views.certificate, name="certificate"),
    path("expert/", views.expert, name="expert"),
    path("expert/profile/", views.expert_profile, name="expert_profile"),
    path("expert/documents/", views.expert_document, name="expert_document"),
    path(
        "expert/documents/<int:pk>/remove/",
        views.expert_document_remove,
        name="expert_document_remove",
    ),
    path("expert/conflicts/", views.expert_conflict, name="expert_conflict"),
    path("review/<int:pk>/", views.review, name="review"),
    path("office/", views.office, name="office"),
    path("office/<slug:slug>/", views.office_programme, name="office_programme"),
    path("office/<slug:slug>/publish/", views.office_publish, name="office_publish"),
    path("office/<slug:slug>/round/<int:order>/", views.office_round, name="office_round"),
    path("office/<slug:slug>/round/<int:order>/assign/", views.office_assign, name="office_assign"),
    path("office/<slug:slug>/round/<int:order>/pair/", views.office_pair, name="office_pair"),
    path(
        "office/<slug:slug>/round/<int:order>/discussion/",
        views.office_discussion,
        name="office_discussion",
    ),
    path(
        "office/<slug:slug>/round/<int:order>/shortlist/",
        views.office_shortlist,
        name="office_shortlist",
    ),
    path("office/<slug:slug>/round/<int:order>/award/", views.office_award, name="office_award"),
    path(
        "office/<slug:slug>/round/<int:order>/decide/<uuid:public_id>/",
        views.office_decide,
        name="office_decide",
    ),
    path("<slug:slug>/", views.programme, name="programme"),
    path("<slug:slug>/submit/", views.submit, name="submit"),
]
