"""The secretariat's admin for guests: categories, delegations, invitations, reserved seats and
registrations. Organisers only (``registration.rules`` gives the model permissions).

Registrations and invitations are read here, not edited: a decision, an invitation or a seat
goes through ``services`` (from the review queue, the invitation page and the forum seats
page), so that its rules, its e-mails and its action log are never skipped.
"""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_countries.filters import CountryFilter

from huiwu.core.admin import HuiwuModelAdmin, ParentScopedInline
from huiwu.core.rules import is_organiser
from huiwu.registration import rules, services
from huiwu.registration.models import (
    Delegation,
    GuestCategory,
    Invitation,
    OptionalField,
    Registration,
    SeatHold,
    SeatRequest,
    SeatStatus,
)


class SecretariatAdmin(HuiwuModelAdmin):
    """An admin of the secretariat's alone. The role carries no model permissions on these
    models (the predicates give them), so Django would hide the app from the admin's index."""

    def has_module_permission(self, request) -> bool:
        return is_organiser(request.user)


def _swatch(colour: str) -> str:
    return format_html(
        '<span class="huiwu-swatch" style="display:inline-block;width:0.9rem;height:0.9rem;'
        'border-radius:50%;vertical-align:middle;background:{}"></span> <code>{}</code>',
        colour,
        colour,
    )


# --- Categories and delegations --------------------------------------------------------------


class GuestCategoryForm(forms.ModelForm):
    required_fields = forms.MultipleChoiceField(
        label=_("Required fields"),
        choices=OptionalField.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Fields the guests of this category must fill in, besides name and e-mail."),
    )

    class Meta:
        model = GuestCategory
        fields = [
            "summit",
            "code",
            "name",
            "description",
            "badge_colour",
            "required_fields",
            "zones",
            "public",
            "order",
        ]
        widgets = {"badge_colour": forms.TextInput(attrs={"type": "color"})}

    def clean(self):
        cleaned = super().clean()
        summit = cleaned.get("summit")
        zones = cleaned.get("zones")
        if summit and zones:
            others = [str(zone) for zone in zones if zone.summit_id != summit.pk]
            if others:
                self.add_error(
                    "zones",
                    _("These zones belong to another summit: %(zones)s.")
                    % {"zones": ", ".join(others)},
                )
        return cleaned


@admin.register(GuestCategory)
class GuestCategoryAdmin(SecretariatAdmin):
    form = GuestCategoryForm
    list_display = [
        "name",
        "code",
        "summit",
        "colour",
        "required",
        "public",
        "order",
        "registration_count",
    ]
    list_filter = ["summit", "public"]
    list_select_related = ["summit"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["zones"]
    fieldsets = [
        (None, {"fields": ["summit", "code", "name", "description", "order", "public"]}),
        (_("Form"), {"fields": ["required_fields"]}),
        (_("Badge and access"), {"fields": ["badge_colour", "zones"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(registration_count=Count("registrations"))

    @admin.display(description=_("badge colour"), ordering="badge_colour")
    def colour(self, category: GuestCategory) -> str:
        return _swatch(category.badge_colour)

    @admin.display(description=_("required fields"))
    def required(self, category: GuestCategory) -> str:
        labels = dict(OptionalField.choices)
        return ", ".join(str(labels.get(name, name)) for name in category.required_fields) or "—"

    @admin.display(description=_("registrations"), ordering="registration_count")
    def registration_count(self, category: GuestCategory) -> int:
        return category.registration_count


@admin.register(Delegation)
class DelegationAdmin(SecretariatAdmin):
    list_display = ["name", "country", "summit", "leader", "member_count"]
    list_filter = ["summit", ("country", CountryFilter)]
    list_select_related = ["summit", "leader"]
    search_fields = ["name", "leader__username"]
    fields = ["summit", "name", "country", "leader"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("members"))

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, delegation: Delegation) -> int:
        return delegation.member_count


# --- Invitations -------------------------------------------------------------------------------


@admin.register(Invitation)
class InvitationAdmin(SecretariatAdmin):
    """Invitations as sent; new ones come from the invitation page, which e-mails them.
    Deleting an unused invitation makes its link void."""

    list_display = [
        "email",
        "name",
        "category",
        "forum",
        "language",
        "sent_at",
        "used_at",
        "invited_by",
    ]
    list_filter = ["summit", "category", "language", ("used_at", admin.EmptyFieldListFilter)]
    list_select_related = ["category", "forum", "invited_by"]
    search_fields = ["email", "name"]
    date_hierarchy = "sent_at"
    fields = [
        "summit",
        "email",
        "name",
        "category",
        "forum",
        "delegation",
        "language",
        "invited_by",
        "created_at",
        "sent_at",
        "used_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "subtitle": format_html(
                '<a href="{}">{}</a>',
                reverse("secretariat:invite"),
                _("Invite guests (one by one or from a list)"),
            ),
        }
        return super().changelist_view(request, extra_context)


# --- Reserved seats ----------------------------------------------------------------------------


@admin.register(SeatHold)
class SeatHoldAdmin(SecretariatAdmin):
    """Reserved seats, read here; reserving, changing and giving them back happen on the forum's
    seats page, which checks that they never exceed the free seats. Deleting gives them back."""

    list_display = ["forum", "label", "seats", "used", "manage"]
    list_filter = ["forum__summit"]
    list_select_related = ["forum__summit"]
    search_fields = ["label", "forum__title", "forum__slug"]
    fields = ["forum", "label", "seats"]
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                used_count=Count(
                    "seat_requests", filter=Q(seat_requests__status=SeatStatus.CONFIRMED)
                )
            )
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("given"), ordering="used_count")
    def used(self, hold: SeatHold) -> int:
        return hold.used_count

    @admin.display(description=_("forum seats page"))
    def manage(self, hold: SeatHold) -> str:
        url = reverse("secretariat:forum", args=[hold.forum.slug])
        return format_html(
            '<a href="{}?summit={}">{}</a>', url, hold.forum.summit.slug, _("Manage")
        )

    def delete_model(self, request, obj: SeatHold) -> None:
        services.release_hold(obj, by=request.user)

    def delete_queryset(self, request, queryset) -> None:
        for hold in queryset.select_related("forum"):
            services.release_hold(hold, by=request.user)


# --- Registrations -----------------------------------------------------------------------------


class SeatRequestInline(ParentScopedInline, admin.TabularInline):
    model = SeatRequest
    own_permissions = False
    fields = ["forum", "status", "hold", "requested_at", "confirmed_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Registration)
class RegistrationAdmin(SecretariatAdmin):
    """Registrations as the guests gave them, read-only; decisions are taken in the review
    queue, where reasons and e-mails go with them. Approving many at once is also here."""

    list_display = [
        "__str__",
        "nationality",
        "category",
        "status",
        "participation",
        "submitted_at",
        "review",
    ]
    list_filter = [
        "summit",
        "status",
        "category",
        "participation",
        ("nationality", CountryFilter),
        "badge_revoked",
    ]
    list_select_related = ["category", "summit"]
    search_fields = ["name", "name_latin", "email", "organisation_name"]
    date_hierarchy = "submitted_at"
    inlines = [SeatRequestInline]
    actions = ["approve_selected"]
    fieldsets = [
        (None, {"fields": ["summit", "category", "status", "review", "portrait"]}),
        (
            _("Guest"),
            {
                "fields": [
                    "name",
                    "name_latin",
                    "nationality",
                    "email",
                    "phone",
                    "organisation_name",
                    "position",
                    "id_type",
                    "id_number",
                    "language",
                ]
            },
        ),
        (
            _("Participation"),
            {
                "fields": [
                    "participation",
                    "arrival_date",
                    "departure_date",
                    "dietary",
                    "accessibility",
                    "face_consent",
                    "face_consent_at",
                    "delegation",
                    "invitation",
                ]
            },
        ),
        (
            _("Decision and badge"),
            {
                "fields": [
                    "submitted_at",
                    "decided_at",
                    "decided_by",
                    "decision_reason",
                    "badge_version",
                    "badge_revoked",
                ]
            },
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        fields = [name for _title, options in self.fieldsets for name in options["fields"]]
        return [*fields, *super().get_readonly_fields(request, obj)]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_decide_permission(self, request) -> bool:
        return rules.can_decide_registration(request.user)

    @admin.display(description=_("review"))
    def review(self, registration: Registration) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("secretariat:registration", args=[registration.public_id]),
            _("Open in the review queue"),
        )

    @admin.display(description=_("portrait photo"))
    def portrait(self, registration: Registration) -> str:
        # Through the secretariat's private view: portraits are never public files.
        if not registration.photo:
            return "—"
        return format_html(
            '<img src="{}" alt="" style="max-width:9rem;border-radius:6px">',
            reverse("secretariat:photo", args=[registration.public_id]),
        )

    @admin.action(description=_("Approve the selected registrations"), permissions=["decide"])
    def approve_selected(self, request, queryset) -> None:
        registrations = list(queryset.select_related("summit"))
        changed = services.bulk_decide(registrations, "approve", by=request.user)
        self.message_user(
            request,
            ngettext(
                "%(count)d registration approved.", "%(count)d registrations approved.", changed
            )
            % {"count": changed},
            messages.SUCCESS,
        )
        if unchanged := len(registrations) - changed:
            self.message_user(request, services.unchanged_message(unchanged), messages.WARNING)
