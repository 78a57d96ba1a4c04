"""The awards office configures programmes in the admin: tracks, the form, rounds with their
rubrics, prize tiers, experts and listed relationships. Running a programme (assignment, reviews,
decisions) happens on the office's own pages, through the services."""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from huiwu.awards.models import (
    Conflict,
    Criterion,
    Expert,
    ExpertDocument,
    PrizeTier,
    Programme,
    Round,
    SubmissionField,
    Track,
)
from huiwu.core.admin import HuiwuModelAdmin, ParentScopedInline


class TrackInline(ParentScopedInline, admin.TabularInline):
    model = Track
    fields = ["code", "name", "order"]
    extra = 0


class SubmissionFieldInline(ParentScopedInline, admin.StackedInline):
    model = SubmissionField
    fields = [
        ("key", "kind", "required", "order"),
        "label",
        "help_text",
        ("accepted_types", "max_size_mb"),
    ]
    extra = 0


class PrizeTierInline(ParentScopedInline, admin.TabularInline):
    model = PrizeTier
    fields = ["code", "name", "quota", "track", "order"]
    extra = 0


class RoundInline(ParentScopedInline, admin.TabularInline):
    model = Round
    fields = ["order", "name", "kind", "reviewers_per_submission", "min_load", "max_load"]
    extra = 0
    show_change_link = True


@admin.register(Programme)
class ProgrammeAdmin(HuiwuModelAdmin):
    list_display = ["name", "summit", "kind", "deadline", "submission_count", "results_published"]
    list_filter = ["summit", "kind", "results_published"]
    search_fields = ["name", "slug"]
    readonly_fields = ["results_published", "published_at"]
    inlines = [TrackInline, SubmissionFieldInline, RoundInline, PrizeTierInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(submission_count=Count("submissions"))

    @admin.display(description=_("submissions"), ordering="submission_count")
    def submission_count(self, obj) -> int:
        return obj.submission_count


class CriterionInline(ParentScopedInline, admin.StackedInline):
    model = Criterion
    fields = [("weight", "min_score", "max_score", "order"), "name", "description"]
    extra = 0


@admin.register(Round)
class RoundAdmin(HuiwuModelAdmin):
    list_display = ["name", "programme", "order", "kind", "reviewers_per_submission"]
    list_filter = ["programme__summit", "kind"]
    filter_horizontal = ["experts"]
    exclude = ["discussion_open"]
    inlines = [CriterionInline]


class ExpertDocumentInline(ParentScopedInline, admin.TabularInline):
    model = ExpertDocument
    fields = ["title", "abstract", "url"]
    extra = 0


@admin.register(Expert)
class ExpertAdmin(HuiwuModelAdmin):
    list_display = ["name", "organisation_name", "country"]
    list_filter = ["programmes", "country"]
    search_fields = ["name", "organisation_name", "keywords"]
    filter_horizontal = ["programmes", "tracks"]
    raw_id_fields = ["user", "organisation"]
    inlines = [ExpertDocumentInline]


@admin.register(Conflict)
class ConflictAdmin(HuiwuModelAdmin):
    """Relationships the organisers list (an expert's former employer, a co-author's company);
    the other conflicts are declared by experts or computed, and shown here to read."""

    list_display = ["expert", "submission", "organisation_name", "source", "reason"]
    list_filter = ["source"]
    search_fields = ["expert__name", "organisation_name", "submission__title"]
    raw_id_fields = ["expert", "submission"]
